// Reads a folder of vendor backlink exports as downloaded (Ahrefs, Semrush, Majestic, Moz, Google
// Search Console, the project's own links files), mixed, each recognised by its header: decodes
// UTF-8 / UTF-16, sniffs the separator, maps each kind's columns (export-kinds.ts) onto links,
// referring-domain figures and "already links to you" domains. A file that cannot be read is
// reported (file, line, what to do) and the others still load.

import { open, readdir, readFile, stat } from 'node:fs/promises';
import { basename, extname, join, relative } from 'node:path';
import { unzipSync } from 'fflate';
import { parse as parseDomain } from 'tldts';
import { domainOfHost, hostOf } from '../../hosts.js';
import { UsageError } from '../../errors.js';
import { type RecordView, readCsv } from './csv.js';
import { decodeText, utf8Bytes } from './decode.js';
import { EXPORT_KINDS, type ExportField, type ExportKind, headerKey, kindOfHeader, ROW_CAPS, STALE_DAYS } from './export-kinds.js';

/** A link as the dataset loader takes it: source, target, anchor, nofollow ("1"/"0"), first and last seen (ISO or ""). */
export type LinkTexts = [source: string, target: string, anchor: string, nofollow: string, firstSeen: string, lastSeen: string];

/** One file read, for answers: what it was, for which targets, how old, and what looked wrong. */
export interface ExportSource {
  /** Path relative to the dataset folder; a ZIP entry as `archive.zip/entry.csv`. */
  file: string;
  kind: ExportKind;
  /** Data rows in the file (after the header). */
  rows: number;
  /** Links (or referring domains) taken from it. */
  taken: number;
  duplicates: number;
  lost: number;
  skipped: number;
  /** The first skipped row, as `line N: why`. */
  firstSkip?: string;
  /** YYYY-MM-DD, and where it came from. */
  date?: string;
  dateFrom?: 'file name' | 'latest last-seen date' | 'file modified';
  /** Rows per target registrable domain. */
  targets: Map<string, number>;
  warnings: string[];
}

export interface ExportFailure {
  file: string;
  message: string;
}

/** Domains that link to your own site, from a Search Console export. */
export interface OwnerGroup {
  /** Your site, when the export names it (its top linked pages); else undefined (assumed to be the asked domain). */
  domain?: string;
  sources: Set<string>;
  files: string[];
}

/** Figures per referring domain gathered over all files. */
export interface VendorFigures {
  /** Largest figure per metric key (ahrefs_dr, semrush_as, ...). */
  metrics: Record<string, number>;
  /** From the project's domains file: these win over vendor figures. */
  authority?: number;
  spam_score?: number;
  backlinks?: number;
  referring_domains?: number;
}

export interface ExportLoad {
  sources: ExportSource[];
  failures: ExportFailure[];
  figures: Map<string, VendorFigures>;
  /** Up to three linking-page titles per referring domain, where the export has them. */
  titles: Map<string, string[]>;
  owners: OwnerGroup[];
}

/** Extensions looked at in a folder; anything else is ignored (a README, a screenshot). */
const DATA_EXTENSIONS = new Set(['.csv', '.tsv', '.txt', '.zip', '.jsonl', '.ndjson']);
const SPREADSHEET_EXTENSIONS = new Set(['.xlsx', '.xls', '.ods', '.numbers']);
const HEAD_BYTES = 64 * 1024;
const DAY_MS = 86_400_000;

interface Candidate {
  /** For messages and answers. */
  name: string;
  /** Reads the whole file's bytes. */
  bytes: () => Promise<Uint8Array>;
  head: Uint8Array;
  modified: Date;
  /** Search Console files in one ZIP (or loose in the folder) describe one site. */
  bundle: string;
}

