// The local engine's queries: gap, intersect and backlinks as SQL over the links layout (domains,
// pairs, links; see local.ts), answered exactly as the in-memory index answers them (queries.ts).

import type { DuckDBConnection } from '@duckdb/node-api';
import { SUMMARY_ANCHORS, SUMMARY_DOMAINS } from '../../../analysis/backlinks-summary.js';
import type { Backlink, BacklinkMetrics, BacklinksMode, BacklinksSummary, IntersectRow, IntersectSort, LinkingPage, Scope } from '../../../domain.js';
import { hostOf, sourceDomainOf } from '../../../hosts.js';
import { looseUrlKey } from '../../local-dataset.js';
import { rows, sqlText } from './duckdb.js';

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

const optional = <T>(value: unknown): T | undefined => (value === null || value === undefined ? undefined : (value as T));

/** Referring domains linking to at least `minCompetitors` competitors and not to `you`, ranked as
 *  the in-memory index ranks them: competitors, authority, links, name. */
export async function gapOf(connection: DuckDBConnection, query: GapOfQuery): Promise<GapOfAnswer> {
  const names = [...query.competitors, query.you];
  const known = await rows(
    connection,
    `SELECT id, name, EXISTS (SELECT 1 FROM pairs p WHERE p.target = d.id) AS linked FROM domains d WHERE name IN (${names.map(sqlText).join(', ')})`,
  );
  const idOf = new Map(known.map((row) => [row.name as string, row.id as number]));
  const competitorIds = query.competitors.map((name) => idOf.get(name) ?? -1);
  const you = idOf.get(query.you) ?? -1;
  const withLinks = new Set(known.flatMap((row) => (row.linked === true ? [row.id as number] : [])));
  const absent = competitorIds.flatMap((id, position) => (withLinks.has(id) ? [] : [position]));
  const flags = competitorIds.flatMap((id, position) => (id === -1 ? [] : [`(${id}, ${2 ** position})`]));
  if (flags.length === 0) return { rows: [], total: 0, absent, youKnown: you !== -1 };
  const excluded = [...competitorIds, you].filter((id) => id !== -1);

  const ranked = await rows(
    connection,
    `WITH c(target, flag) AS (VALUES ${flags.join(', ')}),
     hits AS (
       SELECT p.source, bit_or(c.flag)::BIGINT AS mask, sum(p.links)::BIGINT AS links, sum(p.dofollow_links) > 0 AS dofollow
       FROM pairs p JOIN c ON p.target = c.target GROUP BY p.source
     )
     SELECT h.source, h.mask, h.links, h.dofollow, d.name, d.authority, d.spam, d.referring_domains, count(*) OVER () AS total
     FROM hits h JOIN domains d ON d.id = h.source
     WHERE bit_count(h.mask) >= ${query.minCompetitors}
       AND h.source NOT IN (${excluded.join(', ')})
       AND h.source NOT IN (SELECT source FROM pairs WHERE target = ${you})
       ${(query.linkingToYou ?? []).length === 0 ? '' : `AND d.name NOT IN (${query.linkingToYou!.map(sqlText).join(', ')})`}
     ORDER BY bit_count(h.mask) DESC, d.authority_rank DESC, h.links DESC, d.name
     LIMIT ${query.limit}`,
  );
  if (ranked.length === 0) return { rows: [], total: 0, absent, youKnown: you !== -1 };
  const total = Number(ranked[0]!.total);
  const sources = ranked.map((row) => row.source as number);

  const detail = await rows(
    connection,
    `WITH c(target, position) AS (VALUES ${competitorIds.flatMap((id, position) => (id === -1 ? [] : [`(${id}, ${position})`])).join(', ')}),
     m AS (SELECT l.*, c.position FROM links l JOIN c ON l.target = c.target WHERE l.source IN (${sources.join(', ')})),
     best AS (
       SELECT *, row_number() OVER (PARTITION BY source, position ORDER BY nofollow, last_seen_order DESC, source_url, link) AS rank,
              count(*) OVER (PARTITION BY source, position) AS per_links,
              count(*) FILTER (WHERE NOT nofollow) OVER (PARTITION BY source, position) AS per_dofollow
       FROM m
     )
     SELECT source, position, per_links, per_dofollow, source_url, anchor, nofollow, first_seen, last_seen FROM best WHERE rank = 1`,
  );
  const pageRows = await rows(
    connection,
    `WITH c(target, position) AS (VALUES ${competitorIds.flatMap((id, position) => (id === -1 ? [] : [`(${id}, ${position})`])).join(', ')}),
     firsts AS (
       SELECT l.source, l.source_url, min(c.position::BIGINT * 4294967296 + l.link) AS seen
       FROM links l JOIN c ON l.target = c.target WHERE l.source IN (${sources.join(', ')})
       GROUP BY l.source, l.source_url
     )
     SELECT source, source_url FROM (
       SELECT *, row_number() OVER (PARTITION BY source ORDER BY seen) AS n FROM firsts
     ) WHERE n <= 3 ORDER BY source, n`,
  );
  const pages = new Map<number, string[]>();
  for (const row of pageRows) {
    const list = pages.get(row.source as number) ?? [];
    list.push(row.source_url as string);
    pages.set(row.source as number, list);
  }
  const perCompetitor = new Map<number, GapOfRow['byCompetitor']>();
  for (const row of detail) {
    const map = perCompetitor.get(row.source as number) ?? new Map();
    const anchor = row.anchor as string;
    const first = optional<string>(row.first_seen);
    const last = optional<string>(row.last_seen);
    map.set(row.position as number, {
      links: Number(row.per_links),
      dofollow_links: Number(row.per_dofollow),
      page: {
        url: row.source_url as string,
        ...(anchor !== '' && { anchor }),
        rel: { nofollow: row.nofollow as boolean },
        ...(first !== undefined && { first_seen: first }),
        ...(last !== undefined && { last_seen: last }),
      },
    });
    perCompetitor.set(row.source as number, map);
  }
  return {
    total,
    absent,
    youKnown: you !== -1,
    rows: ranked.map((row): GapOfRow => {
      const mask = Number(row.mask);
      const authority = optional<number>(row.authority);
      const spam = optional<number>(row.spam);
      const referring = optional<number>(row.referring_domains);
      return {
        domain: row.name as string,
        ...(authority !== undefined && { authority }),
        ...(spam !== undefined && { spam_score: spam }),
        ...(referring !== undefined && { referring_domains: referring }),
        competitors: query.competitors.flatMap((_, position) => ((mask & (2 ** position)) !== 0 ? [position] : [])),
        links: Number(row.links),
        dofollow: row.dofollow as boolean,
        pages: pages.get(row.source as number) ?? [],
        byCompetitor: perCompetitor.get(row.source as number) ?? new Map(),
      };
    }),
  };
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

/** A target's backlinks, filtered, one per domain or anchor or as they are, with the index's metrics and summary. */
export async function backlinksOf(connection: DuckDBConnection, cache: LooseCache, query: BacklinksOfQuery): Promise<BacklinksOfAnswer> {
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
