// Money in one place: the budget reservation before a paid call leaves, dry runs, the paid fetch
// through the cache, and recording what was spent in the ledger. Every operation pays through here.
//
// Counting each billed request once: adapters call `context.spend(cost)` once per billed upstream
// request (CallContext.spend), and each is recorded the moment it arrives, so a call that charged
// and then failed is counted. An adapter that does not call `spend` yet is counted by its result's
// `cost`, once, when the call succeeds; an operation that reported any spend is never counted from
// its result as well.

import type { Cost, DryRun, ProviderName } from '../domain.js';
import type { Reservation } from '../ledger.js';
import { cacheKey } from '../cache/key.js';
import type { CallContext, Operation, Pieces, Provider } from '../providers/provider.js';
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
  /**
   * Fetch through the cache. Only when a call leaves: its estimate is reserved against the daily
   * budget (or refused), each billed request is recorded as it arrives, and the reservation is
   * settled to what was spent when the call ends, failed or not.
   */
  paid<T extends { cost: Cost }>(
    provider: Provider,
    operation: Operation,
    key: string,
    fresh: boolean | undefined,
    accept: (stored: Stored<T>) => boolean,
    context: CallContext,
    fetch: (context: CallContext) => Promise<T>,
  ): Promise<PaidOutcome<T>>;
  /** Resume a provider-side run already paid for: always asks upstream, records what it reports. */
  resume<T extends { cost: Cost }>(key: string, limit: number, context: CallContext, fetch: (context: CallContext) => Promise<T>): Promise<PaidOutcome<T>>;
  /** What each call would cost, and whether the cache already holds it. */
  dryRun(providerName: ProviderName | 'all', items: DryRunItem[]): Promise<DryRun>;
}

export function createSpending(deps: ServiceDependencies): Spending {
  const { config, registry, cache, ledger, logger } = deps;
  const now = deps.now ?? Date.now;

  /** Spend outside a budget hold (resuming a run already paid for): recorded as it comes. */
  const unreserved: Reservation = {
    spent: 0,
    spend: (cost) => ledger.record(cost),
    settle: async () => undefined,
  };

  /** Run a provider call with `spend` wired to a reservation; the result's cost counts only if nothing was spent. */
  async function charged<T extends { cost: Cost }>(reservation: Reservation, context: CallContext, fetch: (context: CallContext) => Promise<T>): Promise<T> {
    const recording: Array<Promise<void>> = [];
    let reported = false;
    const spend = (cost: Cost) => {
      reported = true;
      recording.push(reservation.spend(cost).catch((error: unknown) => logger.warn('could not record spend', { error: String(error) })));
    };
    try {
      const result = await fetch({ ...context, spend });
      if (!reported) spend(result.cost);
      return result;
    } finally {
      await Promise.all(recording);
      await reservation.settle().catch((error: unknown) => logger.warn('could not settle a budget reservation', { error: String(error) }));
    }
  }

  /** The provider account's store of single billed requests (CallContext.pieces); `fresh` reads none. */
  function piecesOf(provider: Provider, fresh: boolean | undefined): Pieces {
    const account = provider.describe().account;
    const keyOf = (params: Record<string, unknown>) => cacheKey({ provider: provider.name, operation: 'piece', account, params });
    return {
      get: async <T>(params: Record<string, unknown>) => (fresh === true ? undefined : (await cache.get<T>(keyOf(params)))?.value),
      put: (params, value) =>
        cache.set(keyOf(params), value).catch((error: unknown) => logger.warn('could not keep a paid request', { provider: provider.name, error: String(error) })),
    };
  }

  return {
    // Deadlines are wall-clock (the HTTP layer compares them with Date.now()); `now` is the cache's clock.
    // Spend reported outside a paid call (a free read that turned out billed) is still recorded.
    contextFor: (options) => ({
      deadline: options?.deadline ?? Date.now() + config.deadlineMs,
      ...(options?.signal && { signal: options.signal }),
      ...(options?.progress && { progress: options.progress }),
      spend: (cost: Cost) => {
        ledger.record(cost).catch((error: unknown) => logger.warn('could not record spend', { error: String(error) }));
      },
    }),

    ageOf: (storedAt) => (storedAt === undefined ? undefined : Math.max(0, Math.round((now() - storedAt) / 1000))),

    async paid(provider, operation, key, fresh, accept, context, fetch) {
      const outcome = await cache.getOrFetch(
        key,
        async () => {
          const estimate = provider.estimate(operation);
          // The hold outlives the call's deadline a little (on the ledger's clock) and lapses if this process dies.
          const remaining = (context.deadline ?? Date.now() + config.deadlineMs) - Date.now();
          const until = now() + remaining + 60_000;
          const reservation = await ledger.reserve(estimate, registry.dailyBudget(provider.name), until);
          const result = await charged(reservation, { ...context, pieces: piecesOf(provider, fresh) }, fetch);
          return { limit: limitOf(operation), result };
        },
        { ...(fresh !== undefined && { fresh }), accept },
      );
      return {
        result: outcome.outdated ? withNote(outcome.value.result, outdatedNote(provider.describe().title)) : outcome.value.result,
        cached: outcome.cached,
        ...(outcome.cached && outcome.ageSeconds !== undefined && { age_seconds: outcome.ageSeconds }),
      };
    },

    async resume(key, limit, context, fetch) {
      const outcome = await cache.getOrFetch(
        key,
        async () => {
          const result = await charged(unreserved, context, fetch);
          return { limit, result };
        },
        { fresh: true },
      );
      return { result: outcome.value.result, cached: false };
    },

    async dryRun(providerName, items) {
      const estimates = await Promise.all(
        items.map(async ({ provider, operation, key, accept }) => {
          // A quote reads without counting: it answers nothing, and the call it quotes counts its own read.
          const hit = await cache.peek<Stored<never>>(key);
          const cached = hit !== undefined && accept(hit.value);
          const outdated = hit === undefined && cache.outdated(key);
          const budget = registry.dailyBudget(provider.name);
          // Marked up_to by the adapter where it is a maximum (billed per row returned), not a guess.
          const estimate = provider.estimate(operation);
          const held = budget === undefined ? 0 : await ledger.held(provider.name, estimate.unit).catch(() => 0);
          return {
            provider: provider.name,
            estimate: cached ? { amount: 0, unit: estimate.unit, provider: estimate.provider } : estimate,
            cached,
            ...(outdated && { outdated: true as const }),
            ...(budget !== undefined && { daily_budget: budget }),
            spent_today: await ledger.spent(provider.name, 'day'),
            ...(held > 0 && { held_today: held }),
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

/** Why a call that was cached before an upgrade was asked (and paid) again. */
function outdatedNote(title: string): string {
  return `The cached answer was stored by an older version of backlink-gap-mcp in a shape this one does not read, so ${title} was asked again (and charged as shown).`;
}

function withNote<T>(result: T, note: string): T {
  const notes = (result as { notes?: string[] }).notes ?? [];
  return { ...result, notes: [...notes, note] };
}

function limitOf(operation: Operation): number {
  return operation.query.limit;
}
