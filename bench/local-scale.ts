// Measures the local provider at 1M links: load time and RSS of a freshly loaded process, and the
// latency of gap, intersect and backlinks on a generated dataset. `npx tsx bench/local-scale.ts`.

import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '../src/log.js';
import { createLocalProvider } from '../src/providers/local.js';
import { loadDataset } from '../src/providers/local-dataset.js';
import { jsonFromChild } from './child.js';
import { generateDataset } from './generate-dataset.js';

export interface Figure {
  figure: string;
  median: number;
  min: number;
  max: number;
  unit: string;
  target?: number;
  /** What the figure covers, where the name alone does not say. */
  note?: string;
}

const THIS_FILE = fileURLToPath(import.meta.url);

function summarise(figure: string, values: number[], unit: string, target?: number, note?: string): Figure {
  const sorted = [...values].sort((left, right) => left - right);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  const round = (value: number) => Math.round(value * 10) / 10;
  return {
    figure,
    median: round(median),
    min: round(sorted[0]!),
    max: round(sorted[sorted.length - 1]!),
    unit,
    ...(target !== undefined && { target }),
    ...(note !== undefined && { note }),
  };
}

/** Load the dataset in a fresh process, as a starting server would, and report time and memory. */
function loadInChild(dir: string): Promise<{ milliseconds: number; rssMegabytes: number; baselineMegabytes: number }> {
  return jsonFromChild(THIS_FILE, ['--load-child', dir], { nodeArgs: ['--expose-gc'], what: 'load child' });
}

async function childMain(dir: string): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const baseline = process.memoryUsage().rss;
  const started = performance.now();
  const data = await loadDataset(dir);
  const milliseconds = performance.now() - started;
  gc?.();
  const rss = process.memoryUsage().rss;
  if (data.linkCount === 0) throw new Error('empty dataset');
  process.stdout.write(JSON.stringify({ milliseconds, rssMegabytes: rss / 1048576, baselineMegabytes: baseline / 1048576 }));
}

async function timed(runs: number, call: () => Promise<unknown>): Promise<number[]> {
  await call(); // warm-up
  const values: number[] = [];
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    await call();
    values.push(performance.now() - started);
  }
  return values;
}

/** Median/min/max over `runs` timed runs (default 5; a smaller number is honoured for quick smoke runs). */
export async function measureLocalScale(options: { runs?: number } = {}): Promise<Figure[]> {
  const runs = Math.max(1, options.runs ?? 5);
  const dir = join(tmpdir(), `backlink-gap-bench-${randomBytes(6).toString('hex')}`);
  try {
    const generated = await generateDataset(dir);
    const [first, second, third, fourth, fifth, sixth] = generated.targets as [string, string, string, string, string, string];

    const loads = [];
    for (let run = 0; run < runs; run++) loads.push(await loadInChild(dir));
    // A folder of vendor exports (issue 12) is its own group: bench/figures/exports.ts.

    const provider = createLocalProvider({ dataPath: dir, logger: silentLogger });
    const context = {};
    const gap = await timed(runs, () =>
      provider.gap!({ your_domain: sixth, competitor_domains: [first, second, third, fourth, fifth], limit: 100, min_competitors: 1 }, context),
    );
    const intersectQuery = {
      positive_targets: [first, second, third, fourth].map((target) => ({ target, scope: 'root_domain' as const })),
      negative_targets: [fifth, sixth].map((target) => ({ target, scope: 'root_domain' as const })),
      min_matching_targets: 1,
      sort: 'source_domain_authority' as const,
      limit: 50,
    };
    const intersectDomains = await timed(runs, () => provider.intersect!({ ...intersectQuery, source_scope: 'root_domain' }, context));
    const intersectPages = await timed(runs, () => provider.intersect!({ ...intersectQuery, source_scope: 'page' }, context));
    const backlinks = await timed(runs, () =>
      provider.backlinks!({ target: generated.largestTarget, target_kind: 'domain', mode: 'one_per_domain', limit: 100 }, context),
    );
    const backlinksAll = await timed(runs, () =>
      provider.backlinks!({ target: generated.largestTarget, target_kind: 'domain', mode: 'as_is', limit: 100 }, context),
    );

    const where = 'in a fresh Node process (tsx), after gc';
    return [
      summarise('local: load 1M links', loads.map((load) => load.milliseconds), 'ms', 3000, `links.csv + domains.csv, ${where}`),
      summarise('local: RSS after load', loads.map((load) => load.rssMegabytes), 'MB', 300, where),
      summarise('local: RSS before load (same process)', loads.map((load) => load.baselineMegabytes), 'MB', undefined, 'Node + tsx baseline'),
      summarise('local: backlink_gap 5 competitors', gap, 'ms', 50, 'the 5 largest targets, limit 100'),
      summarise('local: link_intersect 6 targets', intersectDomains, 'ms', 50, '4 positive, 2 negative, root_domain sources'),
      summarise('local: link_intersect 6 targets, page sources', intersectPages, 'ms', 50, '4 positive, 2 negative, page sources'),
      summarise('local: get_backlinks one_per_domain, largest target', backlinks, 'ms', 50, 'limit 100'),
      summarise('local: get_backlinks as_is, largest target', backlinksAll, 'ms', 50, 'limit 100'),
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const invoked = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (invoked && process.argv[2] === '--load-child') {
  await childMain(process.argv[3]!);
} else if (invoked) {
  const figures = await measureLocalScale();
  for (const figure of figures) {
    const verdict = figure.target === undefined ? '' : figure.median <= figure.target ? '  ok' : `  OVER target ${figure.target}`;
    process.stdout.write(
      `${figure.figure.padEnd(56)} median ${String(figure.median).padStart(7)} ${figure.unit}  (min ${figure.min}, max ${figure.max})${verdict}\n`,
    );
  }
  process.stdout.write(`(${dirname(THIS_FILE)}, node ${process.version})\n`);
}