/** The data files of a folder (top level), ZIP entries included. Failures are reported, not thrown. */
async function candidates(folder: string, failures: ExportFailure[], only?: string): Promise<Candidate[]> {
  const entries = (await readdir(folder, { withFileTypes: true })).filter(
    (entry) => entry.isFile() && (only === undefined ? !entry.name.startsWith('.') : entry.name === only),
  );
  entries.sort((left, right) => (left.name < right.name ? -1 : left.name > right.name ? 1 : 0));
  const found: Candidate[] = [];
  for (const entry of entries) {
    const path = join(folder, entry.name);
    const name = relative(folder, path);
    const extension = extname(entry.name).toLowerCase();
    if (SPREADSHEET_EXTENSIONS.has(extension)) {
      failures.push({ file: name, message: 'a spreadsheet, not a CSV; export it again as CSV (or save it as CSV) into this folder' });
      continue;
    }
    if (!DATA_EXTENSIONS.has(extension)) continue;
    const info = await stat(path);
    if (extension === '.zip') {
      let files: Record<string, Uint8Array>;
      try {
        files = unzipSync(await readFile(path));
      } catch (error) {
        failures.push({ file: name, message: `not a readable ZIP (${(error as Error).message}); download it again, or unzip it into this folder` });
        continue;
      }
      for (const [inner, data] of Object.entries(files).sort(([left], [right]) => (left < right ? -1 : 1))) {
        if (inner.endsWith('/') || basename(inner).startsWith('.') || !DATA_EXTENSIONS.has(extname(inner).toLowerCase())) continue;
        found.push({ name: `${name}/${inner}`, bytes: async () => data, head: data.subarray(0, HEAD_BYTES), modified: info.mtime, bundle: name });
      }
      continue;
    }
    // Only the head is read now (for the header); the whole file when its turn comes, so a folder
    // of large exports is never in memory at once.
    const handle = await open(path, 'r');
    const head = Buffer.alloc(Math.min(HEAD_BYTES, info.size));
    try {
      await handle.read(head, 0, head.length, 0);
    } finally {
      await handle.close();
    }
    found.push({ name, bytes: () => readFile(path), head, modified: info.mtime, bundle: folder });
  }
  return found;
}

/** The separator of a header line: whichever of tab, semicolon and comma occurs most outside quotes. */
export function sniffDelimiter(line: string): string {
  const counts = new Map<string, number>([
    [',', 0],
    ['\t', 0],
    [';', 0],
  ]);
  let quoted = false;
  for (const character of line) {
    if (character === '"') quoted = !quoted;
    else if (!quoted && counts.has(character)) counts.set(character, counts.get(character)! + 1);
  }
  let best = ',';
  for (const [delimiter, count] of counts) if (count > counts.get(best)!) best = delimiter;
  return best;
}

/** First line of a text (and the line after an Excel `sep=` line), with the separator it declares. */
function headerLine(text: string): { line: string; skip: number; delimiter?: string } {
  const end = text.search(/\r?\n/);
  const first = end === -1 ? text : text.slice(0, end);
  const declared = /^"?sep=(.)"?$/i.exec(first.trim());
  if (declared === null) return { line: first, skip: 0 };
  const rest = text.slice(end + 1);
  const next = rest.search(/\r?\n/);
  return { line: next === -1 ? rest : rest.slice(0, next), skip: 1, delimiter: declared[1] };
}

/** `true` for the many spellings exports use for a set flag. */
export function flag(value: string | undefined): boolean {
  if (value === undefined || value === '' || value === 'false' || value === 'FALSE' || value === '-' || value === '0') return false;
  if (value === 'true' || value === 'TRUE' || value === '+' || value === '1') return true;
  const text = value.trim().toLowerCase();
  return text !== '' && !UNSET.has(text);
}
const UNSET = new Set(['false', 'no', 'n', '0', '-', 'none', 'null', 'live', 'active', 'n/a']);

/** An export's date cell as YYYY-MM-DD ("" when empty or unreadable). */
export function isoDay(value: string | undefined): string {
  if (value === undefined || value === '') return '';
  // Nearly every cell: YYYY-MM-DD, maybe with a time.
  if (value.length >= 10 && value.charCodeAt(4) === 45 && value.charCodeAt(7) === 45 && value.charCodeAt(0) === 50) {
    const day = value.length === 10 ? value : value.slice(0, 10);
    if (/^\d{4}-\d{2}-\d{2}$/.test(day)) return day;
  }
  const text = value.trim();
  if (text === '') return '';
  const iso = /^(\d{4})-(\d{2})-(\d{2})/.exec(text);
  if (iso !== null) return `${iso[1]}-${iso[2]}-${iso[3]}`;
  const day = /^(\d{1,2})[./](\d{1,2})[./](\d{4})$/.exec(text);
  if (day !== null) {
    // Ambiguous d/m vs m/d: only a day above 12 decides; otherwise month first (US exports).
    const [first, second] = [Number(day[1]), Number(day[2])];
    const [month, dayOfMonth] = first > 12 ? [second, first] : [first, second];
    return `${day[3]}-${String(month).padStart(2, '0')}-${String(dayOfMonth).padStart(2, '0')}`;
  }
  if (/^\d{9,10}$/.test(text)) return new Date(Number(text) * 1000).toISOString().slice(0, 10);
  const parsed = Date.parse(`${text}${/\d{1,2}:\d{2}/.test(text) ? '' : ' 00:00 UTC'}`);
  if (Number.isNaN(parsed)) return '';
  return new Date(parsed).toISOString().slice(0, 10);
}

