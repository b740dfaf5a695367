// usage: what each provider can do, has spent today and this month, its balance, and the cache.
// Balances are read upstream at most once a minute per provider (and once for concurrent calls).

import { PROVIDER_TITLES } from '../domain.js';
import { describeError } from '../errors.js';
import type { ProviderName } from '../domain.js';
import type { Balance, CallContext } from '../providers/provider.js';
import type { CallOptions, OperationDependencies, UsageOutcome } from './types.js';

const BALANCE_TTL_MS = 60_000;

export function createUsage(deps: OperationDependencies): (options?: CallOptions) => Promise<UsageOutcome> {
  const { config, registry, cache, ledger, now } = deps;
  const balances = new Map<ProviderName, { at: number; balance: Promise<Balance> }>();

  /** A provider's balance, read again only when the last reading is a minute old; failures are not kept. */
  function balanceOf(name: ProviderName, read: (context: CallContext) => Promise<Balance>): Promise<Balance> {
    const held = balances.get(name);
    if (held !== undefined && now() - held.at < BALANCE_TTL_MS) return held.balance;
    // Shared by every caller in the next minute, so it is not tied to one caller's cancellation.
    const context: CallContext = { deadline: Date.now() + Math.min(config.deadlineMs, 8_000) };
    const balance = read(context);
    const entry = { at: now(), balance };
    balances.set(name, entry);
    balance.catch(() => {
      if (balances.get(name) === entry) balances.delete(name);
    });
    return balance;
  }

  async function usage(options?: CallOptions): Promise<UsageOutcome> {
    const configured = new Set(registry.configured());
    const spend = new Map((await ledger.summary()).map((row) => [row.provider, row]));
    const names = (['local', 'localseodata', 'oneclickseo', 'moz', 'domdetailer', 'dataforseo', 'commoncrawl'] as const).filter(
      (name) => configured.has(name) || spend.has(name),
    );
    const defaultName = registry.resolve('gap');
    const providers = await Promise.all(
      names.map(async (name) => {
        const row = spend.get(name);
        const budget = registry.dailyBudget(name);
        const entry: UsageOutcome['providers'][number] = {
          provider: name,
          title: PROVIDER_TITLES[name],
          configured: configured.has(name),
          ...(name === defaultName && { default: true }),
          capabilities: [],
          spent_today: row?.day ?? 0,
          spent_month: row?.month ?? 0,
          ...(budget !== undefined && { daily_budget: budget }),
        };
        if (!configured.has(name)) return entry;
        const provider = await registry.get(name);
        const description = provider.describe();
        entry.capabilities = description.capabilities;
        entry.unit = description.unit;
        entry.pricing = description.pricing;
        if (description.unit !== 'none') {
          // Taken from the budget by calls still running, not yet recorded as spent (shown only when some is).
          const held = await ledger.held(name, description.unit).catch(() => 0);
          if (held > 0) entry.held_today = held;
        }
        if (provider.balance) {
          try {
            options?.signal?.throwIfAborted();
            const balance = await balanceOf(name, provider.balance.bind(provider));
            entry.balance = { amount: balance.amount, unit: balance.unit, ...(balance.note !== undefined && { note: balance.note }) };
          } catch (error) {
            entry.balance_error = describeError(error);
          }
        }
        return entry;
      }),
    );
    const stats = await cache.stats();
    return {
      providers,
      cache: {
        mode: stats.mode,
        memory: stats.memory,
        ...(stats.persistent && { persistent: stats.persistent }),
        hits: stats.hits,
        misses: stats.misses,
        hit_rate: Math.round(stats.hitRate * 1000) / 1000,
      },
    };
  }

  return usage;
}
