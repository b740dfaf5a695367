// Micro-benchmark of the cache tiers: memory hit latency and a cold 1 MB read from disk.
// Run by hand: npx tsx bench/cache.ts

import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { createCache } from '../src/cache/cache.js';
import { silentLogger } from '../src/log.js';

export interface Figure {
  figure: string;
  median: number;
  min: number;
  max: number;
  unit: string;
  target?: number;
  note?: string;
}

const RUNS = 7;
const MEMORY_GETS_PER_RUN = 20_000;

/** A gap answer of about 1 MB, shaped like the prospects a provider returns. */
function megabyteAnswer(): { limit: number; result: { prospects: unknown[] } } {
  const prospects: unknown[] = [];
  let bytes = 0;
  for (let index = 0; bytes < 1024 * 1024; index += 1) {
    const prospect = {
      domain: `referrer-${index}.example.org`,
      authority: index % 100,
      competitors: ['rival-one.com', 'rival-two.com'],
      backlinks: index * 3,
      referring_domains: index * 7,
      dofollow: index % 2 === 0,
      titles: [`Best local services directory number ${index}`],
      source_pages: [`https://referrer-${index}.example.org/partners/list-${index}.html`],
      found_by: ['dataforseo'],
    };
    bytes += JSON.stringify(prospect).length + 1;
    prospects.push(prospect);
  }
  return { limit: prospects.length, result: { prospects } };
}

function summarise(figure: string, unit: string, samples: number[], target?: number): Figure {
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
  const round = (value: number) => Math.round(value * 1000) / 1000;
  return {
    figure,
    median: round(median),
    min: round(sorted[0] ?? 0),
    max: round(sorted[sorted.length - 1] ?? 0),
    unit,
    ...(target !== undefined && { target }),
  };
}

