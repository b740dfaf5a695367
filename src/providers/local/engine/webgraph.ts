// The web graph layout: a Common Crawl hyperlink graph release (gzipped tab-separated vertices,
// edges and ranks) converted once by DuckDB itself into Parquet under
// `<cache>/webgraph/<release>-<level>/`, and the gap, intersect and backlinks queries over it.
// Registrable domains come from the public suffix list (hosts.ts, tldts), computed once per distinct
// vertex name at conversion. Layout and reasons are in the README ("Common Crawl web graph").

import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, linkSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { createGunzip } from 'node:zlib';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { UsageError } from '../../../errors.js';
import { memoryLimit as defaultMemoryLimit, openDuckDb, rows, sqlText } from './duckdb.js';
import { rankSources, readSortedInt32ByKey, SourceLists } from './source-lists.js';
import {
  type ImportedRelease,
  releaseFolder,
  WEBGRAPH_LAYOUT,
  type WebGraphLevel,
  type WebGraphManifest,
  webgraphRoot,
} from './webgraph-releases.js';

export { chooseRelease, type ImportedRelease, importedReleases, type WebGraphLevel, type WebGraphManifest } from './webgraph-releases.js';

const ROW_GROUP = 122_880;
const PARQUET = `(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${ROW_GROUP})`;
/** Files of a complete release folder (host-links.parquet only at the host level). */
const FILES = ['sites.parquet', 'site-names.parquet', 'vertices.parquet', 'links.parquet'] as const;

export interface ImportProgress {
  /** What is being done: reading vertices, naming sites (public suffix list), ranks, edges, writing. */
  phase: 'vertices' | 'names' | 'ranks' | 'edges' | 'writing';
  /** Rows done in this phase (counted exactly for names; as DuckDB reports them while a statement runs). */
  done: number;
  total?: number;
  /** How far DuckDB's running statement is, 0-100, where it can tell (for a gzipped file: by bytes read). */
  percent?: number;
}

export interface ImportOptions {
  cacheDir: string;
  /** Which level's files to import; default domain when the folder has it, else host. */
  level?: WebGraphLevel;
  /** Release name (file prefix); default the only one in the folder. */
  release?: string;
  /** DuckDB memory_limit for the conversion; default a quarter of the machine, at most 3 GB. */
  memoryLimit?: string;
  onProgress?: (progress: ImportProgress) => void;
  signal?: AbortSignal;
}

export interface ImportResult extends ImportedRelease {
  /** False when the same files were imported before and their Parquet was reused. */
  converted: boolean;
}

interface ReleaseFiles {
  release: string;
  level: WebGraphLevel;
  vertices: string[];
  edges: string[];
  ranks?: string;
}

const FILE_NAME = /^(.+)-(domain|host)-(vertices|edges|ranks)(?:[-_.](\d+))?\.(txt|paths)\.gz$/;

/** `dir/vertices/*.txt.gz` (or edges): a level split into parts, each part where its listed path puts it. */
function partsIn(dir: string, kind: 'vertices' | 'edges'): string[] {
  try {
    return readdirSync(join(dir, kind))
      .filter((name) => name.endsWith('.txt.gz'))
      .sort()
      .map((name) => join(dir, kind, name));
  } catch {
    return [];
  }
}

/** The release's files in `dir`, named as Common Crawl publishes them: one file per kind
 *  (numbered parts allowed), or a level split into parts under `vertices/` and `edges/`. */
