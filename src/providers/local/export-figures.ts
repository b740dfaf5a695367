// What exports say about each referring domain besides its links: vendor figures (the largest per
// metric, kept per vendor), the project's own domains file, and a few linking-page titles. Kept in
// arrays by domain index while rows stream past; turned into maps by domain name once at the end.

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

type Declared = Omit<VendorFigures, 'metrics'>;

const TITLES_PER_DOMAIN = 3;

export class FigureTable {
  /** Per metric slot, its key and the largest value by domain index (NaN where none was read). */
  private readonly slots = new Map<string, number>();
  private readonly keys: string[] = [];
  private readonly values: Float64Array[] = [];
  /** Slots in the order they first got a value: the order a domain's figures list them. */
  private readonly order: number[] = [];
  private readonly declared = new Map<number, Declared>();
  /** Titles as bytes (a string is made when an answer shows one): per domain up to three (start, end) in `titleBytes`, and how many. */
  private titleBytes = Buffer.allocUnsafe(64 * 1024);
  private titleUsed = 0;
  private titleRanges = new Int32Array(16_384 * TITLES_PER_DOMAIN * 2);
  private titleCount = new Uint8Array(16_384);

  /** The slot of a metric key, for keepAt() (a row then costs no lookup by name). */
  slotOf(key: string): number {
    let slot = this.slots.get(key);
    if (slot === undefined) {
      slot = this.keys.push(key) - 1;
      this.values.push(new Float64Array(0));
      this.slots.set(key, slot);
    }
    return slot;
  }

  /** Keep `value` for `key` of a domain when it is the largest seen. */
  keep(key: string, domain: number, value: number): void {
    this.keepAt(this.slotOf(key), domain, value);
  }

  keepAt(slot: number, domain: number, value: number): void {
    let values = this.values[slot]!;
    if (domain >= values.length) {
      if (values.length === 0) this.order.push(slot);
      const bigger = new Float64Array(Math.max(16_384, (domain + 1) * 2)).fill(Number.NaN);
      bigger.set(values);
      values = bigger;
      this.values[slot] = values;
    }
    const current = values[domain]!;
    if (Number.isNaN(current) || value > current) values[domain] = value;
  }

  /** Figures from the project's domains file: the first file to give one wins. */
  declare(domain: number, figures: Declared): void {
    const current = this.declared.get(domain) ?? {};
    if (figures.authority !== undefined) current.authority ??= figures.authority;
    if (figures.spam_score !== undefined) current.spam_score ??= figures.spam_score;
    if (figures.backlinks !== undefined) current.backlinks ??= figures.backlinks;
    if (figures.referring_domains !== undefined) current.referring_domains ??= figures.referring_domains;
    this.declared.set(domain, current);
  }

  /** Whether a domain still takes titles (asked before a title is read). */
  wantsTitle(domain: number): boolean {
    return domain >= this.titleCount.length || this.titleCount[domain]! < TITLES_PER_DOMAIN;
  }

