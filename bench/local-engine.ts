// The local engine (DuckDB over Parquet) beside the in-memory index, on generated links datasets
// (100k and 1M links; 10M with --links 10000000): the first backlink_gap in a fresh process
// (converting, and once converted), then warm gap, intersect and backlinks, and RSS. Each fresh
// process is a child; figures are medians of `runs` children (warm: 5 queries in each).
// `npm run bench -- engine` writes its rows; `npx tsx bench/local-engine.ts [runs] [links,...]` prints them,
// with the median time into the first call at which each conversion step began (its progress lines).

import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../src/log.js';
import { createLocalProvider } from '../src/providers/local.js';
import { jsonFromChild } from './child.js';
import type { ExternalRow } from './figures/shared.js';
import { generateDataset } from './generate-dataset.js';

const THIS_FILE = fileURLToPath(import.meta.url);
const WARM = 5;

interface ChildFigures {
  first: number;
  gap: number[];
  intersect: number[];
  backlinks: number[];
  rss: number;
  converted?: boolean;
  /** The conversion's progress lines: milliseconds since the first call began, at each step's start. */
  steps?: Array<{ step: string; at: number }>;
}

async function childMain(dir: string, cacheDir: string, engine: boolean, targets: string[]): Promise<void> {
  const messages: string[] = [];
  const steps: Array<{ step: string; at: number }> = [];
  let started = performance.now();
  const record = (message: string) => {
    messages.push(message);
    if (message.startsWith('local conversion: ') || message.startsWith('local dataset converted') || message.startsWith('local Parquet reused')) {
      steps.push({ step: message.replace('local conversion: ', ''), at: performance.now() - started });
    }
  };
  const logger: Logger = { debug: record, info: record, warn: record, error: record };
  const provider = createLocalProvider({ dataPath: dir, logger, ...(engine && { engine: { cacheDir } }) });
  const [first, second, third, fourth, fifth, sixth] = targets as [string, string, string, string, string, string];
  const gap = { your_domain: sixth, competitor_domains: [first, second, third, fourth, fifth], limit: 100, min_competitors: 1 };
  const intersect = {
    positive_targets: targets.map((target) => ({ target, scope: 'root_domain' as const })),
    negative_targets: [],
    min_matching_targets: 2,
    source_scope: 'root_domain' as const,
    sort: 'matching_target_count' as const,
    limit: 100,
  };
  const backlinks = { target: first, target_kind: 'domain' as const, mode: 'one_per_domain' as const, limit: 100 };
  const time = async (run: () => Promise<unknown>) => {
    const started = performance.now();
    await run();
    return performance.now() - started;
  };
  started = performance.now();
  const firstMs = await time(() => provider.gap!(gap, {}));
  const figures: ChildFigures = { first: firstMs, gap: [], intersect: [], backlinks: [], rss: 0 };
  for (let run = 0; run < WARM; run++) {
    figures.gap.push(await time(() => provider.gap!(gap, {})));
    figures.intersect.push(await time(() => provider.intersect!(intersect, {})));
    figures.backlinks.push(await time(() => provider.backlinks!(backlinks, {})));
  }
  figures.rss = process.memoryUsage().rss / 1048576;
  if (engine) {
    figures.converted = messages.includes('local dataset converted to Parquet');
    figures.steps = steps;
  }
  process.stdout.write(JSON.stringify(figures));
}

function summary(figure: string, values: number[], unit: string, target?: number, note?: string): ExternalRow {
  const sorted = [...values].sort((left, right) => left - right);
  return {
    figure,
    median: sorted[Math.floor(sorted.length / 2)]!,
    min: sorted[0]!,
    max: sorted[sorted.length - 1]!,
    unit,
    ...(target !== undefined && { target }),
    ...(note !== undefined && { note }),
  };
}

const label = (links: number) => (links >= 1_000_000 ? `${links / 1_000_000}M` : `${links / 1000}k`);

/** Median milliseconds from the first call's start to each conversion step's start, for the CLI. */
function stepLines(label: string, children: ChildFigures[]): string[] {
  const names = children[0]?.steps?.map((step) => step.step) ?? [];
  return names.map((name) => {
    const times = children.flatMap((figures) => figures.steps?.find((step) => step.step === name)?.at ?? []).sort((left, right) => left - right);
    return `  ${label}: ${name.padEnd(40)} at ${Math.round(times[Math.floor(times.length / 2)] ?? 0)} ms`;
  });
}

