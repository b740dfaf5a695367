// get_backlinks as compact text: metrics, top referring domains, anchor distribution, then rows.

import type { Backlink, BacklinksSummary } from '../domain.js';
import type { BacklinksOutcome } from '../service/index.js';
import { authorityText, nextCallText, provenanceLine, shortUrl, truncate } from './format.js';
import type { ResponseFormat } from './gap.js';

/** Summary entries a concise answer shows (text and structuredContent alike). */
export const CONCISE_DOMAINS = 6;
export const CONCISE_ANCHORS = 8;

/** What a summary covers, in words: "over 166 links" or "over the 100 links fetched (of 5000)". */
export function coverText(summary: BacklinksSummary, total: number): string {
  if (summary.counts === 'site_edges') {
    const domains = summary.referring_domain_count;
    return `over ${domains} referring domain${domains === 1 ? '' : 's'} (the web graph counts edges between sites, not links)`;
  }
  if (summary.covers === 'matching') return `over ${summary.covered_links} link${summary.covered_links === 1 ? '' : 's'}`;
  return `over the ${summary.covered_links} links fetched (of ${total} matching)`;
}

/** `anchors: false` when the answer knows no anchor at all (the web graph has none): rows then show
 *  none, rather than `""` on every row, which reads as links with empty anchors. */
export function backlinkLine(row: Backlink, format: ResponseFormat, anchors = true): string {
  const target = shortUrl(row.target_url).replace(/^[^/]*/, '') || '/';
  // A site-level row names no page: "site.com/ → /" would read as a link from its home page.
  const parts = [row.site_only ? `${row.source_domain} (site)` : `${shortUrl(row.source_url)} → ${target}`];
  if (anchors) parts.push(`"${truncate(row.anchor, format === 'detailed' ? 80 : 40)}"`);
  parts.push(row.dofollow === undefined ? 'df?' : row.dofollow ? 'df' : 'nf');
  if (row.authority !== undefined) parts.push(authorityText(row.authority));
  if (format === 'detailed') {
    if (row.spam_score !== undefined) parts.push(`spam ${row.spam_score}`);
    if (row.first_seen) parts.push(`first ${row.first_seen.slice(0, 10)}`);
    if (row.last_seen) parts.push(`last ${row.last_seen.slice(0, 10)}`);
    if (row.title) parts.push(`title "${truncate(row.title, 60)}"`);
  }
  return parts.join(' ');
}

export function renderBacklinks(outcome: BacklinksOutcome, rowCount: number, format: ResponseFormat, cutToFit = 0): string {
  const rows = outcome.backlinks.slice(0, rowCount);
  const m = outcome.metrics;
  const metric = (label: string, value: number | undefined) => (value === undefined ? undefined : `${label} ${value}`);
  const lines = [
    `Backlinks of ${outcome.target} (${outcome.mode}) via ${outcome.provider}: ${outcome.total} match, showing ${rows.length}`,
    provenanceLine(outcome),
    ...(outcome.notes ?? []).map((note) => `note: ${note}`),
    `metrics: ${
      [
        metric('links', m.links_in),
        metric('ref domains', m.ref_domains),
        metric('dofollow', m.dofollow),
        metric('nofollow', m.nofollow),
        metric('edu', m.edu_links),
        metric('gov', m.gov_links),
      ]
        .filter(Boolean)
        .join(' · ') || 'none reported'
    }`,
  ];
  const summary = outcome.summary;
  if (summary.covered_links > 0) {
    const over = coverText(summary, outcome.total);
    const shown = summary.referring_domains.slice(0, format === 'detailed' ? 25 : CONCISE_DOMAINS);
    const edges = summary.counts === 'site_edges';
    lines.push(
      edges
        ? `top referring domains ${over} (edges, authority): ${shown.map((g) => `${g.domain} ${g.links}e${g.authority !== undefined ? ` ${authorityText(g.authority)}` : ''}`).join('; ')}`
        : `top referring domains ${over} (${summary.referring_domain_count} domains; links/dofollow, authority, best anchor): ${shown
            .map((g) => `${g.domain} ${g.links}/${g.dofollow ?? '?'}df${g.authority !== undefined ? ` ${authorityText(g.authority)}` : ''}${g.anchor ? ` "${truncate(g.anchor, 30)}"` : ''}`)
            .join('; ')}`,
    );
    const anchors = summary.anchors.slice(0, format === 'detailed' ? 10 : CONCISE_ANCHORS);
    if (summary.anchor_count > 0) lines.push(
      `anchors ${over} (${summary.anchor_count} distinct): ${anchors
        .map((a) => `"${truncate(a.anchor || '(empty)', 30)}" ${a.links} (${Math.round((a.share ?? a.links / summary.covered_links) * 100)}%)`)
        .join(', ')}`,
    );
  }
  if (rows.length > 0) {
    const anchors = outcome.summary.anchor_count > 0 || outcome.backlinks.some((row) => row.anchor !== '');
    const sites = rows.every((row) => row.site_only);
    lines.push(
      sites
        ? 'rows (linking site, no pages or anchors known, df? unknown, authority):'
        : `rows (source → target path, ${anchors ? 'anchor, ' : 'no anchors known, '}df/nf (df? unknown), authority):`,
    );
    for (const row of rows) lines.push(backlinkLine(row, format, anchors));
  } else {
    // A target with no links at all is not a matter of filters: say which it is.
    const none = m.links_in === 0 || (m.links_in === undefined && m.ref_domains === 0);
    lines.push(
      none
        ? `${outcome.target} has no backlinks in ${outcome.provider}'s data${outcome.synthetic ? ' (the bundled synthetic sample knows only its sample market)' : ''}; check the target, or ask another provider.`
        : 'No backlinks match; drop or loosen the filters (dofollow, anchor, min_authority).',
    );
  }
  const tail: string[] = [];
  const cut = outcome.backlinks.length - rows.length + cutToFit;
  if (cut > 0) tail.push(`${cut} rows left out to fit the answer size (the next call starts with them)`);
  if (outcome.next_call) tail.push(`next: ${nextCallText(outcome.next_call)}`);
  if (tail.length > 0) lines.push(tail.join(' · '));
  return lines.join('\n');
}
