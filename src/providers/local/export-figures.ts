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
  /** Per metric key, the largest value by domain index; NaN where none was read. */
  private readonly metrics = new Map<string, Float64Array>();
  private readonly declared = new Map<number, Declared>();
  /** Titles by domain index, and how many (asked for most rows: a byte per domain stays in cache). */
  private readonly titles: Array<string[] | undefined> = [];
  private titleCount = new Uint8Array(16_384);

  /** Keep `value` for `key` of a domain when it is the largest seen. */
  keep(key: string, domain: number, value: number): void {
    let values = this.metrics.get(key);
    if (values === undefined || domain >= values.length) {
      const bigger = new Float64Array(Math.max(16_384, (domain + 1) * 2)).fill(Number.NaN);
      if (values !== undefined) bigger.set(values);
      values = bigger;
      this.metrics.set(key, values);
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

  /** Whether a domain still takes titles (asked before a title is decoded). */
  wantsTitle(domain: number): boolean {
    return domain >= this.titleCount.length || this.titleCount[domain]! < TITLES_PER_DOMAIN;
  }

  /** A few distinct page titles per referring domain: they help tell a directory from a blog. */
  keepTitle(domain: number, title: string): void {
    if (title === '') return;
    while (this.titles.length <= domain) this.titles.push(undefined);
    const titles = this.titles[domain];
    if (titles === undefined) this.titles[domain] = [title];
    else if (!titles.includes(title)) titles.push(title);
    else return;
    if (domain >= this.titleCount.length) {
      const bigger = new Uint8Array(Math.max(domain + 1, this.titleCount.length * 2));
      bigger.set(this.titleCount);
      this.titleCount = bigger;
    }
    this.titleCount[domain]!++;
  }

  /**
   * Visits every domain with figures: its name, its figures, and `datasetId(index)` (the dataset's
   * id for it when known, else -1), with no map in between: there is one per referring domain.
   */
  eachFigure(names: readonly string[], datasetId: (domain: number) => number, visit: (name: string, figures: VendorFigures, id: number) => void): void {
    const keys = [...this.metrics.keys()];
    const columns = keys.map((key) => this.metrics.get(key)!);
    for (let domain = 0; domain < names.length; domain++) {
      let found: VendorFigures | undefined;
      for (let column = 0; column < columns.length; column++) {
        const values = columns[column]!;
        const value = domain < values.length ? values[domain]! : Number.NaN;
        if (Number.isNaN(value)) continue;
        found ??= { metrics: {} };
        found.metrics[keys[column]!] = value;
      }
      const declared = this.declared.get(domain);
      if (declared !== undefined) found = { metrics: {}, ...found, ...declared };
      if (found !== undefined) visit(names[domain]!, found, datasetId(domain));
    }
  }

  /** Visits every domain with titles, as eachFigure does. */
  eachTitles(names: readonly string[], datasetId: (domain: number) => number, visit: (name: string, titles: string[], id: number) => void): void {
    this.titles.forEach((found, domain) => {
      if (found !== undefined) visit(names[domain]!, found, datasetId(domain));
    });
  }

  /** Figures and titles by domain name. */
  byName(names: readonly string[]): { figures: Map<string, VendorFigures>; titles: Map<string, string[]> } {
    const figures = new Map<string, VendorFigures>();
    const titles = new Map<string, string[]>();
    this.eachFigure(names, () => -1, (name, found) => figures.set(name, found));
    this.eachTitles(names, () => -1, (name, found) => titles.set(name, found));
    return { figures, titles };
  }
}

type Labels = ReadonlyMap<string, { label: string; authority: boolean; pageLevel: boolean }>;

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
