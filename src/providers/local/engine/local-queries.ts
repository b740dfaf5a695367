// The local engine's queries: gap, intersect and backlinks over the links layout (domains, pairs,
// links; see local.ts), answered exactly as the in-memory index answers them (queries.ts): SQL, and
// the pair lists and details an open engine keeps (local-state.ts).

import type { DuckDBConnection } from '@duckdb/node-api';
import { SUMMARY_ANCHORS, SUMMARY_DOMAINS } from '../../../analysis/backlinks-summary.js';
import type { Backlink, BacklinkMetrics, BacklinksMode, BacklinksSummary, IntersectRow, IntersectSort, LinkingPage, Scope } from '../../../domain.js';
import { hostOf, sourceDomainOf } from '../../../hosts.js';
import { looseUrlKey } from '../../local-dataset.js';
import { selectTop } from '../select.js';
import { optional, rows, sqlText } from './duckdb.js';
import {
  type DomainOrder,
  domainOrder,
  EXAMPLE_PAGES,
  figuresOf,
  find,
  idsOf,
  linkDetails,
  linkingPage,
  namesOf,
  nextEpoch,
  type PairList,
  pairList,
  readColumns,
  stateOf,
} from './local-state.js';

export interface GapOfQuery {
  /** Target registrable domains of the competitors, in order (a bit each). */
  competitors: string[];
  you: string;
  /** Referring domains known to link to `you` from elsewhere (a Search Console export): never prospects. */
  linkingToYou?: string[];
  minCompetitors: number;
  limit: number;
}

export interface GapOfRow {
  domain: string;
  authority?: number;
  spam_score?: number;
  referring_domains?: number;
  /** Competitor positions (into GapOfQuery.competitors) this domain links to. */
  competitors: number[];
  links: number;
  dofollow: boolean;
  /** Up to three linking pages, first seen first (competitor order, then dataset order). */
  pages: string[];
  /** Per competitor position: links, dofollow links and the best linking page. */
  byCompetitor: Map<number, { links: number; dofollow_links: number; page: LinkingPage }>;
}

export interface GapOfAnswer {
  rows: GapOfRow[];
  total: number;
  /** Competitor positions with no backlinks in the dataset. */
  absent: number[];
  /** Whether `you` appears in the dataset at all (as a source or a target). */
  youKnown: boolean;
}

/**
 * The first `wanted` of `count` candidates in `compare` order, when the first key is `hits` (how many
 * lists hold a source, highest first): only the candidates whose hits are among the top counts that
 * cover `wanted` rows are ranked, the rest can never reach the page.
 */
function topByHits(candidates: Int32Array, count: number, hits: Uint8Array, lists: number, wanted: number, compare: (left: number, right: number) => number): number[] {
  const histogram = new Int32Array(lists + 1);
  for (let index = 0; index < count; index++) histogram[hits[candidates[index]!]!]!++;
  let floor = 0;
  let before = 0;
  for (let hit = lists; hit > 0; hit--) {
    before += histogram[hit]!;
    floor = hit;
    if (before >= wanted) break;
  }
  let kept = 0;
  for (let index = 0; index < count; index++) {
    const source = candidates[index]!;
    if (hits[source]! >= floor) candidates[kept++] = source;
  }
  return selectTop(candidates, kept, wanted, compare);
}

/**
 * Counts the lists in one synchronous pass into the shared scratch arrays: per source, a bit per list
 * (`mask`), how many lists (`hits`), the summed links and whether any is dofollow. Returns how many
 * sources were touched (listed in `order.touched`).
 */
function countLists(order: DomainOrder, epoch: number, lists: ReadonlyArray<PairList | undefined>): number {
  const { stamp, mask, hits, links, dofollow, touched } = order;
  let touchedCount = 0;
  for (let position = 0; position < lists.length; position++) {
    const list = lists[position];
    if (list === undefined) continue;
    const flag = 1 << position;
    const { sources, links: pairLinks, dofollow: pairDofollow } = list;
    for (let index = 0; index < sources.length; index++) {
      const source = sources[index]!;
      if (stamp[source] !== epoch) {
        stamp[source] = epoch;
        mask[source] = flag;
        hits[source] = 1;
        links[source] = pairLinks[index]!;
        dofollow[source] = pairDofollow[index]! > 0 ? 1 : 0;
        touched[touchedCount++] = source;
      } else {
        mask[source]! |= flag;
        hits[source]!++;
        links[source]! += pairLinks[index]!;
        if (pairDofollow[index]! > 0) dofollow[source] = 1;
      }
    }
  }
  return touchedCount;
}

