// How a prospect's links read in a row: dofollow counts ("df 4/12") and linking pages, short.

import { bestLinkingPage } from '../analysis/prospects.js';
import type { LinkingPage, Prospect, ProspectCore } from '../domain.js';
import { shortUrl, truncate } from './format.js';

/** "df 4/12": 4 of the 12 links to competitors are dofollow. Only the flag known: "df" (at least
 *  one dofollow link) or "nf" (every link nofollow). Nothing known: undefined. */
export function followText(prospect: Pick<ProspectCore, 'dofollow_links' | 'backlinks' | 'dofollow'>): string | undefined {
  if (prospect.dofollow_links !== undefined) {
    return prospect.backlinks !== undefined ? `df ${prospect.dofollow_links}/${prospect.backlinks}` : `df ${prospect.dofollow_links}`;
  }
  if (prospect.dofollow === undefined) return undefined;
  return prospect.dofollow ? 'df' : 'nf';
}

/** A linking page, short: its path when it is on the prospect's own host (www aside), else host and path. */
export function pageText(page: LinkingPage, prospectDomain: string, max: number): string {
  let text = shortUrl(page.url);
  try {
    const url = new URL(page.url);
    if (url.hostname.toLowerCase().replace(/^www\./, '') === prospectDomain) text = `${url.pathname}${url.search}` || '/';
  } catch {
    // Not a URL: shown as given.
  }
  return truncate(text, max);
}

/** rel of a page as one word, where the provider says. */
export function relText(page: LinkingPage): string | undefined {
  const rel = page.rel;
  if (rel === undefined) return undefined;
  const flags = [rel.sponsored && 'sponsored', rel.ugc && 'ugc', rel.nofollow && 'nofollow'].filter(Boolean);
  return flags.length > 0 ? flags.join('+') : 'dofollow';
}

/** A prospect in concise structured output: the deciding figures and one linking page URL; the
 *  per-competitor detail, evidence and per-provider figures are left to detailed. */
export function conciseProspect<T extends Prospect>(prospect: T) {
  const {
    provider_metrics: _metrics,
    source_pages: _pages,
    titles: _titles,
    reasons: _reasons,
    by_competitor: _byCompetitor,
    route_evidence: _evidence,
    ...concise
  } = prospect;
  const best = bestLinkingPage(prospect);
  return { ...concise, ...(best !== undefined && { linking_page: best.page.url }) };
}
