// What the gap view shows, computed from a run's prospects: marks, overlap counts, filters, sorting
// and the CSV export. Pure (no DOM), so it is tested in Node and shared by the view and the report.

/** The fields of a prospect the view uses (a subset of domain.ts Prospect, as tools return it). */
export interface ViewProspect {
  domain: string;
  score: number;
  authority?: number;
  tier?: string;
  category?: string;
  route?: string;
  competitors: string[];
  dofollow?: boolean;
  dofollow_links?: number;
  backlinks?: number;
  spam_score?: number;
  by_competitor?: Record<string, { links?: number; dofollow_links?: number; page?: { url: string } }>;
}

export interface ViewRun {
  run_id: string;
  your_domain: string;
  competitor_domains: string[];
  /** Prospects in the run (after the run's own filters), which may exceed the rows loaded. */
  total: number;
  prospects: ViewProspect[];
  synthetic?: boolean;
  provider?: string;
}

/** A cell of the matrix: `df` a dofollow link, `nf` links all nofollow, `link` a link of unknown
 *  follow, `none` no link. Marks are letters as well as colours, so the matrix reads without colour. */
export type Mark = 'df' | 'nf' | 'link' | 'none';

export function markOf(prospect: ViewProspect, competitor: string): Mark {
  if (!prospect.competitors.includes(competitor)) return 'none';
  const counts = prospect.by_competitor?.[competitor];
  if (counts?.dofollow_links !== undefined) return counts.dofollow_links > 0 ? 'df' : 'nf';
  // A single competitor: the prospect-level dofollow is about that competitor's links.
  if (prospect.competitors.length === 1 && prospect.dofollow !== undefined) return prospect.dofollow ? 'df' : 'nf';
  return 'link';
}

/** How many prospects link to exactly k competitors, k = 1..N (index 0 is k = 1). */
export function overlapCounts(prospects: readonly ViewProspect[], competitors: readonly string[]): number[] {
  const counts = competitors.map(() => 0);
  for (const prospect of prospects) {
    const k = prospect.competitors.filter((competitor) => competitors.includes(competitor)).length;
    if (k > 0) counts[k - 1] = (counts[k - 1] ?? 0) + 1;
  }
  return counts;
}

export interface Combination {
  /** Competitors in the combination, in the run's order. */
  competitors: string[];
  count: number;
}

/** UpSet-style intersections: prospects per exact set of competitors, largest first (ties: more
 *  competitors first, then by name). */
export function combinations(prospects: readonly ViewProspect[], competitors: readonly string[]): Combination[] {
  const byKey = new Map<string, Combination>();
  for (const prospect of prospects) {
    const members = competitors.filter((competitor) => prospect.competitors.includes(competitor));
    if (members.length === 0) continue;
    const key = members.join('\n');
    const entry = byKey.get(key) ?? { competitors: members, count: 0 };
    entry.count += 1;
    byKey.set(key, entry);
  }
  return [...byKey.values()].sort(
    (a, b) => b.count - a.count || b.competitors.length - a.competitors.length || a.competitors.join().localeCompare(b.competitors.join()),
  );
}

export interface ViewFilter {
  text?: string;
  tier?: string;
  category?: string;
  route?: string;
  minAuthority?: number;
  maxSpam?: number;
  /** Keep prospects with at least one dofollow link to a competitor (known, not guessed). */
  dofollow?: boolean;
  /** Keep prospects linking to this competitor. */
  competitor?: string;
}

