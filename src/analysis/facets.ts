// Counts over a ranked run, so the model can say "12 directories, 3 link to every competitor" and filter next.

import type { Category, Prospect, Route, Tier } from '../domain.js';

export type AuthorityBucket = '0-19' | '20-39' | '40-59' | '60-79' | '80-100' | 'unknown';

export interface Facets {
  tier: Record<Tier, number>;
  /** Only categories that occur. */
  category: Partial<Record<Category, number>>;
  /** Acquisition routes that occur (a prospect stored without one counts as unknown). */
  route: Partial<Record<Route, number>>;
  authority: Record<AuthorityBucket, number>;
  /** Prospects linking to each competitor, every competitor present (0 when none), in the order given. */
  competitor: Record<string, number>;
}

export function facetsOf(prospects: readonly Prospect[], competitors: readonly string[]): Facets {
  const facets: Facets = {
    tier: { all: 0, several: 0, one: 0 },
    category: {},
    route: {},
    authority: { '0-19': 0, '20-39': 0, '40-59': 0, '60-79': 0, '80-100': 0, unknown: 0 },
    competitor: Object.fromEntries(competitors.map((competitor) => [competitor, 0])),
  };
  for (const prospect of prospects) {
    facets.tier[prospect.tier] += 1;
    facets.category[prospect.category] = (facets.category[prospect.category] ?? 0) + 1;
    const route = prospect.route ?? 'unknown';
    facets.route[route] = (facets.route[route] ?? 0) + 1;
    facets.authority[authorityBucket(prospect.authority)] += 1;
    for (const competitor of new Set(prospect.competitors)) {
      if (Object.hasOwn(facets.competitor, competitor)) facets.competitor[competitor] = (facets.competitor[competitor] ?? 0) + 1;
    }
  }
  return facets;
}

/** Buckets by the figure's floor band: 19.5 is still '0-19'. */
export function authorityBucket(authority: number | undefined): AuthorityBucket {
  if (authority === undefined || !Number.isFinite(authority)) return 'unknown';
  if (authority < 20) return '0-19';
  if (authority < 40) return '20-39';
  if (authority < 60) return '40-59';
  if (authority < 80) return '60-79';
  return '80-100';
}
