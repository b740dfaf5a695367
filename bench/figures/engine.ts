// The local engine (DuckDB over Parquet) beside the in-memory index: the rows of bench/local-engine.ts
// (generated 100k and 1M links: first answer in a fresh process converting and converted, warm queries, RSS).

import { measureLocalEngine } from '../local-engine.js';
import { errorText, fromExternal, type GroupOptions, missingRow, type Row } from './shared.js';

export async function measureEngine(options: GroupOptions): Promise<Row[]> {
  const runs = options.quick ? 1 : 3;
  try {
    const rows = await measureLocalEngine({ runs, ...(options.quick && { sizes: [100_000] }) });
    return rows.map((row) => fromExternal('engine', row, runs));
  } catch (error) {
    return [missingRow('engine', 'local engine figures', 'ms', `failed: ${errorText(error)}`)];
  }
}
