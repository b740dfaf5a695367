// The commoncrawl provider at scale: synthetic releases in Common Crawl's format (bench/generate-webgraph.ts)
// at 1M, 10M and 100M edges, converted to Parquet in a child process (time, peak RSS, bytes per edge),
// then backlink_gap over 5 competitors, link_intersect over 6 targets and get_backlinks of the largest
// target, each first in a fresh process and warm, with the process's RSS. The growth 1M→100M and an
// extrapolation to a full domain-level release (4.3 B edges) are computed from the measured sizes.
//
// Generated releases are kept in a scratch folder outside the repository and reused
// (BENCH_WEBGRAPH_SCRATCH, default <tmpdir>/blg-bench-webgraph); sizes from BENCH_WEBGRAPH_EDGES
// (default 1000000,10000000,100000000). `npm run bench -- webgraph`, or `npx tsx bench/webgraph-scale.ts`;
// `npx tsx bench/webgraph-scale.ts --generate N` generates (or finds) one release ahead of time.

import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_ROOT = fileURLToPath(new URL('..', import.meta.url));
const THIS_FILE = fileURLToPath(import.meta.url);
const RELEASE = 'cc-main-2026-jan-feb-mar';
/** A full domain-level release (cc-main-2026-mar-apr-may: 118.8 M nodes, 4.3 B edges). */
export const FULL_RELEASE_EDGES = 4.3e9;

// Loaded by computed paths so this file compiles while the web graph modules are still being written.
const GENERATOR = './generate-webgraph.js';
const ENGINE = '../src/providers/local/engine/webgraph.js';
const PROVIDER = '../src/providers/commoncrawl.js';

export interface ScaleRow {
  figure: string;
  unit: string;
  values: number[];
  target?: number;
  note?: string;
  /** Not measured, and why (a size that failed or ran out of time). */
  missing?: string;
}

interface Generated {
  dir: string;
  edges: number;
  vertices: number;
  largestTargets: string[];
}

interface ConvertFigures {
  ms: number;
  maxRssMb: number;
  folder: string;
  parquetBytes: number;
  edges: number;
  links: number;
}

interface QueryFigures {
  first: number;
  warm: number[];
  rssMb: number;
  maxRssMb: number;
  answered: number;
}

type Kind = 'gap' | 'intersect' | 'backlinks';

const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

function folderBytes(folder: string): number {
  let total = 0;
  for (const name of readdirSync(folder)) {
    const path = join(folder, name);
    const info = statSync(path);
    total += info.isDirectory() ? folderBytes(path) : info.size;
  }
  return total;
}

async function childConvert(dir: string, cacheDir: string): Promise<void> {
  const { importRelease } = (await import(ENGINE)) as {
    importRelease: (dir: string, options: { cacheDir: string; level: string; release: string }) => Promise<{ folder: string; manifest: { edges: number; links: number } }>;
  };
  const started = performance.now();
  const result = await importRelease(dir, { cacheDir, level: 'domain', release: RELEASE });
  const ms = performance.now() - started;
  const figures: ConvertFigures = {
    ms,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    folder: result.folder,
    parquetBytes: folderBytes(result.folder),
    edges: result.manifest.edges,
    links: result.manifest.links,
  };
  process.stdout.write(JSON.stringify(figures));
}

async function childQuery(cacheDir: string, kind: Kind, targets: string[], runs: number): Promise<void> {
  const { createCommonCrawlProvider } = (await import(PROVIDER)) as {
    createCommonCrawlProvider: (options: { cacheDir: string; logger: typeof silent }) => {
      gap?: (query: unknown, context: unknown) => Promise<{ prospects: unknown[] }>;
      intersect?: (query: unknown, context: unknown) => Promise<{ results: unknown[] }>;
      backlinks?: (query: unknown, context: unknown) => Promise<{ backlinks?: unknown[]; items?: unknown[] }>;
    };
  };
  const provider = createCommonCrawlProvider({ cacheDir, logger: silent });
  const [a, b, c, d, e, f] = targets as [string, string, string, string, string, string];
  const context = { deadline: Date.now() + 600_000 };
  const call = async (): Promise<number> => {
    if (kind === 'gap') {
      const answer = await provider.gap!({ your_domain: f, competitor_domains: [a, b, c, d, e], limit: 100, min_competitors: 1 }, context);
      return answer.prospects.length;
    }
    if (kind === 'intersect') {
      const answer = await provider.intersect!(
        {
          positive_targets: [a, b, c, d, e, f].map((target) => ({ target, scope: 'root_domain' })),
          negative_targets: [],
          min_matching_targets: 2,
          source_scope: 'root_domain',
          sort: 'matching_target_count',
          limit: 50,
        },
        context,
      );
      return answer.results.length;
    }
    const answer = await provider.backlinks!({ target: a, target_kind: 'domain', mode: 'one_per_domain', limit: 100 }, context);
    return (answer.backlinks ?? answer.items ?? []).length;
  };
  let started = performance.now();
  const answered = await call();
  const first = performance.now() - started;
  const warm: number[] = [];
  for (let run = 0; run < runs; run++) {
    started = performance.now();
    await call();
    warm.push(performance.now() - started);
  }
  const figures: QueryFigures = { first, warm, rssMb: process.memoryUsage().rss / 1048576, maxRssMb: process.resourceUsage().maxRSS / 1024, answered };
  process.stdout.write(JSON.stringify(figures));
}

