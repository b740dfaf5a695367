// The tracked bench results: a run of one group rewrites only that group's rows in bench/results.json
// and BENCHMARKS.md, and the prose written by hand around the generated blocks stays as it was.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type GroupResult, mergeResults, readResults, renderBenchmarks, type Results } from '../bench/figures/results.js';
import { type Row, single } from '../bench/figures/shared.js';

const ORDER = ['startup', 'tools', 'tokens', 'memory'];

function entry(group: string, measuredAt: string, rows: Array<[string, number, number?]>, note?: string): GroupResult {
  return {
    group,
    measuredAt,
    machine: '2 cores, test box',
    ...(note !== undefined && { note }),
    rows: rows.map(([figure, value, target]): Row => ({ group, figure, unit: 'ms', ours: single(value), ...(target !== undefined && { target, missNote: `${figure} is slow` }) })),
  };
}

const handProse = '## Notes\n\n<!-- bench:notes -->\n<!-- /bench:notes -->\n\n- **by hand**: 240 ms once the helpers went.\n\n## Figures by hand\n\nA paragraph with 713 tokens in it.\n';

describe('bench results', () => {
  it("keeps group A's rows, date and machine when group B is run, and B's new rows replace its old ones", () => {
    const before: Results = {
      groups: [entry('startup', '2026-11-27T04:23:20Z', [['cold start', 267, 250]]), entry('tokens', '2026-11-27T04:23:20Z', [['per row', 21.3]])],
    };
    const after = mergeResults(before, [entry('tokens', '2026-12-01T11:00:00Z', [['per row', 24.1], ['page', 900]])], ORDER);
    expect(after.groups.map((group) => group.group)).toEqual(['startup', 'tokens']);
    expect(after.groups[0]).toEqual(before.groups[0]);
    expect(after.groups[1]!.rows.map((row) => [row.figure, row.ours?.median])).toEqual([
      ['per row', 24.1],
      ['page', 900],
    ]);

    const markdown = renderBenchmarks(`# Benchmarks\n\nIntro by hand.\n\n<!-- bench:table -->\nold table\n<!-- /bench:table -->\n\n${handProse}`, after);
    expect(markdown).toContain('| cold start | 267 ms | — | — | ≤ 250 ms | MISS |');
    expect(markdown).toContain('| per row | 24.1 ms |');
    expect(markdown).not.toContain('21.3');
    expect(markdown).not.toContain('old table');
    expect(markdown).toContain('- startup: 2026-11-27T04:23:20Z. Machine: 2 cores, test box');
    expect(markdown).toContain('- tokens: 2026-12-01T11:00:00Z. Machine: 2 cores, test box');
    expect(markdown).toContain('- **cold start**: missed (267 ms; target ≤ 250 ms). cold start is slow');
    for (const prose of ['# Benchmarks\n\nIntro by hand.\n\n', '- **by hand**: 240 ms once the helpers went.', '## Figures by hand\n\nA paragraph with 713 tokens in it.\n']) {
      expect(markdown).toContain(prose);
    }
    // Rendering again changes nothing.
    expect(renderBenchmarks(markdown, after)).toBe(markdown);
  });

  it('puts a group recorded for the first time at its place in the harness order, and keeps groups recorded by hand where they are', () => {
    const before: Results = {
      groups: [entry('startup', 'd1', [['a', 1]]), entry('engine-by-hand', 'd2', [['b', 2]], 'from a script, by hand'), entry('memory', 'd1', [['c', 3]])],
    };
    const after = mergeResults(before, [entry('tools', 'd3', [['d', 4]]), entry('tokens', 'd3', [['e', 5]])], ORDER);
    expect(after.groups.map((group) => group.group)).toEqual(['startup', 'tools', 'tokens', 'engine-by-hand', 'memory']);
    const markdown = renderBenchmarks(undefined, after);
    expect(markdown).toContain('- engine-by-hand: d2, from a script, by hand. Machine: 2 cores, test box');
    expect(markdown.indexOf('| b |')).toBeGreaterThan(markdown.indexOf('| e |'));
    expect(markdown.indexOf('| b |')).toBeLessThan(markdown.indexOf('| c |'));
  });

  it('renders the checked-in BENCHMARKS.md from bench/results.json (no figure edited by hand)', () => {
    const checkedIn = readFileSync(new URL('../BENCHMARKS.md', import.meta.url), 'utf8');
    const results = readResults(new URL('../bench/results.json', import.meta.url).pathname);
    const why = 'BENCHMARKS.md differs from its rendering of bench/results.json: put the figures in bench/results.json (a group entry, `note` saying how they were measured) and run `npm run bench -- --render`';
    expect(renderBenchmarks(checkedIn, results), why).toBe(checkedIn);
  });
});
