// Reads a folder of vendor backlink exports as downloaded (Ahrefs, Semrush, Majestic, Moz, Google
// Search Console, the project's own links files), mixed, each recognised by its header: decodes
// UTF-8 / UTF-16, sniffs the separator, and hands each row to the mapper of its kind (export-rows.ts).
// A file that cannot be read is reported (file, line, what to do) and the others still load.
//
// The rest of the reader, by concept: export-files.ts (which files, headers, names), export-cells.ts
// (flags, dates, numbers), export-keys.ts (domains, duplicate links), export-figures.ts (vendor
// figures, titles, authority), export-notes.ts (export dates, warnings, the notes answers carry).

import { UsageError } from '../../errors.js';
import { quotesClose, type RecordView, readCsv } from './csv.js';
import { decodeText, utf8Bytes } from './decode.js';
import type { FigureColumns, FigureTable, Labels, VendorFigures } from './export-figures.js';
import { type Candidate, candidates, domainInName, type ExportFailure, expectedRows, HEAD_BYTES, headerLine, sniffDelimiter, splitHeader } from './export-files.js';
import { EXPORT_KINDS, type ExportKind, kindOfHeader } from './export-kinds.js';
import { finishSource } from './export-notes.js';
import { columnsOf, type FileRows, type OwnerBundle, RowMapper, skip } from './export-rows.js';

export { flag, isoDay } from './export-cells.js';
export { authorityOf, type VendorFigures } from './export-figures.js';
export { type ExportFailure, sniffDelimiter } from './export-files.js';
export { sourceNotes } from './export-notes.js';

/**
 * Adds one link to the dataset. `ranges` holds [start, end) in `buffer` of its source URL, target
 * URL, anchor, (unused), first and last seen (YYYY-MM-DD or empty); valid only during the call;
 * `nofollow` is 1 or 0. Returns the dataset's id of the source's registrable domain, which the reader passes back
 * as `knownSource` for the next link from that domain (-1 when not known yet), so the dataset need
 * not work it out again. Throws a UsageError for a row it refuses (the row is then skipped and counted).
 */
export type AddLink = (buffer: Buffer, ranges: Int32Array, file: string, line: number, knownSource: number, nofollow: number) => number;

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

/** Domains that link to your own site, from a Search Console export. */
export interface OwnerGroup {
  /** Your site, when the export names it (its top linked pages); else undefined (assumed to be the asked domain). */
  domain?: string;
  sources: Set<string>;
  files: string[];
}

export interface ExportLoad {
  sources: ExportSource[];
  failures: ExportFailure[];
  /** Figures per referring domain (made when first read). */
  readonly figures: Map<string, VendorFigures>;
  /** Up to three linking-page titles per referring domain, where the export has them (made when first read). */
  readonly titles: Map<string, string[]>;
  owners: OwnerGroup[];
  /**
   * The same figures without a map: writes them into the dataset's per-domain arrays (`findDomain`
   * gives the dataset's id of a domain that has no link, -1 when absent) and returns, per dataset id,
   * the index figuresAt() and titlesAt() take (-1: none).
   */
  fill(findDomain: (name: string) => number, labels: Labels, into: FigureColumns): { figureOf: Int32Array; titleOf: Int32Array };
  figuresAt(index: number): VendorFigures | undefined;
  titlesAt(index: number): string[] | undefined;
}

