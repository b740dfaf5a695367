// What an open local engine keeps between queries (its files never change): each target's pair list,
// the link details read for pages of answers, domain ids and names, and the per-domain arrays the
// rankings use, all held per DuckDB connection. local-queries.ts asks for them.

import type { DuckDBConnection } from '@duckdb/node-api';
import type { LinkingPage } from '../../../domain.js';
import { chunksOf, optional, rows, sqlText } from './duckdb.js';
import { indexIn, SourceLists } from './source-lists.js';

/** Bytes of pair lists kept between queries (a large target's list is about 1.7 MB at 1M links). */
const PAIR_LIST_BYTES = 128 * 1024 * 1024;
/** Link details (URLs, anchor, dates) kept between queries, by link id. */
const KEPT_LINKS = 100_000;
/** Columns of a pair list, each `n` long, one after the other in one Int32Array. */
const PAIR_COLUMNS = 7;
export const EXAMPLE_PAGES = 3;

/** One target's pairs, sorted by source: links, dofollow links, best link, first links of its first three pages (-1: none). */
export interface PairList {
  sources: Int32Array;
  links: Int32Array;
  dofollow: Int32Array;
  best: Int32Array;
  firsts: [Int32Array, Int32Array, Int32Array];
}

export interface LinkDetail {
  source_url: string;
  target_url: string;
  anchor: string;
  nofollow: boolean;
  first_seen?: string;
  last_seen?: string;
}

/** Per domain id, read once: authority rank, figures (NaN unknown; spam -1), position by name. */
export interface DomainOrder {
  rank: Int32Array;
  spam: Int32Array;
  authority: Float64Array;
  referring: Float64Array;
  byName: Int32Array;
  /** Scratch for one query's counting (synchronous, so queries never share it at once). */
  stamp: Uint32Array;
  excludedStamp: Uint32Array;
  mask: Int32Array;
  hits: Uint8Array;
  links: Int32Array;
  dofollow: Uint8Array;
  touched: Int32Array;
  epoch: number;
}

/**
 * What one open engine keeps between queries: its files never change, so a target's pair list, the
 * domains' order and the link details read once stay true. Kept per connection (one per engine).
 */
export interface QueryState {
  lists: SourceLists;
  order?: Promise<DomainOrder>;
  links: Map<number, LinkDetail>;
  /** Domain ids by name (-1: not in the dataset) and names by id, as queries asked for them. */
  ids: Map<string, number>;
  names: Map<number, string>;
  /** Per domain id: 2 education, 3 government, 1 neither (by name, as the index classes them). */
  kinds?: Promise<Uint8Array>;
  /** A target's anchor summary under a filter: derived once from its links, kept (a few). */
  anchors: Map<string, { count: number; top: Array<{ anchor: string; links: number }> }>;
}

const states = new WeakMap<DuckDBConnection, QueryState>();

export function stateOf(connection: DuckDBConnection): QueryState {
  let state = states.get(connection);
  if (state === undefined) {
    state = { lists: new SourceLists(PAIR_LIST_BYTES), links: new Map(), ids: new Map(), names: new Map(), anchors: new Map() };
    states.set(connection, state);
  }
  return state;
}

/** The numeric columns of `sql`'s rows, in row order (NULL read as NaN). */
export async function readColumns(connection: DuckDBConnection, sql: string, width: number): Promise<Float64Array[]> {
  const chunks = chunksOf(await connection.run(sql));
  const columns = Array.from({ length: width }, () => new Float64Array(chunks.reduce((sum, { size }) => sum + size, 0)));
  let at = 0;
  for (const { chunk, size } of chunks) {
    for (let column = 0; column < width; column++) {
      const vector = chunk.getColumnVector(column);
      const out = columns[column]!;
      for (let row = 0; row < size; row++) {
        const value = vector.getItem(row);
        out[at + row] = value === null ? Number.NaN : Number(value);
      }
    }
    at += size;
  }
  return columns;
}

export async function pairList(connection: DuckDBConnection, target: number): Promise<PairList> {
  const packed = await stateOf(connection).lists.get(`pairs:${target}`, async () => {
    const columns = await readColumns(
      connection,
      `SELECT source, links, dofollow_links, best_link, coalesce(page_links[1], -1), coalesce(page_links[2], -1), coalesce(page_links[3], -1) FROM pairs WHERE target = ${target} ORDER BY source`,
      PAIR_COLUMNS,
    );
    const length = columns[0]!.length;
    const out = new Int32Array(length * PAIR_COLUMNS);
    columns.forEach((column, position) => {
      out.set(column, position * length);
    });
    return out;
  });
  const length = packed.length / PAIR_COLUMNS;
  const column = (position: number) => packed.subarray(position * length, (position + 1) * length);
  return { sources: column(0), links: column(1), dofollow: column(2), best: column(3), firsts: [column(4), column(5), column(6)] };
}

/** Position of `source` in a pair list, or -1. */
export function find(list: PairList, source: number): number {
  return indexIn(list.sources, source);
}