function numberOf(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const plain = Number(value);
  if (Number.isFinite(plain) && value.trim() !== '') return plain;
  const text = value.trim().replace(/[%\s]/g, '').replace(/,(?=\d{3}\b)/g, '');
  if (text === '') return undefined;
  const number = Number(text.replace(',', '.'));
  return Number.isFinite(number) ? number : undefined;
}

/** Registrable domain of a URL or host cell; undefined when it is not an http(s) URL or a host. */
function domainOfCell(value: string): string | undefined {
  // Exports repeat the same few hosts: the answer depends only on the part before the path.
  const text = value.trim();
  const scheme = text.indexOf('://');
  let end = scheme === -1 ? 0 : scheme + 3;
  for (; end < text.length; end++) {
    const code = text.charCodeAt(end);
    if (code === 47 || code === 63 || code === 35) break; // / ? #
  }
  const key = text.slice(0, end);
  let domain = domainsByAuthority.get(key);
  if (domain === undefined) {
    const host = hostOf(key);
    domain = host === undefined ? null : domainOfHost(host);
    if (domainsByAuthority.size >= 200_000) domainsByAuthority.clear();
    domainsByAuthority.set(key, domain);
  }
  return domain ?? undefined;
}
const domainsByAuthority = new Map<string, string | null>();

/** Comparable form of a link for de-duplication across files: no scheme, no www, no trailing slash, host lowercase. */
function linkKey(source: string, target: string): string {
  return `${looseLink(source)}\t${looseLink(target)}`;
}
function looseLink(url: string): string {
  const scheme = url.indexOf('://');
  let text = scheme === -1 ? url : url.slice(scheme + 3);
  const hash = text.indexOf('#');
  if (hash !== -1) text = text.slice(0, hash);
  let slash = text.indexOf('/');
  if (slash === -1) slash = text.length;
  let host = text.slice(0, slash).toLowerCase();
  if (host.startsWith('www.')) host = host.slice(4);
  if (host.endsWith('.')) host = host.slice(0, -1);
  let end = text.length;
  while (end > slash && text.charCodeAt(end - 1) === 47) end--;
  return host + text.slice(slash, end);
}

/** The target domain a referring-domains export is named after (Ahrefs and Semrush name them so). */
function domainInName(name: string): string | undefined {
  const stem = basename(name).replace(/\.[a-z0-9]+$/i, '');
  for (const token of stem.toLowerCase().split(/[_\s()[\]]+/)) {
    // "rival.com-refdomains-subdomains": the longest prefix ending at a hyphen that is a public domain.
    const cuts = [token.length, ...[...token.matchAll(/-/g)].map((match) => match.index).reverse()];
    for (const cut of cuts) {
      const candidate = token.slice(0, cut).replace(/^www\./, '');
      if (!candidate.includes('.')) continue;
      const parsed = parseDomain(candidate, { allowPrivateDomains: true });
      if (parsed.domain !== null && (parsed.isIcann || parsed.isPrivate) && parsed.hostname === candidate) return parsed.domain;
    }
  }
  return undefined;
}

function dateInName(name: string): string | undefined {
  const match = /(20\d{2})[-_.]?(0[1-9]|1[0-2])[-_.]?(0[1-9]|[12]\d|3[01])/.exec(basename(name));
  return match === null ? undefined : `${match[1]}-${match[2]}-${match[3]}`;
}

/** One record's fields, decoded on demand. */
interface Cells {
  count: number;
  at(index: number): string | undefined;
}

/** Cells over the CSV reader's current record (valid only during its callback). */
class RecordCells implements Cells {
  view: RecordView | undefined;
  count = 0;
  at(index: number): string | undefined {
    const view = this.view!;
    return index < view.count ? view.buffer.toString('utf8', view.starts[index]!, view.ends[index]!) : undefined;
  }
}

class FileError extends Error {
  constructor(
    readonly line: number | undefined,
    message: string,
  ) {
    super(message);
  }
}

/** Column lookup of one file: field → index, metric key → index. */
interface Columns {
  field: Partial<Record<ExportField, number>>;
  metrics: Array<{ key: string; index: number; authority: boolean; pageLevel: boolean }>;
}

function columnsOf(kind: ExportKind, header: string[]): Columns {
  const keys = header.map(headerKey);
  const field: Partial<Record<ExportField, number>> = {};
  for (const [name, options] of Object.entries(kind.columns) as Array<[ExportField, string[]]>) {
    for (const option of options) {
      const index = keys.indexOf(option);
      if (index !== -1) {
        field[name] = index;
        break;
      }
    }
  }
  const metrics: Columns['metrics'] = [];
  for (const metric of kind.metrics ?? []) {
    const index = metric.columns.map((option) => keys.indexOf(option)).find((found) => found !== -1);
    if (index !== undefined) metrics.push({ key: metric.key, index, authority: metric.authority, pageLevel: metric.page_level === true });
  }
  return { field, metrics };
}

