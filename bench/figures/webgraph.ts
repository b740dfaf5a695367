// The commoncrawl provider at 1M, 10M and 100M synthetic edges: the rows of bench/webgraph-scale.ts
// (conversion time, peak RSS and Parquet size; gap, intersect and backlinks first and warm; growth and
// an extrapolation to a full release). By default 1M and 10M; the 100M run is heavy (minutes, GBs) and
// is asked for: BENCH_WEBGRAPH_EDGES=1000000,10000000,100000000 npm run bench -- webgraph.

import { errorText, type GroupOptions, missingRow, type Row, summarize } from './shared.js';

type MeasureWebgraphScale = (options: { sizes?: number[]; runs?: number; log?: (line: string) => void; scratch?: string }) => Promise<
  Array<{ figure: string; unit: string; values: number[]; target?: number; note?: string; missing?: string }>
>;

const MODULE = '../webgraph-scale.js';

const MISS_NOTES: Record<string, string> = {
  conversion: 'conversion is bound by reading gzipped text and sorting the links in DuckDB on 2 shared cores; more cores or a larger DuckDB memory_limit shorten it.',
  first:
    "a first query pays for starting DuckDB, reading the Parquet footers and the name lookups from disk, then the same work as a warm one; the competitors here are the graph's most-linked sites (the worst case), whose in-links are read whole.",
  warm: "the gap and the intersect read every in-link of their targets (here the graph's five or six most-linked sites: by the generator's distribution about 5% of all links, some 5 million at 100M) and count them in JS; the time grows with the targets' in-degree, so targets with fewer in-links should cost proportionally less (not measured here). A per-target cap on the sources read, or sources pre-ranked by authority so the top N can stop early, would close it.",
  rss: "DuckDB's buffer pool grows up to memory_limit (BACKLINK_GAP_DUCKDB_MEMORY); a lower limit bounds RSS at some cost in speed.",
};

export async function measureWebgraph(options: GroupOptions): Promise<Row[]> {
  const group = 'webgraph';
  let measureWebgraphScale: MeasureWebgraphScale;
  try {
    ({ measureWebgraphScale } = (await import(MODULE)) as { measureWebgraphScale: MeasureWebgraphScale });
  } catch (error) {
    return [missingRow(group, 'webgraph (module missing)', '', `not measured: ${errorText(error)}`)];
  }
  const sizes = options.quick ? [1e6] : (process.env.BENCH_WEBGRAPH_EDGES ?? '1000000,10000000').split(',').map(Number);
  try {
    const rows = await measureWebgraphScale({
      sizes,
      runs: options.quick ? 2 : Math.min(options.runs, 5),
      log: options.log,
      ...(process.env.BENCH_WEBGRAPH_SCRATCH !== undefined && { scratch: process.env.BENCH_WEBGRAPH_SCRATCH }),
    });
    return rows.map((row): Row => {
      if (row.missing !== undefined) return missingRow(group, row.figure, row.unit, row.missing);
      const kind = /conversion/.test(row.figure) ? 'conversion' : /RSS/.test(row.figure) ? 'rss' : /first/.test(row.figure) ? 'first' : 'warm';
      return {
        group,
        figure: row.figure,
        unit: row.unit,
        ours: summarize(row.values),
        ...(row.target !== undefined && { target: row.target, missNote: MISS_NOTES[kind]! }),
        ...(row.note !== undefined && { note: row.note }),
      };
    });
  } catch (error) {
    return [missingRow(group, 'webgraph (failed)', '', `failed: ${errorText(error)}`)];
  }
}
