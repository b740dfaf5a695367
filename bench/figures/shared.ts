// What every figure group shares: the row shape, statistics, MCP clients over stdio, temp dirs, tokens.

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { encode } from 'gpt-tokenizer/encoding/o200k_base';

export const ROOT = resolve(fileURLToPath(new URL('../../', import.meta.url)));
export const OUR_CLI = join(ROOT, 'dist', 'cli.js');

/** The shape the other helpers' modules (local-scale, cache) return. */
export interface ExternalRow {
  figure: string;
  median: number;
  min: number;
  max: number;
  unit: string;
  target?: number;
  note?: string;
}

export interface Measure {
  median: number;
  min: number;
  max: number;
  /** Extra percentiles where a figure asks for them. */
  p99?: number;
  runs: number;
}

/**
 * One line of the table. `target` bounds ours (`at_most` unless `direction` says otherwise);
 * `ratioTarget` bounds ours/peer. A row with `missing` was not measured and says why.
 */
export interface Row {
  group: string;
  figure: string;
  unit: string;
  ours?: Measure;
  peer?: Measure & { label: string };
  target?: number;
  direction?: 'at_most' | 'at_least';
  ratioTarget?: number;
  /** Why a missed target was missed and what would close it; printed only when the row misses. */
  missNote?: string;
  /** Context that always goes with the row (e.g. which peer version, rows counted). */
  note?: string;
  missing?: string;
  /** A condition the figure depends on besides the number (e.g. "100 rows returned"); unmet is a miss. */
  requirement?: { met: boolean; text: string };
  /** Whole numbers (tokens, counts) print without decimals. */
  integer?: boolean;
  /** The count behind a share (`222 of 222`), shown in brackets after the median. */
  tally?: string;
  /**
   * Cells as written when the row was recorded by hand (e.g. `1.29 s (0.77–1.88)` beside a ms target,
   * `100% (222 of 222)`), shown instead of the computed text; the numbers above still decide the result.
   * A group's runner leaves it unset.
   */
  shown?: { ours?: string; peer?: string; ratio?: string; target?: string };
}

export type Verdict = 'pass' | 'MISS' | 'info' | 'not measured';

export function ratioOf(row: Row): number | undefined {
  if (!row.ours || !row.peer || row.peer.median === 0) return undefined;
  return row.ours.median / row.peer.median;
}

export function verdictOf(row: Row): Verdict {
  if (row.missing !== undefined || !row.ours) return 'not measured';
  const checks: boolean[] = [];
  if (row.target !== undefined) {
    checks.push(row.direction === 'at_least' ? row.ours.median >= row.target : row.ours.median <= row.target);
  }
  const ratio = ratioOf(row);
  if (row.ratioTarget !== undefined) {
    if (ratio === undefined) return 'not measured';
    checks.push(ratio <= row.ratioTarget);
  }
  if (row.requirement) checks.push(row.requirement.met);
  if (checks.length === 0) return 'info';
  return checks.every(Boolean) ? 'pass' : 'MISS';
}

export function summarize(values: number[], withP99 = false): Measure {
  if (values.length === 0) throw new Error('no samples');
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
  const middle = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return {
    median,
    min: sorted[0]!,
    max: sorted[sorted.length - 1]!,
    runs: sorted.length,
    ...(withP99 && { p99: at(0.99) }),
  };
}

export function single(value: number): Measure {
  return { median: value, min: value, max: value, runs: 1 };
}

export function missingRow(group: string, figure: string, unit: string, why: string, target?: number): Row {
  return { group, figure, unit, missing: why, ...(target !== undefined && { target }) };
}

export function fromExternal(group: string, row: ExternalRow, runs: number): Row {
  return {
    group,
    figure: row.figure,
    unit: row.unit,
    ours: { median: row.median, min: row.min, max: row.max, runs },
    ...(row.target !== undefined && { target: row.target }),
    ...(row.note !== undefined && { missNote: row.note }),
  };
}

/** Options shared by every group: how many timed runs, and a quick mode for the CI smoke. */
export interface GroupOptions {
  runs: number;
  quick: boolean;
  log: (line: string) => void;
}

export function tokens(text: string): number {
  return encode(text).length;
}

export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `blg-bench-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export function ourServerAvailable(): string | undefined {
  return existsSync(OUR_CLI) ? undefined : 'dist/cli.js missing (run npm run build)';
}

export interface ServerCommand {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string;
}

/** Our server over stdio, with its own cache dir and quiet logs. */
export function ourServer(env: Record<string, string>): ServerCommand {
  return {
    command: process.execPath,
    args: [OUR_CLI],
    env: { BACKLINK_GAP_LOG_LEVEL: 'warn', ...env },
  };
}

/** The parent's environment minus anything that could configure a real provider. */
function baseEnvironment(): Record<string, string> {
  const keep = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TERM', 'SYSTEMROOT'];
  const out: Record<string, string> = {};
  for (const name of keep) {
    const value = process.env[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

export interface Session {
  client: Client;
  pid: number | undefined;
  /** Milliseconds from spawn to `initialize` answered. */
  initializeMs: number;
  stderr(): string;
  close(): Promise<void>;
}

/** Spawn a server and complete the MCP handshake; the clock starts just before spawn. */
export async function openSession(server: ServerCommand): Promise<Session> {
  const transport = new StdioClientTransport({
    command: server.command,
    args: server.args,
    env: { ...baseEnvironment(), ...server.env },
    stderr: 'pipe',
    ...(server.cwd !== undefined && { cwd: server.cwd }),
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    if (stderr.length < 20_000) stderr += chunk.toString();
  });
  const client = new Client({ name: 'backlink-gap-bench', version: '1.0.0' });
  const started = performance.now();
  try {
    await client.connect(transport);
  } catch (error) {
    await client.close().catch(() => undefined);
    throw new Error(`server did not start: ${(error as Error).message}; stderr: ${stderr.slice(0, 500)}`);
  }
  const initializeMs = performance.now() - started;
  return {
    client,
    pid: transport.pid ?? undefined,
    initializeMs,
    stderr: () => stderr,
    close: () => client.close().catch(() => undefined),
  };
}

/** Call a tool and fail loudly on an error result, so a broken call never becomes a fast number. */
export async function callTool(session: Session, name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  const result = (await session.client.callTool({ name, arguments: args })) as CallToolResult;
  if (result.isError) {
    const text = result.content.map((item) => (item.type === 'text' ? item.text : '')).join(' ');
    throw new Error(`${name} returned an error: ${text.slice(0, 400)}`);
  }
  return result;
}

/** The text blocks a client hands the model. */
export function textOf(result: CallToolResult): string {
  return result.content
    .filter((item): item is { type: 'text'; text: string } => item.type === 'text')
    .map((item) => item.text)
    .join('\n');
}

export function structuredOf(result: CallToolResult): Record<string, unknown> {
  return (result.structuredContent ?? {}) as Record<string, unknown>;
}

export function errorText(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s+/g, ' ').slice(0, 200);
}

export const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));
