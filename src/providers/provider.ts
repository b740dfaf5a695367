// The Provider contract. Every adapter implements this and only maps; nothing above an adapter
// sees a provider's wire format, status codes or auth.

import type {
  BacklinksQuery,
  BacklinksResult,
  Cost,
  CostUnit,
  GapQuery,
  GapResult,
  IntersectQuery,
  IntersectResult,
  ProspectsPage,
  ProspectsQuery,
  ProviderName,
} from '../domain.js';

export type Capability = 'gap' | 'prospects' | 'backlinks' | 'intersect';

/** What a call may use while it runs. Every member is optional so pure providers can ignore them. */
export interface CallContext {
  /** Aborted when the MCP client cancels the call or the deadline passes; adapters pass it to every request. */
  signal?: AbortSignal;
  /** Epoch milliseconds by which the whole call must be done (retries and polling included). */
  deadline?: number;
  /** Reports progress of fan-outs and polling; `total` is omitted when unknown. */
  progress?: (done: number, total?: number, message?: string) => void;
  /** Records one billed upstream request the moment its answer arrives, or the moment it may have
   *  been billed without an answer (a timeout after the request was sent). Called once per billed
   *  request, never once per operation; the service settles the budget reservation and the ledger
   *  from it (service/spending.ts). A result's `cost` is the sum of what was spent this way. */
  spend?: (cost: Cost) => void;
  /** Single billed requests of this operation already paid for, kept by the service under the
   *  provider's account as long as whole answers are cached. An operation made of several billed
   *  requests (a fan-out over competitors or domains) reads each through `piece`, so repeating a call
   *  that failed or was cancelled half-way pays only for the requests it had not bought yet. */
  pieces?: Pieces;
}

/** A store of parsed answers of single billed requests, keyed by the request's own parameters. */
export interface Pieces {
  get<T>(key: Record<string, unknown>): Promise<T | undefined>;
  put(key: Record<string, unknown>, value: unknown): Promise<void>;
}

/**
 * One billed request of a fan-out through `context.pieces`: the stored answer when an earlier call
 * bought it (`stored: true`, nothing sent, nothing spent), else `fetch()`'s, stored once it arrives.
 * `key` names the request completely (endpoint and every parameter that changes the answer).
 */
export async function piece<T>(context: CallContext, key: Record<string, unknown>, fetch: () => Promise<T>): Promise<{ value: T; stored: boolean }> {
  const kept = await context.pieces?.get<T>(key);
  if (kept !== undefined) return { value: kept, stored: true };
  const value = await fetch();
  await context.pieces?.put(key, value);
  return { value, stored: false };
}

export interface ProviderDescription {
  name: ProviderName;
  /** Human name, e.g. "DataForSEO". */
  title: string;
  /** Capabilities this provider serves, natively or by computing from another capability. */
  capabilities: Capability[];
  /** Capabilities computed from others (e.g. DomDetailer gap from backlinks of each domain). */
  computed: Capability[];
  /** Whether credentials are present. `local` is always configured. */
  configured: boolean;
  /** The provider's billing unit. */
  unit: CostUnit;
  /** Price of one call per operation in `unit`, as documented (a human-readable note where it varies). */
  pricing: string;
  /** For configuration errors: which variables configure it. */
  configureWith?: string;
  /** A one-way hash identifying the account (never the secret), part of every cache key. */
  account: string;
  /** When one paid call returns the provider's whole answer anyway (DomDetailer's ≤5,000-row
   *  sample), its size: the service then asks for all of it at once, so later pages come from the
   *  cache instead of paying for the same sample again. */
  wholeAnswerRows?: number;
}

/** An operation about to be paid for, for the budget guard and `dry_run`. */
export type Operation =
  | { kind: 'gap'; query: GapQuery }
  | { kind: 'backlinks'; query: BacklinksQuery }
  | { kind: 'intersect'; query: IntersectQuery };

export interface Balance {
  amount: number;
  unit: CostUnit | 'usd';
  note?: string;
}

/**
 * A backlink data source.
 *
 * - Every capability is an optional member: absent means this provider cannot serve it at all.
 * - Inputs arrive normalised (domains lowercase registrable, targets checked, limits in range); an
 *   adapter enforces only its provider's own limits (batching, per-call maxima).
 * - Results are in the shared vocabulary of `domain.ts`. Authority is normalised to 0-100 in
 *   `authority`, and the provider's own figure stays in `provider_metrics[name].authority_raw`.
 *   Unknown values are absent, never 0.
 * - `cost` is what the provider charged for this call, from its own figure where the response
 *   reports one, else from its documented price.
 * - Failures are thrown as `ProviderError` with a stable code (see errors.ts); never a raw
 *   undici, JSON or zod error.
 * - Adapters do no caching: the cache sits above them (src/service/spending.ts), keyed by `describe().account`.
 */
export interface Provider {
  readonly name: ProviderName;

  /** Name, capabilities, pricing, whether configured. Cheap and synchronous; no I/O. */
  describe(): ProviderDescription;

  /** Referring domains linking to at least one competitor and not to `your_domain`. */
  gap?(query: GapQuery, context: CallContext): Promise<GapResult>;

  /** Read a provider-side gap run (OneClickSEO) with the provider's own filters and pages. */
  prospects?(query: ProspectsQuery & { provider_run_id: string }, context: CallContext): Promise<ProspectsPage>;

  /** Backlinks of a domain, subdomain or page. */
  backlinks?(query: BacklinksQuery, context: CallContext): Promise<BacklinksResult>;

  /** Sources linking to at least `min_matching_targets` positives and to no negative. */
  intersect?(query: IntersectQuery, context: CallContext): Promise<IntersectResult>;

  /** Estimated cost of an operation before it is made, for the budget guard and `dry_run`; `up_to`
   *  where the amount is the most it can cost (billed per row returned), not a guess. */
  estimate(operation: Operation): Cost;

  /** The account's remaining balance, where the provider offers it. */
  balance?(context: CallContext): Promise<Balance>;

  /** Release sockets and timers. */
  close?(): Promise<void>;
}

/** A zero cost in a provider's unit. */
export function noCost(provider: ProviderName, unit: CostUnit): Cost {
  return { amount: 0, unit, provider };
}