export function releaseFiles(dir: string, level?: WebGraphLevel, release?: string): ReleaseFiles {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    throw new UsageError('invalid_input', `${dir} is not a folder that can be read: give the folder holding the release's .txt.gz files.`);
  }
  const found = names.flatMap((name) => {
    const match = FILE_NAME.exec(name);
    return match === null
      ? []
      : [{ name, release: match[1]!, level: match[2] as WebGraphLevel, kind: match[5] === 'paths' ? `${match[3]}-paths` : match[3]!, part: Number(match[4] ?? -1) }];
  });
  const releases = [...new Set(found.map((file) => file.release))].sort();
  const chosen = release ?? (releases.length === 1 ? releases[0] : undefined);
  if (chosen === undefined) {
    throw new UsageError(
      'invalid_input',
      releases.length === 0
        ? `No Common Crawl web graph files in ${dir}: expected <release>-domain-vertices.txt.gz, <release>-domain-edges.txt.gz and <release>-domain-ranks.txt.gz (or -host-).`
        : `${dir} holds several releases (${releases.join(', ')}): say which with --release.`,
    );
  }
  const ofRelease = found.filter((file) => file.release === chosen);
  const levels = new Set(ofRelease.map((file) => file.level));
  const chosenLevel = level ?? (levels.has('domain') ? 'domain' : levels.has('host') ? 'host' : undefined);
  const pick = (kind: string) =>
    ofRelease
      .filter((file) => file.level === chosenLevel && file.kind === kind)
      .sort((left, right) => left.part - right.part)
      .map((file) => join(dir, file.name));
  const vertices = pick('vertices').length > 0 ? pick('vertices') : partsIn(dir, 'vertices');
  const edges = pick('edges').length > 0 ? pick('edges') : partsIn(dir, 'edges');
  if (chosenLevel === undefined || vertices.length === 0 || edges.length === 0) {
    throw new UsageError(
      'invalid_input',
      `${dir} lacks ${chosen}-${chosenLevel ?? level ?? 'domain'}-vertices.txt.gz or -edges.txt.gz: download both (and -ranks.txt.gz) for that level.`,
    );
  }
  const ranks = pick('ranks')[0];
  return { release: chosen, level: chosenLevel, vertices, edges, ...(ranks !== undefined && { ranks }) };
}

function sourceOf(files: ReleaseFiles): WebGraphManifest['source'] {
  return [...files.vertices, ...files.edges, ...(files.ranks === undefined ? [] : [files.ranks])].map((file) => {
    const info = statSync(file);
    return { file: resolve(file), size: info.size, mtime: info.mtime.toISOString() };
  });
}

function identityOf(source: WebGraphManifest['source']): string {
  return createHash('sha256')
    .update(source.map((entry) => `${entry.file}:${entry.size}:${entry.mtime}`).join('\n'))
    .digest('hex')
    .slice(0, 16);
}

function readManifest(folder: string): WebGraphManifest | undefined {
  try {
    const manifest = JSON.parse(readFileSync(join(folder, 'release.json'), 'utf8')) as WebGraphManifest;
    const complete = FILES.every((name) => statSync(join(folder, name)).isFile());
    return manifest.layout === WEBGRAPH_LAYOUT && complete ? manifest : undefined;
  } catch {
    return undefined;
  }
}

/** The first line of a gzipped file (to see the column count and the ranks header). */
async function firstLine(file: string): Promise<string> {
  const stream = createReadStream(file).pipe(createGunzip());
  let text = '';
  try {
    for await (const chunk of stream) {
      text += (chunk as Buffer).toString('utf8');
      const end = text.indexOf('\n');
      if (end !== -1) return text.slice(0, end).replace(/\r$/, '');
      if (text.length > 1 << 16) break;
    }
  } finally {
    stream.destroy();
  }
  return text;
}

const csv = (files: string[], columns: Array<[string, string]>, skip = 0) =>
  `read_csv([${files.map(sqlText).join(', ')}], delim = '\t', header = false, quote = '', escape = '', auto_detect = false, compression = 'gzip', skip = ${skip}, columns = {${columns.map(([name, type]) => `${sqlText(name)}: ${sqlText(type)}`).join(', ')}})`;

const RANK_TYPES: Record<string, string> = {
  harmonicc_pos: 'BIGINT',
  harmonicc_val: 'DOUBLE',
  pr_pos: 'BIGINT',
  pr_val: 'DOUBLE',
  host_rev: 'VARCHAR',
  n_hosts: 'BIGINT',
};

/** A vertex name as a host: reversed back (`com.example.www` → `www.example.com`), lowercase, no
 *  empty labels (a trailing dot). */
export function hostOfReversed(reversed: string): string {
  return reversed
    .toLowerCase()
    .split('.')
    .filter((label) => label !== '')
    .reverse()
    .join('.');
}

/**
 * Converts the release in `dir` into Parquet under `<cacheDir>/webgraph/<release>-<level>/`, once:
 * the same files (path, size, modification time) are not converted again; changed files are. The
 * Parquet is written into a private folder and renamed into place, so readers never see half of it;
 * a cancelled import (signal) stops DuckDB and removes that folder.
 */