  /** A few distinct page titles per referring domain (`buffer[start, end)`, UTF-8): they help tell a directory from a blog. */
  keepTitle(domain: number, buffer: Uint8Array, start: number, end: number): void {
    if (start === end) return;
    if (domain >= this.titleCount.length) {
      const size = Math.max(domain + 1, this.titleCount.length * 2);
      const count = new Uint8Array(size);
      count.set(this.titleCount);
      this.titleCount = count;
      const ranges = new Int32Array(size * TITLES_PER_DOMAIN * 2);
      ranges.set(this.titleRanges);
      this.titleRanges = ranges;
    }
    const kept = this.titleCount[domain]!;
    const base = domain * TITLES_PER_DOMAIN * 2;
    const length = end - start;
    const bytes = this.titleBytes;
    for (let title = 0; title < kept; title++) {
      const from = this.titleRanges[base + title * 2]!;
      if (this.titleRanges[base + title * 2 + 1]! - from !== length) continue;
      let index = 0;
      while (index < length && bytes[from + index] === buffer[start + index]) index++;
      if (index === length) return;
    }
    if (this.titleUsed + length > this.titleBytes.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.titleBytes.length * 2, this.titleUsed + length));
      this.titleBytes.copy(bigger, 0, 0, this.titleUsed);
      this.titleBytes = bigger;
    }
    const target = this.titleBytes;
    let to = this.titleUsed;
    this.titleRanges[base + kept * 2] = to;
    for (let index = start; index < end; index++) target[to++] = buffer[index]!;
    this.titleRanges[base + kept * 2 + 1] = to;
    this.titleUsed = to;
    this.titleCount[domain] = kept + 1;
  }

  /** The figures of domain `index` as one object (metrics in the order first kept), or undefined when it has none. */
  figuresAt(domain: number): VendorFigures | undefined {
    let found: VendorFigures | undefined;
    for (const slot of this.order) {
      const key = this.keys[slot]!;
      const values = this.values[slot]!;
      const value = domain < values.length ? values[domain]! : Number.NaN;
      if (Number.isNaN(value)) continue;
      found ??= { metrics: {} };
      found.metrics[key] = value;
    }
    const declared = this.declared.get(domain);
    if (declared !== undefined) found = { metrics: {}, ...found, ...declared };
    return found;
  }

  /** The titles of domain `index`, undefined when none. */
  titlesAt(domain: number): string[] | undefined {
    const kept = domain < this.titleCount.length ? this.titleCount[domain]! : 0;
    if (kept === 0) return undefined;
    const base = domain * TITLES_PER_DOMAIN * 2;
    const titles: string[] = [];
    for (let title = 0; title < kept; title++) titles.push(this.titleBytes.toString('utf8', this.titleRanges[base + title * 2]!, this.titleRanges[base + title * 2 + 1]!));
    return titles;
  }

  /**
   * Writes every domain's figures into the dataset's per-domain arrays (authority as authorityOf()
   * makes it, spam score, backlinks, referring domains) with typed loops and no object per domain:
   * a load has one per referring domain. `datasetId(index)` is the dataset's id of a domain when
   * known, else -1 (then `findDomain(name)` looks it up; -1 leaves it out). Returns, per dataset id,
   * the index whose figures and titles it took (-1: none), so figuresAt()/titlesAt() answer later.
   */
  fill(
    names: readonly string[],
    datasetId: (domain: number) => number,
    findDomain: (name: string) => number,
    labels: Labels,
    into: FigureColumns,
  ): { figureOf: Int32Array; titleOf: Int32Array } {
    const count = into.authority.length;
    const figureOf = new Int32Array(count).fill(-1);
    const titleOf = new Int32Array(count).fill(-1);
    const keys = this.order.map((slot) => this.keys[slot]!);
    const columns = this.order.map((slot) => this.values[slot]!);
    // Per metric column: its vendor's slot (-1: not an authority figure) and whether it is page-level.
    const vendors: string[] = [];
    const slot = keys.map((key) => {
      const meta = labels.get(key);
      if (meta === undefined || !meta.authority) return -1;
      const vendor = vendorOf(key);
      let index = vendors.indexOf(vendor);
      if (index === -1) index = vendors.push(vendor) - 1;
      return index;
    });
    const pageLevel = keys.map((key) => labels.get(key)?.pageLevel === true);
    const spamColumn = keys.indexOf('spam_score');
    const best = new Float64Array(vendors.length);
    const bestLevel = new Int8Array(vendors.length); // 0 none, 1 page-level, 2 domain-level
    const chosen = new Float64Array(vendors.length);
    for (let domain = 0; domain < names.length; domain++) {
      const declared = this.declared.size === 0 ? undefined : this.declared.get(domain);
      let any = declared !== undefined;
      bestLevel.fill(0);
      for (let column = 0; column < columns.length; column++) {
        const values = columns[column]!;
        const value = domain < values.length ? values[domain]! : Number.NaN;
        if (Number.isNaN(value)) continue;
        any = true;
        const vendor = slot[column]!;
        if (vendor === -1) continue;
        const level = pageLevel[column] ? 1 : 2;
        // As authorityOf: a vendor's first figure, replaced only by a domain-level one over a page-level one.
        if (bestLevel[vendor] === 0 || (bestLevel[vendor] === 1 && level === 2)) {
          best[vendor] = value;
          bestLevel[vendor] = level;
        }
      }
      const hasTitles = domain < this.titleCount.length && this.titleCount[domain] !== 0;
      if (!any && !hasTitles) continue;
      let id = datasetId(domain);
      if (id === -1) id = findDomain(names[domain]!);
      if (id === -1 || id >= count) continue;
      if (hasTitles) titleOf[id] = domain;
      if (!any) continue;
      figureOf[id] = domain;
      let authority = declared?.authority;
      if (authority === undefined) {
        let taken = 0;
        for (let vendor = 0; vendor < vendors.length; vendor++) if (bestLevel[vendor] !== 0) chosen[taken++] = best[vendor]!;
        if (taken > 0) {
          const values = chosen.subarray(0, taken).sort();
          const middle = taken >> 1;
          authority = taken % 2 === 1 ? values[middle]! : (values[middle - 1]! + values[middle]!) / 2;
        }
      }
      if (authority !== undefined) into.authority[id] = authority;
      const metricSpam = spamColumn === -1 ? Number.NaN : domain < columns[spamColumn]!.length ? columns[spamColumn]![domain]! : Number.NaN;
      const spam = declared?.spam_score ?? (Number.isNaN(metricSpam) ? undefined : metricSpam);
      if (spam !== undefined) into.spam[id] = Math.round(spam);
      if (declared?.backlinks !== undefined) into.backlinks[id] = declared.backlinks;
      if (declared?.referring_domains !== undefined) into.referringDomains[id] = declared.referring_domains;
    }
    return { figureOf, titleOf };
  }

  /** Figures and titles by domain name. */
  byName(names: readonly string[]): { figures: Map<string, VendorFigures>; titles: Map<string, string[]> } {
    const figures = new Map<string, VendorFigures>();
    const titles = new Map<string, string[]>();
    for (let domain = 0; domain < names.length; domain++) {
      const found = this.figuresAt(domain);
      if (found !== undefined) figures.set(names[domain]!, found);
      const kept = this.titlesAt(domain);
      if (kept !== undefined) titles.set(names[domain]!, kept);
    }
    return { figures, titles };
  }
}

