// Shared plumbing for the proof tests: an in-process server with a real MCP client, the built server
// over stdio or HTTP as a child process, and the environment that points every adapter at a fake.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { createServer } from '../../src/server.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = join(ROOT, 'dist', 'cli.js');

export const tempDir = (prefix: string): string => mkdtempSync(join(tmpdir(), `blg-proof-${prefix}-`));

/** Point every paid adapter at one fake origin. */
export function upstreamEnv(origin: string): Record<string, string> {
  return {
    DATAFORSEO_BASE_URL: origin,
    DOMDETAILER_BASE_URL: origin,
    LOCALSEODATA_BASE_URL: origin,
    MOZ_BASE_URL: origin,
    ONECLICKSEO_BASE_URL: origin,
  };
}

export const DATAFORSEO_KEYS = { DATAFORSEO_LOGIN: 'SECRETLOGIN-DFS-1234567890', DATAFORSEO_PASSWORD: 'SECRETPASS-DFS-1234567890' };

export type Call = (name: string, args: Record<string, unknown>, options?: { signal?: AbortSignal; timeout?: number }) => Promise<CallToolResult>;

export interface InProcess {
  client: Client;
  runtime: Runtime;
  logs: string[];
  call: Call;
  dispose(): Promise<void>;
}

/** The real server and a real SDK client joined by an in-memory transport (no clock faking: deadlines are real). */
export async function inProcess(env: Record<string, string>): Promise<InProcess> {
  const config = loadConfig({ BACKLINK_GAP_CACHE_DIR: tempDir('cache'), BACKLINK_GAP_CACHE: 'persistent', ...env });
  const logs: string[] = [];
  const logger = createLogger({ level: 'debug', secrets: [], write: (line) => logs.push(line) });
  const runtime = createRuntime(config, { logger });
  const server = createServer({ service: runtime.service, logger });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: 'proof', version: '1.0.0' });
  await Promise.all([server.connect(serverSide), client.connect(clientSide)]);
  return {
    client,
    runtime,
    logs,
    call: callOf(client),
    async dispose() {
      await client.close();
      await server.close();
      await runtime.close();
    },
  };
}

export function callOf(client: Client): Call {
  return async (name, args, options = {}) =>
    (await client.callTool({ name, arguments: args }, undefined, {
      timeout: options.timeout ?? 20_000,
      ...(options.signal && { signal: options.signal }),
    })) as CallToolResult;
}

export const textOf = (result: CallToolResult): string =>
  result.content.map((part) => (part.type === 'text' ? part.text : JSON.stringify(part))).join('\n');

/** Peak resident memory of a process, in MB (VmHWM), or undefined off Linux. */
export function peakRssMb(pid: number): number | undefined {
  try {
    const match = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

export interface StdioSession {
  client: Client;
  call: Call;
  stderr: string[];
  pid: number;
  close(): Promise<void>;
}

/** The built server over stdio, with only the variables given (plus PATH and HOME). */
export async function stdioSession(env: Record<string, string>): Promise<StdioSession> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI],
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: env.BACKLINK_GAP_CACHE_DIR ?? tmpdir(), ...env },
    stderr: 'pipe',
  });
  const stderr: string[] = [];
  transport.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const client = new Client({ name: 'proof-stdio', version: '1.0.0' });
  await client.connect(transport);
  return { client, call: callOf(client), stderr, pid: transport.pid ?? 0, close: () => client.close() };
}

export interface HttpChild {
  child: ChildProcess;
  url: string;
  stderr: string[];
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** The built server over HTTP on a free loopback port; resolves once it prints its banner. */
export async function httpChild(env: Record<string, string>, extraArgs: string[] = []): Promise<HttpChild> {
  const child = spawn(process.execPath, [CLI, 'serve', '--http', '--port', '0', '--host', '127.0.0.1', ...extraArgs], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: env.BACKLINK_GAP_CACHE_DIR ?? tmpdir(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr.join('')}`)), 15_000);
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr.push(chunk.toString());
      const match = /(http:\/\/127\.0\.0\.1:\d+\/mcp)/.exec(stderr.join(''));
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${stderr.join('')}`));
    });
  });
  return {
    child,
    url,
    stderr,
    exited,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

export async function httpClient(url: string, token?: string): Promise<{ client: Client; call: Call; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    ...(token !== undefined && { requestInit: { headers: { authorization: `Bearer ${token}` } } }),
  });
  const client = new Client({ name: 'proof-http', version: '1.0.0' });
  await client.connect(transport);
  return { client, call: callOf(client), transport };
}

/** A small deterministic links dataset (the bundled sample may not be generated yet): 300 referring
 *  domains linking to the sample's competitors in overlapping patterns, some to "you" too. */
export function writeDataset(you: string, competitors: readonly string[]): string {
  const dir = tempDir('dataset');
  const links = ['source_url,target_url,anchor,nofollow,first_seen,last_seen'];
  const domains = ['domain,authority,spam_score,backlinks,referring_domains'];
  for (let index = 0; index < 300; index += 1) {
    const source = `ref${index}-${['news', 'blog', 'directory', 'chamber', 'forum'][index % 5]}.com`;
    domains.push(`${source},${(index * 7) % 100},${(index * 13) % 60},${index * 3},${index}`);
    competitors.forEach((competitor, position) => {
      if ((index + position) % (position + 2) !== 0) return;
      links.push(`https://${source}/page-${position},https://${competitor}/,"${competitor} anchor ${index % 4}",${index % 3 === 0},2025-01-0${(index % 9) + 1},2025-06-01`);
    });
    if (index % 10 === 0) links.push(`https://${source}/about,https://${you}/,${you},false,2025-02-01,`);
  }
  writeFileSync(join(dir, 'links.csv'), `${links.join('\n')}\n`);
  writeFileSync(join(dir, 'domains.csv'), `${domains.join('\n')}\n`);
  return dir;
}
