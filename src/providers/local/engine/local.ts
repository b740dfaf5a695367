// The local engine's links layout: a links file or a folder of exports as Parquet (domains, pairs,
// links), its queries (gap, intersect, backlinks) are SQL in local-queries.ts. A dataset
// is converted once (local-convert.ts: DuckDB reads a links.csv itself, registrable domains from
// hosts.ts; anything else through the loader's index) into `<cache>/local/<layout>-<identity>/`; later
// processes open those files without reading the source again. DuckDB is imported on first use only.

import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { IntersectRow } from '../../../domain.js';
import type { DatasetFiles, LocalDataset } from '../../local-dataset.js';
import { type DuckDbOptions, openDuckDb, sqlText } from './duckdb.js';
import { convertCsvTables, convertDatasetTables, type LinksSource, NotPlain, type Progress } from './local-convert.js';
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
    // Queries run on native tables where they are cheap to hold (the domains and the (target,
    // referring domain) pairs); the links are read from their Parquet file by row group, its
    // metadata read once. The process that converted keeps the tables it wrote the files from.
    await connection.run('SET parquet_metadata_cache = true');
    const parquet = (name: string) => `read_parquet(${sqlText(join(folder, `${name}.parquet`))})`;
    if (!complete(folder)) {
      await convert(connection, source, folder, options);
      converted = true;
      await connection.run('ALTER TABLE d RENAME TO domains; ALTER TABLE p RENAME TO pairs');
    } else {
      await connection.run(`CREATE TABLE domains AS SELECT * FROM ${parquet('domains')}; CREATE TABLE pairs AS SELECT * FROM ${parquet('pairs')}`);
    }
    await connection.run(`CREATE VIEW links AS SELECT * FROM ${parquet('links')}`);
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
  // Private to this conversion: another process, or another engine in this one, writes its own.
  const partial = `${folder}.partial-${process.pid}-${randomBytes(4).toString('hex')}`;
  const { signal } = options;
  signal?.throwIfAborted();
  const interrupt = () => connection.interrupt();
  signal?.addEventListener('abort', interrupt, { once: true });
  const step = () => signal?.throwIfAborted();
  try {
    mkdirSync(partial, { recursive: true });
    const started = performance.now();
    let links: LinksSource;
    try {
      links = await convertCsvTables(connection, source.files, progress);
    } catch (error) {
      if (!(error instanceof NotPlain)) throw error;
      step();
      await dropHelpers(connection);
      await connection.run('DROP TABLE IF EXISTS d');
      progress('local conversion: reading through the loader', { reason: error.message });
      links = await convertDatasetTables(connection, await source.load(), progress);
    }
    step();
    progress('local conversion: writing Parquet', { folder, milliseconds: Math.round(performance.now() - started) });
    // zstd at its fastest level: most of the writing is compressing the URL and anchor texts, and
    // level 1 costs about half of the default level 3 for files a few per cent larger.
    const write = (query: string, name: string) =>
      connection.run(`COPY (${query}) TO ${sqlText(join(partial, name))} (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1, ROW_GROUP_SIZE 100000)`);
    await write('SELECT id, name, authority, spam, backlinks, referring_domains, authority_rank FROM d ORDER BY id', 'domains.parquet');
    step();
    // The links are sorted once, on their way to the file, and not kept in memory.
    await write(links.sorted ? links.sql : `${links.sql} ORDER BY target, link`, 'links.parquet');
    step();
    await dropHelpers(connection);
    progress('local conversion: links written', { milliseconds: Math.round(performance.now() - started) });
    // Counted from the links file just written: the columns read back cost less than keeping every
    // link in memory to count them.
    const written = `read_parquet(${sqlText(join(partial, 'links.parquet'))})`;
    // Per (target, referring domain): its links, dofollow links, the link that best represents it
    // (dofollow, seen last, source URL, link: as the index picks one) and the first link of each of
    // its first three distinct linking pages (dataset order), so the queries read the details of a
    // page's rows by link id (local-queries.ts) instead of every link of the rows' domains.
    await connection.run(
      `CREATE TEMP TABLE p AS
       WITH firsts AS (SELECT target, source, min(link) AS link FROM ${written} GROUP BY target, source, source_url),
       pages AS (SELECT target, source, min_by(link, link, 3)::INTEGER[] AS page_links FROM firsts GROUP BY target, source),
       counted AS (
         SELECT target, source, count(*)::INTEGER AS links, count(*) FILTER (WHERE NOT nofollow)::INTEGER AS dofollow_links,
                arg_min(link, (nofollow, -last_seen_order, source_url, link))::INTEGER AS best_link
         FROM ${written} GROUP BY target, source
       )
       SELECT c.target, c.source, c.links, c.dofollow_links, c.best_link, pages.page_links FROM counted c JOIN pages USING (target, source) ORDER BY target, source`,
    );
    await write('SELECT * FROM p', 'pairs.parquet');
    step();
  } catch (error) {
    rmSync(partial, { recursive: true, force: true });
    await connection.run('DROP TABLE IF EXISTS d; DROP TABLE IF EXISTS p').catch(() => undefined);
    if (signal?.aborted) throw signal.reason;
    throw error;
  } finally {
    signal?.removeEventListener('abort', interrupt);
    await dropHelpers(connection).catch(() => undefined);
  }
  // Another process may have finished the same conversion first, and be reading its files: they are
  // as good as ours, so they stay. Only a folder left incomplete is replaced.
  if (complete(folder)) {
    rmSync(partial, { recursive: true, force: true });
    return;
  }
  rmSync(folder, { recursive: true, force: true });
  try {
    renameSync(partial, folder);
  } catch (error) {
    // Another process renamed its own folder into place meanwhile.
    rmSync(partial, { recursive: true, force: true });
    if (!complete(folder)) throw error;
  }
}

/** The conversion's working tables, dropped once the links are written (or when it gives up). */
async function dropHelpers(connection: DuckDBConnection): Promise<void> {
  await connection.run(['r', 'l', 'f', 'sh', 'th', 'dt', 'names', 'si', 'ti', 'odd'].map((name) => `DROP TABLE IF EXISTS ${name}`).join('; '));
}