/** The dataset's per-domain figure arrays that fill() writes (NaN, or -1 for spam, where unknown). */
export interface FigureColumns {
  authority: Float32Array;
  spam: Int16Array;
  backlinks: Float64Array;
  referringDomains: Float64Array;
}

export type Labels = ReadonlyMap<string, { label: string; authority: boolean; pageLevel: boolean }>;

/** Everything a vendor figure says about authority: the normalised value and how it was made. */
export function authorityOf(figures: VendorFigures, labels: Labels): { authority?: number; raw?: number; scale?: string } {
  if (figures.authority !== undefined) return { authority: figures.authority, raw: figures.authority, scale: 'authority 0-100' };
  // One figure per vendor: its domain-level one where it has one, else its page-level one. Called
  // for every referring domain, so no map: there are a handful of vendors.
  const chosen: Array<{ key: string; vendor: string; value: number; pageLevel: boolean }> = [];
  for (const key in figures.metrics) {
    const meta = labels.get(key);
    if (meta === undefined || !meta.authority) continue;
    const value = figures.metrics[key]!;
    const vendor = vendorOf(key);
    const current = chosen.find((entry) => entry.vendor === vendor);
    if (current === undefined) chosen.push({ key, vendor, value, pageLevel: meta.pageLevel });
    else if (current.pageLevel && !meta.pageLevel) Object.assign(current, { key, value, pageLevel: false });
  }
  if (chosen.length === 0) return {};
  if (chosen.length === 1) return { authority: chosen[0]!.value, raw: chosen[0]!.value, scale: labels.get(chosen[0]!.key)!.label };
  chosen.sort((left, right) => left.value - right.value);
  const middle = chosen.length >> 1;
  const median = chosen.length % 2 === 1 ? chosen[middle]!.value : (chosen[middle - 1]!.value + chosen[middle]!.value) / 2;
  return { authority: median, scale: `median of ${chosen.map((entry) => labels.get(entry.key)!.label).join(', ')}` };
}

/** `ahrefs` of `ahrefs_dr`. */
function vendorOf(key: string): string {
  let vendor = VENDORS.get(key);
  if (vendor === undefined) {
    vendor = key.split('_')[0]!;
    VENDORS.set(key, vendor);
  }
  return vendor;
}
const VENDORS = new Map<string, string>();
