// Loads a local links dataset (CSV or JSONL, optional domains.csv) into a compact index keyed by target.
//
// Layout: strings are interned to integer ids (domains, target hosts, URLs, anchors, dates); each link
// is a row across parallel typed arrays; per target registrable domain a posting list of link ids in
// CSR form (offsets + one flat array). A query touches only the links of the targets it names.

import { open, readdir, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { domainOfHost, hostOf, sourceDomainOf, stripUrl } from '../hosts.js';
import { BytePool } from './local/byte-pool.js';
import { datasetError, readCsv, readLines } from './local/csv.js';
import { decodeText } from './local/decode.js';
import type { ExportLoad } from './local/exports.js';
import { type SourcePages, SourcePagesBuilder } from './local/source-pages.js';

export interface DatasetFiles {
  /** The links file, or for `exports` the folder (or the one export file) read. */
  links: string;
  format: 'csv' | 'jsonl' | 'exports';
  domains?: string;
}

/** What a dataset read from vendor exports adds: the files, vendor figures and Search Console owners. */
export interface ExportInfo {
  load: ExportLoad;
  /** A referring domain's vendor figures (by id) and how authority was made from them; undefined when it has none. */
  vendor: (id: number) => { metrics: Record<string, number>; raw?: number; scale?: string } | undefined;
  /** Domains linking to your own site (Search Console), by the site they are for (undefined: unnamed). */
  owners: Array<{ domain?: string; ids: number[] }>;
  /** Linking-page titles of a referring domain (by id; Ahrefs, Semrush and Moz exports carry them). */
  titles: (id: number) => string[] | undefined;
  /** Notes for an answer about `domains`: files used, export dates, warnings, files not read. */
  notes: (domains: string[], owner?: string) => string[];
}

/** Per-domain figures from domains.csv, by domain id; NaN (or -1 for spam) is unknown. */
interface FigureArrays {
  authority: Float32Array;
  spam: Int16Array;
  backlinks: Float64Array;
  referringDomains: Float64Array;
  assigned: Uint8Array;
}

/** Figures for one referring domain from domains.csv; absent members are unknown. */
export interface DomainFigures {
  authority?: number;
  spam_score?: number;
  backlinks?: number;
  referring_domains?: number;
}

const LINK_COLUMNS = ['source_url', 'target_url', 'anchor', 'nofollow', 'first_seen', 'last_seen'] as const;
const REQUIRED_LINK_COLUMNS = 4;
const DOMAIN_COLUMNS = ['domain', 'authority', 'spam_score', 'backlinks', 'referring_domains'] as const;
const REQUIRED_DOMAIN_COLUMNS = 3;
const SPACE = 32;
const TAB = 9;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
/** Path characters for which a plain string key equals what `stripUrl` (WHATWG URL) would give. */
const PLAIN_PATH = /^[A-Za-z0-9\-._~/?=&+,;:@!$'()*]*$/;

/** Where a dataset lives: a links file, or a folder holding links.csv|links.jsonl and optionally domains.csv. */
export async function resolveDatasetFiles(path: string, variable = 'BACKLINK_GAP_DATA'): Promise<DatasetFiles> {
  const absolute = resolve(path);
  const info = await stat(absolute).catch(() => undefined);
  if (info === undefined) {
    throw new UsageError(
      'dataset_error',
      `${variable} names ${absolute}, which does not exist. Point ${variable} at a links .csv or .jsonl file, a folder holding links.csv (and optionally domains.csv), or a folder of backlink exports as downloaded; unset it to use the bundled sample.`,
    );
  }
  if (info.isDirectory()) {
    if (!(await isClassicFolder(absolute))) return { links: absolute, format: 'exports' };
    const csv = join(absolute, 'links.csv');
    const jsonl = join(absolute, 'links.jsonl');
    const [hasCsv, hasJsonl, domainsInfo] = await Promise.all([
      isFile(csv),
      isFile(jsonl),
      stat(join(absolute, 'domains.csv')).catch(() => undefined),
    ]);
    if (hasCsv && hasJsonl) {
      throw new UsageError('dataset_error', `${absolute} holds both links.csv and links.jsonl; keep one of them.`);
    }
    if (!hasCsv && !hasJsonl) {
      throw new UsageError(
        'dataset_error',
        `${absolute} (from ${variable}) holds no links.csv or links.jsonl; add one, or point ${variable} at the links file itself.`,
      );
    }
    return {
      links: hasCsv ? csv : jsonl,
      format: hasCsv ? 'csv' : 'jsonl',
      ...(domainsInfo?.isFile() && { domains: join(absolute, 'domains.csv') }),
    };
  }
  const extension = extname(absolute).toLowerCase();
  if (extension === '.csv' || extension === '.tsv' || extension === '.txt' || extension === '.zip') {
    return !(await hasProjectHeader(absolute)) || extension !== '.csv' ? { links: absolute, format: 'exports' } : { links: absolute, format: 'csv' };
  }
  if (extension === '.jsonl' || extension === '.ndjson') return { links: absolute, format: 'jsonl' };
  throw new UsageError(
    'dataset_error',
    `${absolute} (from ${variable}) is neither .csv nor .jsonl; give a links .csv or .jsonl file, or a folder holding links.csv.`,
  );
}

const CLASSIC_FILES = new Set(['links.csv', 'links.jsonl', 'domains.csv']);
const EXPORT_EXTENSIONS = new Set(['.csv', '.tsv', '.txt', '.zip', '.jsonl', '.ndjson', '.xlsx', '.xls']);

/** A folder in the project's own layout (links.csv|links.jsonl, domains.csv, nothing else to read),
 *  read by the fast byte-level loader; anything else is a folder of exports. */
async function isClassicFolder(folder: string): Promise<boolean> {
  const names = (await readdir(folder, { withFileTypes: true }))
    .filter((entry) => entry.isFile() && !entry.name.startsWith('.') && EXPORT_EXTENSIONS.has(extname(entry.name).toLowerCase()))
    .map((entry) => entry.name);
  if (names.some((name) => !CLASSIC_FILES.has(name))) return false;
  return !names.includes('links.csv') || hasProjectHeader(join(folder, 'links.csv'));
}

/** Whether a CSV's first line is the project's own header (names source_url and target_url). */
async function hasProjectHeader(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(4096);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    const text = decodeText(head.subarray(0, bytesRead));
    const first = (text.split(/\r?\n/, 1)[0] ?? '').toLowerCase();
    return bytesRead === 0 || (first.includes('source_url') && first.includes('target_url'));
  } finally {
    await handle.close();
  }
}

async function isFile(path: string): Promise<boolean> {
  const info = await stat(path).catch(() => undefined);
  return info?.isFile() === true;
}

/** Comparable form of a URL (no scheme, no www, no trailing slash, no fragment); cheap for plain URLs. */
export function looseUrlKey(url: string): string {
  const match = /^https?:\/\/([a-z0-9.-]+)([/?#][^#]*)?(#.*)?$/i.exec(url.trim());
  if (match === null) return stripUrl(url);
  const rest = match[2] ?? '';
  if (!PLAIN_PATH.test(rest) || rest.includes('/.')) return stripUrl(url);
  let host = match[1]!.toLowerCase().replace(/\.$/, '');
  if (host.startsWith('www.')) host = host.slice(4);
  const query = rest.indexOf('?');
  const path = (query === -1 ? rest : rest.slice(0, query)).replace(/\/+$/, '');
  return `${host}${path}${query === -1 ? '' : rest.slice(query)}`;
}

class GrowableUint32 {
  array: Uint32Array;
  length = 0;
  constructor(capacity: number) {
    this.array = new Uint32Array(Math.max(16, capacity));
  }
  set(index: number, value: number): void {
    while (index >= this.array.length) {
      const bigger = new Uint32Array(this.array.length * 2);
      bigger.set(this.array);
      this.array = bigger;
    }
    this.array[index] = value;
    if (index >= this.length) this.length = index + 1;
  }
  /** The filled part, as a view: copying would briefly hold two copies of the largest arrays. */
  done(): Uint32Array {
    return this.array.subarray(0, this.length);
  }
}

/** The loaded, indexed dataset. Arrays are read-only by convention; ids are dense from 0. */
export class LocalDataset {
  constructor(
    readonly files: DatasetFiles,
    readonly linkCount: number,
    /** Links whose source and target share a registrable domain; kept out of the posting lists. */
    readonly internalLinks: number,
    // Per link.
    /** Also the source domain of each page id, since a page id is a link index. */
    readonly linkSourceDomain: Uint32Array,
    readonly linkTargetUrl: Uint32Array,
    readonly linkAnchor: Uint32Array,
    /** 0 when absent, else date id + 1. */
    readonly linkFirstSeen: Uint32Array,
    readonly linkLastSeen: Uint32Array,
    readonly linkNofollow: Uint8Array,
    /** Per link: its source page id (page ids are link indices, see SourcePages). */
    readonly linkSourcePage: Uint32Array,
    // Per target URL id.
    readonly targetUrlHost: Uint32Array,
    readonly targetUrlLoose: Uint32Array,
    // Posting lists by target registrable domain id.
    readonly postingOffsets: Uint32Array,
    readonly postings: Uint32Array,
    // Per domain id.
    readonly domainAuthority: Float32Array,
    /** -1 when unknown (rounded to a whole number). */
    readonly domainSpam: Int16Array,
    readonly domainBacklinks: Float64Array,
    readonly domainReferringDomains: Float64Array,
    /** Higher is more authority; equal authority gives equal rank; 0 when unknown. */
    readonly domainAuthorityRank: Uint32Array,
    /** Per date id + 1 (as stored on links): later is higher; 0 for absent. */
    readonly dateRank: Uint32Array,
    private readonly domainNames: string[],
    private readonly domainPool: BytePool,
    private readonly hostIds: Map<string, number>,
    private readonly looseIds: Map<string, number>,
    private readonly sourcePages: SourcePages,
    private readonly targetUrls: BytePool,
    private readonly anchors: BytePool,
    private readonly dates: BytePool,
    /** Present when the dataset was read from vendor exports. */
    readonly exports?: ExportInfo,
  ) {}

  /** Ids of domains that link to `yourDomain` per a Search Console export (named for it, or naming no site). */
  ownerSources(yourDomain: string): number[] {
    if (this.exports === undefined) return [];
    return this.exports.owners.filter((group) => group.domain === undefined || group.domain === yourDomain).flatMap((group) => group.ids);
  }

  /** Page titles of a referring domain from exports; undefined when none. */
  titlesOf(id: number): string[] | undefined {
    return this.exports?.titles(id);
  }

  /** How a domain's authority was made (vendor figures, scale), when it came from exports. */
  vendorFigures(id: number): { metrics: Record<string, number>; raw?: number; scale?: string } | undefined {
    return this.exports?.vendor(id);
  }

  get domainCount(): number {
    return this.domainNames.length;
  }
  /** Bound of source page ids (for arrays indexed by page id); `distinctPages` is the real count. */
  get sourcePageIdLimit(): number {
    return this.sourcePages.idLimit;
  }
  get distinctPages(): number {
    return this.sourcePages.distinct;
  }
  get anchorCount(): number {
    return this.anchors.size;
  }
  /** -1 when the domain never appears. */
  domainId(domain: string): number {
    const bytes = Buffer.from(domain, 'utf8');
    return this.domainPool.find(bytes, 0, bytes.length);
  }
  /** -1 when no target URL has this host. */
  targetHostId(host: string): number {
    return this.hostIds.get(host) ?? -1;
  }
  /** -1 when no target URL has this loose key. */
  targetLooseId(key: string): number {
    return this.looseIds.get(key) ?? -1;
  }
  domainName(id: number): string {
    return this.domainNames[id]!;
  }
  sourceUrl(id: number): string {
    return this.sourcePages.get(id);
  }
  targetUrl(id: number): string {
    return this.targetUrls.get(id);
  }
  anchor(id: number): string {
    return this.anchors.get(id);
  }
  /** `stored` is the value kept on a link (date id + 1); must not be 0. */
  date(stored: number): string {
    return this.dates.get(stored - 1);
  }
  compareSourceUrls(left: number, right: number): number {
    return this.sourcePages.compare(left, right);
  }
  /** Figures of a domain, absent members unknown. */
  figures(id: number): DomainFigures {
    const authority = this.domainAuthority[id]!;
    const spam = this.domainSpam[id]!;
    const backlinks = this.domainBacklinks[id]!;
    const referring = this.domainReferringDomains[id]!;
    return {
      ...(!Number.isNaN(authority) && { authority }),
      ...(spam >= 0 && { spam_score: spam }),
      ...(!Number.isNaN(backlinks) && { backlinks }),
      ...(!Number.isNaN(referring) && { referring_domains: referring }),
    };
  }
}

/** Load and index the dataset at `path` (a links file or a folder). */
export async function loadDataset(path: string, options?: { variable?: string; now?: Date }): Promise<LocalDataset> {
  const files = await resolveDatasetFiles(path, options?.variable);
  if (files.format === 'exports') return loadExports(files, options?.now ?? new Date());
  const builder = new IndexBuilder(files.links, await estimateLines(files.links));
  if (files.format === 'csv') await builder.readCsv();
  else await builder.readJsonl();
  const figures = builder.figureArrays();
  if (files.domains !== undefined) await builder.readDomains(files.domains, figures);
  return builder.finish(files, figures);
}

/** A folder (or one file) of vendor exports: each file's kind from its header, broken files reported in answers. */
async function loadExports(files: DatasetFiles, now: Date): Promise<LocalDataset> {
  const info = await stat(files.links);
  const folder = info.isDirectory() ? files.links : dirname(files.links);
  const only = info.isDirectory() ? undefined : basename(files.links);
  // Loaded only for exports: the bundled sample and plain links files never need a CSV library.
  const [{ authorityOf, readExports, sourceNotes }, { EXPORT_KINDS }] = await Promise.all([import('./local/exports.js'), import('./local/export-kinds.js')]);
  // Sized once from the rows the files probably hold (growing a million-link builder copies it several times).
  let builder = new IndexBuilder(files.links, 1024);
  const load = await readExports(folder, (buffer, ranges, file, line, knownSource, nofollow) => builder.addBytes(buffer, ranges, file, line, knownSource, nofollow), {
    now,
    ...(only !== undefined && { only }),
    expectRows: (rows) => {
      builder = new IndexBuilder(files.links, Math.max(1024, Math.ceil(rows * 1.05)));
    },
  });
  if (builder.size === 0) {
    const problems = load.failures.map((failure) => `${failure.file}: ${failure.message}`);
    const read = load.sources.map((source) => `${source.file} (${source.kind.title})`);
    throw new UsageError(
      'dataset_error',
      `${files.links} holds no links.csv or links.jsonl and no links in an export file I can read${read.length > 0 ? ` (read: ${read.join(', ')})` : ''}${problems.length > 0 ? `. ${problems.join('. ')}` : ''}. Put Ahrefs, Semrush, Majestic or Moz backlink exports (CSV, as downloaded) or a links.csv there.`,
    );
  }
  const ownerIds = load.owners.map((group) => ({ ...(group.domain !== undefined && { domain: group.domain }), ids: [...group.sources].map((domain) => builder.internDomain(domain)) }));
  const figures = builder.figureArrays();
  const labels = new Map(
    EXPORT_KINDS.flatMap((kind) => kind.metrics ?? []).map((metric) => [metric.key, { label: metric.label, authority: metric.authority, pageLevel: metric.page_level === true }]),
  );
  // Figures go straight into the typed arrays; the per-vendor detail and titles of a domain are
  // made when an answer shows it (one object per referring domain at load cost seconds at 1M rows).
  const { figureOf, titleOf } = load.fill((domain) => builder.findDomain(domain), labels, figures);
  const vendor = (id: number): ReturnType<ExportInfo['vendor']> => {
    const found = id < figureOf.length && figureOf[id] !== -1 ? load.figuresAt(figureOf[id]!) : undefined;
    if (found === undefined) return undefined;
    const { raw, scale } = authorityOf(found, labels);
    let metrics = found.metrics;
    if (metrics.spam_score !== undefined) {
      const { spam_score: _spam, ...vendorOnly } = metrics;
      metrics = vendorOnly;
    }
    return { metrics, ...(raw !== undefined && { raw }), ...(scale !== undefined && { scale }) };
  };
  const titles = (id: number) => (id < titleOf.length && titleOf[id] !== -1 ? load.titlesAt(titleOf[id]!) : undefined);
  const notes = (domains: string[], owner?: string) => sourceNotes(load, domains, owner);
  return builder.finish(files, figures, { load, vendor, titles, owners: ownerIds, notes });
}

/** Lines in a file, estimated from the average length of its first 256 KB (arrays are sized once). */
async function estimateLines(file: string): Promise<number> {
  const handle = await open(file, 'r');
  try {
    const size = (await handle.stat()).size;
    const head = Buffer.allocUnsafe(Math.min(size, 256 * 1024));
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    let lines = 0;
    for (let index = head.indexOf(10); index !== -1 && index < bytesRead; index = head.indexOf(10, index + 1)) lines++;
    if (bytesRead >= size) return lines + 1;
    return Math.ceil((size / Math.max(1, bytesRead)) * Math.max(1, lines) * 1.05);
  } finally {
    await handle.close();
  }
}

/** A plain decimal (digits, at most one dot) read from bytes; NaN for anything else. */
function plainNumber(buffer: Uint8Array, start: number, end: number): number {
  let value = 0;
  let scale = 0;
  for (let index = start; index < end; index++) {
    const byte = buffer[index]!;
    if (byte === 46) {
      if (scale !== 0) return Number.NaN;
      scale = 1;
      continue;
    }
    const digit = byte - 48;
    if (digit < 0 || digit > 9) return Number.NaN;
    value = value * 10 + digit;
    if (scale !== 0) scale *= 10;
  }
  if (end - start > 15 || (scale === 1 && end - start === 1)) return Number.NaN;
  return scale === 0 ? value : value / scale;
}

function trimStart(buffer: Uint8Array, start: number, end: number): number {
  while (start < end && (buffer[start] === SPACE || buffer[start] === TAB)) start++;
  return start;
}
function trimEnd(buffer: Uint8Array, start: number, end: number): number {
  while (end > start && (buffer[end - 1] === SPACE || buffer[end - 1] === TAB)) end--;
  return end;
}

/** Case-insensitive match of an ASCII word (lowercase) at buffer[start, end). */
function bytesEqual(buffer: Uint8Array, start: number, end: number, word: string): boolean {
  if (end - start !== word.length) return false;
  for (let index = 0; index < word.length; index++) {
    if ((buffer[start + index]! | 0x20) !== word.charCodeAt(index)) return false;
  }
  return true;
}

/** Offset after `http://` or `https://` (any case), or -1. */
function afterScheme(buffer: Uint8Array, start: number, end: number): number {
  if (end - start < 8) return -1;
  if (!bytesEqual(buffer, start, start + 4, 'http')) return -1;
  let index = start + 4;
  if ((buffer[index]! | 0x20) === 115) index++; // 's'
  if (buffer[index] === 58 && buffer[index + 1] === 47 && buffer[index + 2] === 47) return index + 3;
  return -1;
}

const FIRST_YEAR = 1990;
const DAY_SLOTS = 100 * 12 * 31;

/** A slot number for YYYY-MM-DD at buffer[start] in years 1990-2089, or -1 for anything else. */
function plainDay(buffer: Uint8Array, start: number): number {
  if (buffer[start + 4] !== 45 || buffer[start + 7] !== 45) return -1;
  let value = 0;
  for (let offset = 0; offset < 10; offset++) {
    if (offset === 4 || offset === 7) continue;
    const digit = buffer[start + offset]! - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  const year = ((value / 10_000) | 0) - FIRST_YEAR;
  const month = ((value / 100) | 0) % 100;
  const dayOfMonth = value % 100;
  if (year < 0 || year >= 100 || month < 1 || month > 12 || dayOfMonth < 1 || dayOfMonth > 31) return -1;
  return (year * 12 + month - 1) * 31 + dayOfMonth - 1;
}

function describeValue(buffer: Uint8Array, start: number, end: number): string {
  const text = Buffer.from(buffer.subarray(start, Math.min(end, start + 80))).toString('utf8');
  return JSON.stringify(end - start > 80 ? `${text}…` : text);
}

class IndexBuilder {
  // Per-link columns share one capacity so each row costs one bounds check, not six.
  private capacity: number;
  private linkSourceDomain: Uint32Array;
  private linkTargetUrl: Uint32Array;
  private linkAnchor: Uint32Array;
  private linkFirstSeen: Uint32Array;
  private linkLastSeen: Uint32Array;
  private linkNofollow: Uint8Array;
  private linkCount = 0;

  private readonly sourcePages: SourcePagesBuilder;
  private readonly targetUrls = new BytePool(4096, 48);
  private readonly targetUrlHost = new GrowableUint32(4096);
  private readonly targetUrlLoose = new GrowableUint32(4096);
  private readonly targetUrlDomain = new GrowableUint32(4096);
  private readonly anchors = new BytePool(16_384, 16);
  private readonly dates = new BytePool(1024, 10);
  /** Raw plain source hosts (bytes) → domain id. */
  private readonly sourceHosts: BytePool;
  private readonly sourceHostDomain = new GrowableUint32(16_384);
  /** Source hosts that needed the slow path, by text. */
  private readonly slowSourceHosts = new Map<string, number>();

  private readonly domainNames: string[] = [];
  private readonly domainPool: BytePool;
  private readonly hostNames: string[] = [];
  private readonly hostIds = new Map<string, number>();
  private readonly hostDomain = new GrowableUint32(1024);
  private readonly looseIds = new Map<string, number>();

  /** Date id + 1 by plainDay() number; 0 when not seen yet. */
  private readonly dayIds = new Uint32Array(DAY_SLOTS);

  /** Field ranges of the current link: [start, end] per LINK_COLUMNS entry. */
  private readonly ranges = new Int32Array(LINK_COLUMNS.length * 2);

  constructor(
    private file: string,
    expectedLinks: number,
  ) {
    const capacity = Math.max(1024, expectedLinks);
    this.capacity = capacity;
    this.linkSourceDomain = new Uint32Array(capacity);
    this.linkTargetUrl = new Uint32Array(capacity);
    this.linkAnchor = new Uint32Array(capacity);
    this.linkFirstSeen = new Uint32Array(capacity);
    this.linkLastSeen = new Uint32Array(capacity);
    this.linkNofollow = new Uint8Array(capacity);
    this.sourcePages = new SourcePagesBuilder(capacity);
    this.sourceHosts = new BytePool(Math.max(16_384, capacity >> 4), 24);
    this.domainPool = new BytePool(Math.max(16_384, capacity >> 3), 16);
  }

  async readCsv(): Promise<void> {
    let columns: Int32Array | undefined;
    const ranges = this.ranges;
    await readCsv(this.file, (record) => {
      if (columns === undefined) {
        columns = linkHeader(this.file, record.buffer, record.starts, record.ends, record.count);
        return;
      }
      if (record.count !== columns[LINK_COLUMNS.length]) {
        throw datasetError(
          this.file,
          record.line,
          `found ${record.count} fields but the header has ${columns[LINK_COLUMNS.length]}; quote any field that contains a comma ("like, this")`,
        );
      }
      for (let column = 0; column < LINK_COLUMNS.length; column++) {
        const field = columns[column]!;
        if (field === -1) {
          ranges[column * 2] = 0;
          ranges[column * 2 + 1] = 0;
        } else {
          ranges[column * 2] = record.starts[field]!;
          ranges[column * 2 + 1] = record.ends[field]!;
        }
      }
      this.addLink(record.buffer, record.line);
    });
    if (columns === undefined) {
      throw datasetError(this.file, 1, `the file is empty; the first line must be the header ${LINK_COLUMNS.slice(0, 4).join(',')}`);
    }
  }

  get size(): number {
    return this.linkCount;
  }

  /** One link given as byte ranges (an export row, see AddLink); throws a dataset error naming `file` and `line` for a bad one. */
  addBytes(buffer: Buffer, ranges: Int32Array, file: string, line: number, knownSource: number, nofollow: number): number {
    this.file = file;
    this.ranges.set(ranges);
    return this.addLink(buffer, line, knownSource, nofollow);
  }

  /** The id of a registrable domain, interned if new. */
  internDomain(name: string): number {
    return this.domain(name);
  }

  /** -1 when the domain never appeared. */
  findDomain(name: string): number {
    const bytes = Buffer.from(name, 'utf8');
    return this.domainPool.find(bytes, 0, bytes.length);
  }

  async readJsonl(): Promise<void> {
    let scratch = Buffer.allocUnsafe(4096);
    const ranges = this.ranges;
    await readLines(this.file, (text, line) => {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (error) {
        throw datasetError(this.file, line, `not valid JSON (${(error as Error).message}); each line must be one JSON object`);
      }
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw datasetError(this.file, line, 'each line must be one JSON object with source_url, target_url, anchor and nofollow');
      }
      const row = value as Record<string, unknown>;
      const texts: string[] = [];
      for (let column = 0; column < LINK_COLUMNS.length; column++) {
        const name = LINK_COLUMNS[column]!;
        const cell = row[name];
        if (cell === undefined || cell === null) {
          if (column < REQUIRED_LINK_COLUMNS && name !== 'anchor') {
            throw datasetError(this.file, line, `missing "${name}"; every line needs ${LINK_COLUMNS.slice(0, 4).join(', ')}`);
          }
          texts.push('');
        } else if (name === 'nofollow' && (typeof cell === 'boolean' || typeof cell === 'number')) {
          texts.push(String(cell));
        } else if (typeof cell === 'string') {
          texts.push(cell);
        } else {
          throw datasetError(this.file, line, `"${name}" must be a string${name === 'nofollow' ? ' or a boolean' : ''}`);
        }
      }
      let needed = 0;
      for (const cell of texts) needed += Buffer.byteLength(cell);
      if (scratch.length < needed) scratch = Buffer.allocUnsafe(needed * 2);
      let position = 0;
      texts.forEach((cell, column) => {
        ranges[column * 2] = position;
        position += scratch.write(cell, position);
        ranges[column * 2 + 1] = position;
      });
      this.addLink(scratch, line);
    });
  }

  /** Adds the link in `this.ranges`; returns its source domain's id. `knownSource`: that id when the caller knows it (else -1);
   *  `knownNofollow`: 1 or 0 when the caller has read it (else -1: read from its range). */
  private addLink(buffer: Buffer, line: number, knownSource = -1, knownNofollow = -1): number {
    const ranges = this.ranges;
    const file = this.file;

    // source_url
    let start = trimStart(buffer, ranges[0]!, ranges[1]!);
    let end = trimEnd(buffer, start, ranges[1]!);
    const sourceHostStart = afterScheme(buffer, start, end);
    if (sourceHostStart === -1) throw badUrl(file, line, 'source_url', buffer, start, end);
    const sourceDomain = knownSource !== -1 ? knownSource : this.sourceDomainOf(buffer, start, end, sourceHostStart, line);
    this.sourcePages.add(buffer, start, end);

    // target_url
    start = trimStart(buffer, ranges[2]!, ranges[3]!);
    end = trimEnd(buffer, start, ranges[3]!);
    const targetHostStart = afterScheme(buffer, start, end);
    if (targetHostStart === -1) throw badUrl(file, line, 'target_url', buffer, start, end);
    const targetBefore = this.targetUrls.size;
    const targetUrl = this.targetUrls.intern(buffer, start, end);
    if (targetUrl === targetBefore) {
      const url = buffer.toString('utf8', start, end);
      const host = hostOf(url);
      if (host === undefined) throw badUrl(file, line, 'target_url', buffer, start, end);
      let hostId = this.hostIds.get(host);
      if (hostId === undefined) {
        hostId = this.hostNames.length;
        this.hostNames.push(host);
        this.hostIds.set(host, hostId);
        this.hostDomain.set(hostId, this.domain(sourceDomainOf(host)));
      }
      const key = looseUrlKey(url);
      let looseId = this.looseIds.get(key);
      if (looseId === undefined) {
        looseId = this.looseIds.size;
        this.looseIds.set(key, looseId);
      }
      this.targetUrlHost.set(targetUrl, hostId);
      this.targetUrlLoose.set(targetUrl, looseId);
      this.targetUrlDomain.set(targetUrl, this.hostDomain.array[hostId]!);
    }

    // anchor
    start = trimStart(buffer, ranges[4]!, ranges[5]!);
    end = trimEnd(buffer, start, ranges[5]!);
    const anchor = this.anchors.intern(buffer, start, end);

    // nofollow
    start = trimStart(buffer, ranges[6]!, ranges[7]!);
    end = trimEnd(buffer, start, ranges[7]!);
    let nofollow: number;
    if (knownNofollow !== -1) nofollow = knownNofollow;
    else if (end - start === 1 && buffer[start] === 49) nofollow = 1;
    else if (end - start === 1 && buffer[start] === 48) nofollow = 0;
    else if (bytesEqual(buffer, start, end, 'true')) nofollow = 1;
    else if (bytesEqual(buffer, start, end, 'false')) nofollow = 0;
    else {
      throw datasetError(file, line, `nofollow is ${describeValue(buffer, start, end)}; write true, false, 1 or 0`);
    }

    const firstSeen = this.date(buffer, ranges[8]!, ranges[9]!, line, 'first_seen');
    const lastSeen = this.date(buffer, ranges[10]!, ranges[11]!, line, 'last_seen');

    const index = this.linkCount++;
    if (index === this.capacity) this.grow();
    this.linkSourceDomain[index] = sourceDomain;
    this.linkTargetUrl[index] = targetUrl;
    this.linkAnchor[index] = anchor;
    this.linkFirstSeen[index] = firstSeen;
    this.linkLastSeen[index] = lastSeen;
    this.linkNofollow[index] = nofollow;
    return sourceDomain;
  }

  /** Registrable domain of a plain lowercase host (what sourceDomainOf gives, without parsing a URL). */
  private domainName(raw: string): string {
    let host = raw.endsWith('.') ? raw.slice(0, -1) : raw;
    if (host.startsWith('www.')) host = host.slice(4);
    // With one dot the answer is the host whatever the suffix list says (a registrable domain, or
    // a suffix / unknown name that sourceDomainOf keeps as it is), so skip the lookup.
    const dot = host.indexOf('.');
    if (dot > 0 && host.indexOf('.', dot + 1) === -1) return host;
    // The one rule every provider uses: platform subdomains (joe.wordpress.com) are sites of their own.
    return domainOfHost(host);
  }

  private grow(): void {
    const capacity = Math.ceil(this.capacity * 1.5);
    const widen = <T extends Uint32Array | Uint8Array>(array: T, make: (size: number) => T): T => {
      const bigger = make(capacity);
      bigger.set(array);
      return bigger;
    };
    this.linkSourceDomain = widen(this.linkSourceDomain, (size) => new Uint32Array(size));
    this.linkTargetUrl = widen(this.linkTargetUrl, (size) => new Uint32Array(size));
    this.linkAnchor = widen(this.linkAnchor, (size) => new Uint32Array(size));
    this.linkFirstSeen = widen(this.linkFirstSeen, (size) => new Uint32Array(size));
    this.linkLastSeen = widen(this.linkLastSeen, (size) => new Uint32Array(size));
    this.linkNofollow = widen(this.linkNofollow, (size) => new Uint8Array(size));
    this.capacity = capacity;
  }

  private sourceDomainOf(buffer: Buffer, start: number, end: number, hostStart: number, line: number): number {
    // Scan the host: plain (lowercase letters, digits, dots, hyphens) and how many dots.
    let index = hostStart;
    let dots = 0;
    while (index < end) {
      const byte = buffer[index]!;
      if (byte === 47 || byte === 63 || byte === 35) break; // / ? #
      if (byte === 46) dots++;
      else if (!((byte >= 97 && byte <= 122) || (byte >= 48 && byte <= 57) || byte === 45)) {
        dots = -1;
        break;
      }
      index++;
    }
    const hostEnd = index;
    if (dots > 0 && buffer[hostEnd - 1] !== 46 && buffer[hostStart] !== 46) {
      let from = hostStart;
      if (dots >= 2 && bytesEqual(buffer, hostStart, hostStart + 4, 'www.')) {
        from += 4;
        dots--;
      }
      // example.com (after www.) is its own registrable domain: intern its bytes, no string at all.
      if (dots === 1 && !bytesEqual(buffer, from, from + 4, 'www.')) return this.domainOfBytes(buffer, from, hostEnd);
      const before = this.sourceHosts.size;
      const hostId = this.sourceHosts.intern(buffer, hostStart, hostEnd);
      if (hostId === before) {
        this.sourceHostDomain.set(hostId, this.domain(this.domainName(buffer.toString('latin1', hostStart, hostEnd))));
      }
      return this.sourceHostDomain.array[hostId]!;
    }
    const url = buffer.toString('utf8', start, end);
    const host = hostOf(url);
    if (host === undefined) throw badUrl(this.file, line, 'source_url', buffer, start, end);
    let known = this.slowSourceHosts.get(host);
    if (known === undefined) {
      known = this.domain(sourceDomainOf(host));
      this.slowSourceHosts.set(host, known);
    }
    return known;
  }

  private date(buffer: Buffer, rawStart: number, rawEnd: number, line: number, column: string): number {
    const start = trimStart(buffer, rawStart, rawEnd);
    const end = trimEnd(buffer, start, rawEnd);
    if (start === end) return 0;
    // Plain YYYY-MM-DD dates (nearly all of them) are looked up by day number, not hashed.
    const day = end - start === 10 ? plainDay(buffer, start) : -1;
    if (day !== -1 && this.dayIds[day] !== 0) return this.dayIds[day]!;
    const before = this.dates.size;
    const id = this.dates.intern(buffer, start, end);
    if (id === before) {
      const text = buffer.toString('utf8', start, end);
      if (!ISO_DATE.test(text) || Number.isNaN(Date.parse(text))) {
        throw datasetError(this.file, line, `${column} is ${JSON.stringify(text)}; write an ISO date such as 2025-03-14 (or leave it empty)`);
      }
    }
    if (day !== -1) this.dayIds[day] = id + 1;
    return id + 1;
  }

  /** Domain ids are interned by their bytes (ASCII: hosts here are plain or punycode). */
  private domainOfBytes(buffer: Buffer, start: number, end: number): number {
    const before = this.domainPool.size;
    const id = this.domainPool.intern(buffer, start, end);
    if (id === before) this.domainNames.push(buffer.toString('latin1', start, end));
    return id;
  }

  private domain(name: string): number {
    const bytes = Buffer.from(name, 'utf8');
    return this.domainOfBytes(bytes, 0, bytes.length);
  }

  /** Per-domain figure arrays, filled with the unknown sentinels, for readDomains() to fill in. */
  figureArrays(): FigureArrays {
    const count = this.domainNames.length;
    return {
      authority: new Float32Array(count).fill(Number.NaN),
      spam: new Int16Array(count).fill(-1),
      backlinks: new Float64Array(count).fill(Number.NaN),
      referringDomains: new Float64Array(count).fill(Number.NaN),
      assigned: new Uint8Array(count),
    };
  }

  /** domains.csv: domain,authority,spam_score[,backlinks,referring_domains]; empty cells are unknown.
   *  Rows for domains that never link are checked and skipped; the first row of a domain wins. */
  async readDomains(file: string, figures: FigureArrays): Promise<void> {
    let columns: Int32Array | undefined;
    let fieldCount = 0;
    const values = new Float64Array(4);
    await readCsv(file, (record) => {
      const { buffer, starts, ends } = record;
      if (columns === undefined) {
        const header: string[] = [];
        for (let field = 0; field < record.count; field++) {
          header.push(buffer.toString('utf8', starts[field]!, ends[field]!).trim().toLowerCase());
        }
        columns = Int32Array.from(DOMAIN_COLUMNS, (name) => header.indexOf(name));
        fieldCount = record.count;
        const missing = DOMAIN_COLUMNS.slice(0, REQUIRED_DOMAIN_COLUMNS).filter((_, column) => columns![column] === -1);
        if (missing.length > 0) {
          throw datasetError(
            file,
            1,
            `the header lacks ${missing.join(', ')}; the first line must name the columns domain,authority,spam_score (optionally backlinks,referring_domains)`,
          );
        }
        return;
      }
      if (record.count !== fieldCount) {
        throw datasetError(file, record.line, `found ${record.count} fields but the header has ${fieldCount}`);
      }
      for (let column = 1; column < DOMAIN_COLUMNS.length; column++) {
        const field = columns[column]!;
        const start = field === -1 ? 0 : trimStart(buffer, starts[field]!, ends[field]!);
        const end = field === -1 ? 0 : trimEnd(buffer, start, ends[field]!);
        if (start === end) {
          values[column - 1] = Number.NaN;
          continue;
        }
        let value = plainNumber(buffer, start, end);
        if (Number.isNaN(value)) value = Number(buffer.toString('utf8', start, end));
        const max = column <= 2 ? 100 : Number.MAX_SAFE_INTEGER;
        if (!Number.isFinite(value) || value < 0 || value > max) {
          throw datasetError(
            file,
            record.line,
            `${DOMAIN_COLUMNS[column]} is ${describeValue(buffer, start, end)}; write ${column <= 2 ? 'a number from 0 to 100' : 'a count of 0 or more'} (or leave it empty when unknown)`,
          );
        }
        values[column - 1] = value;
      }
      const domainField = columns[0]!;
      const start = trimStart(buffer, starts[domainField]!, ends[domainField]!);
      const end = trimEnd(buffer, start, ends[domainField]!);
      // Most rows already hold a registrable domain exactly as the links name it.
      let id = this.domainPool.find(buffer, start, end);
      if (id === -1) {
        const raw = buffer.toString('utf8', start, end).toLowerCase();
        let name: string;
        if (/^[a-z0-9.-]+$/.test(raw) && raw.includes('.')) {
          name = this.domainName(raw);
        } else {
          if (hostOf(raw) === undefined) {
            throw datasetError(file, record.line, `domain is ${JSON.stringify(raw)}; write a domain such as example.com`);
          }
          name = sourceDomainOf(raw);
        }
        const bytes = Buffer.from(name, 'utf8');
        id = this.domainPool.find(bytes, 0, bytes.length);
        if (id === -1) return;
      }
      if (figures.assigned[id] === 1) return;
      figures.assigned[id] = 1;
      figures.authority[id] = values[0]!;
      if (!Number.isNaN(values[1]!)) figures.spam[id] = Math.round(values[1]!);
      figures.backlinks[id] = values[2]!;
      figures.referringDomains[id] = values[3]!;
    });
    if (columns === undefined) {
      throw datasetError(file, 1, 'the file is empty; the first line must be the header domain,authority,spam_score');
    }
  }

  finish(files: DatasetFiles, figures: FigureArrays, exportInfo?: ExportInfo): LocalDataset {
    const linkCount = this.linkCount;
    // Views of the filled part: copying would briefly hold two copies of the largest arrays.
    const linkSourceDomain = this.linkSourceDomain.subarray(0, linkCount);
    const linkTargetUrl = this.linkTargetUrl.subarray(0, linkCount);
    const targetUrlDomain = this.targetUrlDomain.done();
    const domainCount = this.domainNames.length;

    // Posting lists (CSR) by target registrable domain, internal links left out.
    const postingOffsets = new Uint32Array(domainCount + 1);
    let internalLinks = 0;
    for (let link = 0; link < linkCount; link++) {
      const target = targetUrlDomain[linkTargetUrl[link]!]!;
      if (target === linkSourceDomain[link]) internalLinks++;
      else postingOffsets[target + 1]!++;
    }
    for (let domain = 0; domain < domainCount; domain++) postingOffsets[domain + 1]! += postingOffsets[domain]!;
    const postings = new Uint32Array(linkCount - internalLinks);
    const cursor = postingOffsets.slice(0, domainCount);
    for (let link = 0; link < linkCount; link++) {
      const target = targetUrlDomain[linkTargetUrl[link]!]!;
      if (target !== linkSourceDomain[link]) postings[cursor[target]!++] = link;
    }

    const domainAuthority = figures.authority;
    const domainSpam = figures.spam;
    const domainBacklinks = figures.backlinks;
    const domainReferringDomains = figures.referringDomains;
    const domainAuthorityRank = rankBy(domainCount, (id) => domainAuthority[id]!);

    this.dates.seal();
    const dateValues = new Float64Array(this.dates.size + 1).fill(Number.NaN);
    for (let id = 0; id < this.dates.size; id++) dateValues[id + 1] = Date.parse(this.dates.get(id));
    const dateRank = rankBy(this.dates.size + 1, (stored) => dateValues[stored]!);

    const { pages, pageOfLink } = this.sourcePages.finish();
    this.targetUrls.seal();
    this.anchors.seal();
    return new LocalDataset(
      files,
      linkCount,
      internalLinks,
      linkSourceDomain,
      linkTargetUrl,
      this.linkAnchor.subarray(0, linkCount),
      this.linkFirstSeen.subarray(0, linkCount),
      this.linkLastSeen.subarray(0, linkCount),
      this.linkNofollow.subarray(0, linkCount),
      pageOfLink,
      this.targetUrlHost.done(),
      this.targetUrlLoose.done(),
      postingOffsets,
      postings,
      domainAuthority,
      domainSpam,
      domainBacklinks,
      domainReferringDomains,
      domainAuthorityRank,
      dateRank,
      this.domainNames,
      this.domainPool,
      this.hostIds,
      this.looseIds,
      pages,
      this.targetUrls,
      this.anchors,
      this.dates,
      exportInfo,
    );
  }
}

/** Dense ranks: 0 for NaN, then 1.. ascending by value, equal values sharing a rank. */
function rankBy(count: number, valueAt: (id: number) => number): Uint32Array {
  // The distinct values sorted natively (a comparator sort of ids costs ~10× more at 1M), then
  // each id's rank by binary search among them.
  const values = new Float64Array(count);
  let known = 0;
  for (let id = 0; id < count; id++) {
    const value = valueAt(id);
    if (!Number.isNaN(value)) values[known++] = value;
  }
  const sorted = values.subarray(0, known).sort();
  let distinct = 0;
  for (let index = 0; index < known; index++) if (distinct === 0 || sorted[index] !== sorted[distinct - 1]) sorted[distinct++] = sorted[index]!;
  const ranks = new Uint32Array(count);
  for (let id = 0; id < count; id++) {
    const value = valueAt(id);
    if (Number.isNaN(value)) continue;
    let low = 0;
    let high = distinct - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (sorted[middle]! < value) low = middle + 1;
      else high = middle;
    }
    ranks[id] = low + 1;
  }
  return ranks;
}

function badUrl(file: string, line: number, column: string, buffer: Uint8Array, start: number, end: number) {
  if (start === end) return datasetError(file, line, `${column} is empty; every link needs an absolute http(s) URL there`);
  return datasetError(
    file,
    line,
    `${column} is ${describeValue(buffer, start, end)}, not an absolute http(s) URL; write it as https://host/path`,
  );
}

/** Column positions for LINK_COLUMNS (-1 when absent), plus the field count at the end. */
function linkHeader(file: string, buffer: Buffer, starts: Int32Array, ends: Int32Array, count: number): Int32Array {
  const names: string[] = [];
  for (let field = 0; field < count; field++) names.push(buffer.toString('utf8', starts[field]!, ends[field]!).trim().toLowerCase());
  const columns = new Int32Array(LINK_COLUMNS.length + 1).fill(-1);
  LINK_COLUMNS.forEach((name, column) => {
    columns[column] = names.indexOf(name);
  });
  columns[LINK_COLUMNS.length] = count;
  const missing = LINK_COLUMNS.slice(0, REQUIRED_LINK_COLUMNS).filter((_, column) => columns[column] === -1);
  if (missing.length > 0) {
    throw datasetError(
      file,
      1,
      `the header lacks ${missing.join(', ')}; the first line must name the columns source_url,target_url,anchor,nofollow (optionally first_seen,last_seen), in any order`,
    );
  }
  return columns;
}

/** File name for messages. */
export function datasetLabel(files: DatasetFiles): string {
  if (files.format === 'exports') return `exports in ${basename(files.links)}`;
  return files.domains === undefined ? basename(files.links) : `${basename(files.links)} + ${basename(files.domains)}`;
}
