// `npm run bench [-- NAME ...] [--quick] [--runs N] [--no-build] [--no-write] [--note TEXT] [--render]`:
// runs the figure groups, prints one table, replaces those groups' entries in bench/results.json (tracked;
// every other group keeps its rows, date and machine) and renders BENCHMARKS.md from it. Only the blocks
// between `<!-- bench:NAME -->` markers are rewritten; prose outside them is kept as written.
//   --note TEXT  how this run was made, kept with each group it ran ("machine shared with 8 builds")
//   --render     run nothing: render BENCHMARKS.md from bench/results.json (after editing it by hand)
//
// Adding a group: write bench/figures/<group>.ts exporting `measure<Group>(options: GroupOptions):
// Promise<Row[]>` (rows built with the helpers of figures/shared.ts; a row carries its target and a
// missNote saying why a miss happens and what would close it), then add one line to GROUPS below. Its
// place in GROUPS is its place in the table. `npm run bench -- <group>` records it.
// Figures measured outside this harness (a script run by hand): add an entry to bench/results.json
// (`group`, `measuredAt`, `machine`, `note` saying how they were made, `rows`) and run `--render`; a
// group not in GROUPS keeps its place in the file and is never re-run.

import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { measureApp } from './figures/app.js';
import { measureCacheGroup } from './figures/cache.js';
import { measureCheck } from './figures/check.js';
import { measureEngine } from './figures/engine.js';
import { measureExports } from './figures/exports.js';
import { measureFanout } from './figures/fanout.js';
import { measureLocal } from './figures/local.js';
import { measureMemory } from './figures/memory.js';
import { details, notes, terminalTable } from './figures/report.js';
import { type GroupResult, machineLine, mergeResults, readResults, renderBenchmarks, resultsJson } from './figures/results.js';
import { measureRoundtrip } from './figures/roundtrip.js';
import { measureRoutes } from './figures/routes.js';
import { errorText, type GroupOptions, missingRow, ROOT, type Row } from './figures/shared.js';
import { measureStartup } from './figures/startup.js';
import { measureTokens } from './figures/tokens.js';
import { measureTools } from './figures/tools.js';
import { measureWebgraph } from './figures/webgraph.js';

const GROUPS: Record<string, (options: GroupOptions) => Promise<Row[]>> = {
  startup: measureStartup,
  tools: measureTools,
  roundtrip: measureRoundtrip,
  fanout: measureFanout,
  local: measureLocal,
  engine: measureEngine,
  exports: measureExports,
  cache: measureCacheGroup,
  tokens: measureTokens,
  memory: measureMemory,
  app: measureApp,
  check: measureCheck,
  routes: measureRoutes,
  webgraph: measureWebgraph,
};

const RESULTS = join(ROOT, 'bench', 'results.json');
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

function writeBenchmarks(fresh: GroupResult[]): void {
  const results = mergeResults(readResults(RESULTS), fresh, Object.keys(GROUPS));
  writeFileSync(RESULTS, resultsJson(results));
  const existing = existsSync(BENCHMARKS) ? readFileSync(BENCHMARKS, 'utf8') : undefined;
  writeFileSync(BENCHMARKS, renderBenchmarks(existing, results));
  log(`wrote bench/results.json and BENCHMARKS.md (${results.groups.length} groups; ${fresh.map((entry) => entry.group).join(', ') || 'none'} re-run)`);
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
      note: { type: 'string' },
      render: { type: 'boolean' },
    },
  });
  if (values.render) {
    writeBenchmarks([]);
    return 0;
  }
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
  const host = machineLine();
  const fresh: GroupResult[] = [];
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
    fresh.push({ group: name, measuredAt: date, machine: host, ...(values.note !== undefined && { note: values.note }), rows });
  }

  const rows = fresh.flatMap((entry) => entry.rows);
  process.stdout.write(`\n${terminalTable(rows)}\n`);
  const missed = notes(rows);
  if (missed.length > 0) process.stdout.write(`\nNotes:\n${missed.join('\n')}\n`);
  const context = details(rows);
  if (context.length > 0) process.stdout.write(`\nDetails:\n${context.join('\n')}\n`);

  if (!values['no-write'] && !values.quick) writeBenchmarks(fresh);
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