export async function importRelease(dir: string, options: ImportOptions): Promise<ImportResult> {
  const files = releaseFiles(dir, options.level, options.release);
  const source = sourceOf(files);
  const identity = identityOf(source);
  const folder = releaseFolder(options.cacheDir, files.release, files.level);
  const existing = readManifest(folder);
  if (existing?.identity === identity) return { folder, manifest: existing, converted: false };
  options.signal?.throwIfAborted();

  const started = performance.now();
  mkdirSync(webgraphRoot(options.cacheDir), { recursive: true });
  const partial = `${folder}.partial-${process.pid}-${randomBytes(3).toString('hex')}`;
  const limit = options.memoryLimit ?? `${Math.min(3072, Number.parseInt(defaultMemoryLimit(undefined), 10))}MB`;
  const { instance, connection } = await openDuckDb({ cacheDir: options.cacheDir, memoryLimit: limit });
  const stop = () => connection.interrupt();
  options.signal?.addEventListener('abort', stop, { once: true });
  let watching: NodeJS.Timeout | undefined;
  const watch = (phase: ImportProgress['phase'], total?: number) => {
    clearInterval(watching);
    options.onProgress?.({ phase, done: 0, ...(total !== undefined && { total }) });
    // Names are counted in JS as they are computed; DuckDB's progress is for its own statements.
    if (options.onProgress === undefined || phase === 'names') return;
    watching = setInterval(() => {
      const progress = connection.progress;
      const done = Number(progress.rows_processed);
      const percent = progress.percentage >= 0 ? Math.min(100, Math.round(progress.percentage * 10) / 10) : undefined;
      if (done > 0 || percent !== undefined) {
        options.onProgress?.({ phase, done, ...(total !== undefined && { total }), ...(percent !== undefined && { percent }) });
      }
    }, 250);
    watching.unref();
  };
  try {
    mkdirSync(partial, { recursive: true });
    // Rows done while a statement runs (connection.progress) are tracked only with the progress bar on.
    await connection.run('SET enable_progress_bar = true');
    await connection.run('SET enable_progress_bar_print = false');
    const counts = await convert(instance, connection, files, partial, options, watch);
    clearInterval(watching);
    options.signal?.throwIfAborted();
    const manifest: WebGraphManifest = {
      layout: WEBGRAPH_LAYOUT,
      release: files.release,
      level: files.level,
      identity,
      source,
      ...counts,
      converted_at: new Date().toISOString(),
      seconds: Math.round((performance.now() - started) / 100) / 10,
    };
    writeFileSync(join(partial, 'release.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    // Swap: the previous import of this release and level (other files) steps aside, then goes.
    const old = `${folder}.old-${process.pid}-${randomBytes(3).toString('hex')}`;
    let moved = false;
    try {
      renameSync(folder, old);
      moved = true;
    } catch {
      // Nothing imported there before.
    }
    try {
      renameSync(partial, folder);
    } catch (error) {
      if (moved) renameSync(old, folder); // the previous import stays usable
      throw error;
    }
    if (moved) rmSync(old, { recursive: true, force: true });
    return { folder, manifest, converted: true };
  } catch (error) {
    rmSync(partial, { recursive: true, force: true });
    if (options.signal?.aborted) throw options.signal.reason ?? error;
    throw error;
  } finally {
    clearInterval(watching);
    options.signal?.removeEventListener('abort', stop);
    connection.closeSync();
    instance.closeSync();
  }
}

type Counts = Pick<WebGraphManifest, 'vertices' | 'sites' | 'links' | 'edges' | 'internal_edges'>;

async function convert(
  instance: DuckDBInstance,
  connection: DuckDBConnection,
  files: ReleaseFiles,
  partial: string,
  options: ImportOptions,
  watch: (phase: ImportProgress['phase'], total?: number) => void,
): Promise<Counts> {
  const run = (sql: string) => connection.run(sql);
  const count = async (sql: string) => Number((await rows(connection, sql))[0]!.n);
  const out = (name: string) => sqlText(join(partial, name));

  // Vertices: `id \t reversed name` plus `\t n_hosts` on the domain level.
  const columns = (await firstLine(files.vertices[0]!)).split('\t').length;
  watch('vertices');
  await run(
    `CREATE TABLE v AS SELECT * FROM ${csv(files.vertices, columns >= 3 ? [['id', 'INTEGER'], ['rev', 'VARCHAR'], ['n_hosts', 'BIGINT']] : [['id', 'INTEGER'], ['rev', 'VARCHAR']])}`,
  );
  if (columns < 3) await run('ALTER TABLE v ADD COLUMN n_hosts BIGINT');
  const vertexCount = await count('SELECT count(*) AS n FROM v');

  // Sites: the registrable domain of every distinct name, by the public suffix list, in JS
  // (tldts), streamed from one connection and appended through another.
  watch('names', vertexCount);
  const { domainOfHost } = await import('../../../hosts.js');
  await run('CREATE TABLE n (id INTEGER, name VARCHAR, site VARCHAR)');
  const appending = await instance.connect();
  try {
    const appender = await appending.createAppender('n');
    const result = await connection.stream('SELECT id, rev FROM v');
    let done = 0;
    for (;;) {
      const chunk = await result.fetchChunk();
      if (chunk === null || chunk.rowCount === 0) break;
      const ids = chunk.getColumnValues(0) as number[];
      const reversed = chunk.getColumnValues(1) as string[];
      for (let index = 0; index < ids.length; index++) {
        const host = hostOfReversed(reversed[index]!);
        appender.appendInteger(ids[index]!);
        appender.appendVarchar(host);
        appender.appendVarchar(host === '' ? '' : domainOfHost(host));
        appender.endRow();
      }
      done += ids.length;
      if ((done & 0xffff) < ids.length) {
        options.onProgress?.({ phase: 'names', done, total: vertexCount });
        options.signal?.throwIfAborted();
      }
    }
    appender.closeSync();
  } finally {
    appending.closeSync();
  }
  options.signal?.throwIfAborted();

  // Ranks (optional): matched to vertices by reversed name, as the file has no id column.
  if (files.ranks !== undefined) {
    watch('ranks', vertexCount);
    const header = (await firstLine(files.ranks)).split('\t').map((name) => name.replace(/^#/, '').trim());
    const rankColumns = header.map((name, index): [string, string] => [name === '' ? `column${index}` : name, RANK_TYPES[name] ?? 'VARCHAR']);
    if (!header.includes('host_rev') || !header.includes('harmonicc_pos')) {
      throw new UsageError('invalid_input', `${files.ranks} does not start with the ranks header (#harmonicc_pos #harmonicc_val #pr_pos #pr_val #host_rev ...).`);
    }
    const pick = (name: string, type: string) => (header.includes(name) ? `${name}::${type}` : `NULL::${type}`);
    await run(
      `CREATE TABLE k AS SELECT host_rev, ${pick('harmonicc_pos', 'INTEGER')} AS hc_pos, ${pick('harmonicc_val', 'DOUBLE')} AS hc_val, ${pick('pr_pos', 'INTEGER')} AS pr_pos, ${pick('pr_val', 'DOUBLE')} AS pr_val FROM ${csv([files.ranks], rankColumns, 1)}`,
    );
  } else {
    await run('CREATE TABLE k (host_rev VARCHAR, hc_pos INTEGER, hc_val DOUBLE, pr_pos INTEGER, pr_val DOUBLE)');
  }
  await run(
    'CREATE TABLE vr AS SELECT v.id, n.name, n.site, v.n_hosts, k.hc_pos, k.hc_val, k.pr_pos, k.pr_val FROM v JOIN n ON n.id = v.id LEFT JOIN k ON k.host_rev = v.rev',
  );
  await run('DROP TABLE v');
  await run('DROP TABLE n');
  await run('DROP TABLE k');
  // Site ids in rank order (best harmonic centrality first, unranked last): ORDER BY site_id is
  // ORDER BY authority, and authority is monotone in site_id.
  await run(
    `CREATE TABLE s AS SELECT (row_number() OVER (ORDER BY hc_pos NULLS LAST, site) - 1)::INTEGER AS site_id, * FROM (
       SELECT site, count(*)::INTEGER AS vertices, sum(n_hosts)::BIGINT AS n_hosts, min(hc_pos) AS hc_pos, max(hc_val) AS hc_val,
              min(pr_pos) AS pr_pos, max(pr_val) AS pr_val
       FROM vr GROUP BY site)`,
  );
  await run('CREATE TABLE m AS SELECT vr.id, s.site_id FROM vr JOIN s ON s.site = vr.site');
  const siteCount = await count('SELECT count(*) AS n FROM s');
  options.signal?.throwIfAborted();

  // Edges: `from_id \t to_id`, mapped to sites; links inside one site are dropped (internal).
  watch('edges');
  const edgesCsv = csv(files.edges, [['from_id', 'INTEGER'], ['to_id', 'INTEGER']]);
  let edgeCount: number;
  let internal: number;
  if (files.level === 'host' || siteCount !== vertexCount) {
    await run(
      `CREATE TABLE e AS SELECT t.site_id AS target, f.site_id AS source, e.to_id AS target_vertex FROM ${edgesCsv} e JOIN m f ON f.id = e.from_id JOIN m t ON t.id = e.to_id`,
    );
    edgeCount = await count('SELECT count(*) AS n FROM e');
    internal = await count('SELECT count(*) AS n FROM e WHERE target = source');
    watch('writing');
    await run(
      `COPY (SELECT target, source, count(*)::INTEGER AS edges FROM e WHERE target <> source GROUP BY target, source ORDER BY target, source) TO ${out('links.parquet')} ${PARQUET}`,
    );
    if (files.level === 'host') {
      await run(
        `COPY (SELECT target_vertex AS target, source, count(*)::INTEGER AS edges FROM e WHERE target <> source GROUP BY target_vertex, source ORDER BY target, source) TO ${out('host-links.parquet')} ${PARQUET}`,
      );
    }
    await run('DROP TABLE e');
  } else {
    // One vertex per site (the usual domain level): no aggregation needed, one pass over the edges.
    await run(
      `COPY (SELECT t.site_id AS target, f.site_id AS source, 1::INTEGER AS edges FROM ${edgesCsv} e JOIN m f ON f.id = e.from_id JOIN m t ON t.id = e.to_id WHERE f.site_id <> t.site_id ORDER BY target, source) TO ${out('links.parquet')} ${PARQUET}`,
    );
    const linkRows = await count(`SELECT count(*) AS n FROM read_parquet(${out('links.parquet')})`);
    // Edges whose ends are one site (self-links) are the only ones left out.
    edgeCount = linkRows;
    internal = 0;
  }
  options.signal?.throwIfAborted();

  watch('writing');
  const links = `read_parquet(${out('links.parquet')})`;
  const linkCount = await count(`SELECT count(*) AS n FROM ${links}`);
  const level = Math.max(2, vertexCount);
  await run(
    `COPY (
       SELECT s.site_id, s.site, s.vertices, s.n_hosts, s.hc_pos AS harmonicc_pos, s.hc_val AS harmonicc_val, s.pr_pos, s.pr_val,
              CASE WHEN s.hc_pos IS NULL THEN NULL ELSE round(greatest(0, 100 * (1 - ln(s.hc_pos) / ln(${level}))), 1)::DOUBLE END AS authority,
              coalesce(r.referring_domains, 0)::INTEGER AS referring_domains
       FROM s LEFT JOIN (SELECT target, count(*) AS referring_domains FROM ${links} GROUP BY target) r ON r.target = s.site_id
       ORDER BY s.site_id) TO ${out('sites.parquet')} ${PARQUET}`,
  );
  // Small row groups: a name lookup decodes one of them.
  await run(`COPY (SELECT site, site_id FROM s ORDER BY site) TO ${out('site-names.parquet')} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 8192)`);
  await run(
    `COPY (SELECT vr.id, vr.name, m.site_id, vr.n_hosts, vr.hc_pos AS harmonicc_pos, vr.hc_val AS harmonicc_val, vr.pr_pos, vr.pr_val
           FROM vr JOIN m ON m.id = vr.id ORDER BY vr.name) TO ${out('vertices.parquet')} ${PARQUET}`,
  );
  return { vertices: vertexCount, sites: siteCount, links: linkCount, edges: edgeCount, internal_edges: internal };
}

// ---- queries ----------------------------------------------------------------------------------

/** A site as the graph knows it: ranks kept, authority derived from the harmonic-centrality position. */
export interface GraphSite {
  id: number;
  name: string;
  harmonicPosition?: number;
  harmonicValue?: number;
  pagerankPosition?: number;
  pagerankValue?: number;
  /** 100·(1 − ln(harmonic position) / ln(vertices of the level)), one decimal; absent when unranked. */
  authority?: number;
  /** Sites linking to this one. */
  referringDomains: number;
}

/** A target: a registrable domain (a site), or at the host level a host name. */
export interface GraphTarget {
  name: string;
  kind: 'site' | 'host';
}

export interface GraphGapRow {
  site: GraphSite;
  /** Positions of the competitors this site links to. */
  competitors: number[];
}

export interface WebGraph {
  readonly manifest: WebGraphManifest;
  readonly folder: string;
  /** Referring sites linking to at least `minCompetitors` competitors and not to `you`, strongest first. */
  gapOf(query: { competitors: string[]; you: string; minCompetitors: number; limit: number }): Promise<{
    rows: GraphGapRow[];
    total: number;
    /** Competitor positions the graph has no in-links for. */
    absent: number[];
    youKnown: boolean;
  }>;
  /** Sources linking to at least `minMatching` positives and no negative, by authority or by count. */
  intersectOf(query: {
    positives: GraphTarget[];
    negatives: GraphTarget[];
    minMatching: number;
    byCount: boolean;
    limit: number;
    offset: number;
  }): Promise<{ rows: Array<{ site: GraphSite; matching: number[] }>; total: number; unknown: GraphTarget[] }>;
  /** Referring sites of a target, strongest first. */
  backlinksOf(query: { target: GraphTarget; limit: number; offset: number; minAuthority?: number }): Promise<{
    known: boolean;
    rows: Array<{ site: GraphSite; edges: number }>;
    /** Referring sites passing the filters, and before them. */
    total: number;
    referringDomains: number;
    edges: number;
  }>;
  close(): void;
}

const optionalNumber = (value: unknown): number | undefined => (value === null || value === undefined ? undefined : Number(value));

function siteOf(row: Record<string, unknown>): GraphSite {
  const site: GraphSite = { id: Number(row.site_id), name: String(row.site), referringDomains: Number(row.referring_domains ?? 0) };
  const figures: Array<[keyof GraphSite, unknown]> = [
    ['harmonicPosition', row.harmonicc_pos],
    ['harmonicValue', row.harmonicc_val],
    ['pagerankPosition', row.pr_pos],
    ['pagerankValue', row.pr_val],
    ['authority', row.authority],
  ];
  for (const [key, value] of figures) {
    const number = optionalNumber(value);
    if (number !== undefined) (site as unknown as Record<string, number>)[key] = key === 'authority' ? Math.round(number * 10) / 10 : number;
  }
  return site;
}

/** A target found in the graph: its id, and the file its in-links are in. */
interface Resolved {
  table: 'links' | '"host-links"';
  id: number;
}

const fromOf = (target: Resolved) => `FROM ${target.table} WHERE target = ${target.id}`;

/** Memory for decoded source lists kept between queries of one graph. */
const SOURCE_CACHE_BYTES = 128 * 1024 * 1024;

const SITE_COLUMNS = 'site_id, site, harmonicc_pos, harmonicc_val, pr_pos, pr_val, authority, referring_domains';

/** Opens the queries over an imported release folder (DuckDB loads here, on first use). Memory is
 *  bounded by `memoryLimit`, by default a quarter of the machine and at most 768 MB: a query reads a
 *  few row groups, so more only fills DuckDB's caches. */
export async function openWebGraph(imported: ImportedRelease, options: { cacheDir: string; memoryLimit?: string }): Promise<WebGraph> {
  const limit = options.memoryLimit ?? `${Math.min(768, Number.parseInt(defaultMemoryLimit(undefined), 10))}MB`;
  const { folder, manifest } = imported;
  const names = [...FILES, ...(manifest.level === 'host' ? (['host-links.parquet'] as const) : [])];
  const pinned = pinFiles(folder, names);
  let instance: DuckDBInstance;
  let connection: DuckDBConnection;
  try {
    ({ instance, connection } = await openDuckDb({ cacheDir: options.cacheDir, memoryLimit: limit }));
  } catch (error) {
    pinned.release();
    throw error;
  }
  const file = (name: string) => sqlText(join(pinned.folder, name));
  // One statement at a time on the connection: concurrent calls (two tools at once) queue here.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work, work);
    queue = next.catch(() => undefined);
    return next;
  };
  const select = (sql: string) => serial(() => rows(connection, sql));
  try {
    await connection.run('SET parquet_metadata_cache = true');
    for (const name of names) {
      await connection.run(`CREATE VIEW "${name.replace('.parquet', '')}" AS SELECT * FROM read_parquet(${file(name)})`);
    }
  } catch (error) {
    connection.closeSync();
    instance.closeSync();
    pinned.release();
    throw error;
  }

  // Names asked before (competitors asked again) are not looked up again: -1 marks a name not there.
  const idOfName = new Map<string, number>();
  const sitesByName = async (names: string[]): Promise<Map<string, number>> => {
    const missing = [...new Set(names)].filter((name) => !idOfName.has(name));
    if (missing.length > 0) {
      // One scan: DuckDB (1.5) matches the IN list against each row group's min/max and reads only the
      // groups a name may fall in (about half the time of one equality scan per name, at 100M edges).
      const found = await select(`SELECT site, site_id FROM "site-names" WHERE site IN (${missing.map(sqlText).join(', ')})`);
      if (idOfName.size + missing.length > 50_000) idOfName.clear();
      for (const name of missing) idOfName.set(name, -1);
      for (const row of found) idOfName.set(String(row.site), Number(row.site_id));
    }
    const out = new Map<string, number>();
    for (const name of names) {
      const id = idOfName.get(name);
      if (id !== undefined && id !== -1) out.set(name, id);
    }
    return out;
  };
  const hostsByName = async (names: string[]): Promise<Map<string, number>> => {
    if (names.length === 0 || manifest.level !== 'host') return new Map();
    const found = await select(`SELECT name, id FROM vertices WHERE name IN (${[...new Set(names)].map(sqlText).join(', ')})`);
    return new Map(found.map((row) => [String(row.name), Number(row.id)]));
  };
  // Sites read before are kept (up to 50,000): a page of prospects asked again reads nothing.
  const siteById = new Map<number, GraphSite>();
  const sitesById = async (ids: number[]): Promise<Map<number, GraphSite>> => {
    const missing = [...new Set(ids)].filter((id) => !siteById.has(id));
    if (missing.length > 0) {
      // The range lets DuckDB skip the row groups outside it; ids of one answer are mostly close (rank order).
      const found = await select(
        `SELECT ${SITE_COLUMNS} FROM sites WHERE site_id BETWEEN ${Math.min(...missing)} AND ${Math.max(...missing)} AND site_id IN (${missing.join(', ')})`,
      );
      if (siteById.size + found.length > 50_000) siteById.clear();
      for (const row of found) siteById.set(Number(row.site_id), siteOf(row));
    }
    const out = new Map<number, GraphSite>();
    for (const id of ids) {
      const site = siteById.get(id);
      if (site !== undefined) out.set(id, site);
    }
    return out;
  };
  /** Each target's rows: a site's in links, a host's in host-links; undefined when not in the graph. */
  const resolveTargets = async (targets: GraphTarget[]): Promise<Array<Resolved | undefined>> => {
    const sites = await sitesByName(targets.filter((target) => target.kind === 'site').map((target) => target.name));
    const hosts = await hostsByName(targets.filter((target) => target.kind === 'host').map((target) => target.name));
    return targets.map((target) => {
      const id = target.kind === 'site' ? sites.get(target.name) : hosts.get(target.name);
      if (id === undefined) return undefined;
      return { table: target.kind === 'site' ? 'links' : '"host-links"', id };
    });
  };

  // Decoded source lists of recently asked targets: the same competitors asked again (another
  // min_competitors, an intersect over them) skip reading and decoding their row groups. Files never
  // change under an open graph (a re-import opens a new one).
  const sourceCache = new SourceLists(SOURCE_CACHE_BYTES);
  /** The sorted sources of each target (none for undefined): those not kept are read in one query per file. */
  const sourcesOf = async (targets: Array<Resolved | undefined>): Promise<Int32Array[]> => {
    const out = targets.map((target) => (target === undefined ? new Int32Array(0) : sourceCache.lookup(fromOf(target))));
    for (const table of ['links', '"host-links"'] as const) {
      const missing = [...new Set(targets.flatMap((target, index) => (target?.table === table && out[index] === undefined ? [target.id] : [])))];
      if (missing.length === 0) continue;
      const read = await serial(() => readSortedInt32ByKey(connection, `SELECT target, source FROM ${table} WHERE target IN (${missing.join(', ')})`, missing));
      for (const id of missing) sourceCache.keep(fromOf({ table, id }), read.get(id)!);
      targets.forEach((target, index) => {
        if (target?.table === table && out[index] === undefined) out[index] = read.get(target.id)!;
      });
    }
    return out as Int32Array[];
  };
  // One counter per graph, sized by its sites, shared by every query: rankSources is synchronous, so
  // two queries never count in it at once, and it leaves it all zero.
  let counts: Uint8Array | undefined;
  const counter = () => {
    counts ??= new Uint8Array(manifest.sites);
    return counts;
  };

  return {
    manifest,
    folder,

    async gapOf(query) {
      const ids = await sitesByName([...query.competitors, query.you]);
      const competitorIds = query.competitors.map((name) => ids.get(name));
      const you = ids.get(query.you);
      const youKnown = you !== undefined;
      if (competitorIds.every((id) => id === undefined)) return { rows: [], total: 0, absent: competitorIds.map((_, position) => position), youKnown };
      const read = await sourcesOf([...competitorIds, you].map((id) => (id === undefined ? undefined : { table: 'links' as const, id })));
      const lists = read.slice(0, competitorIds.length);
      const excluded = you === undefined ? [] : [read.at(-1)!];
      // A site's referring domains are its rows in links: a competitor with an empty list has none.
      const absent = lists.flatMap((list, position) => (list.length === 0 ? [position] : []));
      const ranked = rankSources(counter(), lists, excluded, [...competitorIds, you].filter((id): id is number => id !== undefined), {
        min: query.minCompetitors,
        byCount: true,
        offset: 0,
        limit: query.limit,
      });
      const sites = await sitesById(ranked.rows.map((row) => row.source));
      return {
        total: ranked.total,
        absent,
        youKnown,
        rows: ranked.rows.map((row) => ({ site: sites.get(row.source)!, competitors: row.lists })),
      };
    },

    async intersectOf(query) {
      const positives = await resolveTargets(query.positives);
      const negatives = await resolveTargets(query.negatives);
      const unknown = [...query.positives, ...query.negatives].filter((_, index) => [...positives, ...negatives][index] === undefined);
      if (positives.every((from) => from === undefined)) return { rows: [], total: 0, unknown };
      const read = await sourcesOf([...positives, ...negatives]);
      const lists = read.slice(0, positives.length);
      const excluded = read.slice(positives.length).filter((_, index) => negatives[index] !== undefined);
      const ranked = rankSources(counter(), lists, excluded, [], {
        min: query.minMatching,
        byCount: query.byCount,
        offset: query.offset,
        limit: query.limit,
      });
      const sites = await sitesById(ranked.rows.map((row) => row.source));
      return { total: ranked.total, unknown, rows: ranked.rows.map((row) => ({ site: sites.get(row.source)!, matching: row.lists })) };
    },

    async backlinksOf(query) {
      const [target] = await resolveTargets([query.target]);
      if (target === undefined) return { known: false, rows: [], total: 0, referringDomains: 0, edges: 0 };
      const from = fromOf(target);
      // site_id is in rank order, so "authority at least x" is "site_id at most the last site that has it".
      let bound = '';
      if (query.minAuthority !== undefined) {
        const [last] = await select(`SELECT max(site_id) AS last FROM sites WHERE authority >= ${Number(query.minAuthority)}`);
        bound = `AND source <= ${optionalNumber(last?.last) ?? -1}`;
      }
      const [totals] = await select(
        `SELECT count(*) AS referring, coalesce(sum(edges), 0)::BIGINT AS edges, count(*) FILTER (WHERE true ${bound}) AS kept ${from}`,
      );
      const page = await select(`SELECT source, edges ${from} ${bound} ORDER BY source LIMIT ${query.limit} OFFSET ${query.offset}`);
      const sites = await sitesById(page.map((row) => Number(row.source)));
      return {
        known: true,
        rows: page.map((row) => ({ site: sites.get(Number(row.source))!, edges: Number(row.edges) })),
        total: Number(totals?.kept ?? 0),
        referringDomains: Number(totals?.referring ?? 0),
        edges: Number(totals?.edges ?? 0),
      };
    },

    close() {
      connection.closeSync();
      instance.closeSync();
      pinned.release();
    },
  };
}

/** Pins of open graphs: `<webgraph>/.open/<host name>/<release>-<level>-<pid>-<random>/`, by machine
 *  (a cache folder shared between machines or containers sees process ids that are not its own). */
const pinsRoot = (folder: string) => join(dirname(folder), '.open', hostname().replace(/[^A-Za-z0-9.-]/g, '_') || 'host');

/**
 * Hard links to a release folder's files, in a folder of this open graph's own, so that a re-import
 * (which swaps the release folder and deletes the old one) leaves this graph reading the files it was
 * opened on until it closes; released (removed) at close. Pins left by a process that died are removed
 * by the next open. Where links cannot be made (another file system), the files are read in place.
 */
function pinFiles(folder: string, names: readonly string[]): { folder: string; release: () => void } {
  const root = pinsRoot(folder);
  try {
    for (const name of readdirSync(root)) {
      const pid = Number(/-(\d+)-[0-9a-f]{6}$/.exec(name)?.[1]);
      if (Number.isInteger(pid) && !alive(pid)) rmSync(join(root, name), { recursive: true, force: true });
    }
  } catch {
    // No pins yet.
  }
  const pin = join(root, `${basename(folder)}-${process.pid}-${randomBytes(3).toString('hex')}`);
  try {
    mkdirSync(pin, { recursive: true });
    for (const name of names) linkSync(join(folder, name), join(pin, name));
  } catch {
    rmSync(pin, { recursive: true, force: true });
    return { folder, release: () => undefined };
  }
  return { folder: pin, release: () => rmSync(pin, { recursive: true, force: true }) };
}

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
