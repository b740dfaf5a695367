// The backlink_gap answer as a model reads it: totals, facets, the top prospects, the next call.

import type { Prospect } from '../domain.js';
import type { GapOutcome } from '../service/index.js';
import { bestLinkingPage } from '../analysis/prospects.js';
import { routeHowTo } from '../analysis/routes.js';
import { amountText, authorityText, formatCost, nextCallText, provenanceLine, shortUrl, truncate } from './format.js';
import { followText, pageText, relText } from './pages.js';

export type ResponseFormat = 'concise' | 'detailed';

const CATEGORY_LABEL: Record<string, string> = {
  chamber_or_association: 'chamber',
  directory: 'directory',
  news_media: 'news',
  education: 'edu',
  government: 'gov',
  blog: 'blog',
  forum_or_community: 'forum',
  industry: 'industry',
  platform_or_social: 'platform',
  suspect_spam: 'SPAM?',
  other: 'other',
};

export function categoryLabel(category: string): string {
  return CATEGORY_LABEL[category] ?? category;
}

/** The legend of prospectLine, printed once above the rows: the number of competitors is said here
 *  rather than on every row ("c4", not "4/5", saves two tokens a row). */
export function prospectLegend(competitorCount: number): string {
  return `rank. domain score(0-100) a=authority(0-100) cN=links to N of ${competitorCount} competitors category df=dofollow/all links s=spam route`;
}

export const PAGE_LEGEND = ' linking-page (path when on the prospect)';

/** One prospect on one line, terse (the legend explains it): rank, domain, score, authority, overlap,
 *  category, follow, spam, route and (withPage) one linking page. Unknown follow, spam and route are
 *  left out; unknown authority is `a?`. Detailed adds reasons and, per competitor, links, dofollow
 *  links and the best linking page. */
export function prospectLine(prospect: Prospect, index: number, format: ResponseFormat, withPage = false): string {
  const parts = [
    `${index + 1}. ${prospect.domain}`,
    String(prospect.score),
    prospect.authority === undefined ? 'a?' : authorityText(prospect.authority),
    `c${prospect.competitor_overlap}`,
    categoryLabel(prospect.category),
  ];
  const follow = followText(prospect);
  if (follow !== undefined) parts.push(follow);
  if (prospect.spam_score !== undefined) parts.push(`s${Math.round(prospect.spam_score)}`);
  if (prospect.route !== undefined) parts.push(prospect.route);
  const checked = checkedText(prospect);
  if (checked !== undefined) parts.push(checked);
  if (withPage && format === 'concise') {
    const best = bestLinkingPage(prospect);
    if (best !== undefined) parts.push(pageText(best.page, prospect.domain, 60));
  }
  let line = parts.join(' ');
  if (format === 'detailed') {
    // Per-competitor lines below name the competitors; without them, the list does.
    const extra: string[] = prospect.by_competitor === undefined ? [`links to ${prospect.competitors.join(', ')}`] : [];
    if (prospect.found_by.length > 0) extra.push(`found by ${prospect.found_by.join('+')}`);
    if (prospect.reasons && prospect.reasons.length > 0) extra.push(`why: ${prospect.reasons.join('; ')}`);
    if (extra.length > 0) line += `\n   ${extra.join(' · ')}`;
    if (prospect.route !== undefined) {
      const evidence = prospect.route_evidence && prospect.route_evidence.length > 0 ? `: ${prospect.route_evidence.join('; ')}` : '';
      line += `\n   route ${prospect.route}${evidence} · how: ${routeHowTo(prospect.route)}`;
    }
    line += competitorLines(prospect);
  }
  return line;
}

/** Detailed rows: per competitor, links and dofollow links and the best linking page, where known. */
function competitorLines(prospect: Prospect): string {
  const by = prospect.by_competitor ?? {};
  const lines: string[] = [];
  for (const competitor of prospect.competitors) {
    const links = by[competitor];
    if (links === undefined) continue;
    const counts = [
      links.links !== undefined && `${links.links} link${links.links === 1 ? '' : 's'}`,
      links.dofollow_links !== undefined && `${links.dofollow_links} df`,
    ].filter(Boolean);
    let line = `   ${competitor}: ${counts.join(', ') || 'counts unknown'}`;
    if (links.page !== undefined) {
      const page = links.page;
      const rel = relText(page);
      line += ` ← ${pageText(page, prospect.domain, 90)}${page.anchor ? ` "${truncate(page.anchor, 40)}"` : ''}${rel ? ` ${rel}` : ''}`;
      if (page.last_seen) line += ` seen ${page.last_seen.slice(0, 10)}`;
    } else {
      line += ' · page unknown';
    }
    lines.push(line);
  }
  if (lines.length === 0) {
    const examples = prospect.source_pages ?? [];
    return examples.length > 0 ? `\n   e.g. ${examples.slice(0, 2).map(shortUrl).join(' ')}` : '\n   pages unknown';
  }
  return `\n${lines.join('\n')}`;
}

/** What check_prospects found, once it has checked the prospect: "live 12-01" / "gone 12-01", "links to you", a contact. */
function checkedText(prospect: Prospect): string | undefined {
  if (prospect.verified === undefined) return undefined;
  const state = prospect.link_live === undefined ? 'unreadable' : prospect.link_live ? 'live' : 'gone';
  const parts = [`${state} ${prospect.verified.slice(5, 10)}`];
  if (prospect.links_to_you) parts.push('links to you');
  const contact = prospect.contact?.emails?.[0] ?? prospect.contact?.pages?.[0]?.url;
  if (contact !== undefined) parts.push(`contact ${contact}`);
  return parts.join(' · ');
}

