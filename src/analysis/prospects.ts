// list_prospects over a stored run: filter, sort and page ranked prospects.

import type { Category, LinkingPage, Prospect, ProspectCore, ProspectSort, Route } from '../domain.js';
import { isPlatform } from './categories.js';
import { compareDomains, compareRanked, compareUnknownLast } from './rank.js';

export interface ProspectFilter {
  /** Keeps prospects whose authority is known and at least this. */
  min_authority?: number;
  /** Keeps prospects whose spam score is at most this, or unknown. */
  max_spam?: number;
  /** true keeps prospects with at least one dofollow link to a competitor; false those whose every
   *  link to a competitor is nofollow. Unknown follow status matches neither. */
  dofollow?: boolean;
  /** Keeps prospects that link to this competitor. */
  competitor?: string;
  /** Case-insensitive substring of the domain or of the category name ("news" finds news_media). */
  q?: string;
  /** Defaults to DEFAULT_INCLUDE_PLATFORMS (false): platform_or_social and suspect_spam are dropped,
   *  unless `category` names them. */
  include_platforms?: boolean;
  /** Keeps prospects of these categories (any of them). */
  category?: readonly Category[];
  exclude_category?: readonly Category[];
  /** Keeps prospects whose acquisition route is one of these; a prospect stored without a route counts as unknown. */
  route?: readonly Route[];
  exclude_route?: readonly Route[];
}

/** backlink_gap and list_prospects both leave platforms and suspected spam out unless asked. */
export const DEFAULT_INCLUDE_PLATFORMS = false;

export function filterProspects(prospects: readonly Prospect[], filter: ProspectFilter): Prospect[] {
  const competitor = filter.competitor?.trim().toLowerCase();
  const query = filter.q?.trim().toLowerCase();
  const categories = nonEmpty(filter.category);
  const excludedCategories = nonEmpty(filter.exclude_category);
  const routes = nonEmpty(filter.route);
  const excludedRoutes = nonEmpty(filter.exclude_route);
  return prospects.filter((prospect) => {
    if (hidesPlatformsByDefault(filter, prospect.category)) return false;
    if (categories !== undefined && !categories.has(prospect.category)) return false;
    if (excludedCategories?.has(prospect.category)) return false;
    const route = prospect.route ?? 'unknown';
    if (routes !== undefined && !routes.has(route)) return false;
    if (excludedRoutes?.has(route)) return false;
    if (filter.min_authority !== undefined && (prospect.authority === undefined || prospect.authority < filter.min_authority)) return false;
    if (filter.max_spam !== undefined && prospect.spam_score !== undefined && prospect.spam_score > filter.max_spam) return false;
    if (filter.dofollow !== undefined && hasDofollowLink(prospect) !== filter.dofollow) return false;
    if (competitor !== undefined && competitor !== '' && !prospect.competitors.includes(competitor)) return false;
    if (query !== undefined && query !== '' && !matchesQuery(prospect, query)) return false;
    return true;
  });
}

function nonEmpty<T>(values: readonly T[] | undefined): ReadonlySet<T> | undefined {
  return values === undefined || values.length === 0 ? undefined : new Set(values);
}

/** True when a platform or suspected-spam prospect is hidden by the default, not by a filter the
 *  caller set (asking for a category by name is asking to see it). Counted as left_out by the gap. */
export function hidesPlatformsByDefault(filter: Pick<ProspectFilter, 'include_platforms' | 'category'>, category: Category): boolean {
  return !(filter.include_platforms ?? DEFAULT_INCLUDE_PLATFORMS) && isPlatform(category) && !(filter.category ?? []).includes(category);
}

/** Whether a prospect has a dofollow link to a competitor: from the counts where known, else the flag. */
export function hasDofollowLink(prospect: ProspectCore): boolean | undefined {
  if (prospect.dofollow_links !== undefined) return prospect.dofollow_links > 0;
  const counts = Object.values(prospect.by_competitor ?? {}).map((links) => links.dofollow_links);
  if (counts.length > 0 && counts.every((count) => count !== undefined)) return counts.some((count) => (count ?? 0) > 0);
  return prospect.dofollow;
}