/** Epoch ms after which no child may run on (BENCH_WEBGRAPH_STOP_AT, an ISO time): a shared machine's
 *  run must end by a fixed time, and a size that cannot finish is reported as such. */
const STOP_AT = process.env.BENCH_WEBGRAPH_STOP_AT === undefined ? Number.POSITIVE_INFINITY : Date.parse(process.env.BENCH_WEBGRAPH_STOP_AT);

class OutOfTime extends Error {}

function child<T>(args: string[]): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const left = STOP_AT - Date.now();
    if (left <= 0) {
      reject(new OutOfTime(`stopped at ${new Date(STOP_AT).toISOString()} before ${args[0]} (BENCH_WEBGRAPH_STOP_AT)`));
      return;
    }
    const spawned = spawn(process.execPath, ['--import', 'tsx', THIS_FILE, '--child', ...args], { cwd: PACKAGE_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let outOfTime = false;
    const timer = Number.isFinite(left)
      ? setTimeout(() => {
          outOfTime = true;
          spawned.kill('SIGKILL');
        }, left)
      : undefined;
    let output = '';
    let errors = '';
    spawned.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    spawned.stderr.on('data', (chunk: Buffer) => {
      errors += chunk.toString('utf8');
    });
    spawned.on('close', (code) => {
      clearTimeout(timer);
      if (outOfTime) {
        reject(new OutOfTime(`${args[0]} was still running at ${new Date(STOP_AT).toISOString()} (BENCH_WEBGRAPH_STOP_AT) and was stopped`));
        return;
      }
      if (code !== 0) {
        reject(new Error(`child ${args[0]} exited with ${code}: ${errors.trim().split('\n').slice(-6).join(' | ')}`));
        return;
      }
      try {
        resolve(JSON.parse(output) as T);
      } catch {
        reject(new Error(`child ${args[0]} printed no figures: ${output.slice(0, 200)}`));
      }
    });
  });
}