class FileError extends Error {
  constructor(
    readonly line: number | undefined,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Read every export in `folder` into `addLink`. Referring-domain rows are added as one link from the
 * domain's home page, only where no link from that domain to that target was read.
 */
export async function readExports(
  folder: string,
  addLink: AddLink,
  options: {
    now?: Date;
    /** Read only this file of the folder. */
    only?: string;
    /** Told, before any link, how many rows the files probably hold (to size the dataset's tables once). */
    expectRows?: (rows: number) => void;
  } = {},
): Promise<ExportLoad> {
  const { now = new Date(), only } = options;
  const failures: ExportFailure[] = [];
  const found = await candidates(folder, failures, only);
  const sources: ExportSource[] = [];
  const bundles = new Map<string, OwnerBundle>();

  const typed = found.map((candidate) => {
    const { line } = headerLine(decodeText(candidate.head));
    const looksJson = line.trimStart().startsWith('{');
    return { candidate, kind: looksJson ? PROJECT_LINKS : kindOfHeader(splitHeader(line)), looksJson, header: line };
  });
  // Links first, so referring-domain rows know which pairs already have a link.
  const order = (shape: string | undefined) => (shape === 'links' || shape === undefined ? 0 : shape === 'domains' ? 1 : 2);
  typed.sort((left, right) => order(left.kind?.shape) - order(right.kind?.shape));
  const rows = found.reduce((sum, candidate) => sum + expectedRows(candidate), 0);
  options.expectRows?.(rows);
  const mapper = new RowMapper(
    addLink,
    typed.some((file) => file.kind?.shape === 'domains'),
    rows,
  );

  for (const { candidate, kind, looksJson, header } of typed) {
    try {
      if (kind === undefined) {
        const shown = header.length > 120 ? `${header.slice(0, 120)}…` : header;
        throw new FileError(
          1,
          `header not recognised (${JSON.stringify(shown)}); export it again from Ahrefs, Semrush, Majestic, Moz or Search Console with its original header, or give it the columns source_url,target_url,anchor,nofollow`,
        );
      }
      const file = newFile(mapper, candidate, kind, sources.length, bundles);
      if (looksJson) await readJsonLines(candidate, file, mapper);
      else await readTable(candidate, file, mapper);
      for (const [domain, count] of file.targets) file.source.targets.set(mapper.domains.names[domain]!, count);
      finishSource(file.source, candidate, file.latest, now);
      sources.push(file.source);
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
  const names = mapper.domains.names;
  const datasetId = (domain: number) => mapper.datasetId(domain);
  let byName: ReturnType<FigureTable['byName']> | undefined;
  return {
    sources,
    failures,
    owners,
    get figures() {
      byName ??= mapper.figures.byName(names);
      return byName.figures;
    },
    get titles() {
      byName ??= mapper.figures.byName(names);
      return byName.titles;
    },
    fill: (findDomain, labels, into) => mapper.figures.fill(names, datasetId, findDomain, labels, into),
    figuresAt: (index) => mapper.figures.figuresAt(index),
    titlesAt: (index) => mapper.figures.titlesAt(index),
  };
}

const PROJECT_LINKS = EXPORT_KINDS.find((kind) => kind.id === 'project-links')!;

function newFile(mapper: RowMapper, candidate: Candidate, kind: ExportKind, index: number, bundles: Map<string, OwnerBundle>): FileRows {
  const source: ExportSource = { file: candidate.name, kind, rows: 0, taken: 0, duplicates: 0, lost: 0, skipped: 0, targets: new Map(), warnings: [] };
  const file: FileRows = { source, index, kind, columns: { field: {}, metrics: [] }, targets: new Map(), latest: '', latestNumber: 0 };
  if (kind.shape === 'domains') {
    const target = domainInName(candidate.name);
    if (target === undefined) {
      throw new FileError(
        undefined,
        `${kind.title} export: the file does not name the domain it is for; rename it to start with that domain, e.g. competitor.com-refdomains.csv`,
      );
    }
    file.target = mapper.domains.id(target);
  }
  if (kind.vendor === 'gsc') {
    let bundle = bundles.get(candidate.bundle);
    if (bundle === undefined) {
      bundle = { sources: new Set(), pages: new Map(), files: [] };
      bundles.set(candidate.bundle, bundle);
    }
    bundle.files.push(candidate.name);
    file.bundle = bundle;
  }
  return file;
}

/** A CSV or TSV export, in whichever encoding and separator it came. */
async function readTable(candidate: Candidate, file: FileRows, mapper: RowMapper): Promise<void> {
  const { kind, source } = file;
  const bytes = utf8Bytes(await candidate.bytes());
  const { line: header, skip: skipLines, delimiter: declared } = headerLine(decodeText(bytes.subarray(0, HEAD_BYTES)));
  const delimiter = (declared ?? sniffDelimiter(header)) as ',' | '\t' | ';';
  const options = { delimiter, bytes };
  let width = -1;
  try {
    // A broken file adds nothing: when its quotes may not close, a first pass finds where.
    if (!quotesClose(bytes, delimiter)) await readCsv(candidate.name, () => {}, options);
    let record = 0;
    await readCsv(
      candidate.name,
      (row) => {
        if (record++ < skipLines) return;
        if (width === -1) {
          const cells = Array.from({ length: row.count }, (_, index) => row.buffer.toString('utf8', row.starts[index]!, row.ends[index]!));
          file.columns = columnsOf(kind, cells);
          width = row.count;
          if (kind.shape === 'links' && (file.columns.field.source === undefined || file.columns.field.target === undefined)) {
            throw new FileError(1, `${kind.title} export without a source or target URL column; export it again with all columns`);
          }
          if (kind.shape === 'domains' && file.columns.field.domain === undefined) {
            throw new FileError(1, `${kind.title} export without a domain column; export it again with all columns`);
          }
          return;
        }
        source.rows++;
        if (row.count > width + 1) {
          skip(source, row.line, `${row.count} fields where the header has ${width}`);
          return;
        }
        mapper.row(file, row);
      },
      options,
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
  if (width === -1) throw new FileError(1, 'the file is empty; download the export again');
}

const JSON_FIELDS = ['source_url', 'target_url', 'anchor', 'nofollow', 'first_seen', 'last_seen'] as const;

/** The project's links.jsonl among exports: one object per line, mapped as a links file's row. */
async function readJsonLines(candidate: Candidate, file: FileRows, mapper: RowMapper): Promise<void> {
  file.columns = { field: { source: 0, target: 1, anchor: 2, nofollow: 3, first_seen: 4, last_seen: 5 }, metrics: [] };
  const row: RecordView = { buffer: Buffer.allocUnsafe(4096), starts: new Int32Array(6), ends: new Int32Array(6), count: 6, line: 0 };
  const lines = decodeText(await candidate.bytes()).split(/\r?\n/);
  lines.forEach((text, index) => {
    if (text.trim() === '') return;
    const line = index + 1;
    file.source.rows++;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      skip(file.source, line, 'not valid JSON');
      return;
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      skip(file.source, line, 'not a JSON object');
      return;
    }
    const object = parsed as Record<string, unknown>;
    let position = 0;
    JSON_FIELDS.forEach((name, field) => {
      const cell = object[name];
      const value = typeof cell === 'string' ? cell : typeof cell === 'number' || typeof cell === 'boolean' ? String(cell) : '';
      if (row.buffer.length < position + value.length * 3) {
        const bigger = Buffer.allocUnsafe((position + value.length * 3) * 2);
        row.buffer.copy(bigger, 0, 0, position);
        row.buffer = bigger;
      }
      row.starts[field] = position;
      position += row.buffer.write(value, position, 'utf8');
      row.ends[field] = position;
    });
    row.line = line;
    mapper.row(file, row);
  });
}