// ---- gap --------------------------------------------------------------------------------------------

/**
 * Referring domains linking to at least `minCompetitors` competitors and not to `you`, ranked as
 * the in-memory index ranks them: competitors, authority, links, name. Counted in one pass over the
 * competitors' pair lists (kept between queries); details are read only for the rows returned.
 */
export async function gapOf(connection: DuckDBConnection, query: GapOfQuery): Promise<GapOfAnswer> {
  const linkingToYou = query.linkingToYou ?? [];
  const idOf = await idsOf(connection, [...query.competitors, query.you, ...linkingToYou]);
  const competitorIds = query.competitors.map((name) => idOf.get(name)!);
  const you = idOf.get(query.you)!;
  const youKnown = you !== -1;
  const order = await domainOrder(connection);
  const lists = await Promise.all(competitorIds.map((id) => (id === -1 ? undefined : pairList(connection, id))));
  const absent = lists.flatMap((list, position) => (list === undefined || list.sources.length === 0 ? [position] : []));
  if (lists.every((list) => list === undefined)) return { rows: [], total: 0, absent, youKnown };
  const yours = you === -1 ? undefined : await pairList(connection, you);

  const epoch = nextEpoch(order);
  const { excludedStamp, mask, hits, links, dofollow, rank, byName, touched } = order;
  for (const id of [...competitorIds, you, ...linkingToYou.map((name) => idOf.get(name)!)]) if (id !== -1) excludedStamp[id] = epoch;
  if (yours !== undefined) for (const source of yours.sources) excludedStamp[source] = epoch;
  const touchedCount = countLists(order, epoch, lists);
  // Qualifying sources are compacted in place at the front of the touched list.
  let total = 0;
  for (let index = 0; index < touchedCount; index++) {
    const source = touched[index]!;
    if (excludedStamp[source] !== epoch && hits[source]! >= query.minCompetitors) touched[total++] = source;
  }
  const compare = (left: number, right: number) =>
    hits[right]! - hits[left]! || rank[right]! - rank[left]! || links[right]! - links[left]! || byName[left]! - byName[right]!;
  const top = topByHits(touched, total, hits, lists.length, query.limit, compare);
  const picked = top.map((source) => ({ source, mask: mask[source]!, links: links[source]!, dofollow: dofollow[source] === 1 }));
  if (picked.length === 0) return { rows: [], total, absent, youKnown };

  // Details for the rows returned only: each (competitor, row) pair's best link and page links by id.
  const wanted = new Map<number, Set<number>>();
  const pairsOf = picked.map(({ source, mask: bits }) =>
    lists.map((list, position) => {
      if (list === undefined || (bits & (1 << position)) === 0) return undefined;
      const at = find(list, source);
      const target = competitorIds[position]!;
      const ids = wanted.get(target) ?? new Set<number>();
      wanted.set(target, ids);
      const pages = list.firsts.map((column) => column[at]!).filter((link) => link >= 0);
      for (const link of [list.best[at]!, ...pages]) ids.add(link);
      return { links: list.links[at]!, dofollow_links: list.dofollow[at]!, best: list.best[at]!, pages };
    }),
  );
  const [details, names] = [await linkDetails(connection, wanted), await namesOf(connection, top)];
  const result = picked.map(({ source, mask: bits, links: linkCount, dofollow: anyDofollow }, row): GapOfRow => {
    const byCompetitor: GapOfRow['byCompetitor'] = new Map();
    // Up to three pages, first seen first: each pair's first three distinct pages cover its share.
    const pages: string[] = [];
    for (const [position, pair] of pairsOf[row]!.entries()) {
      if (pair === undefined) continue;
      byCompetitor.set(position, { links: pair.links, dofollow_links: pair.dofollow_links, page: linkingPage(details.get(pair.best)!) });
      for (const link of pair.pages) {
        const url = details.get(link)!.source_url;
        if (pages.length < EXAMPLE_PAGES && !pages.includes(url)) pages.push(url);
      }
    }
    const figures = figuresOf(order, source);
    return {
      domain: names.get(source)!,
      ...(figures.authority !== undefined && { authority: figures.authority }),
      ...(figures.spam !== undefined && { spam_score: figures.spam }),
      ...(figures.referring_domains !== undefined && { referring_domains: figures.referring_domains }),
      competitors: query.competitors.flatMap((_, position) => ((bits & (1 << position)) !== 0 ? [position] : [])),
      links: linkCount,
      dofollow: anyDofollow,
      pages,
      byCompetitor,
    };
  });
  return { rows: result, total, absent, youKnown };
}

