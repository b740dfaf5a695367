// Conversion of a links dataset into the local layout (domains, links, pairs as Parquet).
//
// A links.csv is read by DuckDB itself (read_csv), once: only its distinct hosts, target URLs and
// dates cross into JS, where the house rule (hosts.ts: tldts, platform subdomains as sites of their
// own) names their registrable domains, and they go back as one list each. Anything this fast path does not accept
// exactly as the in-memory loader would (a bad URL, an odd nofollow, an invalid date, a malformed
// row) sends the dataset through that loader instead, so its error names the file and line, or its
// index is converted column by column. JSONL and vendor exports always take that second path.

import { open } from 'node:fs/promises';
import type { DuckDBConnection } from '@duckdb/node-api';
import { domainOfHost, hostOf, sourceDomainOf } from '../../../hosts.js';
import type { DatasetFiles, LocalDataset } from '../../local-dataset.js';
import { readCsv } from '../csv.js';
import { sqlText } from './duckdb.js';

/** A conversion step, for progress lines. */
export type Progress = (message: string, values?: Record<string, unknown>) => void;

const LINK_COLUMNS = ['source_url', 'target_url', 'anchor', 'nofollow', 'first_seen', 'last_seen'] as const;
const DOMAIN_COLUMNS = ['domain', 'authority', 'spam_score', 'backlinks', 'referring_domains'] as const;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const SEPARATOR = '\n';
/** Trimmed of spaces and tabs, as the loader trims; a missing cell is empty. */
// trim() with its characters named costs more than the cheap prefix/suffix tests, and most cells
// need none.
const TRIMMED = (column: string | undefined) =>
  column === undefined
    ? "''"
    : `(CASE WHEN ${column} IS NULL THEN '' WHEN prefix(${column}, ' ') OR prefix(${column}, chr(9)) OR suffix(${column}, ' ') OR suffix(${column}, chr(9)) THEN trim(${column}, ' \t') ELSE ${column} END)`;

/** Thrown when the fast path declines a dataset; the caller converts it through the loader instead. */
export class NotPlain extends Error {}

