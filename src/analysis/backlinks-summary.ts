// Top referring domains and anchors over a set of backlinks, for get_backlinks summaries when the
// provider does not count them over every matching link itself.

import type { Backlink, BacklinksSummary } from '../domain.js';

/** How many referring domains and anchors a summary lists. */
export const SUMMARY_DOMAINS = 25;
export const SUMMARY_ANCHORS = 10;

/** Domains by links (then authority, then name), anchors by links (then text); the anchor of a
 *  domain is the one of its best link: dofollow first, then the most recently seen. */
export function summarizeBacklinks(rows: readonly Backlink[], covers: BacklinksSummary['covers']): BacklinksSummary {
  const domains = new Map<string, { domain: string; links: number; dofollow: number; authority?: number; best: Backlink }>();
  const anchors = new Map<string, number>();
  for (const row of rows) {
    const group = domains.get(row.source_domain);
    if (group === undefined) {
      domains.set(row.source_domain, {
        domain: row.source_domain,
        links: 1,
        dofollow: row.dofollow ? 1 : 0,
        ...(row.authority !== undefined && { authority: row.authority }),
        best: row,
      });
    } else {
      group.links += 1;
      if (row.dofollow) group.dofollow += 1;
      if (group.authority === undefined && row.authority !== undefined) group.authority = row.authority;
      if (betterRow(row, group.best)) group.best = row;
    }
    const anchor = row.anchor.trim().toLowerCase();
    anchors.set(anchor, (anchors.get(anchor) ?? 0) + 1);
  }
  const topDomains = [...domains.values()]
    .sort((a, b) => b.links - a.links || (b.authority ?? -1) - (a.authority ?? -1) || compareText(a.domain, b.domain))
    .slice(0, SUMMARY_DOMAINS)
    .map(({ best, ...group }) => {
      const anchor = best.anchor.trim();
      return { ...group, ...(anchor !== '' && { anchor }) };
    });
  const topAnchors = [...anchors.entries()]
    .sort((a, b) => b[1] - a[1] || compareText(a[0], b[0]))
    .slice(0, SUMMARY_ANCHORS)
    .map(([anchor, links]) => ({ anchor, links }));
  return {
    covered_links: rows.length,
    covers,
    referring_domain_count: domains.size,
    referring_domains: topDomains,
    anchor_count: anchors.size,
    anchors: topAnchors,
  };
}

function betterRow(left: Backlink, right: Backlink): boolean {
  if ((left.dofollow === true) !== (right.dofollow === true)) return left.dofollow === true;
  return (left.last_seen ?? '') > (right.last_seen ?? '');
}

function compareText(left: string, right: string): number {
  return left < right ? -1 : left > right ? 1 : 0;
}
