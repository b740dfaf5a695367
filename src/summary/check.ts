// check_prospects as compact text: per site whether the links are still there (rel, anchor, the
// words around them), whether it links to you, and how to ask it, then what was stored.

import type { LiveLink, PageCheck, ProspectCheck, ProspectContact } from '../domain.js';
import type { CheckOutcome } from '../service/index.js';
import { estimateTokens, nextCallText } from './format.js';

export function renderCheck(outcome: CheckOutcome, format: 'concise' | 'detailed'): string {
  const sites = outcome.prospects.length;
  const pages = outcome.prospects.reduce((sum, prospect) => sum + prospect.pages.length, 0);
  const lines = [
    `Checked ${pages} page${pages === 1 ? '' : 's'} on ${sites} site${sites === 1 ? '' : 's'} live against ${outcome.competitor_domains.join(', ')}` +
      `${outcome.your_domain ? ` (you: ${outcome.your_domain})` : ''} · ${outcome.fetched} fetched${outcome.fetched + outcome.from_cache > pages ? ' (home and contact pages included)' : ''}, ${outcome.from_cache} from cache (≤ 7 days) · free, no provider cost`,
  ];
  for (const [index, prospect] of outcome.prospects.entries()) lines.push(...prospectLines(prospect, index, format, outcome.your_domain));
  lines.push(...outcome.notes);
  if (outcome.run_id !== undefined) {
    lines.push(`Stored into run ${outcome.run_id} (${outcome.stored ?? 0} prospects): list_prospects shows verified, link_live, contact.`);
  }
  if (outcome.next_call) lines.push(`next: ${nextCallText(outcome.next_call)}`);
  return lines.join('\n');
}

/** Text and structured answer within `maxTokens`: past it, the text around links is left out (50
 *  pages × 20 competitors would not fit), then whole sites from the end, saying how many. */
export function renderCheckResult(outcome: CheckOutcome, format: 'concise' | 'detailed', maxTokens: number): { text: string; structured: Record<string, unknown> } {
  const size = (candidate: CheckOutcome) => estimateTokens(renderCheck(candidate, format) + JSON.stringify(candidate));
  if (size(outcome) <= maxTokens) return { text: renderCheck(outcome, format), structured: { ...outcome } };
  const lean: CheckOutcome = {
    ...outcome,
    prospects: outcome.prospects.map((prospect) => ({
      ...prospect,
      pages: prospect.pages.map((page) => ({ ...page, ...(page.links && { links: page.links.map(({ context: _c, ...link }) => link) }) })),
    })),
    notes: [...outcome.notes, 'The text around each link was left out to fit the answer; check fewer pages or competitors to see it.'],
  };
  let kept = lean.prospects.length;
  const cut = (count: number): CheckOutcome => ({
    ...lean,
    prospects: lean.prospects.slice(0, count),
    notes: count < lean.prospects.length ? [...lean.notes, `${lean.prospects.length - count} more sites were checked (and stored) but left out of this answer to fit; check them in a smaller call.`] : lean.notes,
  });
  while (kept > 1 && size(cut(kept)) > maxTokens) kept -= 1;
  const fitted = cut(kept);
  return { text: renderCheck(fitted, format), structured: { ...fitted } };
}

function prospectLines(prospect: ProspectCheck, index: number, format: 'concise' | 'detailed', you: string | undefined): string[] {
  const verdict =
    prospect.link_live === undefined ? 'not readable' : prospect.link_live ? 'link live' : 'no competitor link found';
  const toYou = prospect.links_to_you === undefined ? '' : prospect.links_to_you ? ` · already links to ${you ?? 'you'}` : ` · not linking to ${you ?? 'you'}`;
  const head = `${index + 1}. ${prospect.domain} · ${verdict}${toYou}${prospect.pages_known ? '' : ' · pages unknown (home page checked)'} · ${prospect.checked_at.slice(0, 10)}`;
  const out = [head];
  for (const page of prospect.pages) out.push(`   ${pageLine(page, prospect.domain, format)}`);
  const contact = contactLine(prospect.contact);
  if (contact !== undefined) out.push(`   contact: ${contact}`);
  return out;
}

function pageLine(page: PageCheck, domain: string, format: 'concise' | 'detailed'): string {
  const shown = shortUrl(page.url, domain);
  const moved = page.final_url !== undefined ? ` → ${shortUrl(page.final_url, domain)}` : '';
  if (page.outcome !== 'ok') return `${shown}${moved} · ${page.status !== undefined ? `${page.status} · ` : ''}${page.outcome}: ${page.error ?? ''}`;
  const title = page.title !== undefined ? ` "${clip(page.title, 60)}"` : '';
  const links = (page.links ?? []).map((link) => linkText(link, format)).join('; ');
  const yours = page.you?.live ? `; you: ${linkText(page.you, format)}` : '';
  return `${shown}${moved} · ${page.status}${title}${page.truncated ? ' (first 2 MB read)' : ''}: ${links}${yours}`;
}

function linkText(link: LiveLink, format: 'concise' | 'detailed'): string {
  if (!link.live) return `${link.domain} not linked`;
  const rel = link.rel === undefined ? 'dofollow' : Object.keys(link.rel).filter((name) => link.rel?.[name as keyof typeof link.rel]).join('+');
  const via = link.via !== undefined ? ` via ${link.via}` : '';
  const anchor = link.anchor !== undefined ? ` "${clip(link.anchor, 50)}"` : '';
  const context = link.context !== undefined && link.context !== link.anchor ? ` in "${clip(link.context, format === 'detailed' ? 220 : 90)}"` : '';
  return `${link.domain} ${rel}${via}${anchor}${context}`;
}

function contactLine(contact: ProspectContact): string | undefined {
  const parts = [...(contact.pages ?? []).map((page) => `${page.kind} ${page.url}`), ...(contact.emails ?? [])];
  return parts.length === 0 ? undefined : parts.join(' · ');
}

function shortUrl(url: string, domain: string): string {
  try {
    const parsed = new URL(url);
    const host = parsed.hostname.replace(/^www\./, '');
    return host === domain ? `${parsed.pathname}${parsed.search}` : url;
  } catch {
    return url;
  }
}

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