export async function measureCache(): Promise<Figure[]> {
  const dir = await mkdtemp(join(tmpdir(), 'backlink-gap-bench-'));
  const options = { dir, ttlSeconds: 3600, maxBytes: 256 * 1024 * 1024, memoryBytes: 64 * 1024 * 1024, logger: silentLogger };
  const answer = megabyteAnswer();
  const figures: Figure[] = [];
  try {
    const startups: number[] = [];
    for (let run = 0; run <= RUNS; run += 1) {
      const started = performance.now();
      createCache({ mode: 'persistent', ...options });
      if (run > 0) startups.push((performance.now() - started) * 1000);
    }
    figures.push(summarise('createCache (no disk I/O)', 'µs', startups));

    const memory = createCache({ mode: 'memory', ...options });
    await memory.set('bench:memory', answer);
    const memoryGets: number[] = [];
    for (let run = 0; run <= RUNS; run += 1) {
      const started = performance.now();
      for (let index = 0; index < MEMORY_GETS_PER_RUN; index += 1) await memory.get('bench:memory');
      if (run > 0) memoryGets.push(((performance.now() - started) * 1000) / MEMORY_GETS_PER_RUN);
    }
    figures.push(summarise('memory-tier get (1 MB answer)', 'µs', memoryGets, 50));

    const writes: number[] = [];
    const reads: number[] = [];
    for (let run = 0; run <= RUNS; run += 1) {
      const key = `bench:disk:${run}`;
      const writer = createCache({ mode: 'persistent', ...options });
      let started = performance.now();
      await writer.set(key, answer);
      const written = performance.now() - started;
      await writer.close();
      // A new instance has an empty memory tier, so this read comes from disk, as after a restart.
      const reader = createCache({ mode: 'persistent', ...options });
      started = performance.now();
      const hit = await reader.get(key);
      const read = performance.now() - started;
      if (hit === undefined) throw new Error('bench: the 1 MB entry was not read back');
      await reader.close();
      if (run > 0) {
        writes.push(written);
        reads.push(read);
      }
    }
    figures.push(summarise('persistent 1 MB write', 'ms', writes));
    figures.push(summarise('persistent 1 MB read (cold memory tier)', 'ms', reads, 10));

    // The floor any disk cache pays for this answer on this machine: read, hash, decode, parse.
    const floorPath = join(dir, 'floor.json');
    await writeFile(floorPath, JSON.stringify(answer));
    const floors: number[] = [];
    for (let run = 0; run <= RUNS; run += 1) {
      const started = performance.now();
      const bytes = await readFile(floorPath);
      createHash('sha256').update(bytes).digest();
      JSON.parse(bytes.toString('utf8'));
      if (run > 0) floors.push(performance.now() - started);
    }
    figures.push(summarise('floor: readFile + sha256 + JSON.parse 1 MB', 'ms', floors));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  figures.push(...(await measureBoundedDisk()));
  return figures;
}

const BOUND_ENTRIES = 10_000;
const BOUND_MB = 50;

/** Bytes allocated on disk under a folder, folders included, as du counts them. */
async function occupied(folder: string): Promise<number> {
  let total = (await stat(folder)).blocks * 512;
  for (const entry of await readdir(folder, { recursive: true, withFileTypes: true })) {
    total += (await stat(join(entry.parentPath, entry.name))).blocks * 512;
  }
  return total;
}

/** 10,000 writes of ~10 kB answers (~140 MB on disk unbounded) into a cache bounded at 50 MB: what is
 *  left on disk, what a write costs while eviction runs, against the same writes with room to spare,
 *  and the longest the event loop was held up. */
async function measureBoundedDisk(): Promise<Figure[]> {
  const filler = 'f'.repeat(10_000);
  const run = async (maxBytes: number) => {
    const dir = await mkdtemp(join(tmpdir(), 'backlink-gap-bench-bound-'));
    const cache = createCache({ mode: 'persistent', dir, ttlSeconds: 3600, maxBytes, memoryBytes: 1024 * 1024, logger: silentLogger });
    const delay = monitorEventLoopDelay({ resolution: 5 });
    delay.enable();
    const latencies: number[] = [];
    try {
      for (let index = 0; index < BOUND_ENTRIES; index += 1) {
        const started = performance.now();
        await cache.set(`bench:bound:${index}`, { index, filler });
        latencies.push(performance.now() - started);
      }
      await cache.flush();
      delay.disable();
      return { latencies, onDisk: await occupied(join(dir, 'cache')), stallMs: delay.max / 1e6 };
    } finally {
      await cache.close();
      await rm(dir, { recursive: true, force: true });
    }
  };
  const bounded = await run(BOUND_MB * 1024 * 1024);
  const roomy = await run(1024 * 1024 * 1024);
  const megabytes = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
  const one = (figure: string, unit: string, value: number, target?: number, note?: string): Figure => ({
    figure,
    median: value,
    min: value,
    max: value,
    unit,
    ...(target !== undefined && { target }),
    ...(note !== undefined && { note }),
  });
  const p99 = (samples: number[]) => Math.round(([...samples].sort((a, b) => a - b)[Math.floor(samples.length * 0.99)] ?? 0) * 1000) / 1000;
  const boundedWrites = {
    ...summarise(`write under a ${BOUND_MB} MB bound (${BOUND_ENTRIES} × 10 kB)`, 'ms', bounded.latencies),
    note: `p99 ${p99(bounded.latencies)} ms`,
  };
  const roomyWrites = {
    ...summarise(`write with room to spare (${BOUND_ENTRIES} × 10 kB)`, 'ms', roomy.latencies),
    note: `p99 ${p99(roomy.latencies)} ms`,
  };
  return [
    one(`on disk after ${BOUND_ENTRIES} × 10 kB at CACHE_MAX_MB=${BOUND_MB}`, 'MB', megabytes(bounded.onDisk), BOUND_MB, `unbounded the same writes occupy ${megabytes(roomy.onDisk)} MB`),
    boundedWrites,
    roomyWrites,
    one('longest event-loop stall while evicting', 'ms', Math.round(bounded.stallMs * 10) / 10, 50, `the same writes with no eviction: ${Math.round(roomy.stallMs * 10) / 10} ms (the machine's own noise)`),
  ];
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const figures = await measureCache();
  for (const { figure, median, min, max, unit, target, note } of figures) {
    const verdict = target === undefined ? '' : median <= target ? `  (target ≤ ${target} ${unit}: met)` : `  (target ≤ ${target} ${unit}: MISSED)`;
    process.stdout.write(`${figure.padEnd(42)} median ${median} ${unit}  min ${min}  max ${max}${verdict}${note === undefined ? '' : `  (${note})`}\n`);
  }
}
