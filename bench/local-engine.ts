// The local engine (DuckDB over Parquet) at 1M links, beside today's in-memory index: conversion
// time, first backlink_gap in a fresh process with and without conversion, warm gap times.
// `npx tsx bench/local-engine.ts` (figures are added to BENCHMARKS.md by hand).

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../src/log.js';
import { createLocalProvider } from '../src/providers/local.js';
import { generateDataset } from './generate-dataset.js';

const PACKAGE_ROOT = fileURLToPath(new URL('..', import.meta.url));
const THIS_FILE = fileURLToPath(import.meta.url);

interface ChildFigures {
  first: number;
  warm: number[];
  load?: number;
  convertedIn?: number;
  rss: number;
}

async function childMain(dir: string, cacheDir: string, engine: boolean, targets: string[]): Promise<void> {
  const fields: Record<string, number> = {};
  const record = (message: string, values?: Record<string, unknown>) => {
    const milliseconds = values?.milliseconds;
    if (typeof milliseconds === 'number') fields[message] = milliseconds;
  };
  const logger: Logger = { debug: record, info: record, warn: record, error: record };
  const provider = createLocalProvider({ dataPath: dir, logger, ...(engine && { engine: { cacheDir } }) });
  const [first, second, third, fourth, fifth, sixth] = targets as [string, string, string, string, string, string];
  const query = { your_domain: sixth, competitor_domains: [first, second, third, fourth, fifth], limit: 100, min_competitors: 1 };
  let started = performance.now();
  await provider.gap!(query, {});
  const firstMs = performance.now() - started;
  const warm: number[] = [];
  for (let run = 0; run < 5; run++) {
    started = performance.now();
    await provider.gap!(query, {});
    warm.push(performance.now() - started);
  }
  const load = fields['local dataset loaded'];
  const converted = fields['local dataset converted to Parquet'];
  const figures: ChildFigures = {
    first: firstMs,
    warm,
    rss: process.memoryUsage().rss / 1048576,
    ...(load !== undefined && { load }),
    ...(converted !== undefined && load !== undefined && { convertedIn: converted - load }),
  };
  process.stdout.write(JSON.stringify(figures));
}

const stats = (values: number[]) => {
  const sorted = [...values].sort((left, right) => left - right);
  return `${Math.round(sorted[Math.floor(sorted.length / 2)]!)} ms (${Math.round(sorted[0]!)}–${Math.round(sorted[sorted.length - 1]!)})`;
};

const invoked = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (invoked && process.argv[2] === '--child') {
  await childMain(process.argv[3]!, process.argv[4]!, process.argv[5] === 'engine', JSON.parse(process.argv[6] ?? '[]'));
} else if (invoked) {
  const dir = join(tmpdir(), `backlink-gap-engine-bench-${randomBytes(6).toString('hex')}`);
  const runs = Number(process.argv[2] ?? 3);
  try {
    const generated = await generateDataset(dir);
    const targets = JSON.stringify(generated.targets.slice(0, 6));
    const run = (cacheDir: string, engine: boolean) =>
      new Promise<ChildFigures>((resolve, reject) => {
        const spawned = spawn(process.execPath, ['--import', 'tsx', THIS_FILE, '--child', dir, cacheDir, engine ? 'engine' : 'index', targets], {
          cwd: PACKAGE_ROOT,
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        let output = '';
        spawned.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString('utf8');
        });
        spawned.on('close', (code) => (code === 0 ? resolve(JSON.parse(output)) : reject(new Error(`child exited with ${code}`))));
      });
    const cold: ChildFigures[] = [];
    const reused: ChildFigures[] = [];
    const index: ChildFigures[] = [];
    for (let attempt = 0; attempt < runs; attempt++) {
      const cacheDir = await mkdtemp(join(tmpdir(), 'backlink-gap-engine-cache-'));
      cold.push(await run(cacheDir, true));
      reused.push(await run(cacheDir, true));
      await rm(cacheDir, { recursive: true, force: true });
      index.push(await run(dir, false));
    }
    const lines = [
      ['engine: CSV load + conversion to Parquet', stats(cold.map((figures) => (figures.load ?? 0) + (figures.convertedIn ?? 0)))],
      ['engine: conversion alone (after the load)', stats(cold.map((figures) => figures.convertedIn ?? 0))],
      ['engine: first gap, fresh process, converting', stats(cold.map((figures) => figures.first))],
      ['engine: first gap, fresh process, converted', stats(reused.map((figures) => figures.first))],
      ['engine: gap warm', stats(reused.flatMap((figures) => figures.warm))],
      ['engine: RSS after gap (converted)', `${Math.round(reused[0]!.rss)} MB`],
      ['index: first gap, fresh process (load)', stats(index.map((figures) => figures.first))],
      ['index: gap warm', stats(index.flatMap((figures) => figures.warm))],
      ['index: RSS after gap', `${Math.round(index[0]!.rss)} MB`],
    ];
    for (const [name, value] of lines) process.stdout.write(`${name!.padEnd(48)} ${value}\n`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