/** What the pages call costs, as its provider estimates it for that very call. */
function pagesCallCost(pagesCall: GapOutcome['pages_call']): string {
  const estimate = pagesCall?.estimate;
  if (estimate === undefined) return 'with a paid provider each call costs (add dry_run: true to see how much)';
  if (pagesCall?.cached) return `this one is cached (free; ${estimate.provider})`;
  if (estimate.unit === 'none' || estimate.amount === 0) return `free with ${estimate.provider}`;
  if (estimate.up_to) return `this one costs up to ${amountText(estimate.amount, estimate.unit)} with ${estimate.provider}, about as much for each other competitor`;
  return `this one costs ${formatCost(estimate)} by the provider's estimate, about as much for each other competitor`;
}

function counts(record: Record<string, number | undefined>, labels?: (key: string) => string): string {
  return Object.entries(record)
    .filter(([, count]) => (count ?? 0) > 0)
    .sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0))
    .map(([key, count]) => `${labels ? labels(key) : key} ${count}`)
    .join(', ');
}

/** The headline count: how many prospects, how many the run keeps, and what min_competitors covers.
 *  A provider total counted before the min_competitors filter is said to be that, not the filtered count. */
export function totalText(outcome: GapOutcome): string {
  const total = outcome.total_prospects;
  const noun = `prospect${total === 1 ? '' : 's'}`;
  const atLeast = `linking to ≥${outcome.min_competitors} competitors`;
  if (outcome.total_before_min_competitors) {
    return `${total} ${noun} before the min_competitors filter; the run keeps the ${outcome.kept} fetched ones ${atLeast}`;
  }
  return (
    `${total} ${noun}` +
    `${outcome.kept < total ? ` (run keeps top ${outcome.kept})` : ''}` +
    `${outcome.min_competitors > 1 ? `, ${atLeast}` : ''}`
  );
}

export function renderGap(outcome: GapOutcome, rows: readonly Prospect[], format: ResponseFormat, cutByCap: number): string {
  const n = outcome.competitor_domains.length;
  const lines: string[] = [];
  lines.push(
    `Gap for ${outcome.your_domain} vs ${n} competitor${n === 1 ? '' : 's'} via ${outcome.provider}: ${totalText(outcome)}` +
      ` · run_id ${outcome.run_id}` +
      `${outcome.status === 'pending' ? ' · PENDING' : ''}`,
  );
  lines.push(provenanceLine(outcome));
  for (const note of outcome.notes) lines.push(`note: ${note}`);
  if (outcome.providers) {
    lines.push(
      `prospects per provider: ${outcome.providers.map((p) => (p.status === 'ok' ? `${p.provider} ${p.prospects}` : `${p.provider} failed (${p.error})`)).join(' · ')}`,
    );
  }
  const f = outcome.facets;
  if (outcome.kept < outcome.total_prospects) lines.push(`counts below are over the ${outcome.kept} prospects the run keeps:`);
  lines.push(`tiers: ${counts(f.tier) || 'none'}`);
  lines.push(`authority: ${counts(f.authority) || 'none'}`);
  lines.push(`categories: ${counts(f.category, categoryLabel) || 'none'}`);
  lines.push(`routes: ${counts(f.route) || 'none'}`);
  lines.push(`per competitor: ${counts(f.competitor) || 'none'}`);
  if (rows.length > 0) {
    lines.push(`Top ${rows.length} by score (${prospectLegend(n)}${format === 'concise' ? PAGE_LEGEND : ''}):`);
    rows.forEach((prospect, index) => {
      lines.push(prospectLine(prospect, index, format, true));
    });
  } else if (outcome.status !== 'pending') {
    lines.push(
      outcome.kept > 0
        ? `No prospects shown: the run keeps ${outcome.kept}, all left out below (include_platforms: true or other filters show them).`
        : 'No prospects: every site linking to these competitors already links to you, or the data has none.',
    );
  }
  // A provider without linking pages (LocalSEOData, OneClickSEO): say so once, and how to find them.
  if (rows.length > 0 && rows.every((prospect) => bestLinkingPage(prospect) === undefined && (prospect.source_pages ?? []).length === 0)) {
    const call =
      outcome.pages_call === undefined
        ? { tool: 'get_backlinks', arguments: { target: outcome.competitor_domains[0], mode: 'one_per_domain' } }
        : outcome.pages_call.call;
    const none = outcome.provider === 'all' ? 'none of the providers returns any' : `${outcome.provider} returns none`;
    lines.push(
      call === undefined
        ? `linking pages unknown (${none}), and no configured provider lists them: get_backlinks with DataForSEO or DomDetailer (set its key) does.`
        : `linking pages unknown (${none}): ${nextCallText(call)} lists each referring domain's page to that competitor, ` +
            `one call per competitor; ${pagesCallCost(outcome.pages_call)}.`,
    );
  }
  const leftOut: string[] = [];
  if (outcome.left_out.platform_or_social > 0) leftOut.push(`${outcome.left_out.platform_or_social} platform/social`);
  if (outcome.left_out.suspect_spam > 0) leftOut.push(`${outcome.left_out.suspect_spam} suspect spam`);
  const hidden = outcome.left_out.below_top + cutByCap;
  const tail: string[] = [];
  if (leftOut.length > 0) tail.push(`left out ${leftOut.join(', ')} (include_platforms: true shows them)`);
  if (outcome.left_out.filtered > 0) tail.push(`${outcome.left_out.filtered} left out by the category/route filters`);
  if (hidden > 0) tail.push(`${hidden} more ranked below`);
  tail.push(`next: ${nextCallText(outcome.next_call)}`);
  lines.push(tail.join(' · '));
  return lines.join('\n');
}