/** A release of `edges` edges in the scratch folder, generated once and reused while its marker says it is complete. */
export async function generated(scratch: string, edges: number, log: (line: string) => void): Promise<Generated> {
  const dir = join(scratch, `release-${edges}`);
  const marker = join(dir, 'generated.json');
  if (existsSync(marker)) return JSON.parse(readFileSync(marker, 'utf8')) as Generated;
  rmSync(dir, { recursive: true, force: true });
  const { generateWebGraph } = (await import(GENERATOR)) as {
    generateWebGraph: (dir: string, options: { edges: number; release: string; levels: string[] }) => Promise<{ levels: Array<{ edges: number; vertices: number; largestTargets: string[] }> }>;
  };
  log(`generating a synthetic release of ${edges.toLocaleString('en-US')} edges in ${dir}`);
  const started = performance.now();
  const graph = await generateWebGraph(dir, { edges, release: RELEASE, levels: ['domain'] });
  const level = graph.levels[0]!;
  const result: Generated = { dir, edges: level.edges, vertices: level.vertices, largestTargets: level.largestTargets };
  writeFileSync(marker, JSON.stringify(result));
  log(`generated in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return result;
}

export interface ScaleOptions {
  sizes?: number[];
  /** Warm runs per fresh process. */
  runs?: number;
  scratch?: string;
  log?: (line: string) => void;
}

export const label = (edges: number) => (edges >= 1e9 ? `${edges / 1e9}B` : edges >= 1e6 ? `${edges / 1e6}M` : `${edges / 1e3}k`);

/** Targets apply at 100 M edges (issue 12); smaller sizes are shown for the growth. */
const TARGETS_AT_100M = { conversionS: 600, conversionMb: 4096, firstMs: 2000, warmMs: 300, rssMb: 1024 };

export async function measureWebgraphScale(options: ScaleOptions = {}): Promise<ScaleRow[]> {
  const sizes = options.sizes ?? [1e6, 1e7, 1e8];
  const runs = options.runs ?? 5;
  const log = options.log ?? ((line: string) => process.stderr.write(`[webgraph] ${line}\n`));
  const scratch = options.scratch ?? join(tmpdir(), 'blg-bench-webgraph');
  const rows: ScaleRow[] = [];
  const bySize = new Map<number, Record<string, number>>();
  for (const size of sizes) {
    const name = label(size);
    const measuredBefore = rows.length;
    try {
      await measureSize(size);
    } catch (error) {
      // Keep the sizes that were measured; say what stopped this one.
      rows.splice(measuredBefore);
      const why = error instanceof Error ? error.message : String(error);
      log(`${name}: not measured: ${why}`);
      rows.push({ figure: `webgraph ${name}: all figures`, unit: '', values: [], missing: `not measured: ${why}` });
    }
  }
  rows.push(...growthRows(bySize));
  return rows;

  async function measureSize(size: number): Promise<void> {
    const name = label(size);
    const at100 = size >= 1e8;
    const graph = await generated(scratch, size, log);
    // Conversion: a fresh cache each time; the largest size once (minutes on a shared machine).
    const conversions = size >= 1e8 ? 1 : size >= 1e7 ? 2 : 3;
    const converted: ConvertFigures[] = [];
    let cacheDir = '';
    for (let run = 0; run < conversions; run++) {
      if (cacheDir !== '') rmSync(cacheDir, { recursive: true, force: true });
      cacheDir = await mkdtemp(join(scratch, `cache-${size}-`));
      log(`${name}: converting (run ${run + 1} of ${conversions})`);
      converted.push(await child<ConvertFigures>(['convert', graph.dir, cacheDir]));
    }
    const last = converted.at(-1)!;
    rows.push({ figure: `webgraph ${name}: conversion to Parquet`, unit: 's', values: converted.map((figures) => figures.ms / 1000), ...(at100 && { target: TARGETS_AT_100M.conversionS }) });
    rows.push({ figure: `webgraph ${name}: conversion peak RSS`, unit: 'MB', values: converted.map((figures) => figures.maxRssMb), ...(at100 && { target: TARGETS_AT_100M.conversionMb }) });
    rows.push({
      figure: `webgraph ${name}: Parquet bytes per edge`,
      unit: 'B',
      values: [last.parquetBytes / last.edges],
      note: `${(last.parquetBytes / 1048576).toFixed(1)} MB for ${last.edges.toLocaleString('en-US')} edges (${last.links.toLocaleString('en-US')} site links)`,
    });
    const figures: Record<string, number> = {
      conversion: median(converted.map((entry) => entry.ms / 1000)),
      conversionRss: median(converted.map((entry) => entry.maxRssMb)),
      bytesPerEdge: last.parquetBytes / last.edges,
    };
    const targets = graph.largestTargets.slice(0, 6);
    let rss = 0;
    for (const [kind, what] of [
      ['gap', 'backlink_gap 5 competitors'],
      ['intersect', 'link_intersect 6 targets'],
      ['backlinks', 'get_backlinks one_per_domain, largest target'],
    ] as Array<[Kind, string]>) {
      const fresh: QueryFigures[] = [];
      for (let attempt = 0; attempt < 3; attempt++) {
        log(`${name}: ${kind} in a fresh process (${attempt + 1} of 3)`);
        fresh.push(await child<QueryFigures>(['query', cacheDir, kind, JSON.stringify(targets), String(runs)]));
      }
      const answered = fresh[0]!.answered;
      rows.push({
        figure: `webgraph ${name}: ${what}, first in a fresh process`,
        unit: 'ms',
        values: fresh.map((entry) => entry.first),
        ...(at100 && { target: TARGETS_AT_100M.firstMs }),
        note: `${answered} rows answered`,
      });
      rows.push({ figure: `webgraph ${name}: ${what}, warm`, unit: 'ms', values: fresh.flatMap((entry) => entry.warm), ...(at100 && { target: TARGETS_AT_100M.warmMs }) });
      figures[`${kind}First`] = median(fresh.map((entry) => entry.first));
      figures[`${kind}Warm`] = median(fresh.flatMap((entry) => entry.warm));
      rss = Math.max(rss, ...fresh.map((entry) => entry.maxRssMb));
    }
    rows.push({ figure: `webgraph ${name}: peak RSS of a query process`, unit: 'MB', values: [rss], ...(at100 && { target: TARGETS_AT_100M.rssMb }) });
    figures.queryRss = rss;
    bySize.set(size, figures);
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((left, right) => left - right);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const FIGURE_NAMES: Array<[string, string, string]> = [
  ['conversion', 'conversion time', 's'],
  ['conversionRss', 'conversion peak RSS', 'MB'],
  ['bytesPerEdge', 'Parquet bytes per edge', 'B'],
  ['gapFirst', 'backlink_gap first', 'ms'],
  ['gapWarm', 'backlink_gap warm', 'ms'],
  ['intersectFirst', 'link_intersect first', 'ms'],
  ['intersectWarm', 'link_intersect warm', 'ms'],
  ['backlinksFirst', 'get_backlinks first', 'ms'],
  ['backlinksWarm', 'get_backlinks warm', 'ms'],
  ['queryRss', 'query process peak RSS', 'MB'],
];

/** Growth from the smallest to the largest size measured, and a power-law extrapolation to 4.3 B edges
 *  from the two largest sizes (growth exponent k: value ∝ edges^k). */
function growthRows(bySize: Map<number, Record<string, number>>): ScaleRow[] {
  const sizes = [...bySize.keys()].sort((left, right) => left - right);
  if (sizes.length < 2) return [];
  const smallest = sizes[0]!;
  const largest = sizes.at(-1)!;
  const before = sizes.at(-2)!;
  const rows: ScaleRow[] = [];
  for (const [key, words, unit] of FIGURE_NAMES) {
    const low = bySize.get(smallest)![key];
    const high = bySize.get(largest)![key];
    const previous = bySize.get(before)![key];
    if (low === undefined || high === undefined || previous === undefined || low <= 0 || previous <= 0) continue;
    const exponent = Math.log(high / previous) / Math.log(largest / before);
    rows.push({
      figure: `webgraph growth ${label(smallest)}→${label(largest)}: ${words}`,
      unit: '×',
      values: [high / low],
      note: `${round(low)} → ${round(high)} ${unit} for ${largest / smallest}× the edges (grows as edges^${exponent.toFixed(2)} between ${label(before)} and ${label(largest)})`,
    });
    const extrapolated = high * (FULL_RELEASE_EDGES / largest) ** Math.max(0, exponent);
    const caveat =
      key === 'conversionRss'
        ? "not a forecast of RSS: DuckDB's memory_limit for the import (at most 3 GB unless BACKLINK_GAP_DUCKDB_MEMORY says otherwise) bounds its share, and past it the sort spills to the cache directory, so read this as the memory the conversion would want, and expect a full release to run slower than the time row says instead"
        : exponent <= 0
          ? `it did not grow between ${label(before)} and ${label(largest)}, so it is kept flat`
          : "a real release's degree distribution, name lengths and this machine's memory may change it";
    rows.push({
      figure: `webgraph EXTRAPOLATED to 4.3B edges: ${words}`,
      unit,
      values: [extrapolated],
      note: `an extrapolation, not a measurement: ${round(high)} ${unit} at ${label(largest)} × (4.3B/${label(largest)})^${Math.max(0, exponent).toFixed(2)}; ${caveat}`,
    });
  }
  return rows;
}

function round(value: number): string {
  return value >= 100 ? Math.round(value).toLocaleString('en-US') : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

const invoked = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (invoked && process.argv[2] === '--child') {
  const [mode, ...rest] = process.argv.slice(3);
  if (mode === 'convert') await childConvert(rest[0]!, rest[1]!);
  else await childQuery(rest[0]!, rest[1] as Kind, JSON.parse(rest[2] ?? '[]') as string[], Number(rest[3] ?? 5));
} else if (invoked && process.argv[2] === '--generate') {
  // Generate ahead of the measurement (the 100M release takes minutes): `--generate 100000000`.
  await generated(process.env.BENCH_WEBGRAPH_SCRATCH ?? join(tmpdir(), 'blg-bench-webgraph'), Number(process.argv[3]), (line) => process.stderr.write(`[webgraph] ${line}\n`));
} else if (invoked) {
  const sizes = (process.env.BENCH_WEBGRAPH_EDGES ?? '1000000,10000000,100000000').split(',').map(Number);
  const rows = await measureWebgraphScale({ sizes, ...(process.env.BENCH_WEBGRAPH_SCRATCH !== undefined && { scratch: process.env.BENCH_WEBGRAPH_SCRATCH }) });
  for (const row of rows) {
    const value = median(row.values);
    process.stdout.write(`${row.figure.padEnd(70)} ${round(value)} ${row.unit} (${round(Math.min(...row.values))}–${round(Math.max(...row.values))})${row.note ? `  ${row.note}` : ''}\n`);
  }
}