/** Rows for each dataset size: both engines side by side, `runs` fresh processes each. */
export async function measureLocalEngine(options: { runs?: number; sizes?: number[]; steps?: (line: string) => void } = {}): Promise<ExternalRow[]> {
  const runs = options.runs ?? 3;
  const rows: ExternalRow[] = [];
  for (const links of options.sizes ?? [100_000, 1_000_000]) {
    const dir = join(tmpdir(), `backlink-gap-engine-bench-${randomBytes(6).toString('hex')}`);
    try {
      const generated = await generateDataset(dir, { links, referringDomains: Math.max(3_000, Math.round(links * 0.15)) });
      const targets = JSON.stringify(generated.targets.slice(0, 6));
      const run = (cacheDir: string, engine: boolean) =>
        jsonFromChild<ChildFigures>(THIS_FILE, ['--child', dir, cacheDir, engine ? 'engine' : 'index', targets]);
      const cold: ChildFigures[] = [];
      const reused: ChildFigures[] = [];
      const index: ChildFigures[] = [];
      for (let attempt = 0; attempt < runs; attempt++) {
        const cacheDir = await mkdtemp(join(tmpdir(), 'backlink-gap-engine-cache-'));
        try {
          cold.push(await run(cacheDir, true));
          reused.push(await run(cacheDir, true));
        } finally {
          await rm(cacheDir, { recursive: true, force: true });
        }
        index.push(await run(dir, false));
      }
      const size = label(links);
      for (const line of [...stepLines(`engine ${size} converting`, cold), ...stepLines(`engine ${size} converted`, reused)]) options.steps?.(line);
      const small = links <= 1_000_000;
      rows.push(
        summary(`engine ${size}: first backlink_gap, fresh process, converting`, cold.map((figures) => figures.first), 'ms', small ? 3000 : undefined),
        summary(`engine ${size}: first backlink_gap, fresh process, converted`, reused.map((figures) => figures.first), 'ms', small ? 500 : undefined),
        summary(`index ${size}: first backlink_gap, fresh process (load)`, index.map((figures) => figures.first), 'ms', small ? 3000 : undefined),
        summary(`engine ${size}: backlink_gap 5 competitors, warm`, reused.flatMap((figures) => figures.gap), 'ms', small ? 50 : undefined),
        summary(`index ${size}: backlink_gap 5 competitors, warm`, index.flatMap((figures) => figures.gap), 'ms', small ? 50 : undefined),
        summary(`engine ${size}: link_intersect 6 targets, warm`, reused.flatMap((figures) => figures.intersect), 'ms', small ? 50 : undefined),
        summary(`index ${size}: link_intersect 6 targets, warm`, index.flatMap((figures) => figures.intersect), 'ms', small ? 50 : undefined),
        summary(`engine ${size}: get_backlinks one_per_domain, largest target, warm`, reused.flatMap((figures) => figures.backlinks), 'ms', small ? 50 : undefined),
        summary(`index ${size}: get_backlinks one_per_domain, largest target, warm`, index.flatMap((figures) => figures.backlinks), 'ms', small ? 50 : undefined),
        summary(`engine ${size}: RSS after the queries (converted)`, reused.map((figures) => figures.rss), 'MB'),
        summary(`index ${size}: RSS after the queries`, index.map((figures) => figures.rss), 'MB'),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  return rows;
}

const invoked = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (invoked && process.argv[2] === '--child') {
  await childMain(process.argv[3]!, process.argv[4]!, process.argv[5] === 'engine', JSON.parse(process.argv[6] ?? '[]'));
} else if (invoked) {
  const runs = Number(process.argv[2] ?? 3);
  const sizes = process.argv[3]?.split(',').map(Number);
  const rows = await measureLocalEngine({ runs, ...(sizes !== undefined && { sizes }), steps: (line) => process.stdout.write(`${line}\n`) });
  for (const row of rows) {
    const value = row.unit === 'MB' ? `${Math.round(row.median)} MB` : `${Math.round(row.median)} ms (${Math.round(row.min)}–${Math.round(row.max)})`;
    process.stdout.write(`${row.figure.padEnd(70)} ${value}${row.target === undefined ? '' : `  target ≤ ${row.target}`}\n`);
  }
}
