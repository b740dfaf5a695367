// get_backlinks as compact text: metrics, top referring domains, anchor distribution, then rows.

import type { Backlink } from '../domain.js';
import type { BacklinksOutcome } from '../service/index.js';
import { nextCallText, provenanceLine, shortUrl, truncate } from './format.js';
import type { ResponseFormat } from './gap.js';

interface DomainGroup {
  domain: string;
  links: number;
  dofollow: number;
  authority?: number;
  anchor: string;
}

function groupByDomain(rows: readonly Backlink[]): DomainGroup[] {
  const groups = new Map<string, DomainGroup & { anchors: Map<string, number> }>();
  for (const row of rows) {
    let group = groups.get(row.source_domain);
    if (!group) {
      group = { domain: row.source_domain, links: 0, dofollow: 0, anchor: '', anchors: new Map() };
      if (row.authority !== undefined) group.authority = row.authority;
      groups.set(row.source_domain, group);
    }
    group.links += 1;
    if (row.dofollow) group.dofollow += 1;
    const anchor = row.anchor.trim();
    if (anchor) group.anchors.set(anchor, (group.anchors.get(anchor) ?? 0) + (row.dofollow ? 2 : 1));
  }
  return [...groups.values()]
    .map(({ anchors, ...group }) => ({
      ...group,
      anchor: [...anchors.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0] ?? '',
    }))
    .sort((a, b) => (b.authority ?? -1) - (a.authority ?? -1) || b.links - a.links || a.domain.localeCompare(b.domain));
}

function anchorDistribution(rows: readonly Backlink[]): Array<[string, number]> {
  const counts = new Map<string, number>();
  for (const row of rows) {
    const anchor = row.anchor.trim().toLowerCase() || '(empty)';
    counts.set(anchor, (counts.get(anchor) ?? 0) + 1);
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

export function backlinkLine(row: Backlink, format: ResponseFormat): string {
  const target = shortUrl(row.target_url).replace(/^[^/]*/, '') || '/';
  const parts = [
    `${shortUrl(row.source_url)} → ${target}`,
    `"${truncate(row.anchor, format === 'detailed' ? 80 : 40)}"`,
    row.dofollow ? 'df' : 'nf',
  ];
  if (row.authority !== undefined) parts.push(`a${row.authority}`);
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
  const groups = groupByDomain(rows);
  if (groups.length > 0) {
    const shown = groups.slice(0, format === 'detailed' ? 25 : 10);
    lines.push(
      `top referring domains (links, dofollow, authority, best anchor): ${shown
        .map((g) => `${g.domain} ${g.links}/${g.dofollow}df${g.authority !== undefined ? ` a${g.authority}` : ''} "${truncate(g.anchor, 30)}"`)
        .join('; ')}`,
    );
    const anchors = anchorDistribution(rows).slice(0, 8);
    lines.push(`anchors: ${anchors.map(([anchor, count]) => `"${truncate(anchor, 30)}" ${count}`).join(', ')}`);
    lines.push('rows (source → target path, anchor, df/nf, authority):');
    for (const row of rows) lines.push(backlinkLine(row, format));
  } else {
    lines.push('No backlinks match; drop filters (dofollow, anchor, min_authority) or check the target.');
  }
  const tail: string[] = [];
  const cut = outcome.backlinks.length - rows.length + cutToFit;
  if (cut > 0) tail.push(`${cut} rows left out to fit the answer size (the next call starts with them)`);
  if (outcome.next_call) tail.push(`next: ${nextCallText(outcome.next_call)}`);
  if (tail.length > 0) lines.push(tail.join(' · '));
  return lines.join('\n');
}
