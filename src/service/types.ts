// The service's vocabulary: what each operation takes and returns, and what the operations share.

import type { Facets } from '../analysis/facets.js';
import type { Cache } from '../cache/cache.js';
import type { Config } from '../config.js';
import type {
  BacklinkMetrics,
  BacklinksSummary,
  Backlink,
  BacklinksMode,
  Cost,
  DryRun,
  GapRun,
  IntersectRow,
  IntersectSort,
  Category,
  Prospect,
  ProspectSort,
  Route,
  ProviderName,
  Scope,
  SourceScope,
  Target,
} from '../domain.js';
import type { Ledger } from '../ledger.js';
import type { Logger } from '../log.js';
import type { Capability } from '../providers/provider.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { RunStore, RunSummary } from '../runs.js';
import type { WebFetcher } from '../http/web.js';
import type { CheckInput, CheckOutcome } from './check.js';
import type { Spending } from './spending.js';

export type { CheckInput, CheckOutcome } from './check.js';
export interface ServiceDependencies {
  config: Config;
  registry: ProviderRegistry;
  cache: Cache;
  runs: RunStore;
  ledger: Ledger;
  logger: Logger;
  now?: () => number;
  /** check_prospects' public-web fetcher; default: one built from the config (tests pass their own). */
  web?: WebFetcher;
}

export interface CallOptions {
  signal?: AbortSignal;
  /** When the call's upstream work must end (epoch ms); default now + BACKLINK_GAP_DEADLINE_MS. A call
   *  running as an MCP task has longer: its client is not waiting on it. */
  deadline?: number;
  progress?: (done: number, total?: number, message?: string) => void;
  /** Ask the user whether to spend what `quote` says (a client with form elicitation); absent: the
   *  quote is the answer and the caller repeats with `confirm: true`. */
  confirm?: (quote: DryRun) => Promise<boolean>;
}

/** Where an answer came from and what it cost. */
export interface Provenance {
  provider: ProviderName | 'all';
  cached: boolean;
  age_seconds?: number;
  /** What this call cost in the provider's unit (0 on a cache hit); with provider "all", `costs` instead. */
  cost?: Cost;
  /** Provider "all": one cost per provider asked. */
  costs?: Cost[];
  synthetic?: boolean;
}

export interface NextCall {
  tool: string;
  arguments: Record<string, unknown>;
}



// ---- backlink_gap -------------------------------------------------------------------------------

export interface GapInput {
  your_domain: string;
  competitor_domains: string[];
  limit?: number;
  min_competitors?: number;
  provider?: ProviderName | 'all';
  top?: number;
  include_platforms?: boolean;
  category?: Category[];
  exclude_category?: Category[];
  route?: Route[];
  exclude_route?: Route[];
  fresh?: boolean;
  dry_run?: boolean;
  /** The user already agreed to this call's cost (BACKLINK_GAP_CONFIRM_ABOVE). */
  confirm?: boolean;
}

export interface GapOutcome extends Provenance {
  status: 'complete' | 'pending';
  run_id: string;
  your_domain: string;
  competitor_domains: string[];
  min_competitors: number;
  total_prospects: number;
  /** True when total_prospects counts prospects before the min_competitors filter (a provider that
   *  could not filter its total); `kept` prospects then link to at least min_competitors. */
  total_before_min_competitors?: true;
  kept: number;
  top: Prospect[];
  /** Kept by the run but not in `top`: platforms and suspected spam hidden by default, prospects the
   *  category/route filters left out (`filtered`), and those ranked below the top rows. */
  left_out: { platform_or_social: number; suspect_spam: number; filtered: number; below_top: number };
  facets: Facets;
  providers?: Array<{ provider: ProviderName; status: 'ok' | 'error'; prospects?: number; error?: string }>;
  notes: string[];
  next_call: NextCall;
  /** When no prospect in `top` has a linking page (LocalSEOData, OneClickSEO return none): the
   *  get_backlinks call that lists them for the first competitor, with its provider's estimate for
   *  that very call (0 when cached); no call when no configured provider lists linking pages. */
  pages_call?: { call?: NextCall; estimate?: Cost; cached?: boolean };
}

// ---- list_prospects -----------------------------------------------------------------------------

export interface ProspectsInput {
  run_id: string;
  min_authority?: number;
  max_spam?: number;
  dofollow?: boolean;
  competitor?: string;
  q?: string;
  sort?: ProspectSort;
  order?: 'asc' | 'desc';
  page?: number;
  per_page?: number;
  /** First row to show, 0-based, instead of `page` (the next call of an answer cut to fit gives it). */
  offset?: number;
  include_platforms?: boolean;
  category?: Category[];
  exclude_category?: Category[];
  route?: Route[];
  exclude_route?: Route[];
}

