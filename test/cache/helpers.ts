// Shared test helpers for the cache, runs and ledger tests: temp dirs, a fake clock, a recording logger.

import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../../src/log.js';

export async function makeTempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'backlink-gap-cache-test-'));
}

export async function removeTempDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

export interface FakeClock {
  now: () => number;
  advance(milliseconds: number): void;
  set(epochMs: number): void;
}

export function fakeClock(start = Date.UTC(2025, 0, 15, 12, 0, 0)): FakeClock {
  let current = start;
  return {
    now: () => current,
    advance(milliseconds) {
      current += milliseconds;
    },
    set(epochMs) {
      current = epochMs;
    },
  };
}

export interface RecordingLogger extends Logger {
  lines: Array<{ level: string; message: string; fields?: Record<string, unknown> }>;
}

export function recordingLogger(): RecordingLogger {
  const lines: RecordingLogger['lines'] = [];
  const add = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    lines.push({ level, message, ...(fields !== undefined && { fields }) });
  };
  return { lines, debug: add('debug'), info: add('info'), warn: add('warn'), error: add('error') };
}

/** Every regular file under a directory, recursively. */
export async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

export async function filesContaining(dir: string, needle: string): Promise<string[]> {
  const found: string[] = [];
  for (const path of await listFiles(dir)) {
    const content = await readFile(path);
    if (content.includes(needle)) found.push(path);
  }
  return found;
}

export function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  return { promise, resolve, reject };
}

/** Run two writer processes at once on one dir (see fixtures/writer-process.ts). */
export async function runTwoWriterProcesses(dir: string, count: number): Promise<void> {
  await spawnWriters(dir, count, ['one', 'two'], false);
}

/** Run one writer process per label on one dir, started together, each writing the same keys in
 *  rounds with answers the others also write. */
export async function runWriterProcesses(dir: string, count: number, labels: string[]): Promise<void> {
  await spawnWriters(dir, count, labels, true);
}

async function spawnWriters(dir: string, count: number, labels: string[], together: boolean): Promise<void> {
  const { execFile } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  const script = fileURLToPath(new URL('./fixtures/writer-process.ts', import.meta.url));
  const run = (label: string) =>
    new Promise<void>((resolve, reject) => {
      execFile(process.execPath, ['--import', 'tsx', script, dir, label, String(count), ...(together ? [String(labels.length)] : [])], { timeout: 60_000 }, (error, stdout, stderr) => {
        if (error) reject(new Error(`${label} failed: ${error.message}\n${stderr}`));
        else if (!stdout.includes(`${label} done`)) reject(new Error(`${label} did not finish: ${stdout}${stderr}`));
        else resolve();
      });
    });
  await Promise.all(labels.map(run));
}
