// Aligned tables for people at a terminal (the CLI); the model reads the compact text instead.

import type { Prospect } from '../domain.js';
import type { GapOutcome, ProspectsOutcome } from '../service/index.js';
import { nextCallText, provenanceLine } from './format.js';
import { categoryLabel, type ResponseFormat } from './gap.js';

function table(header: string[], rows: string[][], rightAligned: ReadonlySet<number>): string {
  const widths = header.map((cell, index) => Math.max(cell.length, ...rows.map((row) => (row[index] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, index) => (rightAligned.has(index) ? cell.padStart(widths[index]!) : cell.padEnd(widths[index]!)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

function prospectRows(prospects: readonly Prospect[], first: number, competitorCount: number, format: ResponseFormat): string[][] {
  return prospects.map((p, index) => [
    String(first + index + 1),
    p.domain,
    String(p.score),
    p.authority === undefined ? '?' : String(Math.round(p.authority)),
    `${p.competitor_overlap}/${competitorCount}`,
    p.tier,
    categoryLabel(p.category),
    p.dofollow_links !== undefined ? `${p.dofollow_links}${p.backlinks !== undefined ? `/${p.backlinks}` : ''}` : p.dofollow === undefined ? '?' : p.dofollow ? 'yes' : 'no',
    p.spam_score === undefined ? '?' : String(p.spam_score),
    ...(format === 'detailed' ? [p.competitors.join(' ')] : []),
  ]);
}

const HEADER = ['#', 'domain', 'score', 'auth', 'comp', 'tier', 'category', 'df/links', 'spam'];
const RIGHT = new Set([0, 2, 3, 4, 7, 8]);

/** `command` is how the user started the CLI (`node dist/cli.js` in a clone), for the hint it prints. */
export function renderGapTable(outcome: GapOutcome, format: ResponseFormat, command = 'backlink-gap-mcp'): string {
  const n = outcome.competitor_domains.length;
  const f = outcome.facets;
  const reach = outcome.min_competitors > 1 ? `≥${outcome.min_competitors} competitors` : 'a competitor';
  const count = outcome.total_before_min_competitors
    ? `${outcome.total_prospects} prospects link to a competitor but not to you (the provider's count, before --min-competitors); the run keeps the ${outcome.kept} fetched that link to ${reach}`
    : `${outcome.total_prospects} prospects link to ${reach} but not to you (run keeps ${outcome.kept})`;
  const lines = [
    `Backlink gap: ${outcome.your_domain} vs ${outcome.competitor_domains.join(', ')}`,
    `${count} · provider ${outcome.provider} · run ${outcome.run_id}`,
    provenanceLine(outcome),
    ...outcome.notes.map((note) => `note: ${note}`),
    `tiers${outcome.kept < outcome.total_prospects ? ` (of the ${outcome.kept} kept)` : ''}: all ${f.tier.all} · several ${f.tier.several} · one ${f.tier.one}`,
    '',
    table([...HEADER, ...(format === 'detailed' ? ['links to'] : [])], prospectRows(outcome.top, 0, n, format), RIGHT),
    '',
  ];
  const leftOut = outcome.left_out.platform_or_social + outcome.left_out.suspect_spam;
  if (leftOut > 0) lines.push(`${leftOut} platform/social or suspect-spam domains hidden (--include-platforms shows them).`);
  if (outcome.left_out.filtered > 0) lines.push(`${outcome.left_out.filtered} left out by --route/--category filters.`);
  lines.push(`More: ${command} prospects ${outcome.run_id} --per-page 50   (MCP: ${nextCallText(outcome.next_call)})`);
  return lines.join('\n');
}

export function renderProspectsTable(outcome: ProspectsOutcome, format: ResponseFormat): string {
  const { meta } = outcome;
  const n = outcome.competitor_domains.length;
  const lines = [
    `Run ${outcome.run_id}: ${outcome.your_domain} vs ${n} competitors · page ${meta.page}/${Math.max(1, meta.total_pages)} · ${meta.total} match${outcome.synthetic ? ' · SYNTHETIC sample data' : ''}`,
    '',
    table(
      [...HEADER, ...(format === 'detailed' ? ['links to'] : [])],
      prospectRows(outcome.data, (meta.page - 1) * meta.per_page, n, format),
      RIGHT,
    ),
  ];
  const last = Math.max(1, meta.total_pages);
  if (outcome.data.length === 0 && meta.page > last) lines.push('', `Page ${meta.page} of ${last}: the last page is ${last} (--page ${last}).`);
  else if (meta.page < meta.total_pages) lines.push('', `Next page: the same command with --page ${meta.page + 1}`);
  else lines.push('', `Last page (${meta.page} of ${last}).`);
  return lines.join('\n');
}
