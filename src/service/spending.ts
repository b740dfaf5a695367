// Money in one place: the budget check before a paid call leaves, dry runs, the paid fetch through
// the cache, and recording what was spent in the ledger. Every operation pays through here.

import type { Cost, DryRun, ProviderName } from '../domain.js';
import { checkBudget } from '../ledger.js';
import type { CallContext, Operation, Provider } from '../providers/provider.js';
import type { CallOptions, Provenance, ServiceDependencies, Stored } from './types.js';

export interface PaidOutcome<T> {
  result: T;
  cached: boolean;
  age_seconds?: number;
}

export interface DryRunItem {
  provider: Provider;
  operation: Operation;
  key: string;
  accept: (stored: Stored<never>) => boolean;
}

export interface Spending {
  /** The context a provider call runs with: deadline, cancellation, progress. */
  contextFor(options: CallOptions | undefined): CallContext;
  /** Seconds since a cache entry was stored, on the cache's clock. */
  ageOf(storedAt: number | undefined): number | undefined;
  /** Fetch through the cache; the budget is checked (and spend recorded) only when a call leaves. */
  paid<T extends { cost: Cost }>(
    provider: Provider,
    operation: Operation,
    key: string,
    fresh: boolean | undefined,
    accept: (stored: Stored<T>) => boolean,
    fetch: () => Promise<T>,
  ): Promise<PaidOutcome<T>>;
  /** Resume a provider-side run already paid for: always asks upstream, records what it reports. */
  resume<T extends { cost: Cost }>(key: string, limit: number, fetch: () => Promise<T>): Promise<PaidOutcome<T>>;
  /** What each call would cost, and whether the cache already holds it. */
  dryRun(providerName: ProviderName | 'all', items: DryRunItem[]): Promise<DryRun>;
}

export function createSpending(deps: ServiceDependencies): Spending {
  const { config, registry, cache, ledger, logger } = deps;
  const now = deps.now ?? Date.now;

  return {
    // Deadlines are wall-clock (the HTTP layer compares them with Date.now()); `now` is the cache's clock.
    contextFor: (options) => ({
      deadline: Date.now() + config.deadlineMs,
      ...(options?.signal && { signal: options.signal }),
      ...(options?.progress && { progress: options.progress }),
    }),

    ageOf: (storedAt) => (storedAt === undefined ? undefined : Math.max(0, Math.round((now() - storedAt) / 1000))),

    async paid(provider, operation, key, fresh, accept, fetch) {
      const outcome = await cache.getOrFetch(
        key,
        async () => {
          const estimate = provider.estimate(operation);
          await checkBudget(ledger, estimate, registry.dailyBudget(provider.name));
          const result = await fetch();
          await ledger.record(result.cost).catch((error: unknown) => logger.warn('could not record spend', { error: String(error) }));
          return { limit: limitOf(operation), result };
        },
        { ...(fresh !== undefined && { fresh }), accept },
      );
      return {
        result: outcome.value.result,
        cached: outcome.cached,
        ...(outcome.cached && outcome.ageSeconds !== undefined && { age_seconds: outcome.ageSeconds }),
      };
    },

    async resume(key, limit, fetch) {
      const outcome = await cache.getOrFetch(
        key,
        async () => {
          const result = await fetch();
          await ledger.record(result.cost).catch(() => undefined);
          return { limit, result };
        },
        { fresh: true },
      );
      return { result: outcome.value.result, cached: false };
    },

    async dryRun(providerName, items) {
      const estimates = await Promise.all(
        items.map(async ({ provider, operation, key, accept }) => {
          const hit = await cache.get<Stored<never>>(key);
          const cached = hit !== undefined && accept(hit.value);
          const budget = registry.dailyBudget(provider.name);
          return {
            provider: provider.name,
            estimate: cached ? { ...provider.estimate(operation), amount: 0 } : provider.estimate(operation),
            cached,
            ...(budget !== undefined && { daily_budget: budget }),
            spent_today: await ledger.spent(provider.name, 'day'),
          };
        }),
      );
      return { dry_run: true, provider: providerName, estimates };
    },
  };
}

/** Where a single-provider answer came from, what it cost (0 from the cache) and its caveats. */
export function provenanceOf(
  provider: ProviderName,
  outcome: { result: { cost: Cost; synthetic?: boolean; notes?: string[] }; cached: boolean; age_seconds?: number },
): Provenance & { notes?: string[] } {
  const { result } = outcome;
  return {
    provider,
    cached: outcome.cached,
    ...(outcome.age_seconds !== undefined && { age_seconds: outcome.age_seconds }),
    cost: outcome.cached ? { ...result.cost, amount: 0 } : result.cost,
    ...(result.synthetic && { synthetic: true }),
    ...(result.notes && result.notes.length > 0 && { notes: result.notes }),
  };
}

/** One cost for a single-provider answer, a list for provider "all". */
export function costsOf(all: boolean, costs: Cost[]): { cost: Cost } | { costs: Cost[] } {
  return all || costs.length !== 1 ? { costs } : { cost: costs[0]! };
}

function limitOf(operation: Operation): number {
  return operation.query.limit;
}
