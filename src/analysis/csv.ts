// CSV export of prospects for outreach tools and spreadsheets.

import type { Prospect } from '../domain.js';
import { bestLinkingPage } from './prospects.js';

/** backlinks and dofollow_links count links to the competitors; referring_domains and own_backlinks
 *  are the prospect's own totals where a provider reports them (OneClickSEO); linking_page is the
 *  best page linking to a competitor (bestLinkingPage); verified, link_live, links_to_you and contact
 *  are check_prospects' findings. New columns go at the end. */
export const CSV_COLUMNS = [
  'domain',
  'authority',
  'score',
  'tier',
  'category',
  'competitors',
  'backlinks',
  'dofollow',
  'spam_score',
  'found_by',
  'dofollow_links',
  'referring_domains',
  'own_backlinks',
  'route',
  'linking_page',
  'verified',
  'link_live',
  'links_to_you',
  'contact',
] as const;

/** Characters that make a spreadsheet read a cell as a formula (OWASP CSV injection), fullwidth forms included. */
const FORMULA_TRIGGERS = /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;

/**
 * RFC 4180 with LF line ends (every spreadsheet and outreach tool reads them), a header row and a
 * final LF. Fields with a comma, quote or line break are quoted, quotes doubled; competitors and
 * found_by are joined with ';'; unknown values are empty; a field that a spreadsheet would run as a
 * formula gets a leading single quote.
 */
export function prospectsToCsv(prospects: readonly Prospect[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const prospect of prospects) {
    const fields: Record<(typeof CSV_COLUMNS)[number], string> = {
      domain: prospect.domain,
      authority: numberField(prospect.authority),
      score: numberField(prospect.score),
      tier: prospect.tier,
      category: prospect.category,
      competitors: prospect.competitors.join(';'),
      backlinks: numberField(prospect.backlinks),
      dofollow: prospect.dofollow === undefined ? '' : String(prospect.dofollow),
      spam_score: numberField(prospect.spam_score),
      found_by: prospect.found_by.join(';'),
      dofollow_links: numberField(prospect.dofollow_links),
      referring_domains: numberField(prospect.referring_domains ?? prospect.provider_metrics?.oneclickseo?.referring_domains),
      own_backlinks: numberField(prospect.provider_metrics?.oneclickseo?.backlinks),
      route: prospect.route ?? '',
      linking_page: bestLinkingPage(prospect)?.page.url ?? '',
      verified: prospect.verified ?? '',
      link_live: prospect.link_live === undefined ? '' : String(prospect.link_live),
      links_to_you: prospect.links_to_you === undefined ? '' : String(prospect.links_to_you),
      contact: [...(prospect.contact?.emails ?? []), ...(prospect.contact?.pages ?? []).map((page) => `${page.kind} ${page.url}`)].join(';'),
    };
    lines.push(CSV_COLUMNS.map((column) => csvField(fields[column])).join(','));
  }
  return `${lines.join('\n')}\n`;
}

function numberField(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? '' : String(value);
}

/** Neutralise a formula first, then quote, so the quote character ends up inside the quoted field. */
export function csvField(value: string): string {
  const safe = FORMULA_TRIGGERS.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
