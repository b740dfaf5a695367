// The local engine's links layout: a links file or a folder of exports as Parquet (domains, pairs,
// links), its queries (gap, intersect, backlinks) are SQL in local-queries.ts. A dataset
// is converted once (local-convert.ts: DuckDB reads a links.csv itself, registrable domains from
// hosts.ts; anything else through the loader's index) into `<cache>/local/<layout>-<identity>/`; later
// processes open those files without reading the source again. DuckDB is imported on first use only.

import { mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { IntersectRow } from '../../../domain.js';
import type { DatasetFiles, LocalDataset } from '../../local-dataset.js';
import { type DuckDbOptions, openDuckDb, sqlText } from './duckdb.js';
import { convertCsvTables, convertDatasetTables, NotPlain, type Progress } from './local-convert.js';
import {
  type BacklinksOfAnswer,
  type BacklinksOfQuery,
  backlinksOf,
  type GapOfAnswer,
  type GapOfQuery,
  gapOf,
  type IntersectOfQuery,
  intersectOf,
  type LooseCache,
} from './local-queries.js';

export type { BacklinksOfAnswer, BacklinksOfQuery, GapOfAnswer, GapOfQuery, GapOfRow, IntersectOfQuery } from './local-queries.js';

/** Bumped when the layout changes, so files written by an older layout are never read. */
const LAYOUT = 'v3';
const FILES = ['domains.parquet', 'pairs.parquet', 'links.parquet'] as const;

export type EngineOptions = DuckDbOptions;

export interface LocalEngine {
  /** True when this process wrote the Parquet files (false: reused from an earlier process). */
  readonly converted: boolean;
  readonly folder: string;
  gapOf(query: GapOfQuery): Promise<GapOfAnswer>;
  intersectOf(query: IntersectOfQuery): Promise<{ results: IntersectRow[]; total: number }>;
  backlinksOf(query: BacklinksOfQuery): Promise<BacklinksOfAnswer>;
  close(): void;
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
    // Queries run on native tables where they are cheap to hold: the domains and the (target,
    // referring domain) pairs always; the links too in the process that converted them (already
    // in memory), else read from their Parquet file by row group, its metadata read once.
    await connection.run('SET parquet_metadata_cache = true');
    const parquet = (name: string) => `read_parquet(${sqlText(join(folder, `${name}.parquet`))})`;
    if (!complete(folder)) {
      await convert(connection, source, folder, options);
      converted = true;
      await connection.run('ALTER TABLE d RENAME TO domains; ALTER TABLE l RENAME TO links; ALTER TABLE p RENAME TO pairs');
    } else {
      await connection.run(
        `CREATE TABLE domains AS SELECT * FROM ${parquet('domains')}; CREATE TABLE pairs AS SELECT * FROM ${parquet('pairs')}; CREATE VIEW links AS SELECT * FROM ${parquet('links')}`,
      );
    }
  } catch (error) {
    connection.closeSync();
    instance.closeSync();
    throw error;
  }
  const looseKeys: LooseCache = new Map();
  return {
    converted,
    folder,
    gapOf: (query) => gapOf(connection, query),
    intersectOf: (query) => intersectOf(connection, looseKeys, query),
    backlinksOf: (query) => backlinksOf(connection, looseKeys, query),
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
    // Both ways of building `l` leave it in (target, link) order already.
    await write('SELECT target, source, link, source_url, target_url, target_host, anchor, nofollow, first_seen, last_seen, last_seen_order FROM l', 'links.parquet');
    step();
    // Per (target, referring domain): its links, dofollow links, the link that best represents it
    // (dofollow, seen last, source URL, link: as the index picks one) and the first link of each of
    // its first three distinct linking pages (dataset order), so the queries read the details of a
    // page's rows by link id (local-queries.ts) instead of every link of the rows' domains.
    await connection.run(
      `CREATE TEMP TABLE p AS
       WITH firsts AS (SELECT target, source, min(link) AS link FROM l GROUP BY target, source, source_url),
       pages AS (SELECT target, source, min_by(link, link, 3)::INTEGER[] AS page_links FROM firsts GROUP BY target, source),
       counted AS (
         SELECT target, source, count(*)::INTEGER AS links, count(*) FILTER (WHERE NOT nofollow)::INTEGER AS dofollow_links,
                arg_min(link, (nofollow, -last_seen_order, source_url, link))::INTEGER AS best_link
         FROM l GROUP BY target, source
       )
       SELECT c.target, c.source, c.links, c.dofollow_links, c.best_link, pages.page_links FROM counted c JOIN pages USING (target, source) ORDER BY target, source`,
    );
    await write('SELECT * FROM p', 'pairs.parquet');
    step();
  } catch (error) {
    rmSync(partial, { recursive: true, force: true });
    await connection.run('DROP TABLE IF EXISTS l; DROP TABLE IF EXISTS d; DROP TABLE IF EXISTS p').catch(() => undefined);
    if (signal?.aborted) throw signal.reason;
    throw error;
  } finally {
    signal?.removeEventListener('abort', interrupt);
    await connection.run('DROP TABLE IF EXISTS r; DROP TABLE IF EXISTS f').catch(() => undefined);
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
