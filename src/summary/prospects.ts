// list_prospects as compact text: one line per prospect, the page, and the next call.

import type { ProspectsOutcome } from '../service/index.js';
import { nextCallText } from './format.js';
import { PROSPECT_LEGEND, prospectLine, type ResponseFormat } from './gap.js';

export function renderProspects(outcome: ProspectsOutcome, rowCount: number, format: ResponseFormat): string {
  const { meta } = outcome;
  const n = outcome.competitor_domains.length;
  const first = (meta.page - 1) * meta.per_page;
  const lines = [
    `Run ${outcome.run_id} (${outcome.your_domain} vs ${n} competitors, ${outcome.provider}${outcome.synthetic ? ', SYNTHETIC sample' : ''}): ` +
      `page ${meta.page}/${Math.max(1, meta.total_pages)} · ${meta.total} match · free (reads the stored run)`,
  ];
  if (rowCount > 0) lines.push(PROSPECT_LEGEND);
  outcome.data.slice(0, rowCount).forEach((prospect, index) => {
    lines.push(prospectLine(prospect, first + index, n, format));
  });
  if (outcome.data.length === 0) lines.push('No prospects match these filters; loosen min_authority / max_spam / dofollow / q.');
  const cut = outcome.data.length - rowCount;
  const tail: string[] = [];
  if (cut > 0) tail.push(`${cut} rows of this page cut to fit; use a smaller per_page`);
  if (outcome.next_call) tail.push(`next: ${nextCallText(outcome.next_call)}`);
  else if (meta.total > 0) tail.push('last page');
  if (tail.length > 0) lines.push(tail.join(' · '));
  return lines.join('\n');
}
