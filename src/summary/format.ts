// Shared pieces of the compact text a model reads: provenance line, numbers, token cap.

import type { Cost } from '../domain.js';
import type { NextCall, Provenance } from '../service/index.js';

/** MCP clients reject results over 25,000 tokens and warn at 10,000. */
export const TOKEN_CAP = 20_000;
/** With default parameters an answer stays under the 10,000 tokens at which clients warn. */
export const DEFAULT_TOKEN_TARGET = 9_000;

/** The token budget of an answer: the default target unless the caller asked for more rows. */
export function tokenBudget(requestedRows: number | undefined, defaultRows: number): number {
  return requestedRows === undefined || requestedRows <= defaultRows ? DEFAULT_TOKEN_TARGET : TOKEN_CAP;
}

/** Token estimate for the cap: o200k averages ~3.7 characters a token on this mix of domains, URLs and
 *  JSON (measured in bench/figures/tokens.ts); 3.4 keeps a margin without cutting rows needlessly. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 3.4);
}

/** Drop null, undefined, empty strings, empty arrays and empty objects, recursively. */
export function compact<T>(value: T): T {
  return strip(value) as T;
}

function strip(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(strip).filter((item) => item !== undefined);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) {
      const stripped = strip(inner);
      if (stripped === undefined) continue;
      if (Array.isArray(stripped) && stripped.length === 0) continue;
      if (stripped !== null && typeof stripped === 'object' && !Array.isArray(stripped) && Object.keys(stripped).length === 0) continue;
      out[key] = stripped;
    }
    return out;
  }
  if (value === null || value === undefined || value === '') return undefined;
  if (typeof value === 'number' && !Number.isFinite(value)) return undefined;
  return value;
}

export function formatCost(cost: Cost): string {
  if (cost.unit === 'none') return `${cost.provider} free`;
  return `${cost.provider} ${amountText(cost.amount, cost.unit)}`;
}

/** An estimate's amount as a quote states it: "up to 500 rows" where it is a maximum, else "~7 credits". */
export function estimateText(cost: Cost): string {
  if (cost.unit === 'none') return 'free';
  return `${cost.up_to ? 'up to ' : '~'}${amountText(cost.amount, cost.unit)}`;
}

/** Authority as every text shows it: a whole number ("a67"), whatever precision the provider sent. */
export function authorityText(authority: number): string {
  return `a${Math.round(authority)}`;
}

/** An amount in a provider's unit, as a person reads it: "$0.06027", "10 credits", "500 rows". */
export function amountText(amount: number, unit: Cost['unit']): string {
  if (unit === 'usd') return `$${roundTo(amount, 5)}`;
  if (unit === 'none') return roundTo(amount, 2);
  return `${roundTo(amount, 2)} ${unit}`;
}

export function formatAge(seconds: number): string {
  if (seconds < 90) return `${seconds}s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)}m`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)}h`;
  return `${Math.round(seconds / 86_400)}d`;
}

/** One short line: where the answer came from and what it cost. */
export function provenanceLine(p: Provenance): string {
  const source = p.cached ? `cached${p.age_seconds !== undefined ? ` ${formatAge(p.age_seconds)} ago` : ''}` : 'fresh';
  const all = p.costs ?? (p.cost ? [p.cost] : []);
  const costs = all.length === 0 ? 'cost 0' : `cost ${all.map(formatCost).join(', ')}`;
  return `${source} · ${costs}${p.synthetic ? ' · SYNTHETIC sample data (set BACKLINK_GAP_DATA or a provider key for real data)' : ''}`;
}

export function roundTo(value: number, digits: number): string {
  return String(Math.round(value * 10 ** digits) / 10 ** digits);
}

export function nextCallText(next: NextCall): string {
  return `${next.tool} ${JSON.stringify(next.arguments)}`;
}

/** Cut `rows` so the rendered text stays under `maxTokens`, never mid-row; returns how many fit. */
export function fitRows<T>(rows: readonly T[], render: (rows: readonly T[]) => string, maxTokens: number): number {
  if (estimateTokens(render(rows)) <= maxTokens) return rows.length;
  let low = 0;
  let high = rows.length;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (estimateTokens(render(rows.slice(0, middle))) <= maxTokens) low = middle;
    else high = middle - 1;
  }
  return low;
}

export function truncate(text: string, max: number): string {
  const clean = text.replace(/\s+/g, ' ').trim();
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

/** A URL without scheme and www, for compact rows. */
export function shortUrl(url: string): string {
  return url.replace(/^https?:\/\//i, '').replace(/^www\./i, '');
}