/**
 * Read every export in `folder`. `addLink` adds one link to the dataset and throws a UsageError for
 * a row it refuses (the row is then skipped and counted). Referring-domain rows are added as one
 * link from the domain's home page, only where no link from that domain to that target was read.
 */
export async function readExports(
  folder: string,
  addLink: (link: LinkTexts, file: string, line: number) => void,
  now = new Date(),
  only?: string,
): Promise<ExportLoad> {
  const failures: ExportFailure[] = [];
  const found = await candidates(folder, failures, only);
  const figures = new Map<string, VendorFigures>();
  const titles = new Map<string, string[]>();
  const sources: ExportSource[] = [];
  const bundles = new Map<string, { sources: Set<string>; pages: Map<string, number>; files: string[] }>();
  /** Link key → index of the file that first had it. */
  const seenLinks = new Map<string, number>();
  /** `source domain \t target domain` pairs with a link, so referring-domain rows do not double them. */
  const linkedPairs = new Set<string>();

  const typed = found.map((candidate) => {
    const text = decodeText(candidate.head);
    const { line } = headerLine(text);
    const looksJson = line.trimStart().startsWith('{');
    return { candidate, kind: looksJson ? undefined : kindOfHeader(splitHeader(line)), looksJson, header: line };
  });
  // Links first, so referring-domain rows know which pairs already have a link.
  const order = (shape: string | undefined) => (shape === 'links' || shape === undefined ? 0 : shape === 'domains' ? 1 : 2);
  typed.sort((left, right) => order(left.kind?.shape) - order(right.kind?.shape));
  const needPairs = typed.some((file) => file.kind?.shape === 'domains');

  for (const { candidate, kind, looksJson, header } of typed) {
    try {
      if (looksJson) {
        sources.push(await readJsonLines(candidate, sources.length, seenLinks, linkedPairs, addLink, now));
        continue;
      }
      if (kind === undefined) {
        const shown = header.length > 120 ? `${header.slice(0, 120)}…` : header;
        throw new FileError(
          1,
          `header not recognised (${JSON.stringify(shown)}); export it again from Ahrefs, Semrush, Majestic, Moz or Search Console with its original header, or give it the columns source_url,target_url,anchor,nofollow`,
        );
      }
      const source = await readTable(candidate, kind, sources.length, { needPairs, figures, titles, seenLinks, linkedPairs, bundles }, addLink);
      finishSource(source, candidate, now);
      sources.push(source);
    } catch (error) {
      if (!(error instanceof FileError)) throw error;
      failures.push({ file: candidate.name, message: error.line === undefined ? error.message : `line ${error.line}: ${error.message}` });
    }
  }

  const owners: OwnerGroup[] = [];
  for (const bundle of bundles.values()) {
    let domain: string | undefined;
    let most = 0;
    for (const [candidate, count] of bundle.pages) {
      if (count > most) {
        domain = candidate;
        most = count;
      }
    }
    if (bundle.sources.size > 0) owners.push({ ...(domain !== undefined && { domain }), sources: bundle.sources, files: bundle.files });
  }
  return { sources, failures, figures, titles, owners };
}

/** Cells of a header line (quotes removed), for recognising its kind. */
function splitHeader(line: string): string[] {
  const delimiter = sniffDelimiter(line);
  const cells: string[] = [];
  let current = '';
  let quoted = false;
  for (let index = 0; index < line.length; index++) {
    const character = line[index]!;
    if (character === '"') {
      if (quoted && line[index + 1] === '"') {
        current += '"';
        index++;
      } else quoted = !quoted;
    } else if (character === delimiter && !quoted) {
      cells.push(current);
      current = '';
    } else current += character;
  }
  cells.push(current);
  return cells;
}

interface Shared {
  /** Whether a referring-domains export is among the files (only then are linked pairs kept). */
  needPairs: boolean;
  figures: Map<string, VendorFigures>;
  titles: Map<string, string[]>;
  seenLinks: Map<string, number>;
  linkedPairs: Set<string>;
  bundles: Map<string, { sources: Set<string>; pages: Map<string, number>; files: string[] }>;
}

function newSource(file: string, kind: ExportKind): ExportSource {
  return { file, kind, rows: 0, taken: 0, duplicates: 0, lost: 0, skipped: 0, targets: new Map(), warnings: [] };
}

function skip(source: ExportSource, line: number, why: string): void {
  source.skipped++;
  source.firstSkip ??= `line ${line}: ${why}`;
}

