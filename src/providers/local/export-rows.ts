// One export row onto the dataset, whatever the vendor: the file's kind (export-kinds.ts) says which
// column holds which field, and one mapper per shape takes it from there. A link row (any vendor's
// backlinks export, or a links.jsonl line) becomes one link; a referring-domains row one link from
// the domain's home page; a figures row per-domain figures; a Search Console row an "already links
// to you" domain. Rows are read as bytes (export-cells.ts); a string is made only for what is kept.

import type { RecordView } from './csv.js';
import { Cell, dayNumber, dayNumberAt, isoDay } from './export-cells.js';
import { FigureTable } from './export-figures.js';
import { DomainTable, isHttpUrl, LinkKeys, PairSet } from './export-keys.js';
import { type ExportField, type ExportKind, headerKey } from './export-kinds.js';
import type { AddLink, ExportSource } from './exports.js';

/** Column lookup of one file: field → index, metric key → index. */
export interface Columns {
  field: Partial<Record<ExportField, number>>;
  /** `slot`: the figure table's, found on first use. */
  metrics: Array<{ key: string; index: number; authority: boolean; slot?: number }>;
}

export function columnsOf(kind: ExportKind, header: readonly string[]): Columns {
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
    if (index !== undefined) metrics.push({ key: metric.key, index, authority: metric.authority });
  }
  return { field, metrics };
}

/** A Search Console bundle (one ZIP, or the loose files of a folder): who links to one site. */
export interface OwnerBundle {
  sources: Set<string>;
  /** Your site's pages per domain, to tell which site the bundle is about. */
  pages: Map<string, number>;
  files: string[];
}

/** One file as its rows are mapped. */
export interface FileRows {
  source: ExportSource;
  /** Its place in the load: a link first read in an earlier file is a duplicate here. */
  index: number;
  kind: ExportKind;
  columns: Columns;
  /** For a referring-domains export: the domain index of the target its name gives. */
  target?: number;
  bundle?: OwnerBundle;
  /** Targets by domain index (names are put on the source when the file is done). */
  targets: Map<number, number>;
  /** Latest last-seen day, as text and as YYYYMMDD. */
  latest: string;
  latestNumber: number;
}

export function skip(source: ExportSource, line: number, why: string): void {
  source.skipped++;
  source.firstSkip ??= `line ${line}: ${why}`;
}

const HTTPS = Buffer.from('https://');
const SLASH = Buffer.from('/');
const ZERO = Buffer.from('0');

/** Maps the rows of every file of one load onto the dataset and the shared tables. */
export class RowMapper {
  readonly domains: DomainTable;
  readonly figures = new FigureTable();
  private readonly links: LinkKeys;
  private readonly pairs = new PairSet();
  // Reused for every row: a row costs no allocation on the common path.
  private readonly from = new Cell();
  private readonly to = new Cell();
  private readonly cell = new Cell();
  private scratch = Buffer.allocUnsafe(4096);
  private used = 0;
  private readonly ranges = new Int32Array(12);
  /** The dataset's id of each source domain (by domain index), -1 until its first link. */
  private datasetIds = new Int32Array(16_384).fill(-1);

  constructor(
    private readonly addLink: AddLink,
    /** Whether a referring-domains export is among the files (only then are linked pairs kept). */
    private readonly needPairs: boolean,
    /** Rows expected over all files, to size the tables once. */
    expectedRows: number,
  ) {
    this.domains = new DomainTable(Math.max(16_384, expectedRows >> 2));
    this.links = new LinkKeys(Math.max(65_536, expectedRows));
  }

  /** The dataset's id of a domain (by index) that has links, else -1. */
  datasetId(domain: number): number {
    return domain < this.datasetIds.length ? this.datasetIds[domain]! : -1;
  }

  /** One data row of `file`. */
  row(file: FileRows, row: RecordView): void {
    const last = this.cell.read(row, file.columns.field.last_seen);
    const plain = last.plainDay();
    if (plain !== -1) {
      const day = dayNumberAt(last.buffer, plain);
      if (day > file.latestNumber) {
        file.latestNumber = day;
        file.latest = last.buffer.toString('latin1', plain, plain + 10);
      }
    } else if (last.length > 0) {
      const day = isoDay(last.text());
      if (day > file.latest) {
        file.latest = day;
        file.latestNumber = dayNumber(day);
      }
    }
    switch (file.kind.shape) {
      case 'links':
        this.link(file, row);
        return;
      case 'domains':
        this.referringDomain(file, row);
        return;
      case 'figures':
        this.declaredFigures(file, row);
        return;
      case 'owner_sites':
      case 'owner_links': {
        const value = this.cell.read(row, file.columns.field[file.kind.shape === 'owner_sites' ? 'domain' : 'source']);
        const domain = this.domains.ofCell(value);
        if (domain === -1) {
          skip(file.source, row.line, `${JSON.stringify(value.text())} is not a site or URL`);
          return;
        }
        file.bundle!.sources.add(this.domains.names[domain]!);
        file.source.taken++;
        return;
      }
      case 'owner_pages': {
        const domain = this.domains.ofCell(this.cell.read(row, file.columns.field.target));
        if (domain !== -1) {
          const name = this.domains.names[domain]!;
          file.bundle!.pages.set(name, (file.bundle!.pages.get(name) ?? 0) + 1);
        }
        file.source.taken++;
        return;
      }
      case 'ignored':
        return;
    }
  }

