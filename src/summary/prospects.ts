// list_prospects as compact text: one line per prospect, the page, and the next call.

import type { NextCall, ProspectsInput, ProspectsOutcome } from '../service/index.js';
import { nextCallText } from './format.js';
import { prospectLegend, prospectLine, type ResponseFormat } from './gap.js';

/** `input` is the call that asked (its filters are named when nothing matches); `cutToFit` rows of
 *  the page were left out to fit the answer size (the outcome's next call starts with them). */
export function renderProspects(outcome: ProspectsOutcome, rowCount: number, format: ResponseFormat, input?: ProspectsInput, cutToFit = 0): string {
  const { meta } = outcome;
  const n = outcome.competitor_domains.length;
  const first = meta.offset;
  const aligned = first % meta.per_page === 0;
  const position = aligned
    ? `page ${meta.page} of ${Math.max(1, meta.total_pages)}`
    : `rows ${first + 1}-${first + Math.min(rowCount, outcome.data.length)} of ${meta.total}`;
  const lines = [
    `Run ${outcome.run_id} (${outcome.your_domain} vs ${n} competitors, ${outcome.provider}${outcome.synthetic ? ', SYNTHETIC sample' : ''}): ` +
      `${position} · ${meta.total} match · free`,
  ];
  if (input?.dofollow !== undefined) {
    lines.push(
      input.dofollow
        ? 'dofollow true: only prospects with at least one dofollow link to a competitor'
        : 'dofollow false: only prospects whose every link to a competitor is nofollow',
    );
  }
  for (const note of outcome.notes ?? []) lines.push(`note: ${note}`);
  if (rowCount > 0) lines.push(prospectLegend(n));
  outcome.data.slice(0, rowCount).forEach((prospect, index) => {
    lines.push(prospectLine(prospect, first + index, format));
  });
  if (outcome.data.length === 0) lines.push(emptyPage(outcome, input));
  const cut = outcome.data.length - rowCount + cutToFit;
  const tail: string[] = [];
  if (outcome.platforms_hidden !== undefined) tail.push(`${outcome.platforms_hidden} platform/spam hidden (include_platforms: true shows them)`);
  if (cut > 0) tail.push(`${cut} rows of this page left out to fit the answer size (the next call starts with them)`);
  if (outcome.next_call) tail.push(`next: ${nextCallText(outcome.next_call)}`);
  else if (meta.total > 0 && first + rowCount >= meta.total) tail.push(`last page (${meta.total_pages} of ${meta.total_pages})`);
  if (tail.length > 0) lines.push(tail.join(' · '));
  return lines.join('\n');
}

const FILTERS = ['min_authority', 'max_spam', 'dofollow', 'competitor', 'q'] as const;

/** Why a page is empty: past the end of the rows, or filters that match nothing (named only when set). */
function emptyPage(outcome: ProspectsOutcome, input: ProspectsInput | undefined): string {
  const { meta } = outcome;
  if (meta.total > 0 && meta.page > meta.total_pages) {
    const last: NextCall = { tool: 'list_prospects', arguments: { ...input, run_id: outcome.run_id, page: meta.total_pages } };
    return `page ${meta.page} of ${meta.total_pages}: the last page is ${meta.total_pages}; next: ${nextCallText(last)}`;
  }
  const set = FILTERS.filter((name) => input?.[name] !== undefined).map((name) => `${name}: ${JSON.stringify(input?.[name])}`);
  if (input?.include_platforms === false) set.push('include_platforms: false');
  if (set.length === 0) return 'No prospects in this run: every site linking to these competitors already links to you, or the data has none.';
  return `No prospects match ${set.join(', ')}; loosen or drop ${set.length === 1 ? 'it' : 'them'}.`;
}