async function readTable(
  candidate: Candidate,
  kind: ExportKind,
  fileIndex: number,
  shared: Shared,
  addLink: (link: LinkTexts, file: string, line: number) => void,
): Promise<ExportSource> {
  const bytes = utf8Bytes(await candidate.bytes());
  const { line: header, skip: skipLines, delimiter: declared } = headerLine(decodeText(bytes.subarray(0, HEAD_BYTES)));
  const delimiter = declared ?? sniffDelimiter(header);
  const source = newSource(candidate.name, kind);
  let columns: Columns | undefined;
  let width = 0;
  let latest = '';
  const domainTarget = kind.shape === 'domains' ? domainInName(candidate.name) : undefined;
  if (kind.shape === 'domains' && domainTarget === undefined) {
    throw new FileError(
      undefined,
      `${kind.title} export: the file does not name the domain it is for; rename it to start with that domain, e.g. competitor.com-refdomains.csv`,
    );
  }
  const bundle = kind.vendor === 'gsc' ? bundleOf(shared, candidate.bundle) : undefined;
  bundle?.files.push(candidate.name);

  // One cell reader per file, not per row: rows are many and closures are garbage.
  const cell = (field: ExportField) => {
    const index = columns!.field[field];
    return index === undefined ? undefined : current.at(index);
  };
  const onRecord = (cells: Cells, line: number) => {
    if (columns === undefined) {
      columns = columnsOf(kind, Array.from({ length: cells.count }, (_, index) => cells.at(index) ?? ''));
      width = cells.count;
      if (kind.shape === 'links' && (columns.field.source === undefined || columns.field.target === undefined)) {
        throw new FileError(1, `${kind.title} export without a source or target URL column; export it again with all columns`);
      }
      if (kind.shape === 'domains' && columns.field.domain === undefined) {
        throw new FileError(1, `${kind.title} export without a domain column; export it again with all columns`);
      }
      return;
    }
    source.rows++;
    if (cells.count > width + 1) {
      skip(source, line, `${cells.count} fields where the header has ${width}`);
      return;
    }
    const lastSeen = isoDay(cell('last_seen'));
    if (lastSeen > latest) latest = lastSeen;
    switch (kind.shape) {
      case 'links':
        linkRow(source, columns, cells, cell, line, lastSeen, fileIndex, shared, addLink);
        return;
      case 'domains':
        domainRow(source, columns, cells, cell, line, lastSeen, domainTarget!, shared, addLink);
        return;
      case 'figures':
        figuresRow(source, cell, line, shared);
        return;
      case 'owner_sites':
      case 'owner_links': {
        const value = cell(kind.shape === 'owner_sites' ? 'domain' : 'source') ?? '';
        const domain = domainOfCell(value);
        if (domain === undefined) {
    skip(source, line, `${JSON.stringify(value)} is not a site or URL`);
    return;
  }
        bundle!.sources.add(domain);
        source.taken++;
        return;
      }
      case 'owner_pages': {
        const domain = domainOfCell(cell('target') ?? '');
        if (domain !== undefined) bundle!.pages.set(domain, (bundle!.pages.get(domain) ?? 0) + 1);
        source.taken++;
        return;
      }
      case 'ignored':
        return;
    }
  };

  // The house's byte-level CSV reader (csv.ts): fields are decoded only where a column is used.
  const csvOptions = { delimiter: delimiter as ',' | '\t' | ';', bytes };
  const current = new RecordCells();
  try {
    // A first pass only checks the file reads to its end, so a broken file adds nothing.
    await readCsv(candidate.name, () => {}, csvOptions);
    let record = 0;
    await readCsv(
      candidate.name,
      (view) => {
        if (record++ < skipLines) return;
        current.view = view;
        current.count = view.count;
        onRecord(current, view.line);
      },
      csvOptions,
    );
  } catch (error) {
    if (error instanceof FileError) throw error;
    if (!(error instanceof UsageError)) throw error;
    const match = /:(\d+): (.*)$/s.exec(error.message);
    const line = match === null ? undefined : Number(match[1]);
    const why = match?.[2] ?? error.message;
    const what = why.startsWith('unterminated quoted field')
      ? 'a quoted field never closes: the file is cut short or has a stray "; download the export again'
      : `${why}; download the export again, or fix that line`;
    throw new FileError(line, what);
  }
  if (columns === undefined) throw new FileError(1, 'the file is empty; download the export again');
  if (latest !== '') (source as ExportSource & { latest?: string }).latest = latest;
  return source;
}

function bundleOf(shared: Shared, name: string) {
  let bundle = shared.bundles.get(name);
  if (bundle === undefined) {
    bundle = { sources: new Set(), pages: new Map(), files: [] };
    shared.bundles.set(name, bundle);
  }
  return bundle;
}