/** The header of a CSV (first record, lowercased and trimmed), or undefined when empty or not on line 1. */
async function csvHeader(file: string): Promise<string[] | undefined> {
  const handle = await open(file, 'r');
  let bytes: Buffer;
  try {
    const head = Buffer.alloc(64 * 1024);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    bytes = head.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
  if (bytes[0] === 0xff || bytes[0] === 0xfe || bytes.subarray(0, 1024).includes(0)) return undefined; // UTF-16: the loader decodes it
  const newline = bytes.indexOf(10);
  if (newline === -1) return undefined;
  let header: string[] | undefined;
  await readCsv(file, (record) => {
    if (header !== undefined || record.line !== 1) return;
    header = [];
    for (let field = 0; field < record.count; field++) {
      header.push(record.buffer.toString('utf8', record.starts[field]!, record.ends[field]!).trim().toLowerCase());
    }
  }, { bytes: bytes.subarray(0, newline + 1) });
  return header;
}

/** read_csv of every column as text, named c0.., the header line skipped. */
function readCsvSql(file: string, width: number): string {
  const columns = Array.from({ length: width }, (_, index) => `'c${index}': 'VARCHAR'`).join(', ');
  return `read_csv(${sqlText(file)}, header = false, skip = 1, delim = ',', quote = '"', escape = '"', strict_mode = true, auto_detect = false, null_padding = false, columns = {${columns}})`;
}

/** One text per line out of DuckDB (a column joined by SQL), far cheaper than a value per row; in no
 *  particular order (ids are given by name later). */
async function textsOf(connection: DuckDBConnection, sql: string): Promise<string[]> {
  const reader = await connection.runAndReadAll(`SELECT string_agg(value, chr(10)) AS joined, count(*) AS count, bool_or(contains(value, chr(10))) AS newline FROM (${sql})`);
  const [row] = reader.getRowObjectsJS() as Array<{ joined: string | null; count: bigint; newline: boolean | null }>;
  if (row === undefined || row.joined === null || Number(row.count) === 0) return [];
  if (row.newline === true) throw new NotPlain('a value holds a line break');
  return row.joined.split(SEPARATOR);
}

/** A table of texts given as one joined string per column (positions line up). */
async function tableOf(connection: DuckDBConnection, name: string, columns: Record<string, string[]>): Promise<void> {
  const names = Object.keys(columns);
  const values = names.map((column) => columns[column]!.join(SEPARATOR));
  const lists = names.map((column, index) => `string_split($${index + 1}, chr(10)) AS ${column}`).join(', ');
  if (columns[names[0]!]!.length === 0) {
    await connection.run(`CREATE TEMP TABLE ${name} AS SELECT ${names.map((column) => `NULL::VARCHAR AS ${column}`).join(', ')} WHERE false`);
    return;
  }
  await connection.run(`CREATE TEMP TABLE ${name} AS SELECT ${names.map((column) => `unnest(${column}) AS ${column}`).join(', ')} FROM (SELECT ${lists})`, values);
}

/** Registrable domain of a source URL's authority, exactly as the loader names it (local-dataset.ts). */
function sourceSite(authority: string): string | undefined {
  if (/^[a-z0-9.-]+$/.test(authority) && authority.includes('.') && !authority.startsWith('.') && !authority.endsWith('.')) {
    let host = authority;
    if (host.startsWith('www.') && host.indexOf('.', 4) !== -1) host = host.slice(4);
    const dot = host.indexOf('.');
    if (!host.startsWith('www.') && host.indexOf('.', dot + 1) === -1) return host;
    host = authority.startsWith('www.') ? authority.slice(4) : authority;
    const first = host.indexOf('.');
    if (first > 0 && host.indexOf('.', first + 1) === -1) return host;
    return domainOfHost(host);
  }
  const host = hostOf(`http://${authority}/`);
  return host === undefined ? undefined : sourceDomainOf(host);
}

/** The links of a converted dataset, as a SELECT in the layout's columns (local.ts writes them). */
export interface LinksSource {
  sql: string;
  /** Whether the rows come in (target, link) order already. */
  sorted: boolean;
}

/** The authority of an http(s) URL (between `://` and the first / ? # or \), as the loader reads it. */
const URL_AUTHORITY = /^https?:\/\/([^/?#\\]*)/i;
const PADDED = /^[ \t]|[ \t]$/;

/**
 * Converts a links.csv (and domains.csv) with DuckDB reading the file once into `r` (text as read; a
 * link's number is its row's position, DuckDB's rowid, as insertion order is kept): temp tables `d`
 * (domains) and the lookups the returned SELECT joins to name each link's target and source. Only
 * distinct values cross into JS: each source URL's third '/'-part (the authority and what follows it
 * up to the next '/'), each target URL, each date. Throws NotPlain when the loader must decide instead.
 */
export async function convertCsvTables(connection: DuckDBConnection, files: DatasetFiles, progress: Progress): Promise<LinksSource> {
  if (files.format !== 'csv') throw new NotPlain('not a links.csv');
  const header = await csvHeader(files.links);
  if (header === undefined) throw new NotPlain('no plain UTF-8 header');
  const position = (name: string) => header.indexOf(name);
  if (LINK_COLUMNS.slice(0, 4).some((name) => position(name) === -1)) throw new NotPlain('the header lacks a column');
  const column = (name: (typeof LINK_COLUMNS)[number]) => (position(name) === -1 ? undefined : `c${position(name)}`);

  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  progress('local conversion: reading the CSV with DuckDB', { file: files.links });
  // One pass over the file; cells are kept as read, so a file whose cells carry spaces or tabs
  // around them (which the loader trims) is left to the loader, as is anything else unusual.
  const cell = (name: (typeof LINK_COLUMNS)[number]) => (column(name) === undefined ? "''" : `coalesce(${column(name)}, '')`);
  try {
    await connection.run(
      `CREATE TEMP TABLE r AS SELECT ${LINK_COLUMNS.map((name) => `${cell(name)} AS ${name}`).join(', ')}, split_part(${cell('source_url')}, '/', 3) AS source_key
       FROM ${readCsvSql(files.links, header.length)}`,
    );
  } catch (error) {
    // A row DuckDB will not read (field count, quoting, encoding): the loader says which line.
    throw new NotPlain(error instanceof Error ? error.message : String(error));
  }
  // Checked per row only where values are many (source URLs, anchors); target URLs, nofollow values
  // and dates are checked once each, in JS or below, as distinct values.
  const padded = (name: string) => `prefix(${name}, ' ') OR prefix(${name}, chr(9)) OR suffix(${name}, ' ') OR suffix(${name}, chr(9))`;
  const [check] = (await connection.runAndReadAll(
    `SELECT count(*) AS links,
       count(*) FILTER (WHERE NOT regexp_matches(source_url, '^[hH][tT][tT][pP][sS]?://') OR suffix(source_url, ' ') OR suffix(source_url, chr(9))
         OR ${padded('anchor')}) AS odd,
       list(DISTINCT nofollow) AS nofollow
     FROM r`,
  )).getRowObjectsJS() as Array<{ links: bigint; odd: bigint; nofollow: string[] | null }>;
  if (check === undefined || Number(check.links) === 0) throw new NotPlain('no links');
  if (Number(check.odd) > 0 || (check.nofollow ?? []).some((value) => !['true', 'false', '1', '0'].includes(value.toLowerCase()))) {
    throw new NotPlain('a row the loader must judge');
  }
  const sourceKeys = await textsOf(connection, 'SELECT DISTINCT source_key AS value FROM r');
  const targetUrls = await textsOf(connection, 'SELECT DISTINCT target_url AS value FROM r');
  const dates = await textsOf(connection, "SELECT first_seen AS value FROM r WHERE first_seen <> '' UNION SELECT last_seen FROM r WHERE last_seen <> ''");
  progress('local conversion: naming registrable domains', {
    source_hosts: sourceKeys.length,
    target_urls: targetUrls.length,
    dates: dates.length,
    milliseconds: elapsed(),
  });

  const sourceDomains = sourceKeys.map((key) => {
    const authority = key.split(/[?#\\]/, 1)[0]!;
    const domain = authority === '' ? undefined : sourceSite(authority);
    if (domain === undefined) throw new NotPlain(`source host ${authority}`);
    return domain;
  });
  const targetHosts: string[] = [];
  const targetDomains = targetUrls.map((url) => {
    const authority = URL_AUTHORITY.exec(url)?.[1];
    const host = authority === undefined || authority === '' || PADDED.test(url) ? undefined : hostOf(`http://${authority}/`);
    if (host === undefined) throw new NotPlain(`target URL ${url}`);
    targetHosts.push(host);
    return sourceDomainOf(host);
  });
  // Later is higher; equal instants share a rank; 0 for absent (as the loader's dateRank).
  const instants = dates.map((date) => {
    const value = Date.parse(date);
    if (!ISO_DATE.test(date) || Number.isNaN(value)) throw new NotPlain(`date ${date}`);
    return value;
  });
  const distinctInstants = [...new Set(instants)].sort((left, right) => left - right);
  const rankOf = new Map(distinctInstants.map((value, index) => [value, index + 1]));
  const dateRanks = instants.map((value) => String(rankOf.get(value)!));

  await tableOf(connection, 'sh', { key: sourceKeys, domain: sourceDomains });
  await tableOf(connection, 'th', { url: targetUrls, host: targetHosts, domain: targetDomains });
  await tableOf(connection, 'dt', { value: dates, rank: dateRanks });
  await connection.run('CREATE TEMP TABLE names AS SELECT (row_number() OVER (ORDER BY name) - 1)::INTEGER AS id, name FROM (SELECT domain AS name FROM sh UNION SELECT domain FROM th)');
  await connection.run('CREATE TEMP TABLE si AS SELECT sh.key, n.id FROM sh JOIN names n ON n.name = sh.domain');
  await connection.run('CREATE TEMP TABLE ti AS SELECT th.url, th.host, n.id FROM th JOIN names n ON n.name = th.domain');
  await domainFigures(connection, files.domains);
  progress('local conversion: domains named', { domains: await countOf(connection, 'names'), milliseconds: elapsed() });
  // Not materialised here: local.ts writes these rows straight to Parquet, sorted once on the way.
  return {
    sorted: false,
    sql: `SELECT ti.id AS target, si.id AS source, r.rowid::INTEGER AS link, r.source_url, r.target_url, ti.host AS target_host, r.anchor,
            lower(r.nofollow) IN ('true', '1') AS nofollow, nullif(r.first_seen, '') AS first_seen, nullif(r.last_seen, '') AS last_seen,
            coalesce(dt.rank::INTEGER, 0) AS last_seen_order
          FROM r LEFT JOIN si ON si.key = r.source_key LEFT JOIN ti ON ti.url = r.target_url LEFT JOIN dt ON dt.value = r.last_seen
          WHERE si.id IS DISTINCT FROM ti.id`,
  };
}

async function countOf(connection: DuckDBConnection, table: string): Promise<number> {
  const [row] = (await connection.runAndReadAll(`SELECT count(*) AS count FROM ${table}`)).getRowObjectsJS() as Array<{ count: bigint }>;
  return Number(row?.count ?? 0);
}

/** domains.csv read by DuckDB into `d` beside every domain name; the loader decides anything odd. */
async function domainFigures(connection: DuckDBConnection, file: string | undefined): Promise<void> {
  if (file === undefined) {
    await connection.run(
      `CREATE TEMP TABLE d AS SELECT id, name, NULL::FLOAT AS authority, NULL::SMALLINT AS spam, NULL::DOUBLE AS backlinks, NULL::DOUBLE AS referring_domains, 0 AS authority_rank FROM names`,
    );
    return;
  }
  const header = await csvHeader(file);
  if (header === undefined || DOMAIN_COLUMNS.slice(0, 3).some((name) => !header.includes(name))) throw new NotPlain('domains.csv header');
  const cell = (name: (typeof DOMAIN_COLUMNS)[number]) => TRIMMED(header.includes(name) ? `c${header.indexOf(name)}` : undefined);
  try {
    await connection.run(
      `CREATE TEMP TABLE f AS SELECT raw, ${DOMAIN_COLUMNS.slice(1).map((name) => `${name}_text, TRY_CAST(nullif(${name}_text, '') AS DOUBLE) AS ${name}`).join(', ')}
       FROM (SELECT ${cell('domain')} AS raw, ${DOMAIN_COLUMNS.slice(1).map((name) => `${cell(name)} AS ${name}_text`).join(', ')} FROM ${readCsvSql(file, header.length)})`,
    );
  } catch (error) {
    throw new NotPlain(error instanceof Error ? error.message : String(error));
  }
  const [check] = (await connection.runAndReadAll(
    `SELECT count(*) FILTER (WHERE
       ${DOMAIN_COLUMNS.slice(1).map((name, index) => `(${name}_text <> '' AND (${name} IS NULL OR NOT isfinite(${name}) OR ${name} < 0 OR ${name} > ${index < 2 ? 100 : Number.MAX_SAFE_INTEGER}))`).join(' OR ')}
     ) AS bad FROM f`,
  )).getRowObjectsJS() as Array<{ bad: bigint }>;
  if (Number(check?.bad ?? 1) > 0) throw new NotPlain('a domains.csv value the loader must judge');
  // Rows naming a domain as the links do match directly; the rest are named by the house rule.
  const odd = await textsOf(connection, 'SELECT DISTINCT raw AS value FROM f WHERE raw NOT IN (SELECT name FROM names)');
  const named = odd.map((raw) => {
    const lower = raw.toLowerCase();
    if (/^[a-z0-9.-]+$/.test(lower) && lower.includes('.')) {
      const stripped = lower.endsWith('.') ? lower.slice(0, -1) : lower;
      const host = stripped.startsWith('www.') ? stripped.slice(4) : stripped;
      const dot = host.indexOf('.');
      return dot > 0 && host.indexOf('.', dot + 1) === -1 ? host : domainOfHost(host);
    }
    if (hostOf(lower) === undefined) throw new NotPlain(`domains.csv domain ${raw}`);
    return sourceDomainOf(lower);
  });
  await tableOf(connection, 'odd', { raw: odd, name: named });
  await connection.run(
    `CREATE TEMP TABLE d AS
     WITH matched AS (
       SELECT n.id, f.rowid AS row, f.* FROM f LEFT JOIN odd ON odd.raw = f.raw JOIN names n ON n.name = coalesce(odd.name, f.raw)
     ),
     first AS (SELECT * FROM matched QUALIFY row_number() OVER (PARTITION BY id ORDER BY row) = 1)
     SELECT n.id, n.name, first.authority::FLOAT AS authority, round(first.spam_score)::SMALLINT AS spam,
            first.backlinks AS backlinks, first.referring_domains AS referring_domains,
            CASE WHEN first.authority IS NULL THEN 0 ELSE dense_rank() OVER (ORDER BY first.authority::FLOAT) END::INTEGER AS authority_rank
     FROM names n LEFT JOIN first ON first.id = n.id`,
  );
  await connection.run('DROP TABLE f');
}

/** Temp tables `d` and `l` from a loaded dataset (JSONL, vendor exports, or a CSV the fast path declined). */
export async function convertDatasetTables(connection: DuckDBConnection, data: LocalDataset, progress: Progress): Promise<LinksSource> {
  const { DuckDBDataChunk, INTEGER, VARCHAR, FLOAT, SMALLINT, DOUBLE, BOOLEAN } = await import('@duckdb/node-api');
  progress('local conversion: appending the loaded index', { links: data.linkCount, domains: data.domainCount });
  await connection.run(
    'CREATE TEMP TABLE d (id INTEGER, name VARCHAR, authority FLOAT, spam SMALLINT, backlinks DOUBLE, referring_domains DOUBLE, authority_rank INTEGER)',
  );
  const CHUNK = 2048;
  const nullable = (value: number, unknown: boolean) => (unknown ? null : value);
  let appender = await connection.createAppender('d');
  let chunk = DuckDBDataChunk.create([INTEGER, VARCHAR, FLOAT, SMALLINT, DOUBLE, DOUBLE, INTEGER]);
  for (let from = 0; from < data.domainCount; from += CHUNK) {
    const to = Math.min(data.domainCount, from + CHUNK);
    const ids = Array.from({ length: to - from }, (_, index) => from + index);
    chunk.setColumns([
      ids,
      ids.map((id) => data.domainName(id)),
      ids.map((id) => nullable(data.domainAuthority[id]!, Number.isNaN(data.domainAuthority[id]!))),
      ids.map((id) => nullable(data.domainSpam[id]!, data.domainSpam[id]! < 0)),
      ids.map((id) => nullable(data.domainBacklinks[id]!, Number.isNaN(data.domainBacklinks[id]!))),
      ids.map((id) => nullable(data.domainReferringDomains[id]!, Number.isNaN(data.domainReferringDomains[id]!))),
      ids.map((id) => data.domainAuthorityRank[id]!),
    ]);
    appender.appendDataChunk(chunk);
  }
  appender.closeSync();

  await connection.run(
    'CREATE TEMP TABLE l (target INTEGER, source INTEGER, link INTEGER, source_url VARCHAR, target_url VARCHAR, target_host VARCHAR, anchor VARCHAR, nofollow BOOLEAN, first_seen VARCHAR, last_seen VARCHAR, last_seen_order INTEGER)',
  );
  appender = await connection.createAppender('l');
  chunk = DuckDBDataChunk.create([INTEGER, INTEGER, INTEGER, VARCHAR, VARCHAR, VARCHAR, VARCHAR, BOOLEAN, VARCHAR, VARCHAR, INTEGER]);
  const { postings, postingOffsets } = data;
  const targets = new Uint32Array(postings.length);
  for (let target = 0; target < data.domainCount; target++) targets.fill(target, postingOffsets[target]!, postingOffsets[target + 1]!);
  const hosts = new Map<number, string>();
  const hostOfUrl = (url: number) => {
    let host = hosts.get(url);
    if (host === undefined) {
      host = hostOf(data.targetUrl(url)) ?? '';
      hosts.set(url, host);
    }
    return host;
  };
  for (let from = 0; from < postings.length; from += CHUNK) {
    const to = Math.min(postings.length, from + CHUNK);
    const links = Array.from(postings.subarray(from, to));
    chunk.setColumns([
      Array.from(targets.subarray(from, to)),
      links.map((link) => data.linkSourceDomain[link]!),
      links,
      links.map((link) => data.sourceUrl(data.linkSourcePage[link]!)),
      links.map((link) => data.targetUrl(data.linkTargetUrl[link]!)),
      links.map((link) => hostOfUrl(data.linkTargetUrl[link]!)),
      links.map((link) => data.anchor(data.linkAnchor[link]!)),
      links.map((link) => data.linkNofollow[link] !== 0),
      links.map((link) => (data.linkFirstSeen[link] === 0 ? null : data.date(data.linkFirstSeen[link]!))),
      links.map((link) => (data.linkLastSeen[link] === 0 ? null : data.date(data.linkLastSeen[link]!))),
      links.map((link) => data.dateRank[data.linkLastSeen[link]!]!),
    ]);
    appender.appendDataChunk(chunk);
  }
  appender.closeSync();
  // Appended target by target, each target's links in dataset order.
  return { sql: 'SELECT * FROM l', sorted: true };
}
