// A folder of vendor exports as downloaded (issue 12: 20 exports × 50,000 rows, Ahrefs UTF-16 tab,
// Semrush, Majestic mixed): load time in a fresh process against the 10 s target, its CPU time (the
// steadier figure on a shared machine) and RSS. The measurement is bench/exports-load.ts.

import { cpus, loadavg } from 'node:os';
import { errorText, type GroupOptions, missingRow, type Row, summarize } from './shared.js';

type ExportsLoadModule = typeof import('../exports-load.js');

const LOAD = 'exports: load 20 vendor exports × 50k rows';
const WHERE = 'fresh Node process (tsx), wall time of loadDataset; Ahrefs (UTF-16 LE, tab, 30 columns), Semrush (UTF-8, comma), Majestic (UTF-8 BOM) in turn, 1M rows';

export async function measureExports(options: GroupOptions): Promise<Row[]> {
  const group = 'exports';
  let module: ExportsLoadModule;
  try {
    module = await import('../exports-load.js');
  } catch (error) {
    return [missingRow(group, LOAD, 'ms', `not measured (module missing): ${errorText(error)}`, 10_000)];
  }
  // Each load takes seconds: fewer runs than the default.
  const runs = options.quick ? 1 : Math.min(options.runs, 5);
  const folder = await module.issueFolder();
  try {
    const loads = [];
    const busy: number[] = [];
    for (let run = 0; run < runs; run++) {
      busy.push(loadavg()[0]!);
      const load = await module.loadExportsInChild(folder.dir);
      options.log(`exports: load ${run + 1}/${runs}: ${Math.round(load.milliseconds)} ms wall, ${Math.round(load.cpuMilliseconds)} ms CPU`);
      loads.push(load);
    }
    const links = loads[0]!.links.toLocaleString('en-US');
    return [
      {
        group,
        figure: LOAD,
        unit: 'ms',
        ours: summarize(loads.map((load) => load.milliseconds)),
        target: 10_000,
        note: `${WHERE}; ${links} links kept after duplicates; machine load average ${Math.min(...busy).toFixed(1)}–${Math.max(...busy).toFixed(1)} on ${cpus().length} cores as the runs started`,
        missNote:
          'On a shared machine the wall time follows its load (compare the CPU-time row, which moves less). Where the time goes on a quiet machine: parsing the CSV, the dataset index (the same as for a links.csv), finding duplicates across files and the per-domain figures; see "exports" at the end of this file.',
      },
      { group, figure: 'exports: CPU time of that load', unit: 'ms', ours: summarize(loads.map((load) => load.cpuMilliseconds)), note: 'user + system, same runs' },
      { group, figure: 'exports: RSS after loading the exports', unit: 'MB', ours: summarize(loads.map((load) => load.rssMegabytes)), note: 'after gc, same runs' },
    ];
  } catch (error) {
    return [missingRow(group, LOAD, 'ms', `failed: ${errorText(error)}`, 10_000)];
  } finally {
    await folder.remove();
  }
}
