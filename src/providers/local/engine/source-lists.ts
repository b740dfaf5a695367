// Sorted lists of referring ids (one target's sources), as both engines' gap and intersect use them:
// read from DuckDB into an Int32Array, kept between queries in a bounded cache, and counted in one
// pass (rankSources) instead of a SQL hash aggregate.

import type { DuckDBConnection } from '@duckdb/node-api';
import { chunksOf, int32Column } from './duckdb.js';

/** The one INTEGER column of `sql`'s rows as an Int32Array, sorted ascending. */
export async function readSortedInt32(connection: DuckDBConnection, sql: string): Promise<Int32Array> {
  const chunks = chunksOf(await connection.run(sql));
  const out = new Int32Array(chunks.reduce((sum, { size }) => sum + size, 0));
  let at = 0;
  for (const { chunk, size } of chunks) {
    out.set(int32Column(chunk.getColumnVector(0), size), at);
    at += size;
  }
  for (let index = 1; index < out.length; index++) {
    if (out[index]! < out[index - 1]!) return out.sort();
  }
  return out;
}

/**
 * The lists of several keys from one query whose rows are (key INTEGER, source INTEGER), in one scan
 * (DuckDB reads the row groups of all the keys across its threads, instead of one query per key):
 * each key's sources sorted ascending (the file's order, checked; sorted only where it is not). A key
 * with no rows gets an empty list.
 */
export async function readSortedInt32ByKey(connection: DuckDBConnection, sql: string, keys: readonly number[]): Promise<Map<number, Int32Array>> {
  // Rows of one key come in runs (the file is sorted by key): each run is counted, then copied at once.
  // A run holds its chunk, whose memory its values are a view of, until they are copied.
  const runs: Array<{ key: number; sources: Int32Array; chunk: unknown }> = [];
  const sizes = new Map<number, number>(keys.map((key) => [key, 0]));
  for (const { chunk, size } of chunksOf(await connection.run(sql))) {
    const chunkKeys = int32Column(chunk.getColumnVector(0), size);
    const sources = int32Column(chunk.getColumnVector(1), size);
    for (let start = 0; start < chunkKeys.length; ) {
      const key = chunkKeys[start]!;
      let end = start + 1;
      while (end < chunkKeys.length && chunkKeys[end] === key) end++;
      runs.push({ key, sources: sources.subarray(start, end), chunk });
      sizes.set(key, (sizes.get(key) ?? 0) + end - start);
      start = end;
    }
  }
  const lists = new Map<number, { list: Int32Array; at: number }>([...sizes].map(([key, size]) => [key, { list: new Int32Array(size), at: 0 }]));
  for (const { key, sources } of runs) {
    const into = lists.get(key)!;
    into.list.set(sources, into.at);
    into.at += sources.length;
  }
  const out = new Map<number, Int32Array>();
  for (const [key, { list }] of lists) {
    let sorted = true;
    for (let index = 1; index < list.length && sorted; index++) sorted = list[index]! >= list[index - 1]!;
    out.set(key, sorted ? list : list.sort());
  }
  return out;
}

/** Lists by key, at most `bytes` of them (least recently used go first; a larger list is not kept). */
export class SourceLists {
  private readonly kept = new Map<string, Int32Array>();
  private keptBytes = 0;

  constructor(private readonly bytes: number) {}

  async get(key: string, read: () => Promise<Int32Array>): Promise<Int32Array> {
    const hit = this.lookup(key);
    if (hit !== undefined) return hit;
    const list = await read();
    this.keep(key, list);
    return list;
  }

  /** The list kept for `key` (now the most recently used), if any. */
  lookup(key: string): Int32Array | undefined {
    const hit = this.kept.get(key);
    if (hit !== undefined) {
      this.kept.delete(key);
      this.kept.set(key, hit);
    }
    return hit;
  }

  /** Keeps `list` for `key`, unless it is larger than the whole budget or one is kept already. */
  keep(key: string, list: Int32Array): void {
    if (list.byteLength > this.bytes || this.kept.has(key)) return;
    this.kept.set(key, list);
    this.keptBytes += list.byteLength;
    for (const [other, value] of this.kept) {
      if (this.keptBytes <= this.bytes) break;
      this.kept.delete(other);
      this.keptBytes -= value.byteLength;
    }
  }
}

const EXCLUDED = 0x80;

export interface RankOptions {
  min: number;
  byCount: boolean;
  offset: number;
  limit: number;
}

/** The sources of a page, with the positions of the lists holding each, and how many qualify in all. */
export interface Ranked {
  total: number;
  rows: Array<{ source: number; lists: number[] }>;
}

/**
 * Sources in `lists` (each sorted ascending: one target's referring sites) found in at least `min` of
 * them, in none of `excluded` and not among `excludedIds`, ranked by how many lists hold them (when
 * `byCount`) and then by site id, which is rank order. Counting is one pass over the lists with a
 * byte per site (`counts`, all zero before and after), instead of a hash aggregate: at 10M edges a gap
 * over 5 large targets took several times less than DuckDB's GROUP BY over the same rows.
 */
