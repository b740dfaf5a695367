// A short smoke of the benchmark harness: the table's verdicts and notes, and the fan-out group end to
// end against its fake provider on 127.0.0.1. No timing is asserted; only that figures are produced.

import { describe, expect, it } from 'vitest';
import { measureFanout } from '../bench/figures/fanout.js';
import { notes } from '../bench/figures/report.js';
import { renderBenchmarks } from '../bench/figures/results.js';
import { type Row, single, summarize, verdictOf } from '../bench/figures/shared.js';

const quiet = { runs: 1, quick: true, log: () => undefined };

describe('bench harness', () => {
  it('judges targets, peer ratios and requirements, and explains every miss', () => {
    const slow: Row = { group: 'startup', figure: 'start', unit: 'ms', ours: single(300), target: 250, missNote: 'too many modules' };
    const ratioMiss: Row = { group: 'startup', figure: 'ratio', unit: 'ms', ours: single(100), peer: { ...single(150), label: 'peer' }, ratioTarget: 0.5 };
    const cut: Row = { group: 'tokens', figure: 'rows', unit: 'tokens', ours: single(10), target: 20, requirement: { met: false, text: '100 rows returned' } };
    const good: Row = { group: 'memory', figure: 'rss', unit: 'MB', ours: single(40), target: 80 };
    const atLeast: Row = { group: 'cache', figure: 'hits', unit: '%', ours: single(100), target: 100, direction: 'at_least' };
    const absent: Row = { group: 'local', figure: 'load', unit: 'ms', missing: 'not measured (module missing)' };
    expect([slow, ratioMiss, cut, good, atLeast, absent].map(verdictOf)).toEqual(['MISS', 'MISS', 'MISS', 'pass', 'pass', 'not measured']);

    const lines = notes([slow, ratioMiss, cut, good, atLeast, absent]);
    expect(lines).toHaveLength(4);
    expect(lines.join('\n')).toContain('too many modules');
    expect(lines.join('\n')).toContain('100 rows returned');
    expect(lines.join('\n')).toContain('module missing');

    const markdown = renderBenchmarks(undefined, { groups: [{ group: 'startup', measuredAt: '2026-11-27T00:00:00Z', machine: 'test box', rows: [slow] }] });
    expect(markdown).toContain('| start | 300 ms |');
    expect(markdown).toContain('- startup: 2026-11-27T00:00:00Z. Machine: test box');
  });

  it('summarizes with an odd and an even number of samples', () => {
    expect(summarize([5, 1, 3])).toMatchObject({ median: 3, min: 1, max: 5, runs: 3 });
    expect(summarize([4, 1, 3, 2]).median).toBe(2.5);
  });

  it('measures the fan-out group against the fake provider (a gap fans out to 6 requests)', async () => {
    const rows = await measureFanout(quiet);
    expect(rows.map((row) => row.missing)).toEqual([undefined, undefined, undefined]);
    for (const row of rows) expect(row.ours?.median).toBeGreaterThan(0);
  });
});