  /** A link row: source page → target page, as every backlinks export and links.jsonl has. */
  private link(file: FileRows, row: RecordView): void {
    const { source, columns } = file;
    const field = columns.field;
    const from = this.from.read(row, field.source);
    const to = this.to.read(row, field.target);
    const sourceDomain = isHttpUrl(from) ? this.domains.ofCell(from, 0) : -1;
    if (sourceDomain === -1) {
      skip(source, row.line, `source ${JSON.stringify(from.text().slice(0, 80))} is not an http(s) URL`);
      return;
    }
    const targetDomain = this.domains.ofCell(to, 1);
    if (targetDomain === -1) {
      skip(source, row.line, `target ${JSON.stringify(to.text().slice(0, 80))} is not a URL`);
      return;
    }
    if (field.lost !== undefined) {
      const lost = this.cell.read(row, field.lost);
      if (lost.length > 0 && (lost.plainFlag() ?? (lost.flag() || isoDay(lost.text()) !== ''))) {
        source.lost++;
        return;
      }
    }
    if (this.links.seenElsewhere(from, to, targetDomain, file.index)) {
      source.duplicates++;
      return;
    }
    let nofollow = this.cell.read(row, field.nofollow).flag() || this.cell.read(row, field.ugc).flag() || this.cell.read(row, field.sponsored).flag();
    if (!nofollow && field.link_type !== undefined) {
      const type = this.cell.read(row, field.link_type);
      nofollow = type.includes('nofollow') || type.includes('ugc') || type.includes('sponsored') || type.is('no follow');
    }
    // The link for the dataset: source, target, anchor, nofollow, first and last seen. Nearly
    // always each is a range of the row as it stands; else it is composed as bytes.
    const ranges = this.ranges;
    const buffer = row.buffer;
    let direct = from.buffer === buffer && to.buffer === buffer && isHttpUrl(to);
    if (direct) {
      ranges[0] = from.start;
      ranges[1] = from.end;
      ranges[2] = to.start;
      ranges[3] = to.end;
      const anchor = this.cell.read(row, field.anchor);
      ranges[4] = anchor.start;
      ranges[5] = anchor.end;
      ranges[6] = 0;
      ranges[7] = 0;
      direct = (anchor.buffer === buffer || anchor.length === 0) && this.rowDay(row, field.first_seen, 4) && this.rowDay(row, field.last_seen, 5);
    }
    if (!direct) {
      this.used = 0;
      this.put(0, from.buffer, from.start, from.end);
      if (isHttpUrl(to)) this.put(1, to.buffer, to.start, to.end);
      else {
        this.put(1, HTTPS, 0, HTTPS.length);
        this.append(1, to.buffer, to.start, to.end);
      }
      const anchor = this.cell.read(row, field.anchor);
      this.put(2, anchor.buffer, anchor.start, anchor.end);
      this.put(3, ZERO, 0, 0);
      this.day(row, field.first_seen, 4);
      this.day(row, field.last_seen, 5);
    }
    if (!this.add(file, row.line, sourceDomain, direct ? buffer : this.scratch, nofollow ? 1 : 0)) return;
    source.taken++;
    file.targets.set(targetDomain, (file.targets.get(targetDomain) ?? 0) + 1);
    if (field.title !== undefined && this.figures.wantsTitle(sourceDomain)) {
      const title = this.cell.read(row, field.title);
      this.figures.keepTitle(sourceDomain, title.buffer, title.start, title.end);
    }
    if (this.needPairs) this.pairs.add(sourceDomain, targetDomain);
    this.keepMetrics(sourceDomain, columns, row);
  }

  /** A referring-domains row: one link from the domain's home page, unless a link row already has that pair. */
  private referringDomain(file: FileRows, row: RecordView): void {
    const { source, columns } = file;
    const value = this.cell.read(row, columns.field.domain);
    const domain = this.domains.ofCell(value);
    if (domain === -1) {
      skip(source, row.line, `${JSON.stringify(value.text().slice(0, 80))} is not a domain`);
      return;
    }
    this.keepMetrics(domain, columns, row);
    const target = file.target!;
    source.taken++;
    file.targets.set(target, (file.targets.get(target) ?? 0) + 1);
    if (!this.pairs.add(domain, target)) {
      source.duplicates++;
      return;
    }
    // No page is known: the domain's home page stands for it, and a link counts as dofollow only
    // when the row says the domain has dofollow links to the target.
    const dofollow = this.cell.read(row, columns.field.dofollow_links).number();
    this.used = 0;
    this.putHome(0, this.domains.names[domain]!);
    this.putHome(1, this.domains.names[target]!);
    this.put(2, ZERO, 0, 0);
    this.put(3, ZERO, 0, 0);
    this.day(row, columns.field.first_seen, 4);
    this.day(row, columns.field.last_seen, 5);
    this.add(file, row.line, domain, this.scratch, dofollow !== undefined && dofollow > 0 ? 0 : 1);
  }

