// The local engine's links layout: a links file or exports as Parquet (domains, pairs, links).
// A dataset is converted once (from the index the loader builds, so registrable domains come from
// tldts, never from SQL string stripping) into `<cache>/local/<dataset identity>/`; later processes
// open those files without reading the source again. DuckDB is imported on first use only.

import { mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { LinkingPage } from '../../../domain.js';
import type { DatasetFiles, LocalDataset } from '../../local-dataset.js';
import { type DuckDbOptions, openDuckDb, rows, sqlText } from './duckdb.js';
import { convertCsvTables, convertDatasetTables, NotPlain, type Progress } from './local-convert.js';

/** Bumped when the layout changes, so files written by an older layout are never read. */
const LAYOUT = 'v2';
const FILES = ['domains.parquet', 'pairs.parquet', 'links.parquet'] as const;

export type EngineOptions = DuckDbOptions;

export interface LocalEngine {
  /** True when this process wrote the Parquet files (false: reused from an earlier process). */
  readonly converted: boolean;
  readonly folder: string;
  gapOf(query: GapOfQuery): Promise<GapOfAnswer>;
  close(): void;
}

export interface GapOfQuery {
  /** Target registrable domains of the competitors, in order (a bit each). */
  competitors: string[];
  you: string;
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

/** Where a dataset of this identity lives (a folder that exists only once complete). */
export function parquetFolder(cacheDir: string, identity: string): string {
  return join(cacheDir, 'local', `${LAYOUT}-${identity}`);
}

function complete(folder: string): boolean {
  return FILES.every((name) => {
    try {
      return statSync(join(folder, name)).isFile();
    } catch {
      return false;
    }
  });
}

/** What a dataset is made of: its files, and the loader's index of it for what DuckDB does not read itself. */
export interface EngineSource {
  files: DatasetFiles;
  load: () => Promise<LocalDataset>;
}

export interface OpenOptions {
  /** Cancels a conversion under way: DuckDB is interrupted and the partial folder removed. */
  signal?: AbortSignal;
  /** Conversion steps, as log lines. */
  progress?: Progress;
}

/**
 * Opens the engine over the Parquet files of `identity`, converting the dataset first when they are
 * missing (a changed dataset has another identity, so it is converted again).
 */
export async function openLocalEngine(identity: string, source: EngineSource, options: EngineOptions & OpenOptions = { cacheDir: '' }): Promise<LocalEngine> {
  const folder = parquetFolder(options.cacheDir, identity);
  const { instance, connection } = await openDuckDb(options);
  let converted = false;
  try {
    if (!complete(folder)) {
      await convert(connection, source, folder, options);
      converted = true;
    }
    for (const name of FILES) {
      await connection.run(`CREATE VIEW ${name.replace('.parquet', '')} AS SELECT * FROM read_parquet(${sqlText(join(folder, name))})`);
    }
  } catch (error) {
    connection.closeSync();
    instance.closeSync();
    throw error;
  }
  return {
    converted,
    folder,
    gapOf: (query) => gapOf(connection, query),
    close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

/** Writes the three files into a private folder, then renames it into place (readers never see half). */
async function convert(connection: DuckDBConnection, source: EngineSource, folder: string, options: OpenOptions): Promise<void> {
  const progress = options.progress ?? (() => {});
  const partial = `${folder}.partial-${process.pid}`;
  const { signal } = options;
  signal?.throwIfAborted();
  const interrupt = () => connection.interrupt();
  signal?.addEventListener('abort', interrupt, { once: true });
  const step = () => signal?.throwIfAborted();
  try {
    rmSync(partial, { recursive: true, force: true });
    mkdirSync(partial, { recursive: true });
    const started = performance.now();
    try {
      await convertCsvTables(connection, source.files, progress);
    } catch (error) {
      if (!(error instanceof NotPlain)) throw error;
      step();
      await connection.run('DROP TABLE IF EXISTS r; DROP TABLE IF EXISTS l; DROP TABLE IF EXISTS d; DROP TABLE IF EXISTS f');
      progress('local conversion: reading through the loader', { reason: error.message });
      await convertDatasetTables(connection, await source.load(), progress);
    }
    step();
    progress('local conversion: writing Parquet', { folder, milliseconds: Math.round(performance.now() - started) });
    const write = (query: string, name: string) =>
      connection.run(`COPY (${query}) TO ${sqlText(join(partial, name))} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 100000)`);
    await write('SELECT id, name, authority, spam, backlinks, referring_domains, authority_rank FROM d ORDER BY id', 'domains.parquet');
    step();
    await write(
      'SELECT target, source, link, source_url, target_url, target_host, anchor, nofollow, first_seen, last_seen, last_seen_order FROM l ORDER BY target, link',
      'links.parquet',
    );
    step();
    await write(
      'SELECT target, source, count(*)::INTEGER AS links, count(*) FILTER (WHERE NOT nofollow)::INTEGER AS dofollow_links FROM l GROUP BY target, source ORDER BY target, source',
      'pairs.parquet',
    );
    step();
  } catch (error) {
    rmSync(partial, { recursive: true, force: true });
    if (signal?.aborted) throw signal.reason;
    throw error;
  } finally {
    signal?.removeEventListener('abort', interrupt);
    await connection.run('DROP TABLE IF EXISTS l; DROP TABLE IF EXISTS d; DROP TABLE IF EXISTS r; DROP TABLE IF EXISTS f').catch(() => undefined);
  }
  rmSync(folder, { recursive: true, force: true });
  try {
    renameSync(partial, folder);
  } catch (error) {
    // Another process finished the same conversion first: its files are as good as ours.
    rmSync(partial, { recursive: true, force: true });
    if (!complete(folder)) throw error;
  }
}

const optional = <T>(value: unknown): T | undefined => (value === null || value === undefined ? undefined : (value as T));

/** Referring domains linking to at least `minCompetitors` competitors and not to `you`, ranked as
 *  the in-memory index ranks them: competitors, authority, links, name. */
async function gapOf(connection: DuckDBConnection, query: GapOfQuery): Promise<GapOfAnswer> {
  const names = [...query.competitors, query.you];
  const known = await rows(connection, `SELECT id, name FROM domains WHERE name IN (${names.map(sqlText).join(', ')})`);
  const idOf = new Map(known.map((row) => [row.name as string, row.id as number]));
  const competitorIds = query.competitors.map((name) => idOf.get(name) ?? -1);
  const you = idOf.get(query.you) ?? -1;
  const present = await rows(
    connection,
    `SELECT DISTINCT target FROM pairs WHERE target IN (${[...competitorIds, you].join(', ')})`,
  );
  const withLinks = new Set(present.map((row) => row.target as number));
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
