// rankSources against a brute force over random sorted lists, on both of its paths: sources touched
// followed one by one (few lists over many sites), and one pass over the counter (lists touching a
// large share of the sites, as the most-linked targets of a web graph do).

import { describe, expect, it } from 'vitest';
import { rankSources } from '../../src/providers/local/engine/source-lists.js';
import { mulberry32 } from '../../bench/random.js';

function randomList(random: () => number, sites: number, share: number): Int32Array {
  const out: number[] = [];
  for (let site = 0; site < sites; site++) if (random() < share) out.push(site);
  return Int32Array.from(out);
}

function bruteForce(lists: Int32Array[], excluded: Int32Array[], excludedIds: number[], options: { min: number; byCount: boolean; offset: number; limit: number }) {
  const out = new Set([...excludedIds, ...excluded.flatMap((list) => [...list])]);
  const held = new Map<number, number[]>();
  lists.forEach((list, position) => {
    for (const source of list) if (!out.has(source)) held.set(source, [...(held.get(source) ?? []), position]);
  });
  const kept = [...held.entries()].filter(([, positions]) => positions.length >= Math.max(1, options.min));
  kept.sort(([left, a], [right, b]) => (options.byCount ? b.length - a.length : 0) || left - right);
  return { total: kept.length, rows: kept.slice(options.offset, options.offset + options.limit).map(([source, positions]) => ({ source, lists: positions })) };
}

describe('rankSources', () => {
  it('ranks as a brute force does, by count or by site id, paged, with exclusions, and leaves the counter zero', () => {
    const random = mulberry32(12);
    for (const [sites, share] of [
      [5000, 0.002], // sparse: few sources per site
      [5000, 0.3], // dense: the lists touch most sites
      [300, 0.9],
    ] as const) {
      const counts = new Uint8Array(sites);
      for (let round = 0; round < 6; round++) {
        const lists = Array.from({ length: 1 + (round % 5) }, () => randomList(random, sites, share));
        const excluded = round % 2 === 0 ? [randomList(random, sites, share / 2)] : [];
        const excludedIds = [round, sites - 1];
        for (const options of [
          { min: 1, byCount: true, offset: 0, limit: 100 },
          { min: 2, byCount: true, offset: 7, limit: 30 },
          { min: 1, byCount: false, offset: 0, limit: 50 },
          { min: 2, byCount: false, offset: 20, limit: 20 },
        ]) {
          expect(rankSources(counts, lists, excluded, excludedIds, options)).toEqual(bruteForce(lists, excluded, excludedIds, options));
          expect(counts.every((count) => count === 0)).toBe(true);
        }
      }
    }
  });
});