function keepMetrics(shared: Shared, domain: string, columns: Columns, cells: Cells): void {
  if (columns.metrics.length === 0) return;
  let figures = shared.figures.get(domain);
  for (const metric of columns.metrics) {
    const value = numberOf(cells.at(metric.index));
    if (value === undefined || value < 0) continue;
    if (metric.authority && value > 100) continue;
    figures ??= { metrics: {} };
    const current = figures.metrics[metric.key];
    if (current === undefined || value > current) figures.metrics[metric.key] = value;
  }
  if (figures !== undefined) shared.figures.set(domain, figures);
}

/** A few distinct page titles per referring domain: they help tell a directory from a blog. */
function keepTitle(shared: Shared, domain: string, value: string | undefined): void {
  const title = value?.trim() ?? '';
  if (title === '') return;
  const titles = shared.titles.get(domain);
  if (titles === undefined) shared.titles.set(domain, [title]);
  else if (titles.length < TITLES_PER_DOMAIN && !titles.includes(title)) titles.push(title);
}
const TITLES_PER_DOMAIN = 3;

function keepSpam(shared: Shared, domain: string, value: string | undefined): void {
  const spam = numberOf(value);
  if (spam === undefined || spam < 0 || spam > 100) return;
  const figures = shared.figures.get(domain) ?? { metrics: {} };
  if (figures.metrics.spam_score === undefined || spam > figures.metrics.spam_score) figures.metrics.spam_score = spam;
  shared.figures.set(domain, figures);
}

function linkRow(
  source: ExportSource,
  columns: Columns,
  cells: Cells,
  cell: (field: ExportField) => string | undefined,
  line: number,
  lastSeen: string,
  fileIndex: number,
  shared: Shared,
  addLink: (link: LinkTexts, file: string, line: number) => void,
): void {
  const from = (cell('source') ?? '').trim();
  const to = (cell('target') ?? '').trim();
  const sourceDomain = domainOfCell(from);
  const targetDomain = domainOfCell(to);
  if (sourceDomain === undefined || !/^https?:\/\//i.test(from)) {
    skip(source, line, `source ${JSON.stringify(from.slice(0, 80))} is not an http(s) URL`);
    return;
  }
  if (targetDomain === undefined) {
    skip(source, line, `target ${JSON.stringify(to.slice(0, 80))} is not a URL`);
    return;
  }
  const lost = cell('lost');
  if (lost !== undefined && (isoDay(lost) !== '' || flag(lost))) {
    source.lost++;
    return;
  }
  const key = linkKey(from, to);
  const first = shared.seenLinks.get(key);
  if (first !== undefined && first !== fileIndex) {
    source.duplicates++;
    return;
  }
  shared.seenLinks.set(key, fileIndex);
  const type = (cell('link_type') ?? '').toLowerCase();
  const nofollow =
    flag(cell('nofollow')) || flag(cell('ugc')) || flag(cell('sponsored')) || /nofollow|ugc|sponsored/.test(type) || type === 'no follow';
  const link: LinkTexts = [
    from,
    /^https?:\/\//i.test(to) ? to : `https://${to}`,
    (cell('anchor') ?? '').trim(),
    nofollow ? '1' : '0',
    isoDay(cell('first_seen')),
    lastSeen,
  ];
  try {
    addLink(link, source.file, line);
  } catch (error) {
    skip(source, line, (error as Error).message.replace(/^.*?:\d+: /, ''));
    return;
  }
  source.taken++;
  source.targets.set(targetDomain, (source.targets.get(targetDomain) ?? 0) + 1);
  if (columns.field.title !== undefined) keepTitle(shared, sourceDomain, cell('title'));
  if (shared.needPairs) shared.linkedPairs.add(`${sourceDomain}\t${targetDomain}`);
  keepMetrics(shared, sourceDomain, columns, cells);
  if (columns.field.spam_score !== undefined) keepSpam(shared, sourceDomain, cell('spam_score'));
}

function domainRow(
  source: ExportSource,
  columns: Columns,
  cells: Cells,
  cell: (field: ExportField) => string | undefined,
  line: number,
  lastSeen: string,
  target: string,
  shared: Shared,
  addLink: (link: LinkTexts, file: string, line: number) => void,
): void {
  const value = (cell('domain') ?? '').trim();
  const domain = domainOfCell(value);
  if (domain === undefined) {
    skip(source, line, `${JSON.stringify(value.slice(0, 80))} is not a domain`);
    return;
  }
  keepMetrics(shared, domain, columns, cells);
  keepSpam(shared, domain, cell('spam_score'));
  source.taken++;
  source.targets.set(target, (source.targets.get(target) ?? 0) + 1);
  const pair = `${domain}\t${target}`;
  if (shared.linkedPairs.has(pair)) {
    source.duplicates++;
    return;
  }
  shared.linkedPairs.add(pair);
  // No page is known: the domain's home page stands for it, and a link counts as dofollow only
  // when the row says the domain has dofollow links to the target.
  const dofollow = numberOf(cell('dofollow_links'));
  try {
    addLink([`https://${domain}/`, `https://${target}/`, '', dofollow !== undefined && dofollow > 0 ? '0' : '1', isoDay(cell('first_seen')), lastSeen], source.file, line);
  } catch (error) {
    skip(source, line, (error as Error).message.replace(/^.*?:\d+: /, ''));
  }
}