export interface ProspectsOutcome {
  run_id: string;
  provider: ProviderName | 'all';
  your_domain: string;
  competitor_domains: string[];
  data: Prospect[];
  /** `offset`: the 0-based row `data` starts at (page - 1) × per_page unless the call gave an offset. */
  meta: { page: number; per_page: number; total: number; total_pages: number; offset: number };
  /** Platform and suspected-spam prospects left out by default (include_platforms: true shows them); absent when none. */
  platforms_hidden?: number;
  synthetic?: boolean;
  /** Caveats of this page: rows left out (non-public referrers, platforms), a sort the provider cannot apply. */
  notes?: string[];
  next_call?: NextCall;
  /** The call that starts at the row after the first `served` rows of `data` (when an answer is cut to fit). */
  resumeAfter?: (served: number) => NextCall | undefined;
}

// ---- get_backlinks ------------------------------------------------------------------------------

export interface BacklinksInput {
  target: string;
  mode?: BacklinksMode;
  limit?: number;
  dofollow?: boolean;
  anchor?: string;
  min_authority?: number;
  cursor?: string;
  provider?: ProviderName;
  fresh?: boolean;
  dry_run?: boolean;
  /** The user already agreed to this call's cost (BACKLINK_GAP_CONFIRM_ABOVE). */
  confirm?: boolean;
}

export interface BacklinksOutcome extends Provenance {
  target: string;
  mode: BacklinksMode;
  metrics: BacklinkMetrics;
  /** Top referring domains and anchors (with shares) over every matching link, or over the rows
   *  fetched where the provider cannot count them all (`covers` says which). */
  summary: BacklinksSummary;
  backlinks: Backlink[];
  total: number;
  next_cursor?: string;
  notes?: string[];
  next_call?: NextCall;
  /** The cursor and call that resume after the first `served` rows (when an answer is cut to fit). */
  resumeAfter?: (served: number) => { next_cursor: string; next_call: NextCall } | undefined;
}

// ---- link_intersect -----------------------------------------------------------------------------

export type TargetInput = string | { target: string; scope?: Scope };

export interface IntersectInput {
  positive_targets: TargetInput[];
  negative_targets?: TargetInput[];
  min_matching_targets?: number;
  source_scope?: SourceScope;
  sort?: IntersectSort;
  limit?: number;
  next_token?: string;
  provider?: ProviderName;
  fresh?: boolean;
  dry_run?: boolean;
  /** The user already agreed to this call's cost (BACKLINK_GAP_CONFIRM_ABOVE). */
  confirm?: boolean;
}

export interface IntersectOutcome extends Provenance {
  positive_targets: Target[];
  negative_targets: Target[];
  /** A source links to at least this many positive targets (default 1). */
  min_matching_targets: number;
  source_scope: SourceScope;
  results: IntersectRow[];
  /** 0-based position of results[0] in the whole answer (a next page goes on numbering from it). */
  offset?: number;
  total?: number;
  next_token?: string;
  notes?: string[];
  next_call?: NextCall;
  /** The token and call that resume after the first `served` rows (when an answer is cut to fit). */
  resumeAfter?: (served: number) => { next_token: string; next_call: NextCall } | undefined;
}

// ---- usage --------------------------------------------------------------------------------------

export interface UsageOutcome {
  providers: Array<{
    provider: ProviderName;
    title: string;
    configured: boolean;
    default?: boolean;
    capabilities: Capability[];
    unit?: string;
    pricing?: string;
    spent_today: number;
    /** Held against today's budget by calls still running, beyond what they have spent (when any). */
    held_today?: number;
    spent_month: number;
    daily_budget?: number;
    balance?: { amount: number; unit: string; note?: string };
    balance_error?: string;
  }>;
  cache: {
    mode: string;
    memory: { entries: number; bytes: number };
    persistent?: { entries: number; bytes: number };
    hits: number;
    misses: number;
    hit_rate: number;
  };
}

/** A cached answer with the limit it was fetched with, so a smaller ask can reuse it. */
export interface Stored<T> {
  limit: number;
  result: T;
}

export interface Service {
  gap(input: GapInput, options?: CallOptions): Promise<GapOutcome | DryRun>;
  prospects(input: ProspectsInput, options?: CallOptions): Promise<ProspectsOutcome>;
  prospectsCsv(input: ProspectsInput, options?: CallOptions): Promise<{ run_id: string; rows: number; csv: string }>;
  backlinks(input: BacklinksInput, options?: CallOptions): Promise<BacklinksOutcome | DryRun>;
  intersect(input: IntersectInput, options?: CallOptions): Promise<IntersectOutcome | DryRun>;
  usage(options?: CallOptions): Promise<UsageOutcome>;
  /** Read a stored run (resources). */
  run(runId: string): Promise<GapRun>;
  /** Stored runs, most recent first (the backlink-gap://runs resource). */
  runs(): Promise<RunSummary[]>;
  check(input: CheckInput, options?: CallOptions): Promise<CheckOutcome>;
  /** Release the web fetcher's sockets. */
  close(): Promise<void>;
}

/** What every operation file is built from: the service's dependencies plus the shared pieces. */
export interface OperationDependencies extends Required<Pick<ServiceDependencies, 'now'>>, Omit<ServiceDependencies, 'now'> {
  spending: Spending;
}
