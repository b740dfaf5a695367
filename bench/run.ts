// `npm run bench [-- NAME ...] [--quick] [--runs N] [--no-build]`: runs the figure groups, prints one
// table and rewrites BENCHMARKS.md (other groups keep their last figures from .bench-tmp/results.json).

import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { measureApp } from './figures/app.js';
import { measureCacheGroup } from './figures/cache.js';
import { measureCheck } from './figures/check.js';
import { measureRoutes } from './figures/routes.js';
import { measureFanout } from './figures/fanout.js';
import { measureLocal } from './figures/local.js';
import { measureMemory } from './figures/memory.js';
import { benchmarksMarkdown, details, machine, notes, type StoredRow, terminalTable } from './figures/report.js';
import { measureRoundtrip } from './figures/roundtrip.js';
import { errorText, type GroupOptions, missingRow, ROOT, type Row } from './figures/shared.js';
import { measureStartup } from './figures/startup.js';
import { measureTokens } from './figures/tokens.js';
import { measureTools } from './figures/tools.js';

const GROUPS: Record<string, (options: GroupOptions) => Promise<Row[]>> = {
  startup: measureStartup,
  tools: measureTools,
  roundtrip: measureRoundtrip,
  fanout: measureFanout,
  local: measureLocal,
  cache: measureCacheGroup,
  tokens: measureTokens,
  memory: measureMemory,
  app: measureApp,
  check: measureCheck,
  routes: measureRoutes,
};

const RESULTS = join(ROOT, '.bench-tmp', 'results.json');
const BENCHMARKS = join(ROOT, 'BENCHMARKS.md');

function log(line: string): void {
  process.stderr.write(`[bench] ${line}\n`);
}

async function build(): Promise<void> {
  // The same build users get (npm run build: the esbuild bundle); types are checked by npm test.
  try {
    await promisify(execFile)(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    log(`build failed: ${errorText(error).split('\n').slice(0, 10).join('\n')}`);
    throw error;
  }
}

function previous(): StoredRow[] {
  if (!existsSync(RESULTS)) return [];
  try {
    return JSON.parse(readFileSync(RESULTS, 'utf8')) as StoredRow[];
  } catch {
    return [];
  }
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    allowPositionals: true,
    options: {
      quick: { type: 'boolean' },
      runs: { type: 'string' },
      'no-build': { type: 'boolean' },
      'no-write': { type: 'boolean' },
    },
  });
  const unknown = positionals.filter((name) => !(name in GROUPS));
  if (unknown.length > 0) {
    process.stderr.write(`Unknown group ${unknown.join(', ')}. Groups: ${Object.keys(GROUPS).join(', ')}\n`);
    return 2;
  }
  const names = positionals.length > 0 ? positionals : Object.keys(GROUPS);
  const runs = Math.max(values.quick ? 3 : 5, Number(values.runs ?? (values.quick ? 3 : 7)) || 7);
  const options: GroupOptions = { runs, quick: values.quick === true, log };

  if (!values['no-build']) {
    log('building dist/ (npm run build)');
    await build();
  }
  const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const fresh: StoredRow[] = [];
  for (const name of names) {
    const started = performance.now();
    log(`${name} …`);
    let rows: Row[];
    try {
      rows = await GROUPS[name]!(options);
    } catch (error) {
      rows = [missingRow(name, `${name} (group failed)`, '', errorText(error))];
    }
    log(`${name} done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    fresh.push(...rows.map((row) => ({ ...row, measuredAt: date })));
  }

  // Rows of groups not run now keep their last figures, in the harness's group order.
  const kept = previous().filter((row) => !names.includes(row.group));
  const order = Object.keys(GROUPS);
  const all = [...fresh, ...kept].sort((a, b) => order.indexOf(a.group) - order.indexOf(b.group));

  process.stdout.write(`\n${terminalTable(fresh)}\n`);
  const missed = notes(fresh);
  if (missed.length > 0) process.stdout.write(`\nNotes:\n${missed.join('\n')}\n`);
  const context = details(fresh);
  if (context.length > 0) process.stdout.write(`\nDetails:\n${context.join('\n')}\n`);

  if (!values['no-write'] && !values.quick) {
    mkdirSync(join(ROOT, '.bench-tmp'), { recursive: true });
    writeFileSync(RESULTS, `${JSON.stringify(all, null, 2)}\n`);
    writeFileSync(BENCHMARKS, benchmarksMarkdown(all, machine(), date, names));
    log(`wrote BENCHMARKS.md (${all.length} rows)`);
  }
  return 0;
}

main().then(
  // Exit explicitly: a stray keep-alive socket or child must not hold the run open.
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