export function domainOrder(connection: DuckDBConnection): Promise<DomainOrder> {
  const state = stateOf(connection);
  state.order ??= (async () => {
    const [ids, ranks, spams, authorities, referring] = await readColumns(
      connection,
      'SELECT id, authority_rank, coalesce(spam, -1), authority, referring_domains FROM domains',
      5,
    );
    const [named] = await readColumns(connection, 'SELECT id FROM domains ORDER BY name', 1);
    let size = 0;
    for (const id of ids!) size = Math.max(size, id + 1);
    const order: DomainOrder = {
      rank: new Int32Array(size),
      spam: new Int32Array(size).fill(-1),
      authority: new Float64Array(size).fill(Number.NaN),
      referring: new Float64Array(size).fill(Number.NaN),
      byName: new Int32Array(size),
      stamp: new Uint32Array(size),
      excludedStamp: new Uint32Array(size),
      mask: new Int32Array(size),
      hits: new Uint8Array(size),
      links: new Int32Array(size),
      dofollow: new Uint8Array(size),
      touched: new Int32Array(size),
      epoch: 0,
    };
    ids!.forEach((id, row) => {
      order.rank[id] = ranks![row]!;
      order.spam[id] = spams![row]!;
      order.authority[id] = authorities![row]!;
      order.referring[id] = referring![row]!;
    });
    named!.forEach((id, position) => {
      order.byName[id] = position;
    });
    return order;
  })();
  state.order.catch(() => {
    state.order = undefined;
  });
  return state.order;
}

export function nextEpoch(order: DomainOrder): number {
  order.epoch++;
  if (order.epoch >= 0xffffffff) {
    order.stamp.fill(0);
    order.excludedStamp.fill(0);
    order.epoch = 1;
  }
  return order.epoch;
}

/** Details of links by id, read by target (the files are sorted by target) and kept for later queries. */
export async function linkDetails(connection: DuckDBConnection, wanted: Map<number, Set<number>>): Promise<Map<number, LinkDetail>> {
  const kept = stateOf(connection).links;
  const out = new Map<number, LinkDetail>();
  const parts: string[] = [];
  for (const [target, links] of wanted) {
    const missing: number[] = [];
    for (const link of links) {
      if (link < 0) continue;
      const hit = kept.get(link);
      if (hit === undefined) missing.push(link);
      else out.set(link, hit);
    }
    if (missing.length > 0) {
      parts.push(`SELECT link, source_url, target_url, anchor, nofollow, first_seen, last_seen FROM links WHERE target = ${target} AND link IN (${missing.join(', ')})`);
    }
  }
  if (parts.length === 0) return out;
  for (const row of await rows(connection, parts.join(' UNION ALL '))) {
    const first = optional<string>(row.first_seen);
    const last = optional<string>(row.last_seen);
    const detail: LinkDetail = {
      source_url: row.source_url as string,
      target_url: row.target_url as string,
      anchor: row.anchor as string,
      nofollow: row.nofollow as boolean,
      ...(first !== undefined && { first_seen: first }),
      ...(last !== undefined && { last_seen: last }),
    };
    const link = row.link as number;
    out.set(link, detail);
    kept.set(link, detail);
  }
  for (const link of kept.keys()) {
    if (kept.size <= KEPT_LINKS) break;
    kept.delete(link);
  }
  return out;
}

export function linkingPage(detail: LinkDetail): LinkingPage {
  return {
    url: detail.source_url,
    ...(detail.anchor !== '' && { anchor: detail.anchor }),
    rel: { nofollow: detail.nofollow },
    ...(detail.first_seen !== undefined && { first_seen: detail.first_seen }),
    ...(detail.last_seen !== undefined && { last_seen: detail.last_seen }),
  };
}

/** Domain ids of `names` (-1: not in the dataset), kept for later queries. */
export async function idsOf(connection: DuckDBConnection, names: readonly string[]): Promise<Map<string, number>> {
  const kept = stateOf(connection).ids;
  const missing = [...new Set(names.filter((name) => !kept.has(name)))];
  if (missing.length > 0) {
    const found = await rows(connection, `SELECT id, name FROM domains WHERE name IN (${missing.map(sqlText).join(', ')})`);
    for (const name of missing) kept.set(name, -1);
    for (const row of found) kept.set(row.name as string, row.id as number);
    for (const name of kept.keys()) {
      if (kept.size <= KEPT_LINKS) break;
      kept.delete(name);
    }
  }
  return new Map(names.map((name) => [name, kept.get(name) ?? -1]));
}

/** Names of domain ids, kept for later queries. */
export async function namesOf(connection: DuckDBConnection, ids: readonly number[]): Promise<Map<number, string>> {
  const kept = stateOf(connection).names;
  const missing = [...new Set(ids.filter((id) => !kept.has(id)))];
  if (missing.length > 0) {
    for (const row of await rows(connection, `SELECT d.id, d.name FROM domains d JOIN (SELECT unnest([${missing.join(', ')}]) AS id) USING (id)`)) {
      kept.set(row.id as number, row.name as string);
    }
    for (const id of kept.keys()) {
      if (kept.size <= KEPT_LINKS) break;
      kept.delete(id);
    }
  }
  return new Map(ids.map((id) => [id, kept.get(id)!]));
}

/** A domain's figures as optional members (absent when unknown). */
export function figuresOf(order: DomainOrder, id: number): { authority?: number; spam?: number; referring_domains?: number } {
  const authority = order.authority[id]!;
  const spam = order.spam[id]!;
  const referring = order.referring[id]!;
  return {
    ...(!Number.isNaN(authority) && { authority }),
    ...(spam >= 0 && { spam }),
    ...(!Number.isNaN(referring) && { referring_domains: referring }),
  };
}