export function filterProspects(prospects: readonly ViewProspect[], filter: ViewFilter): ViewProspect[] {
  const text = filter.text?.trim().toLowerCase();
  return prospects.filter((prospect) => {
    if (text && !prospect.domain.includes(text) && !(prospect.category ?? '').includes(text) && !(prospect.route ?? '').includes(text)) return false;
    if (filter.tier && prospect.tier !== filter.tier) return false;
    if (filter.category && prospect.category !== filter.category) return false;
    if (filter.route && prospect.route !== filter.route) return false;
    if (filter.minAuthority !== undefined && (prospect.authority === undefined || prospect.authority < filter.minAuthority)) return false;
    if (filter.maxSpam !== undefined && prospect.spam_score !== undefined && prospect.spam_score > filter.maxSpam) return false;
    if (filter.dofollow && !hasDofollow(prospect)) return false;
    if (filter.competitor && !prospect.competitors.includes(filter.competitor)) return false;
    return true;
  });
}

function hasDofollow(prospect: ViewProspect): boolean {
  if (prospect.dofollow_links !== undefined) return prospect.dofollow_links > 0;
  return prospect.dofollow === true;
}

export type SortColumn = 'domain' | 'score' | 'authority' | 'tier' | 'category' | 'route' | 'overlap' | 'dofollow' | 'spam_score';
const TIER_ORDER: Record<string, number> = { all: 3, several: 2, one: 1 };

function sortValue(prospect: ViewProspect, column: SortColumn): number | string | undefined {
  switch (column) {
    case 'domain':
      return prospect.domain;
    case 'score':
      return prospect.score;
    case 'authority':
      return prospect.authority;
    case 'tier':
      return prospect.tier === undefined ? undefined : (TIER_ORDER[prospect.tier] ?? 0);
    case 'category':
      return prospect.category;
    case 'route':
      return prospect.route;
    case 'overlap':
      return prospect.competitors.length;
    case 'dofollow':
      return prospect.dofollow_links ?? (prospect.dofollow === undefined ? undefined : prospect.dofollow ? 1 : 0);
    case 'spam_score':
      return prospect.spam_score;
  }
}

/** A stable sort; unknown values sort last in either direction, ties by score then domain. */
export function sortProspects(prospects: readonly ViewProspect[], column: SortColumn, direction: 'asc' | 'desc'): ViewProspect[] {
  const sign = direction === 'asc' ? 1 : -1;
  return [...prospects].sort((a, b) => {
    const left = sortValue(a, column);
    const right = sortValue(b, column);
    if (left !== right) {
      if (left === undefined) return 1;
      if (right === undefined) return -1;
      const order = typeof left === 'number' && typeof right === 'number' ? left - right : String(left).localeCompare(String(right));
      if (order !== 0) return sign * order;
    }
    return b.score - a.score || a.domain.localeCompare(b.domain);
  });
}

const CSV_HEADER = ['domain', 'score', 'authority', 'tier', 'category', 'route', 'competitors', 'dofollow_links', 'backlinks', 'spam_score'];

/** CSV of prospects, one competitor column per competitor with its mark; cells quoted, formulas
 *  defused (a leading = + - @ gets a quote) so a spreadsheet never runs a cell. */
export function prospectsCsv(prospects: readonly ViewProspect[], competitors: readonly string[]): string {
  const header = [...CSV_HEADER, ...competitors];
  const lines = [header.map(csvCell).join(',')];
  for (const prospect of prospects) {
    lines.push(
      [
        prospect.domain,
        prospect.score,
        prospect.authority,
        prospect.tier,
        prospect.category,
        prospect.route,
        prospect.competitors.join(' '),
        prospect.dofollow_links,
        prospect.backlinks,
        prospect.spam_score,
        ...competitors.map((competitor) => {
          const mark = markOf(prospect, competitor);
          return mark === 'none' ? '' : mark;
        }),
      ]
        .map(csvCell)
        .join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

function csvCell(value: string | number | undefined): string {
  if (value === undefined) return '';
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Distinct values of a field among prospects, for the filter menus. */
export function valuesOf(prospects: readonly ViewProspect[], field: 'tier' | 'category' | 'route'): string[] {
  return [...new Set(prospects.map((prospect) => prospect[field]).filter((value): value is string => typeof value === 'string'))].sort();
}
