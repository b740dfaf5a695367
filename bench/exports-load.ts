// Loads a folder of vendor exports in a fresh process, as a starting server would, and reports wall
// time, CPU time and RSS: `npx tsx bench/exports-load.ts [DIR]`. Without DIR it writes the issue's
// folder (20 exports × 50,000 rows: Ahrefs UTF-16 tab, Semrush, Majestic) to a temp dir first.
// `npm run bench -- exports` runs it through bench/figures/exports.ts.

import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDataset } from '../src/providers/local-dataset.js';
import { jsonFromChild } from './child.js';
import { generateExports } from './generate-exports.js';

export interface ExportsLoad {
  milliseconds: number;
  cpuMilliseconds: number;
  rssMegabytes: number;
  links: number;
  files: number;
}

const THIS_FILE = fileURLToPath(import.meta.url);

/** One load of `dir` in a child process. */
export function loadExportsInChild(dir: string): Promise<ExportsLoad> {
  return jsonFromChild<ExportsLoad>(THIS_FILE, ['--load-child', dir], { nodeArgs: ['--expose-gc'], what: 'exports load child' });
}

async function childMain(dir: string): Promise<void> {
  (globalThis as { gc?: () => void }).gc?.();
  const started = performance.now();
  const cpu = process.cpuUsage();
  const data = await loadDataset(dir);
  const used = process.cpuUsage(cpu);
  const milliseconds = performance.now() - started;
  (globalThis as { gc?: () => void }).gc?.();
  const load = data.exports?.load;
  if (data.linkCount === 0 || load === undefined || load.failures.length > 0) throw new Error(`not a clean load of ${dir}`);
  const result: ExportsLoad = {
    milliseconds,
    cpuMilliseconds: (used.user + used.system) / 1000,
    rssMegabytes: process.memoryUsage().rss / 1048576,
    links: data.linkCount,
    files: load.sources.length,
  };
  process.stdout.write(JSON.stringify(result));
}

/** Writes the issue's folder under a temp dir; `remove` deletes it. */
export async function issueFolder(options: { files?: number; rows?: number } = {}): Promise<{ dir: string; remove: () => Promise<void> }> {
  const root = join(tmpdir(), `backlink-gap-exports-${process.pid}-${Date.now()}`);
  const dir = join(root, 'vendor-exports');
  await generateExports(dir, { files: options.files ?? 20, rows: options.rows ?? 50_000 });
  return { dir, remove: () => rm(root, { recursive: true, force: true }) };
}

const invoked = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (invoked && process.argv[2] === '--load-child') {
  await childMain(process.argv[3]!);
} else if (invoked) {
  const given = process.argv[2];
  const folder = given === undefined ? await issueFolder() : { dir: given, remove: async () => {} };
  try {
    for (let run = 0; run < 3; run++) {
      const load = await loadExportsInChild(folder.dir);
      process.stdout.write(
        `${load.files} files, ${load.links.toLocaleString('en-US')} links: ${Math.round(load.milliseconds)} ms wall, ${Math.round(load.cpuMilliseconds)} ms CPU, ${Math.round(load.rssMegabytes)} MB RSS\n`,
      );
    }
  } finally {
    await folder.remove();
  }
}