  /** The project's domains file: figures that win over vendor ones. */
  private declaredFigures(file: FileRows, row: RecordView): void {
    const field = file.columns.field;
    const value = this.cell.read(row, field.domain);
    const domain = this.domains.ofCell(value);
    if (domain === -1) {
      skip(file.source, row.line, `${JSON.stringify(value.text().slice(0, 80))} is not a domain`);
      return;
    }
    const bounded = (column: number | undefined, max: number) => {
      const number = this.cell.read(row, column).number();
      return number !== undefined && number >= 0 && number <= max ? number : undefined;
    };
    const spam = bounded(field.spam_score, 100);
    this.figures.declare(domain, {
      authority: bounded(field.authority, 100),
      spam_score: spam === undefined ? undefined : Math.round(spam),
      backlinks: bounded(field.backlinks, Number.MAX_SAFE_INTEGER),
      referring_domains: bounded(field.referring_domains, Number.MAX_SAFE_INTEGER),
    });
    file.source.taken++;
  }

  private keepMetrics(domain: number, columns: Columns, row: RecordView): void {
    for (const metric of columns.metrics) {
      const value = this.cell.read(row, metric.index).number();
      if (value === undefined || value < 0 || (metric.authority && value > 100)) continue;
      metric.slot ??= this.figures.slotOf(metric.key);
      this.figures.keepAt(metric.slot, domain, value);
    }
    const spam = columns.field.spam_score;
    if (spam !== undefined) {
      const value = this.cell.read(row, spam).number();
      if (value !== undefined && value >= 0 && value <= 100) this.figures.keep('spam_score', domain, value);
    }
  }

  /** Hands the link in `buffer` and `ranges` to the dataset; a row it refuses is skipped with its reason. */
  private add(file: FileRows, line: number, sourceDomain: number, buffer: Buffer, nofollow: number): boolean {
    if (sourceDomain >= this.datasetIds.length) {
      const bigger = new Int32Array(Math.max(sourceDomain + 1, this.datasetIds.length * 2)).fill(-1);
      bigger.set(this.datasetIds);
      this.datasetIds = bigger;
    }
    try {
      this.datasetIds[sourceDomain] = this.addLink(buffer, this.ranges, file.source.file, line, this.datasetIds[sourceDomain]!, nofollow);
      return true;
    } catch (error) {
      skip(file.source, line, (error as Error).message.replace(/^.*?:\d+: /, ''));
      return false;
    }
  }

  /** Link field `index` := a range of the row itself, when the date cell is empty or starts with YYYY-MM-DD; false when it must be composed. */
  private rowDay(row: RecordView, column: number | undefined, index: number): boolean {
    const cell = this.cell.read(row, column);
    if (cell.length === 0) {
      this.ranges[index * 2] = 0;
      this.ranges[index * 2 + 1] = 0;
      return true;
    }
    const plain = cell.buffer === row.buffer ? cell.plainDay() : -1;
    if (plain === -1) return false;
    this.ranges[index * 2] = plain;
    this.ranges[index * 2 + 1] = plain + 10;
    return true;
  }

  /** Link field `index` (first seen 4, last seen 5) := the day of a date cell as YYYY-MM-DD, or empty. */
  private day(row: RecordView, column: number | undefined, index: number): void {
    const cell = this.cell.read(row, column);
    const plain = cell.plainDay();
    if (plain !== -1) this.put(index, cell.buffer, plain, plain + 10);
    else if (cell.length === 0) this.put(index, ZERO, 0, 0);
    else {
      const day = Buffer.from(isoDay(cell.text()), 'latin1');
      this.put(index, day, 0, day.length);
    }
  }

  private reserve(bytes: number): void {
    if (this.used + bytes <= this.scratch.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.scratch.length * 2, this.used + bytes));
    this.scratch.copy(bigger, 0, 0, this.used);
    this.scratch = bigger;
  }

  /** Link field `index` := buffer[start, end). */
  private put(index: number, buffer: Uint8Array, start: number, end: number): void {
    this.ranges[index * 2] = this.used;
    this.append(index, buffer, start, end);
  }

  /** Link field `index` += buffer[start, end). */
  private append(index: number, buffer: Uint8Array, start: number, end: number): void {
    this.reserve(end - start);
    const scratch = this.scratch;
    let to = this.used;
    for (let from = start; from < end; from++) scratch[to++] = buffer[from]!;
    this.used = to;
    this.ranges[index * 2 + 1] = to;
  }

  private putHome(index: number, domain: string): void {
    this.put(index, HTTPS, 0, HTTPS.length);
    this.reserve(domain.length * 3);
    this.used += this.scratch.write(domain, this.used, 'utf8');
    this.append(index, SLASH, 0, 1);
  }
}