// ---- targets ----------------------------------------------------------------------------------------

/** A target as SQL over `links` (internal links are not in the layout), or undefined when nothing can match. */
async function targetFilters(connection: DuckDBConnection, cache: LooseCache, targets: Array<{ target: string; scope: Scope }>): Promise<Array<string | undefined>> {
  const hosts = targets.map((target) => hostOf(target.target));
  const names = [...new Set(hosts.flatMap((host) => (host === undefined ? [] : [sourceDomainOf(host)])))];
  // One look-up for every target's domain.
  const found = names.length === 0 ? [] : await rows(connection, `SELECT id, name FROM domains WHERE name IN (${names.map(sqlText).join(', ')})`);
  const ids = new Map(found.map((row) => [row.name as string, row.id as number]));
  return Promise.all(
    targets.map((target, position) => {
      const host = hosts[position];
      const id = host === undefined ? undefined : ids.get(sourceDomainOf(host));
      return host === undefined || id === undefined ? undefined : targetFilter(connection, cache, target.target, target.scope, host, id);
    }),
  );
}

async function targetFilter(connection: DuckDBConnection, cache: LooseCache, target: string, scope: Scope, host: string, id: number): Promise<string | undefined> {
  if (scope === 'root_domain') return `target = ${id}`;
  if (scope === 'subdomain') return `target = ${id} AND target_host = ${sqlText(host)}`;
  // A page matches by the loose key the index uses (no scheme, www, trailing slash or fragment).
  const trimmed = target.trim();
  const key = looseUrlKey(/^https?:\/\//i.test(trimmed) ? trimmed : `http://${trimmed}`);
  let keys = cache.get(id);
  if (keys === undefined) {
    keys = new Map();
    for (const row of await rows(connection, `SELECT DISTINCT target_url FROM links WHERE target = ${id}`)) {
      const url = row.target_url as string;
      const loose = looseUrlKey(url);
      keys.set(loose, [...(keys.get(loose) ?? []), url]);
    }
    cache.set(id, keys);
  }
  const urls = keys.get(key);
  return urls === undefined ? undefined : `target = ${id} AND target_url IN (${urls.map(sqlText).join(', ')})`;
}

export type LooseCache = Map<number, Map<string, string[]>>;

/** Links pointing into each target, tagged with its position (UNION ALL; none when no target matches). */
function taggedLinks(filters: Array<string | undefined>, columns: string): string | undefined {
  const parts = filters.flatMap((filter, position) => (filter === undefined ? [] : [`SELECT ${position} AS position, ${columns} FROM links WHERE ${filter}`]));
  return parts.length === 0 ? undefined : parts.join(' UNION ALL ');
}

// ---- intersect --------------------------------------------------------------------------------------

export interface IntersectOfQuery {
  positives: Array<{ target: string; scope: Scope }>;
  negatives: Array<{ target: string; scope: Scope }>;
  minMatching: number;
  /** Sources are referring domains (root_domain) or pages. */
  byDomain: boolean;
  sort: IntersectSort;
  offset: number;
  limit: number;
}

/** Sources linking to at least `minMatching` positives and to no negative, ranked as the index ranks them. */
export async function intersectOf(connection: DuckDBConnection, cache: LooseCache, query: IntersectOfQuery): Promise<{ results: IntersectRow[]; total: number }> {
  const everyTarget = [...query.positives, ...query.negatives];
  if (query.byDomain && everyTarget.every((target) => target.scope === 'root_domain')) return intersectOfDomains(connection, query);
  const filters = await targetFilters(connection, cache, [...query.positives, ...query.negatives]);
  const positives = filters.slice(0, query.positives.length);
  const negatives = filters.slice(query.positives.length);
  const matched = taggedLinks(positives, 'source, source_url, link, nofollow, last_seen_order');
  if (matched === undefined) return { results: [], total: 0 };
  const unit = query.byDomain ? 'source' : 'source_url';
  const excluded = taggedLinks(negatives, `${unit} AS unit`);
  const primary =
    query.sort === 'source_domain_authority'
      ? 'd.authority_rank DESC'
      : query.sort === 'source_spam_score'
        ? 'coalesce(d.spam, -1) DESC'
        : 'bit_count(u.mask) DESC';
  const ranked = await rows(
    connection,
    `WITH m AS (${matched}),
     u AS (
       SELECT ${unit} AS unit, any_value(source) AS source, bit_or((1::BIGINT << position)) AS mask FROM m GROUP BY ${unit}
       HAVING bit_count(bit_or((1::BIGINT << position))) >= ${query.minMatching}
     )
     SELECT u.unit, u.source, u.mask, d.name, d.authority, d.spam, count(*) OVER () AS total
     FROM u JOIN domains d ON d.id = u.source
     ${excluded === undefined ? '' : `WHERE u.unit NOT IN (SELECT unit FROM (${excluded}))`}
     ORDER BY ${primary}, d.authority_rank DESC, d.name${query.byDomain ? '' : ', u.unit'}
     LIMIT ${query.limit} OFFSET ${query.offset}`,
  );
  if (ranked.length === 0) {
    // Past the last page the index still counts every match.
    const [counted] = query.offset > 0 ? await rows(connection, `SELECT count(*) AS total FROM (${countSql(matched, unit, query.minMatching, excluded)})`) : [];
    return { results: [], total: Number(counted?.total ?? 0) };
  }
  const total = Number(ranked[0]!.total);
  const best = new Map<string, string>();
  if (query.byDomain) {
    const sources = ranked.map((row) => row.unit as number);
    for (const row of await rows(
      connection,
      `SELECT source, position, source_url FROM (${matched}) WHERE source IN (${sources.join(', ')})
       QUALIFY row_number() OVER (PARTITION BY source, position ORDER BY nofollow, last_seen_order DESC, source_url, link) = 1`,
    )) {
      best.set(`${row.source}:${row.position}`, row.source_url as string);
    }
  }
  const results = ranked.map((row): IntersectRow => {
    const mask = Number(row.mask);
    const authority = optional<number>(row.authority);
    const spam = optional<number>(row.spam);
    const matching: string[] = [];
    const pages: { target: string; page: string }[] = [];
    query.positives.forEach((target, position) => {
      if ((mask & (2 ** position)) === 0) return;
      matching.push(target.target);
      if (query.byDomain) pages.push({ target: target.target, page: best.get(`${row.unit}:${position}`)! });
    });
    return {
      source: query.byDomain ? (row.name as string) : (row.unit as string),
      source_domain: row.name as string,
      ...(authority !== undefined && { domain_authority: authority }),
      ...(spam !== undefined && { spam_score: spam }),
      matching_targets: matching,
      ...(query.byDomain && { matching_source_pages: pages }),
    };
  });
  return { results, total };
}

/**
 * Referring domains of whole target domains, counted over their pair lists as the gap is: negatives'
 * sources excluded, ranked by the sort key, then authority, then name; only the page's best pages read.
 */
async function intersectOfDomains(connection: DuckDBConnection, query: IntersectOfQuery): Promise<{ results: IntersectRow[]; total: number }> {
  // A target's domain as the index resolves it: the registrable domain of its host.
  const domainOfTarget = (target: string) => {
    const host = hostOf(target);
    return host === undefined ? undefined : sourceDomainOf(host);
  };
  const positiveNames = query.positives.map((target) => domainOfTarget(target.target));
  const negativeNames = query.negatives.map((target) => domainOfTarget(target.target));
  const idOf = await idsOf(connection, [...positiveNames, ...negativeNames].filter((name): name is string => name !== undefined));
  const idFor = (name: string | undefined) => (name === undefined ? -1 : idOf.get(name)!);
  const positiveIds = positiveNames.map(idFor);
  const lists = await Promise.all(positiveIds.map((id) => (id === -1 ? undefined : pairList(connection, id))));
  if (lists.every((list) => list === undefined || list.sources.length === 0)) return { results: [], total: 0 };
  const negatives = await Promise.all(negativeNames.map(idFor).flatMap((id) => (id === -1 ? [] : [pairList(connection, id)])));
  const order = await domainOrder(connection);

  const epoch = nextEpoch(order);
  const { excludedStamp, mask, hits, rank, spam, byName, touched } = order;
  for (const list of negatives) for (const source of list.sources) excludedStamp[source] = epoch;
  const touchedCount = countLists(order, epoch, lists);
  let total = 0;
  for (let index = 0; index < touchedCount; index++) {
    const source = touched[index]!;
    if (excludedStamp[source] !== epoch && hits[source]! >= query.minMatching) touched[total++] = source;
  }
  const tail = (left: number, right: number) => rank[right]! - rank[left]! || byName[left]! - byName[right]!;
  const wanted = query.offset + query.limit;
  const top =
    query.sort === 'matching_target_count'
      ? topByHits(touched, total, hits, lists.length, wanted, (left, right) => hits[right]! - hits[left]! || tail(left, right))
      : selectTop(touched, total, wanted, query.sort === 'source_spam_score' ? (left, right) => spam[right]! - spam[left]! || tail(left, right) : tail);
  const page = top.slice(query.offset);
  if (page.length === 0) return { results: [], total };

  // The best linking page of each row and matching target, by link id.
  const best = new Map<number, Set<number>>();
  const bestOf = page.map((source) =>
    lists.map((list, position) => {
      if (list === undefined || (mask[source]! & (1 << position)) === 0) return -1;
      const link = list.best[find(list, source)]!;
      const ids = best.get(positiveIds[position]!) ?? new Set<number>();
      best.set(positiveIds[position]!, ids.add(link));
      return link;
    }),
  );
  const masks = page.map((source) => mask[source]!);
  const [details, names] = [await linkDetails(connection, best), await namesOf(connection, page)];
  const results = page.map((source, row): IntersectRow => {
    const figures = figuresOf(order, source);
    const matching: string[] = [];
    const pages: { target: string; page: string }[] = [];
    query.positives.forEach((target, position) => {
      if ((masks[row]! & (1 << position)) === 0) return;
      matching.push(target.target);
      pages.push({ target: target.target, page: details.get(bestOf[row]![position]!)!.source_url });
    });
    return {
      source: names.get(source)!,
      source_domain: names.get(source)!,
      ...(figures.authority !== undefined && { domain_authority: figures.authority }),
      ...(figures.spam !== undefined && { spam_score: figures.spam }),
      matching_targets: matching,
      matching_source_pages: pages,
    };
  });
  return { results, total };
}

function countSql(matched: string, unit: string, minMatching: number, excluded: string | undefined): string {
  return `SELECT ${unit} AS unit FROM (${matched}) GROUP BY ${unit} HAVING bit_count(bit_or((1::BIGINT << position))) >= ${minMatching}
          ${excluded === undefined ? '' : `AND ${unit} NOT IN (SELECT unit FROM (${excluded}))`}`;
}

// ---- backlinks --------------------------------------------------------------------------------------

export interface BacklinksOfQuery {
  target: string;
  scope: Scope;
  mode: BacklinksMode;
  dofollow?: boolean;
  anchor?: string;
  minAuthority?: number;
  offset: number;
  limit: number;
}

export interface BacklinksOfAnswer {
  metrics: BacklinkMetrics;
  summary: BacklinksSummary;
  backlinks: Backlink[];
  total: number;
}

const EDU = String.raw`\.edu$|\.(ac|edu)\.[a-z]{2}$`;
const GOV = String.raw`\.gov$|\.gov\.[a-z]{2}$`;

/** Candidates whose order among equals (source URL) is read from their links, at most this many. */
const MAX_TIED_ROWS = 5_000;
const KEPT_ANCHOR_SUMMARIES = 64;

function domainKinds(connection: DuckDBConnection): Promise<Uint8Array> {
  const state = stateOf(connection);
  state.kinds ??= (async () => {
    const order = await domainOrder(connection);
    const kinds = new Uint8Array(order.rank.length).fill(1);
    const [ids, classes] = await readColumns(
      connection,
      `SELECT id, CASE WHEN regexp_matches('.' || name, ${sqlText(EDU)}) THEN 2 ELSE 3 END FROM domains
       WHERE regexp_matches('.' || name, ${sqlText(EDU)}) OR regexp_matches('.' || name, ${sqlText(GOV)})`,
      2,
    );
    ids!.forEach((id, row) => {
      kinds[id] = classes![row]!;
    });
    return kinds;
  })();
  state.kinds.catch(() => {
    state.kinds = undefined;
  });
  return state.kinds;
}

/** The most used anchors of a target's links under the filters, derived once per target and filter. */
async function anchorSummary(connection: DuckDBConnection, target: number, dofollow: boolean, minAuthority: number | undefined): Promise<{ count: number; top: Array<{ anchor: string; links: number }> }> {
  const kept = stateOf(connection).anchors;
  const key = `${target}:${dofollow}:${minAuthority ?? ''}`;
  const hit = kept.get(key);
  if (hit !== undefined) return hit;
  const conditions = [
    `target = ${target}`,
    ...(dofollow ? ['NOT nofollow'] : []),
    ...(minAuthority === undefined ? [] : [`source IN (SELECT id FROM domains WHERE authority >= ${Number(minAuthority)})`]),
  ];
  const found = await rows(
    connection,
    `WITH g AS (SELECT lower(trim(arg_min(anchor, link))) AS text, count(*) AS links FROM links WHERE ${conditions.join(' AND ')} GROUP BY lower(anchor))
     SELECT text, links, count(*) OVER () AS groups FROM g ORDER BY links DESC, text LIMIT ${SUMMARY_ANCHORS}`,
  );
  const summary = { count: Number(found[0]?.groups ?? 0), top: found.map((row) => ({ anchor: row.text as string, links: Number(row.links) })) };
  kept.set(key, summary);
  for (const other of kept.keys()) {
    if (kept.size <= KEPT_ANCHOR_SUMMARIES) break;
    kept.delete(other);
  }
  return summary;
}

/** `items` by descending rank (a small dense integer), stable: a counting sort, not a comparison sort. */
function sortedByRank(items: readonly number[], rankOf: (item: number) => number): number[] {
  let highest = 0;
  for (const item of items) highest = Math.max(highest, rankOf(item));
  const starts = new Int32Array(highest + 2);
  for (const item of items) starts[highest - rankOf(item) + 1]!++;
  for (let bucket = 1; bucket < starts.length; bucket++) starts[bucket]! += starts[bucket - 1]!;
  const out = new Array<number>(items.length);
  for (const item of items) out[starts[highest - rankOf(item)]!++] = item;
  return out;
}

/**
 * One backlink per referring domain of a whole target domain (its best link), unfiltered or dofollow
 * only or above an authority: metrics, summary and rows from the target's pair list, the anchors from
 * its links once, link details for the rows only. Undefined when too many rows tie on authority for
 * their order by source URL to be read link by link (the SQL path orders them).
 */
async function bestPerDomain(connection: DuckDBConnection, query: BacklinksOfQuery): Promise<BacklinksOfAnswer | undefined> {
  const host = hostOf(query.target);
  const target = host === undefined ? -1 : (await idsOf(connection, [sourceDomainOf(host)])).get(sourceDomainOf(host))!;
  if (target === -1) return undefined;
  const [list, order, kinds] = [await pairList(connection, target), await domainOrder(connection), await domainKinds(connection)];
  const { sources } = list;
  const metrics = { links_in: 0, ref_domains: sources.length, dofollow: 0, nofollow: 0, edu_links: 0, gov_links: 0 };
  const dofollowOnly = query.dofollow === true;
  const kept: number[] = [];
  let covered = 0;
  for (let index = 0; index < sources.length; index++) {
    const source = sources[index]!;
    const links = list.links[index]!;
    metrics.links_in += links;
    metrics.dofollow += list.dofollow[index]!;
    if (kinds[source] === 2) metrics.edu_links += links;
    else if (kinds[source] === 3) metrics.gov_links += links;
    if (dofollowOnly && list.dofollow[index] === 0) continue;
    if (query.minAuthority !== undefined) {
      const authority = order.authority[source]!;
      if (Number.isNaN(authority) || authority < query.minAuthority) continue;
    }
    kept.push(index);
    covered += dofollowOnly ? list.dofollow[index]! : links;
  }
  metrics.nofollow = metrics.links_in - metrics.dofollow;
  const { rank, byName } = order;
  const countOf = (index: number) => (dofollowOnly ? list.dofollow[index]! : list.links[index]!);

  // Rows: by authority, then the best link's source URL, then link; only the authority groups that
  // reach into the page need their URLs.
  const byRank = sortedByRank(kept, (index) => rank[sources[index]!]!);
  const end = Math.min(byRank.length, query.offset + query.limit);
  let from = query.offset;
  while (from > 0 && from < byRank.length && rank[sources[byRank[from - 1]!]!] === rank[sources[byRank[from]!]!]) from--;
  let to = end;
  while (to > 0 && to < byRank.length && rank[sources[byRank[to]!]!] === rank[sources[byRank[to - 1]!]!]) to++;
  if (to - from > MAX_TIED_ROWS) return undefined;
  const topDomains = selectTop(kept, kept.length, SUMMARY_DOMAINS, (left, right) =>
    countOf(right) - countOf(left) || rank[sources[right]!]! - rank[sources[left]!]! || byName[sources[left]!]! - byName[sources[right]!]!,
  );
  const wanted = new Map([[target, new Set([...byRank.slice(from, to), ...topDomains].map((index) => list.best[index]!))]]);
  const details = await linkDetails(connection, wanted);
  const window = byRank.slice(from, to).sort((left, right) => {
    const byAuthority = rank[sources[right]!]! - rank[sources[left]!]!;
    if (byAuthority !== 0) return byAuthority;
    const leftUrl = details.get(list.best[left]!)!.source_url;
    const rightUrl = details.get(list.best[right]!)!.source_url;
    return leftUrl < rightUrl ? -1 : leftUrl > rightUrl ? 1 : list.best[left]! - list.best[right]!;
  });
  const page = window.slice(query.offset - from, end - from);
  const names = await namesOf(connection, [...page, ...topDomains].map((index) => sources[index]!));
  const anchors = await anchorSummary(connection, target, dofollowOnly, query.minAuthority);
  return {
    metrics,
    summary: {
      covered_links: covered,
      covers: 'matching',
      referring_domain_count: kept.length,
      referring_domains: topDomains.map((index) => {
        const source = sources[index]!;
        const { authority } = figuresOf(order, source);
        const anchor = details.get(list.best[index]!)!.anchor.trim();
        return {
          domain: names.get(source)!,
          links: countOf(index),
          dofollow: list.dofollow[index]!,
          ...(authority !== undefined && { authority }),
          ...(anchor !== '' && { anchor }),
        };
      }),
      anchor_count: anchors.count,
      anchors: anchors.top,
    },
    backlinks: page.map((index): Backlink => {
      const source = sources[index]!;
      const detail = details.get(list.best[index]!)!;
      const figures = figuresOf(order, source);
      return {
        source_url: detail.source_url,
        source_domain: names.get(source)!,
        target_url: detail.target_url,
        anchor: detail.anchor,
        dofollow: !detail.nofollow,
        ...(figures.authority !== undefined && { authority: figures.authority }),
        ...(figures.spam !== undefined && { spam_score: figures.spam }),
        ...(detail.first_seen !== undefined && { first_seen: detail.first_seen }),
        ...(detail.last_seen !== undefined && { last_seen: detail.last_seen }),
      };
    }),
    total: kept.length,
  };
}

/** A target's backlinks, filtered, one per domain or anchor or as they are, with the index's metrics and summary. */
export async function backlinksOf(connection: DuckDBConnection, cache: LooseCache, query: BacklinksOfQuery): Promise<BacklinksOfAnswer> {
  if (query.scope === 'root_domain' && query.mode === 'one_per_domain' && query.anchor === undefined && query.dofollow !== false) {
    const answer = await bestPerDomain(connection, query);
    if (answer !== undefined) return answer;
  }
  const [filter] = await targetFilters(connection, cache, [{ target: query.target, scope: query.scope }]);
  const empty: BacklinksOfAnswer = {
    metrics: { links_in: 0, ref_domains: 0, dofollow: 0, nofollow: 0, edu_links: 0, gov_links: 0 },
    summary: { covered_links: 0, covers: 'matching', referring_domain_count: 0, referring_domains: [], anchor_count: 0, anchors: [] },
    backlinks: [],
    total: 0,
  };
  if (filter === undefined) return empty;
  const conditions = [
    ...(query.dofollow === undefined ? [] : [query.dofollow ? 'NOT nofollow' : 'nofollow']),
    ...(query.minAuthority === undefined ? [] : [`authority >= ${Number(query.minAuthority)}`]),
    ...(query.anchor === undefined ? [] : [`contains(lower(anchor), ${sqlText(query.anchor.toLowerCase())})`]),
  ];
  // m: every link into the target (the metrics count them all); k: those the filters keep. One
  // statement: each is computed once, and one round trip brings metrics, summary and the page.
  const candidates =
    query.mode === 'one_per_domain'
      ? 'SELECT * FROM k QUALIFY row_number() OVER (PARTITION BY source ORDER BY nofollow, last_seen_order DESC, source_url, link) = 1'
      : query.mode === 'one_per_anchor'
        ? 'SELECT * FROM k QUALIFY row_number() OVER (PARTITION BY lower(anchor) ORDER BY authority_rank DESC, source_url, link) = 1'
        : 'SELECT * FROM k';
  const [answer] = await rows(
    connection,
    `WITH m AS MATERIALIZED (
       SELECT l.*, d.name, d.authority, d.spam, d.authority_rank FROM (SELECT * FROM links WHERE ${filter}) l JOIN domains d ON d.id = l.source
     ),
     k AS MATERIALIZED (SELECT * FROM m ${conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`}),
     c AS (${candidates}),
     kinds AS (
       SELECT source, regexp_matches('.' || any_value(name), ${sqlText(EDU)}) AS edu, regexp_matches('.' || any_value(name), ${sqlText(GOV)}) AS gov, count(*) AS links
       FROM m GROUP BY source
     ),
     top_domains AS (
       SELECT name, authority, count(*) AS links, count(*) FILTER (WHERE NOT nofollow) AS dofollow,
              arg_min(anchor, (nofollow, -last_seen_order, source_url, link)) AS anchor,
              row_number() OVER (ORDER BY count(*) DESC, authority_rank DESC, name) AS n
       FROM k GROUP BY name, authority, authority_rank ORDER BY n LIMIT ${SUMMARY_DOMAINS}
     ),
     top_anchors AS (
       SELECT lower(trim(arg_min(anchor, link))) AS text, count(*) AS links, row_number() OVER (ORDER BY count(*) DESC, lower(trim(arg_min(anchor, link)))) AS n
       FROM k GROUP BY lower(anchor) ORDER BY n LIMIT ${SUMMARY_ANCHORS}
     ),
     page AS (
       SELECT source_url, name, target_url, anchor, nofollow, authority, spam, first_seen, last_seen,
              row_number() OVER (ORDER BY authority_rank DESC, source_url, link) AS n
       FROM c ORDER BY n LIMIT ${query.limit} OFFSET ${query.offset}
     )
     SELECT
       (SELECT count(*) FROM m) AS links_in, (SELECT count(DISTINCT source) FROM m) AS ref_domains,
       (SELECT count(*) FILTER (WHERE NOT nofollow) FROM m) AS dofollow, (SELECT count(*) FILTER (WHERE nofollow) FROM m) AS nofollow,
       (SELECT coalesce(sum(links) FILTER (WHERE edu), 0) FROM kinds) AS edu_links,
       (SELECT coalesce(sum(links) FILTER (WHERE gov AND NOT edu), 0) FROM kinds) AS gov_links,
       (SELECT count(*) FROM k) AS covered, (SELECT count(DISTINCT source) FROM k) AS domain_count,
       (SELECT count(DISTINCT lower(anchor)) FROM k) AS anchor_count,
       (SELECT count(*) FROM c) AS total,
       (SELECT coalesce(list(top_domains ORDER BY n), []) FROM top_domains) AS top_domains,
       (SELECT coalesce(list(top_anchors ORDER BY n), []) FROM top_anchors) AS top_anchors,
       (SELECT coalesce(list(page ORDER BY n), []) FROM page) AS page`,
  );
  const metrics = answer;
  const summaryDomains = (answer?.top_domains ?? []) as Array<Record<string, unknown>>;
  const summaryAnchors = (answer?.top_anchors ?? []) as Array<Record<string, unknown>>;
  const page = (answer?.page ?? []) as Array<Record<string, unknown>>;
  const total = Number(answer?.total ?? 0);
  const count = (value: unknown) => Number(value ?? 0);
  return {
    metrics: {
      links_in: count(metrics?.links_in),
      ref_domains: count(metrics?.ref_domains),
      dofollow: count(metrics?.dofollow),
      nofollow: count(metrics?.nofollow),
      edu_links: count(metrics?.edu_links),
      gov_links: count(metrics?.gov_links),
    },
    summary: {
      covered_links: count(metrics?.covered),
      covers: 'matching',
      referring_domain_count: count(metrics?.domain_count),
      referring_domains: summaryDomains.map((row) => {
        const authority = optional<number>(row.authority);
        const anchor = (row.anchor as string).trim();
        return {
          domain: row.name as string,
          links: Number(row.links),
          dofollow: Number(row.dofollow),
          ...(authority !== undefined && { authority }),
          ...(anchor !== '' && { anchor }),
        };
      }),
      anchor_count: count(metrics?.anchor_count),
      anchors: summaryAnchors.map((row) => ({ anchor: row.text as string, links: Number(row.links) })),
    },
    backlinks: page.map((row): Backlink => {
      const authority = optional<number>(row.authority);
      const spam = optional<number>(row.spam);
      const first = optional<string>(row.first_seen);
      const last = optional<string>(row.last_seen);
      return {
        source_url: row.source_url as string,
        source_domain: row.name as string,
        target_url: row.target_url as string,
        anchor: row.anchor as string,
        dofollow: !(row.nofollow as boolean),
        ...(authority !== undefined && { authority }),
        ...(spam !== undefined && { spam_score: spam }),
        ...(first !== undefined && { first_seen: first }),
        ...(last !== undefined && { last_seen: last }),
      };
    }),
    total,
  };
}