export function rankSources(
  counts: Uint8Array,
  lists: readonly Int32Array[],
  excluded: readonly Int32Array[],
  excludedIds: readonly number[],
  options: RankOptions,
): Ranked {
  if (lists.length >= EXCLUDED) throw new Error('at most 127 lists');
  let listed = 0;
  for (const list of [...lists, ...excluded]) listed += list.length;
  if (listed * DENSE_RATIO >= counts.length) return rankDense(counts, lists, excluded, excludedIds, options);
  for (const list of excluded) for (let index = 0; index < list.length; index++) counts[list[index]!] = EXCLUDED;
  for (const id of excludedIds) counts[id] = EXCLUDED;
  let touched = new Int32Array(1024);
  let touchedCount = 0;
  for (const list of lists) {
    for (let index = 0; index < list.length; index++) {
      const source = list[index]!;
      const count = counts[source]!;
      if (count === 0) {
        if (touchedCount === touched.length) {
          const grown = new Int32Array(touched.length * 2);
          grown.set(touched);
          touched = grown;
        }
        touched[touchedCount++] = source;
      }
      if (count < EXCLUDED) counts[source] = count + 1;
    }
  }
  const histogram = new Array<number>(lists.length + 1).fill(0);
  for (let index = 0; index < touchedCount; index++) {
    const count = counts[touched[index]!]!;
    if (count < EXCLUDED) histogram[count]!++;
  }
  let total = 0;
  for (let count = Math.max(1, options.min); count <= lists.length; count++) total += histogram[count]!;

  const wanted = options.offset + options.limit;
  let chosen: number[] = [];
  if (options.byCount) {
    // Only the counts whose rows fall inside [offset, offset + limit) are collected and sorted.
    const needed = new Set<number>();
    let before = 0;
    for (let count = lists.length; count >= Math.max(1, options.min) && before < wanted; count--) {
      if (histogram[count]! > 0) needed.add(count);
      before += histogram[count]!;
    }
    const buckets = new Map<number, number[]>([...needed].map((count) => [count, []]));
    for (let index = 0; index < touchedCount; index++) buckets.get(counts[touched[index]!]!)?.push(touched[index]!);
    for (const count of [...needed].sort((left, right) => right - left)) chosen.push(...buckets.get(count)!.sort((left, right) => left - right));
  } else {
    // By site id: the smallest kept sources, taken from the sorted lists' heads in a k-way merge.
    const heads = lists.map(() => 0);
    let last = -1;
    while (chosen.length < wanted) {
      let smallest = -1;
      for (let list = 0; list < lists.length; list++) {
        const value = lists[list]![heads[list]!];
        if (value !== undefined && (smallest === -1 || value < smallest)) smallest = value;
      }
      if (smallest === -1) break;
      for (let list = 0; list < lists.length; list++) if (lists[list]![heads[list]!] === smallest) heads[list]!++;
      if (smallest === last) continue;
      last = smallest;
      const count = counts[smallest]!;
      if (count < EXCLUDED && count >= options.min) chosen.push(smallest);
    }
  }
  chosen = chosen.slice(options.offset, wanted);

  for (let index = 0; index < touchedCount; index++) counts[touched[index]!] = 0;
  for (const list of excluded) for (let index = 0; index < list.length; index++) counts[list[index]!] = 0;
  for (const id of excludedIds) counts[id] = 0;

  return { total, rows: withLists(chosen, lists) };
}

/** Past this many sites per listed source, counting reads `counts` from end to end instead of
 *  following the sources it touched: one sequential pass, already in site order. */
const DENSE_RATIO = 16;

/**
 * rankSources when the lists touch a large share of the sites (the most-linked targets of a graph):
 * the same answer from one sequential pass over `counts` after counting, which takes the histogram,
 * the rows wanted of each count (in site order, so no sort) and sets `counts` back to zero, instead
 * of three passes in random order over the sources touched and a sort of the rows chosen.
 */
function rankDense(
  counts: Uint8Array,
  lists: readonly Int32Array[],
  excluded: readonly Int32Array[],
  excludedIds: readonly number[],
  options: RankOptions,
): Ranked {
  for (const list of excluded) for (let index = 0; index < list.length; index++) counts[list[index]!] = EXCLUDED;
  for (const id of excludedIds) counts[id] = EXCLUDED;
  for (const list of lists) {
    for (let index = 0; index < list.length; index++) {
      const source = list[index]!;
      const count = counts[source]!;
      if (count < EXCLUDED) counts[source] = count + 1;
    }
  }
  const min = Math.max(1, options.min);
  const wanted = options.offset + options.limit;
  const histogram = new Array<number>(lists.length + 1).fill(0);
  // By count: up to `wanted` sources of each count; by site id: the first `wanted` of any count ≥ min.
  const buckets = Array.from({ length: options.byCount ? lists.length + 1 : 1 }, (): number[] => []);
  for (let source = 0; source < counts.length; source++) {
    const count = counts[source]!;
    if (count === 0) continue;
    counts[source] = 0;
    if (count >= EXCLUDED) continue;
    histogram[count]!++;
    if (count < min) continue;
    const bucket = buckets[options.byCount ? count : 0]!;
    if (bucket.length < wanted) bucket.push(source);
  }
  let total = 0;
  for (let count = min; count <= lists.length; count++) total += histogram[count]!;
  const chosen: number[] = [];
  for (let at = buckets.length - 1; at >= 0 && chosen.length < wanted; at--) {
    for (const source of buckets[at]!) chosen.push(source);
  }
  return { total, rows: withLists(chosen.slice(options.offset, wanted), lists) };
}

/** Where `value` is in the ascending `list`, or -1. */
export function indexIn(list: ArrayLike<number>, value: number): number {
  let low = 0;
  let high = list.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const found = list[middle]!;
    if (found === value) return middle;
    if (found < value) low = middle + 1;
    else high = middle - 1;
  }
  return -1;
}

/** Each chosen source with the positions of the lists holding it. */
function withLists(chosen: number[], lists: readonly Int32Array[]): Ranked['rows'] {
  return chosen.map((source) => ({ source, lists: lists.flatMap((list, position) => (indexIn(list, source) !== -1 ? [position] : [])) }));
}
