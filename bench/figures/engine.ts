// The local engine (DuckDB over Parquet) beside the in-memory index: the rows of bench/local-engine.ts
// (generated 100k and 1M links: first answer in a fresh process converting and converted, warm queries,
// RSS), each engine row with the index's figure from the same runs as its peer.

import { measureLocalEngine } from '../local-engine.js';
import { errorText, type ExternalRow, fromExternal, type GroupOptions, missingRow, type Row } from './shared.js';

const MISS = 'Where the time goes and what would close it: **local, DuckDB engine** at the end of this file.';

/** Engine rows with their index counterparts ("engine 1M: x" beside "index 1M: x", or the first index row of that size) as peers. */
export function pairRows(rows: ExternalRow[], runs: number): Row[] {
  const index = rows.filter((row) => row.figure.startsWith('index '));
  return rows
    .filter((row) => row.figure.startsWith('engine '))
    .map((row) => {
      const [size, what] = row.figure.slice('engine '.length).split(': ') as [string, string];
      const same = index.find((candidate) => candidate.figure === `index ${size}: ${what}`);
      const peer =
        same ??
        (what.startsWith('first backlink_gap') ? index.find((candidate) => candidate.figure.startsWith(`index ${size}: first backlink_gap`)) : undefined) ??
        (what.startsWith('RSS') ? index.find((candidate) => candidate.figure.startsWith(`index ${size}: RSS`)) : undefined);
      // Warm figures are 5 queries in each fresh process.
      const samples = what.endsWith('warm') ? runs * 5 : runs;
      const made = fromExternal('engine', { ...row, figure: `local, DuckDB engine ${size}: ${what}` }, samples);
      return {
        ...made,
        ...(peer !== undefined && { peer: { median: peer.median, min: peer.min, max: peer.max, runs: samples, label: `index: ${peer.figure.split(': ')[1]}` } }),
        ...(row.target !== undefined && { missNote: MISS }),
      };
    });
}

export async function measureEngine(options: GroupOptions): Promise<Row[]> {
  const runs = options.quick ? 1 : 3;
  try {
    return pairRows(await measureLocalEngine({ runs, ...(options.quick && { sizes: [100_000] }) }), runs);
  } catch (error) {
    return [missingRow('engine', 'local engine figures', 'ms', `failed: ${errorText(error)}`)];
  }
}
