// Asking before spending: above BACKLINK_GAP_CONFIRM_ABOVE a paid call leaves only once the user
// agreed, through the caller's `confirm` (a form) or a repeat with `confirm: true`.

import type { DryRun, ProviderName } from '../domain.js';
import type { DryRunItem, Spending } from './spending.js';
import type { CallOptions } from './types.js';

/**
 * Undefined: go ahead. Otherwise the quote to answer with instead of calling: `required` when nobody
 * was asked (repeat with confirm: true), `declined` when the user said no. Nothing is sent upstream
 * before this resolves; an estimate already cached costs 0 and never asks.
 */
export async function holdForConfirmation(
  spending: Spending,
  threshold: number | undefined,
  providerName: ProviderName | 'all',
  items: DryRunItem[],
  confirmed: boolean | undefined,
  options: CallOptions | undefined,
): Promise<DryRun | undefined> {
  if (threshold === undefined || confirmed === true) return undefined;
  const quote = await spending.dryRun(providerName, items);
  if (!quote.estimates.some((entry) => !entry.cached && entry.estimate.amount > threshold)) return undefined;
  const held: DryRun = { ...quote, confirm_above: threshold };
  if (!options?.confirm) return { ...held, confirmation: 'required' };
  return (await options.confirm(held)) ? undefined : { ...held, confirmation: 'declined' };
}
