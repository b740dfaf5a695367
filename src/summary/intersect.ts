// link_intersect as compact text: sources, authority, spam, which targets they link to.

import type { IntersectRow } from '../domain.js';
import type { IntersectOutcome } from '../service/index.js';
import { nextCallText, provenanceLine, shortUrl } from './format.js';
import type { ResponseFormat } from './gap.js';

export function intersectLine(row: IntersectRow, index: number, positives: number, format: ResponseFormat): string {
  const parts = [
    `${index + 1}. ${shortUrl(row.source)}`,
    row.domain_authority === undefined ? 'auth ?' : `auth ${Math.round(row.domain_authority)}`,
  ];
  if (row.spam_score !== undefined) parts.push(`spam ${row.spam_score}`);
  parts.push(`${row.matching_targets.length}/${positives}: ${row.matching_targets.join(', ')}`);
  let line = parts.join(' · ');
  if (format === 'detailed') {
    if (row.title) line += ` · "${row.title}"`;
    if (row.matching_source_pages && row.matching_source_pages.length > 0) {
      line += `\n   pages: ${row.matching_source_pages.map((p) => `${p.target} ← ${shortUrl(p.page)}`).join('; ')}`;
    }
  }
  return line;
}

/** `cutToFit`: rows of the answer left out to fit the size (the next call starts with them). */
export function renderIntersect(outcome: IntersectOutcome, rowCount: number, format: ResponseFormat, cutToFit = 0): string {
  const describe = (t: { target: string; scope: string }) => (t.scope === 'root_domain' ? t.target : `${t.target} (${t.scope})`);
  const positives = outcome.positive_targets.length;
  const threshold = outcome.min_matching_targets ?? 1;
  const lines = [
    `Sources (${outcome.source_scope}) linking to at least ${threshold} of ${positives}${threshold === 1 ? ' (min_matching_targets, default 1)' : ''}: ` +
      `${outcome.positive_targets.map(describe).join(', ')}` +
      `${outcome.negative_targets.length > 0 ? ` but not ${outcome.negative_targets.map(describe).join(', ')}` : ''} via ${outcome.provider}` +
      `${outcome.total !== undefined ? `: ${outcome.total} match` : ''}`,
    provenanceLine(outcome),
    ...(outcome.notes ?? []).map((note) => `note: ${note}`),
  ];
  outcome.results
    .slice(0, rowCount)
    .forEach((row, index) => {
      lines.push(intersectLine(row, (outcome.offset ?? 0) + index, outcome.positive_targets.length, format));
    });
  if (outcome.results.length === 0) lines.push('No sources match; lower min_matching_targets or drop a negative target.');
  const tail: string[] = [];
  const cut = outcome.results.length - rowCount + cutToFit;
  if (cut > 0) tail.push(`${cut} rows left out to fit the answer size (the next call starts with them)`);
  if (outcome.next_call) tail.push(`next: ${nextCallText(outcome.next_call)}`);
  if (tail.length > 0) lines.push(tail.join(' · '));
  return lines.join('\n');
}
