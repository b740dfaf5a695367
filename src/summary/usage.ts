// The usage tool as a few short lines: providers, spend against budget, balances, cache.

import type { UsageOutcome } from '../service/index.js';
import { roundTo } from './format.js';

function amount(value: number, unit: string | undefined): string {
  if (unit === 'usd') return `$${roundTo(value, 4)}`;
  if (unit === undefined || unit === 'none') return roundTo(value, 2);
  return `${roundTo(value, 2)} ${unit}`;
}

export function renderUsage(outcome: UsageOutcome): string {
  const lines = outcome.providers.map((p) => {
    if (!p.configured) return `${p.provider}: not configured (spent today ${amount(p.spent_today, p.unit)})`;
    const parts = [`${p.provider}${p.default ? ' (default)' : ''}: ${p.capabilities.join(', ')}`];
    if (p.unit !== 'none') {
      const held = p.held_today !== undefined ? ` (+${amount(p.held_today, p.unit)} held by calls running)` : '';
      parts.push(`today ${amount(p.spent_today, p.unit)}${held}${p.daily_budget !== undefined ? ` of ${amount(p.daily_budget, p.unit)} budget` : ''}`);
      parts.push(`month ${amount(p.spent_month, p.unit)}`);
      if (p.pricing) parts.push(p.pricing);
    } else {
      parts.push('free');
    }
    if (p.balance) parts.push(`balance ${amount(p.balance.amount, p.balance.unit)}`);
    if (p.balance_error) parts.push(`balance unavailable (${p.balance_error})`);
    return parts.join(' · ');
  });
  const c = outcome.cache;
  const mb = (bytes: number) => `${roundTo(bytes / 1_048_576, 1)} MB`;
  lines.push(
    `cache ${c.mode}: memory ${c.memory.entries} entries ${mb(c.memory.bytes)}` +
      `${c.persistent ? ` · disk ${c.persistent.entries} entries ${mb(c.persistent.bytes)}` : ''}` +
      ` · hit rate ${Math.round(c.hit_rate * 100)}% (${c.hits} hits, ${c.misses} misses since start)`,
  );
  return lines.join('\n');
}
