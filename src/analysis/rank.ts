// Tiers and ranking: turn provider prospects into scored, categorised, ordered outreach leads.

import type { Prospect, ProspectCore, Tier } from '../domain.js';
import { isPublicSite } from '../hosts.js';
import { categorize } from './categories.js';
import { outreachReasons, routeOf } from './routes.js';
import { scoreProspect } from './score.js';

/**
 * The tier in the sense of backlink-gap tools (Semrush "Best" = links to every competitor):
 * 'all' when the site links to every competitor, 'several' when to two or more but not all,
 * 'one' when to a single one (or none). With a single competitor every prospect is 'all': it links
 * to all the competitors there are, and the tier then carries no extra information.
 */
export function tierOf(overlap: number, competitorCount: number): Tier {
  if (competitorCount >= 1 && overlap >= competitorCount) return 'all';
  if (overlap >= 2) return 'several';
  return 'one';
}

/** Enrich cores into ranked Prospects (score, tier, category, competitor_overlap), sorted by score
 *  desc, then overlap desc, authority desc (unknown last), domain asc. Referrers that are not public
 *  sites are left out (see rankPublicProspects for how many). */
export function rankProspects(cores: readonly ProspectCore[], competitors: readonly string[]): Prospect[] {
  return rankPublicProspects(cores, competitors).prospects;
}

/** rankProspects, also counting the referrers left out because they are not public sites
 *  (localhost, IP addresses, names without a public suffix): no provider's row becomes a prospect
 *  without passing here. */
export function rankPublicProspects(cores: readonly ProspectCore[], competitors: readonly string[]): { prospects: Prospect[]; dropped: number } {
  const { prospects, dropped } = enrichPublicProspects(cores, competitors);
  return { prospects: prospects.sort(compareRanked), dropped };
}

/** Scored, categorised prospects in the order given (a provider's own order, which a page of its
 *  run keeps), without the referrers that are not public sites. */
export function enrichPublicProspects(cores: readonly ProspectCore[], competitors: readonly string[]): { prospects: Prospect[]; dropped: number } {
  const prospects: Prospect[] = [];
  for (const core of cores) if (isPublicSite(core.domain)) prospects.push(rankOne(core, competitors));
  return { prospects, dropped: cores.length - prospects.length };
}

/** The note on an answer that left non-public referrers out; undefined when none were. */
export function droppedReferrersNote(dropped: number): string | undefined {
  if (dropped === 0) return undefined;
  return `${dropped} non-public referrer${dropped === 1 ? '' : 's'} dropped (localhost, IP addresses or names without a public suffix).`;
}

function rankOne(core: ProspectCore, competitors: readonly string[]): Prospect {
  const linked = new Set(core.competitors.map((competitor) => competitor.toLowerCase()));
  // The run's competitors in the order given, then anything the provider named that the run does not know.
  const known = competitors.filter((competitor) => linked.has(competitor));
  const extra = known.length === linked.size ? [] : [...linked].filter((competitor) => !competitors.includes(competitor));
  const overlap = competitors.length === 0 ? extra.length : known.length;
  const competitorCount = competitors.length === 0 ? Math.max(1, extra.length) : competitors.length;
  const category = categorize(core.domain, core.titles, core.spam_score);
  const decision = routeOf(core, category);
  // A transient input: undefined members here mean unknown, exactly as absent ones would.
  // The score's own reasons restate the row; the prospect carries outreach reasons instead.
  const { score } = scoreProspect({
    authority: core.authority,
    competitor_overlap: overlap,
    competitor_count: competitorCount,
    dofollow: core.dofollow,
    spam_score: core.spam_score,
    category,
  });
  return {
    ...core,
    competitors: [...known, ...extra],
    competitor_overlap: overlap,
    tier: tierOf(overlap, competitorCount),
    category,
    score,
    reasons: outreachReasons({ core, linked: known, competitorCount, category, decision }),
    route: decision.route,
    route_evidence: decision.evidence,
  };
}

/** The ranking order, shared with sortProspects(…, 'score', 'desc') so both lists agree. */
export function compareRanked(left: Prospect, right: Prospect): number {
  return (
    right.score - left.score ||
    right.competitor_overlap - left.competitor_overlap ||
    compareUnknownLast(left.authority, right.authority, 'desc') ||
    compareDomains(left.domain, right.domain)
  );
}

/** Compare optional numbers in the given order, with unknown values after every known one either way. */
export function compareUnknownLast(left: number | undefined, right: number | undefined, order: 'asc' | 'desc'): number {
  if (left === undefined || right === undefined) return left === right ? 0 : left === undefined ? 1 : -1;
  return order === 'asc' ? left - right : right - left;
}

/** Code-unit order: the same on every machine, unlike localeCompare. */
export function compareDomains(left: string, right: string): number {
  return left < right ? -1 : left > right ? 1 : 0;
}