function figuresRow(source: ExportSource, cell: (field: ExportField) => string | undefined, line: number, shared: Shared): void {
  const value = (cell('domain') ?? '').trim();
  const domain = domainOfCell(value);
  if (domain === undefined) {
    skip(source, line, `${JSON.stringify(value.slice(0, 80))} is not a domain`);
    return;
  }
  const figures = shared.figures.get(domain) ?? { metrics: {} };
  const bounded = (text: string | undefined, max: number) => {
    const number = numberOf(text);
    return number !== undefined && number >= 0 && number <= max ? number : undefined;
  };
  const authority = bounded(cell('authority'), 100);
  const spam = bounded(cell('spam_score'), 100);
  const backlinks = bounded(cell('backlinks'), Number.MAX_SAFE_INTEGER);
  const referring = bounded(cell('referring_domains'), Number.MAX_SAFE_INTEGER);
  if (authority !== undefined) figures.authority ??= authority;
  if (spam !== undefined) figures.spam_score ??= Math.round(spam);
  if (backlinks !== undefined) figures.backlinks ??= backlinks;
  if (referring !== undefined) figures.referring_domains ??= referring;
  shared.figures.set(domain, figures);
  source.taken++;
}

/** The project's links.jsonl among exports: one object per line with source_url, target_url, anchor, nofollow. */
async function readJsonLines(
  candidate: Candidate,
  fileIndex: number,
  seenLinks: Map<string, number>,
  linkedPairs: Set<string>,
  addLink: (link: LinkTexts, file: string, line: number) => void,
  now: Date,
): Promise<ExportSource> {
  const kind = EXPORT_KINDS.find((candidateKind) => candidateKind.id === 'project-links')!;
  const source = newSource(candidate.name, kind);
  const lines = decodeText(await candidate.bytes()).split(/\r?\n/);
  let latest = '';
  lines.forEach((text, index) => {
    if (text.trim() === '') return;
    const line = index + 1;
    source.rows++;
    let row: Record<string, unknown>;
    try {
      row = JSON.parse(text) as Record<string, unknown>;
    } catch {
    skip(source, line, 'not valid JSON');
    return;
    }
    const value = (name: string) => {
      const cell = row[name];
      return typeof cell === 'string' ? cell : typeof cell === 'number' || typeof cell === 'boolean' ? String(cell) : '';
    };
    const from = value('source_url');
    const to = value('target_url');
    const sourceDomain = domainOfCell(from);
    const targetDomain = domainOfCell(to);
    if (sourceDomain === undefined || targetDomain === undefined) {
    skip(source, line, 'source_url and target_url must be http(s) URLs');
    return;
  }
    const key = linkKey(from, to);
    const first = seenLinks.get(key);
    if (first !== undefined && first !== fileIndex) {
      source.duplicates++;
      return;
    }
    seenLinks.set(key, fileIndex);
    const lastSeen = isoDay(value('last_seen'));
    if (lastSeen > latest) latest = lastSeen;
    try {
      addLink([from, to, value('anchor'), flag(value('nofollow')) ? '1' : '0', isoDay(value('first_seen')), lastSeen], source.file, line);
    } catch (error) {
    skip(source, line, (error as Error).message.replace(/^.*?:\d+: /, ''));
    return;
    }
    source.taken++;
    source.targets.set(targetDomain, (source.targets.get(targetDomain) ?? 0) + 1);
    linkedPairs.add(`${sourceDomain}\t${targetDomain}`);
  });
  if (latest !== '') (source as ExportSource & { latest?: string }).latest = latest;
  finishSource(source, candidate, now);
  return source;
}

