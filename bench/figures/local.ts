// The local provider at scale: the rows of bench/local-scale.ts (1M generated links: load time and RSS,
// then gap, intersect and one_per_domain backlinks on the largest target).

import { errorText, type ExternalRow, fromExternal, type GroupOptions, missingRow, type Row } from './shared.js';

type MeasureLocalScale = (options?: { runs?: number }) => Promise<ExternalRow[]>;

/** Loaded by a computed path so this file compiles while the module is still being written. */
const MODULE = '../local-scale.js';

const EXPECTED: Array<[string, string, number]> = [
  ['local: load 1M links', 'ms', 3000],
  ['local: RSS after load', 'MB', 300],
  ['local: backlink_gap 5 competitors', 'ms', 50],
  ['local: link_intersect 6 targets', 'ms', 50],
  ['local: get_backlinks one_per_domain, largest target', 'ms', 50],
];

export async function measureLocal(options: GroupOptions): Promise<Row[]> {
  const group = 'local';
  let measureLocalScale: MeasureLocalScale;
  try {
    ({ measureLocalScale } = (await import(MODULE)) as { measureLocalScale: MeasureLocalScale });
    if (typeof measureLocalScale !== 'function') throw new Error('bench/local-scale.ts exports no measureLocalScale');
  } catch (error) {
    const why = `not measured (module missing): ${errorText(error)}`;
    return EXPECTED.map(([figure, unit, target]) => missingRow(group, figure, unit, why, target));
  }
  try {
    const runs = options.quick ? 2 : options.runs;
    const rows = await measureLocalScale({ runs });
    return rows.map((row) => ({ missNote: 'bench/local-scale.ts records no reason for this row.', ...fromExternal(group, row, runs) }));
  } catch (error) {
    const why = `failed: ${errorText(error)}`;
    return EXPECTED.map(([figure, unit, target]) => missingRow(group, figure, unit, why, target));
  }
}