/** The page to show for a prospect: a dofollow page first, then the competitor it links to most,
 *  then the competitors' order. Undefined when the provider gave no page. */
export function bestLinkingPage(prospect: ProspectCore): { competitor: string; page: LinkingPage } | undefined {
  let best: { competitor: string; page: LinkingPage; dofollow: boolean; links: number } | undefined;
  for (const [competitor, links] of Object.entries(prospect.by_competitor ?? {})) {
    if (links.page === undefined) continue;
    const dofollow = links.page.rel?.nofollow === false;
    const count = links.links ?? 0;
    if (best === undefined || (dofollow && !best.dofollow) || (dofollow === best.dofollow && count > best.links)) {
      best = { competitor, page: links.page, dofollow, links: count };
    }
  }
  return best && { competitor: best.competitor, page: best.page };
}

function matchesQuery(prospect: Prospect, query: string): boolean {
  return prospect.domain.includes(query) || prospect.category.includes(query) || prospect.category.replace(/_/g, ' ').includes(query);
}

/**
 * score: by score, ties by overlap, authority (unknown last), then domain asc, the same order as
 * rankProspects for desc; rank: by authority; backlinks, referring_domains, overlap: by that figure.
 * Unknown figures always come last, whatever the order; remaining ties go by domain asc.
 */
export function sortProspects(prospects: readonly Prospect[], sort: ProspectSort, order: 'asc' | 'desc'): Prospect[] {
  return [...prospects].sort(comparatorFor(sort, order));
}

function comparatorFor(sort: ProspectSort, order: 'asc' | 'desc'): (left: Prospect, right: Prospect) => number {
  const byDomain = (left: Prospect, right: Prospect) => compareDomains(left.domain, right.domain);
  switch (sort) {
    case 'score':
      if (order === 'desc') return compareRanked;
      return (left, right) =>
        left.score - right.score ||
        left.competitor_overlap - right.competitor_overlap ||
        compareUnknownLast(left.authority, right.authority, 'asc') ||
        byDomain(left, right);
    case 'rank':
      return (left, right) => compareUnknownLast(left.authority, right.authority, order) || byDomain(left, right);
    case 'backlinks':
      return (left, right) => compareUnknownLast(left.backlinks, right.backlinks, order) || byDomain(left, right);
    case 'referring_domains':
      return (left, right) => compareUnknownLast(left.referring_domains, right.referring_domains, order) || byDomain(left, right);
    case 'overlap':
      return (left, right) => compareUnknownLast(left.competitor_overlap, right.competitor_overlap, order) || byDomain(left, right);
  }
}

export interface PageMeta {
  page: number;
  per_page: number;
  total: number;
  /** 0 when there are no items. */
  total_pages: number;
  /** The 0-based index of the first item of `data`. */
  offset: number;
}

/** One page, 1-based, or the perPage items from `offset` (0-based) when given. A page past the end
 *  is empty; page and perPage below 1 count as 1. */
export function pageOf<T>(items: readonly T[], page: number, perPage: number, offset?: number): { data: T[]; meta: PageMeta } {
  const safePage = Number.isFinite(page) ? Math.max(1, Math.floor(page)) : 1;
  const safePerPage = Number.isFinite(perPage) ? Math.max(1, Math.floor(perPage)) : 1;
  const start = offset !== undefined && Number.isFinite(offset) ? Math.max(0, Math.floor(offset)) : (safePage - 1) * safePerPage;
  return {
    data: items.slice(start, start + safePerPage),
    meta: {
      page: Math.floor(start / safePerPage) + 1,
      per_page: safePerPage,
      total: items.length,
      total_pages: Math.ceil(items.length / safePerPage),
      offset: start,
    },
  };
}