/** Export date, and warnings for a probably truncated, stale or partly unreadable file. */
function finishSource(source: ExportSource & { latest?: string }, candidate: Candidate, now: Date): void {
  const named = dateInName(candidate.name) ?? dateInName(candidate.bundle);
  if (named !== undefined) {
    source.date = named;
    source.dateFrom = 'file name';
  } else if (source.latest !== undefined) {
    source.date = source.latest;
    source.dateFrom = 'latest last-seen date';
  } else {
    source.date = candidate.modified.toISOString().slice(0, 10);
    source.dateFrom = 'file modified';
  }
  delete source.latest;
  const label = `${source.file} (${source.kind.title})`;
  if (source.kind.shape !== 'ignored' && ROW_CAPS.includes(source.rows)) {
    source.warnings.push(
      `${label} ends at exactly ${source.rows.toLocaleString('en-US')} rows, a typical export row cap: it is probably truncated; export again with a higher row limit, or in parts (by target page or date)`,
    );
  }
  const age = Math.floor((now.getTime() - Date.parse(`${source.date}T00:00:00Z`)) / DAY_MS);
  if (age > STALE_DAYS) {
    source.warnings.push(`${label} is stale: exported ${source.date} (${source.dateFrom}), ${age} days ago; export it again for current links`);
  }
  if (source.skipped > 0) {
    source.warnings.push(`${label}: ${source.skipped} row${source.skipped === 1 ? '' : 's'} skipped, first at ${source.firstSkip}`);
  }
}

/** Everything a vendor figure says about authority: the normalised value and how it was made. */
export function authorityOf(figures: VendorFigures, labels: ReadonlyMap<string, { label: string; authority: boolean; pageLevel: boolean }>): {
  authority?: number;
  raw?: number;
  scale?: string;
} {
  if (figures.authority !== undefined) return { authority: figures.authority, raw: figures.authority, scale: 'authority 0-100' };
  // One figure per vendor: its domain-level one where it has one, else its page-level one.
  const perVendor = new Map<string, { key: string; value: number; pageLevel: boolean }>();
  for (const [key, value] of Object.entries(figures.metrics)) {
    const meta = labels.get(key);
    if (meta === undefined || !meta.authority) continue;
    const vendor = key.split('_')[0]!;
    const current = perVendor.get(vendor);
    if (current === undefined || (current.pageLevel && !meta.pageLevel)) perVendor.set(vendor, { key, value, pageLevel: meta.pageLevel });
  }
  const chosen = [...perVendor.values()].sort((left, right) => left.value - right.value);
  if (chosen.length === 0) return {};
  const middle = chosen.length >> 1;
  const median = chosen.length % 2 === 1 ? chosen[middle]!.value : (chosen[middle - 1]!.value + chosen[middle]!.value) / 2;
  if (chosen.length === 1) return { authority: median, raw: median, scale: labels.get(chosen[0]!.key)!.label };
  return { authority: median, scale: `median of ${chosen.map((entry) => labels.get(entry.key)!.label).join(', ')}` };
}

/** Notes for an answer about `domains`: the files it used (with export dates) and their warnings. */
export function sourceNotes(load: ExportLoad, domains: readonly string[], owner?: string): string[] {
  const wanted = new Set(domains);
  const used = load.sources.filter(
    (source) =>
      [...source.targets.keys()].some((domain) => wanted.has(domain)) ||
      (owner !== undefined && source.kind.vendor === 'gsc' && load.owners.some((group) => group.files.includes(source.file) && (group.domain === undefined || group.domain === owner))),
  );
  const notes: string[] = [];
  if (used.length > 0) {
    const shown = used.slice(0, 8).map((source) => {
      const noun = source.kind.shape === 'links' ? 'link' : 'domain';
      const count =
        source.kind.shape === 'links' || source.kind.shape === 'domains'
          ? `, ${source.taken.toLocaleString('en-US')} ${noun}${source.taken === 1 ? '' : 's'}`
          : '';
      const date =
        source.dateFrom === 'file name'
          ? `exported ${source.date}`
          : source.dateFrom === 'latest last-seen date'
            ? `links seen up to ${source.date}`
            : `file dated ${source.date}`;
      return `${source.file} (${source.kind.title}, ${date}${count})`;
    });
    const more = used.length > 8 ? `, and ${used.length - 8} more` : '';
    notes.push(`From ${used.length} export file${used.length === 1 ? '' : 's'}: ${shown.join('; ')}${more}.`);
  }
  for (const source of used) notes.push(...source.warnings);
  const assumed = [...new Set(used.filter((source) => !source.kind.verified).map((source) => source.kind.title))];
  if (assumed.length > 0) {
    notes.push(`No public spec was found for the layout of ${assumed.join(', ')}: columns were matched by header name; check those figures.`);
  }
  if (owner !== undefined) {
    for (const group of load.owners) {
      if (group.domain === undefined) {
        notes.push(`${group.files.join(', ')} (Search Console) names no site of its own; taken as ${owner}'s, so its ${group.sources.size} linking domains are left out.`);
      }
    }
  }
  for (const failure of load.failures) notes.push(`Not read: ${failure.file}: ${failure.message}.`);
  return notes;
}
