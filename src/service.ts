// The operations the MCP tools and the CLI share: input checks, provider choice, cache, budget,
// runs and ranking. Tools and the CLI only parse arguments and render what this returns.

import { createHash } from 'node:crypto';
import { facetsOf, type Facets } from './analysis/facets.js';
import { isPlatform } from './analysis/categories.js';
import { mergeProspects } from './analysis/merge.js';
import { filterProspects, pageOf, sortProspects } from './analysis/prospects.js';
import { rankProspects } from './analysis/rank.js';
import { prospectsToCsv } from './analysis/csv.js';
import type { Cache } from './cache/cache.js';
import { cacheKey } from './cache/key.js';
import type { Config } from './config.js';
import type {
  BacklinkMetrics,
  Backlink,
  BacklinksMode,
  BacklinksQuery,
  BacklinksResult,
  Cost,
  GapQuery,
  GapResult,
  GapRun,
  IntersectQuery,
  IntersectResult,
  IntersectRow,
  IntersectSort,
  Prospect,
  ProspectCore,
  ProspectSort,
  ProviderName,
  Scope,
  SourceScope,
  Target,
} from './domain.js';
import { DEFAULTS, type DryRun, PROVIDER_TITLES } from './domain.js';
import { UsageError, describeError, invalidInput } from './errors.js';
import { normalizeDomain, normalizeDomainList, normalizeTarget } from './hosts.js';
import { checkBudget, type Ledger } from './ledger.js';
import type { Logger } from './log.js';
import type { CallContext, Capability, Operation, Provider } from './providers/provider.js';
import type { ProviderRegistry } from './providers/registry.js';
import { isValidRunId, type RunStore } from './runs.js';

export interface ServiceDependencies {
  config: Config;
  registry: ProviderRegistry;
  cache: Cache;
  runs: RunStore;
  ledger: Ledger;
  logger: Logger;
  now?: () => number;
}

export interface CallOptions {
  signal?: AbortSignal;
  progress?: (done: number, total?: number, message?: string) => void;
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


export { DEFAULTS, type DryRun, isDryRun } from './domain.js';

// ---- backlink_gap -------------------------------------------------------------------------------

export interface GapInput {
  your_domain: string;
  competitor_domains: string[];
  limit?: number;
  min_competitors?: number;
  provider?: ProviderName | 'all';
  top?: number;
  include_platforms?: boolean;
  fresh?: boolean;
  dry_run?: boolean;
}

export interface GapOutcome extends Provenance {
  status: 'complete' | 'pending';
  run_id: string;
  your_domain: string;
  competitor_domains: string[];
  min_competitors: number;
  total_prospects: number;
  kept: number;
  top: Prospect[];
  left_out: { platform_or_social: number; suspect_spam: number; below_top: number };
  facets: Facets;
  providers?: Array<{ provider: ProviderName; status: 'ok' | 'error'; prospects?: number; error?: string }>;
  notes: string[];
  next_call: NextCall;
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
  include_platforms?: boolean;
}

export interface ProspectsOutcome {
  run_id: string;
  provider: ProviderName | 'all';
  your_domain: string;
  competitor_domains: string[];
  data: Prospect[];
  meta: { page: number; per_page: number; total: number; total_pages: number };
  synthetic?: boolean;
  next_call?: NextCall;
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
}

export interface BacklinksOutcome extends Provenance {
  target: string;
  mode: BacklinksMode;
  metrics: BacklinkMetrics;
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
}

export interface IntersectOutcome extends Provenance {
  positive_targets: Target[];
  negative_targets: Target[];
  source_scope: SourceScope;
  results: IntersectRow[];
  total?: number;
  next_token?: string;
  notes?: string[];
  next_call?: NextCall;
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


const UPSTREAM_PAGE_MAX = 1000;

/** A cached answer with the limit it was fetched with, so a smaller ask can reuse it. */
interface Stored<T> {
  limit: number;
  result: T;
}

/** Our cursor over an upstream page: the upstream cursor the page starts at, and rows to skip in it. */
interface PageCursor {
  u?: string;
  s: number;
  /** Hash of the query the cursor belongs to. */
  q: string;
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
}

export function createService(deps: ServiceDependencies): Service {
  const { config, registry, cache, runs, ledger, logger } = deps;
  const now = deps.now ?? Date.now;

  // Deadlines are wall-clock (the HTTP layer compares them with Date.now()); `now` is the cache's clock.
  const contextFor = (options: CallOptions | undefined): CallContext => ({
    deadline: Date.now() + config.deadlineMs,
    ...(options?.signal && { signal: options.signal }),
    ...(options?.progress && { progress: options.progress }),
  });

  const ageOf = (storedAt: number | undefined): number | undefined =>
    storedAt === undefined ? undefined : Math.max(0, Math.round((now() - storedAt) / 1000));

  /** Fetch through the cache; the budget is checked (and spend recorded) only when a call leaves. */
  async function paid<T extends { cost: Cost }>(
    provider: Provider,
    operation: Operation,
    key: string,
    fresh: boolean | undefined,
    accept: (stored: Stored<T>) => boolean,
    fetch: () => Promise<T>,
  ): Promise<{ result: T; cached: boolean; age_seconds?: number }> {
    const outcome = await cache.getOrFetch<Stored<T>>(
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
  }

  async function dryRun(
    providerName: ProviderName | 'all',
    items: Array<{ provider: Provider; operation: Operation; key: string; accept: (stored: Stored<never>) => boolean }>,
  ): Promise<DryRun> {
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
  }

  // ---- gap --------------------------------------------------------------------------------------

  function gapQueryOf(input: GapInput): GapQuery {
    const yourDomain = normalizeDomain(input.your_domain, 'your_domain');
    if (!Array.isArray(input.competitor_domains) || input.competitor_domains.length === 0) {
      throw invalidInput('competitor_domains', input.competitor_domains, 'give 1 to 20 competitor domains');
    }
    const competitors = normalizeDomainList(input.competitor_domains, 'competitor_domains');
    if (competitors.includes(yourDomain)) {
      throw invalidInput(
        'competitor_domains',
        input.competitor_domains,
        `your own domain ${yourDomain} is among the competitors; remove it (a gap compares you against others)`,
      );
    }
    if (competitors.length > 20) throw invalidInput('competitor_domains', `${competitors.length} domains`, 'at most 20 competitors');
    const minCompetitors = input.min_competitors ?? 1;
    if (minCompetitors > competitors.length) {
      throw invalidInput(
        'min_competitors',
        minCompetitors,
        `cannot exceed the number of competitors (${competitors.length}); use ${competitors.length} for sites linking to every competitor`,
      );
    }
    return { your_domain: yourDomain, competitor_domains: competitors, limit: input.limit ?? DEFAULTS.gapLimit, min_competitors: minCompetitors };
  }

  function gapKey(provider: Provider, query: GapQuery): string {
    return cacheKey({
      provider: provider.name,
      operation: 'gap',
      account: provider.describe().account,
      params: {
        your_domain: query.your_domain,
        competitor_domains: [...query.competitor_domains].sort(),
        min_competitors: query.min_competitors,
      },
    });
  }

  const gapAccept =
    (limit: number) =>
    (stored: Stored<GapResult>): boolean =>
      stored.result.status !== 'pending' && (stored.limit >= limit || stored.result.prospects.length >= stored.result.total_prospects);

  async function gapFrom(
    provider: Provider,
    query: GapQuery,
    fresh: boolean | undefined,
    context: CallContext,
  ): Promise<{ result: GapResult; cached: boolean; age_seconds?: number; storedKey: string }> {
    if (!provider.gap) throw new UsageError('unsupported', `${PROVIDER_TITLES[provider.name]} cannot compute a gap.`);
    const key = gapKey(provider, query);
    if (query.min_competitors > 1 && !fresh) {
      // A complete answer for "at least one competitor" already holds every stricter answer.
      const broad = await cache.get<Stored<GapResult>>(gapKey(provider, { ...query, min_competitors: 1 }));
      const result = broad?.value.result;
      if (broad && result && result.status !== 'pending' && result.prospects.length >= result.total_prospects) {
        const prospects = result.prospects.filter((prospect) => prospect.competitors.length >= query.min_competitors);
        const age = ageOf(broad.storedAt);
        return {
          result: { ...result, prospects, total_prospects: prospects.length },
          cached: true,
          ...(age !== undefined && { age_seconds: age }),
          storedKey: key,
        };
      }
    }
    // A provider-side run still pending from an earlier call is resumed, never created (and paid) twice.
    const earlier = await cache.get<Stored<GapResult>>(key);
    const resume = earlier?.value.result.status === 'pending' ? earlier.value.result.provider_run_id : undefined;
    const effective: GapQuery = resume !== undefined ? { ...query, resume_provider_run_id: resume } : query;
    const gap = provider.gap.bind(provider);
    const outcome =
      resume !== undefined
        ? await cache.getOrFetch<Stored<GapResult>>(
            key,
            async () => {
              const result = await gap(effective, context);
              await ledger.record(result.cost).catch(() => undefined);
              return { limit: query.limit, result };
            },
            { fresh: true },
          ).then((value) => ({ result: value.value.result, cached: false }))
        : await paid<GapResult>(provider, { kind: 'gap', query }, key, fresh, gapAccept(query.limit), () => gap(query, context));
    return { ...outcome, storedKey: key };
  }

  async function gap(input: GapInput, options?: CallOptions): Promise<GapOutcome | DryRun> {
    const query = gapQueryOf(input);
    const names = input.provider === 'all' ? registry.allWith('gap') : [registry.resolve('gap', input.provider)];
    if (names.length === 0) throw new UsageError('not_configured', 'No configured provider can compute a gap.');
    const providers = await Promise.all(names.map((name) => registry.get(name)));
    if (input.dry_run) {
      return dryRun(
        input.provider === 'all' ? 'all' : names[0]!,
        providers.map((provider) => ({
          provider,
          operation: { kind: 'gap', query },
          key: gapKey(provider, query),
          accept: gapAccept(query.limit) as (stored: Stored<never>) => boolean,
        })),
      );
    }
    const context = contextFor(options);
    const settled = await Promise.allSettled(providers.map((provider) => gapFrom(provider, query, input.fresh, context)));
    const ok: Array<{ provider: Provider; outcome: Awaited<ReturnType<typeof gapFrom>> }> = [];
    const failures: Array<{ provider: ProviderName; error: unknown }> = [];
    settled.forEach((entry, index) => {
      const provider = providers[index]!;
      if (entry.status === 'fulfilled') ok.push({ provider, outcome: entry.value });
      else failures.push({ provider: provider.name, error: entry.reason });
    });
    if (ok.length === 0) throw failures[0]!.error;

    const single = ok.length === 1 && input.provider !== 'all' ? ok[0]! : undefined;
    const cores: ProspectCore[] =
      single !== undefined
        ? single.outcome.result.prospects
        : mergeProspects(
            ok.map(({ provider, outcome }) => ({ provider: provider.name, prospects: outcome.result.prospects })),
            query.competitor_domains,
          );
    const ranked = rankProspects(cores, query.competitor_domains).filter((p) => p.competitor_overlap >= query.min_competitors);
    const kept = ranked.slice(0, query.limit);
    const results = ok.map(({ outcome }) => outcome.result);
    const pending = results.find((result) => result.status === 'pending');
    const totalProspects =
      single !== undefined ? Math.max(single.outcome.result.total_prospects, kept.length) : Math.max(ranked.length, ...results.map((r) => r.total_prospects));
    const synthetic = results.some((result) => result.synthetic === true);
    const providerName: ProviderName | 'all' = input.provider === 'all' ? 'all' : ok[0]!.provider.name;

    // Content-addressed: the same answer (a cache hit) gives the same run, a fresh answer a new one.
    const fingerprint = createHash('sha256').update(`${providerName}|${query.limit}|${ok.map(({ outcome }) => outcome.storedKey).join(';')}`);
    for (const prospect of kept) fingerprint.update(`|${prospect.domain}:${prospect.score}:${prospect.competitors.length}`);
    for (const result of results) fingerprint.update(`|${result.status ?? ''}:${result.provider_run_id ?? ''}:${result.total_prospects}`);
    const runId = `run_${fingerprint.digest('hex').slice(0, 16)}`;
    const run: GapRun = {
      run_id: runId,
      provider: providerName,
      your_domain: query.your_domain,
      competitor_domains: query.competitor_domains,
      min_competitors: query.min_competitors,
      limit: query.limit,
      created_at: new Date(now()).toISOString(),
      total_prospects: totalProspects,
      prospects: kept,
      ...(pending?.provider_run_id !== undefined && { provider_run_id: pending.provider_run_id }),
      ...(single?.outcome.result.provider_run_id !== undefined && { provider_run_id: single.outcome.result.provider_run_id }),
      status: pending ? 'pending' : 'complete',
      ...(synthetic && { synthetic }),
    };
    // Content-addressed: an existing run is this very answer, saved when it was first computed (its
    // 30-day life outlasts the cached answer that led here), so a repeat does not write it again.
    if (!(await runs.get(runId))) await runs.save(run);

    const top = input.top ?? DEFAULTS.top;
    const visible = input.include_platforms ? kept : kept.filter((prospect) => !isPlatform(prospect.category));
    const notes = results.flatMap((result) => result.notes ?? []);
    if (pending) {
      notes.unshift(
        `The ${PROVIDER_TITLES[pending.cost.provider]} run is still running. Call list_prospects with run_id "${runId}" in a minute, or backlink_gap again with the same arguments; neither starts or pays for a new run.`,
      );
    }
    const cachedAll = ok.every(({ outcome }) => outcome.cached);
    const ages = ok.map(({ outcome }) => outcome.age_seconds).filter((age): age is number => age !== undefined);
    return {
      status: pending ? 'pending' : 'complete',
      run_id: runId,
      provider: providerName,
      your_domain: query.your_domain,
      competitor_domains: query.competitor_domains,
      min_competitors: query.min_competitors,
      total_prospects: totalProspects,
      kept: kept.length,
      top: visible.slice(0, top),
      left_out: {
        platform_or_social: input.include_platforms ? 0 : kept.filter((p) => p.category === 'platform_or_social').length,
        suspect_spam: input.include_platforms ? 0 : kept.filter((p) => p.category === 'suspect_spam').length,
        below_top: Math.max(0, visible.length - top),
      },
      facets: facetsOf(kept, query.competitor_domains),
      ...(input.provider === 'all' && {
        providers: [
          ...ok.map(({ provider, outcome }) => ({ provider: provider.name, status: 'ok' as const, prospects: outcome.result.prospects.length })),
          ...failures.map(({ provider, error }) => ({ provider, status: 'error' as const, error: describeError(error) })),
        ],
      }),
      cached: cachedAll,
      ...(cachedAll && ages.length > 0 && { age_seconds: Math.max(...ages) }),
      ...costsOf(
        input.provider === 'all',
        ok.map(({ provider, outcome }) => (outcome.cached ? { ...outcome.result.cost, amount: 0, provider: provider.name } : outcome.result.cost)),
      ),
      ...(synthetic && { synthetic }),
      notes,
      next_call: { tool: 'list_prospects', arguments: { run_id: runId, page: 1, per_page: DEFAULTS.perPage } },
    };
  }

  // ---- list_prospects ---------------------------------------------------------------------------

  async function loadRun(runId: string): Promise<GapRun> {
    if (typeof runId !== 'string' || !isValidRunId(runId)) {
      throw invalidInput('run_id', runId, 'not a run id; run ids look like "run_3f9a0c1b2d4e5f60" and come from backlink_gap');
    }
    const run = await runs.get(runId);
    if (!run) {
      throw new UsageError(
        'unknown_run',
        `Unknown run_id "${runId}": it does not exist or has expired (runs are kept ${Math.round(config.runTtlSeconds / 86_400)} days). Call backlink_gap with your_domain and competitor_domains to get a run_id.`,
      );
    }
    return run;
  }

  async function filteredRun(input: ProspectsInput): Promise<{ run: GapRun; rows: Prospect[]; total?: number }> {
    const run = await loadRun(input.run_id);
    const competitor = input.competitor === undefined ? undefined : normalizeDomain(input.competitor, 'competitor');
    if (competitor !== undefined && !run.competitor_domains.includes(competitor)) {
      throw invalidInput('competitor', input.competitor, `not a competitor of this run (${run.competitor_domains.join(', ')})`);
    }
    const sort = input.sort ?? 'score';
    const order = input.order ?? 'desc';
    const filter = {
      ...(input.min_authority !== undefined && { min_authority: input.min_authority }),
      ...(input.max_spam !== undefined && { max_spam: input.max_spam }),
      ...(input.dofollow !== undefined && { dofollow: input.dofollow }),
      ...(competitor !== undefined && { competitor }),
      ...(input.q !== undefined && { q: input.q }),
      include_platforms: input.include_platforms ?? true,
    };
    return { run, rows: sortProspects(filterProspects(run.prospects, filter), sort, order) };
  }

  async function prospects(input: ProspectsInput, options?: CallOptions): Promise<ProspectsOutcome> {
    const page = input.page ?? 1;
    const perPage = input.per_page ?? DEFAULTS.perPage;
    const run = await loadRun(input.run_id);
    if (run.provider === 'oneclickseo' && run.provider_run_id !== undefined) {
      // The provider keeps the run and filters it server-side, for free.
      const provider = await registry.get('oneclickseo');
      if (provider.prospects) {
        const competitor = input.competitor === undefined ? undefined : normalizeDomain(input.competitor, 'competitor');
        const sort = input.sort ?? 'score';
        const upstream = await provider.prospects(
          {
            run_id: run.run_id,
            provider_run_id: run.provider_run_id,
            ...(input.min_authority !== undefined && { min_authority: input.min_authority }),
            ...(input.max_spam !== undefined && { max_spam: input.max_spam }),
            ...(input.dofollow !== undefined && { dofollow: input.dofollow }),
            ...(competitor !== undefined && { competitor }),
            ...(input.q !== undefined && { q: input.q }),
            sort,
            order: input.order ?? 'desc',
            page,
            per_page: perPage,
          },
          contextFor(options),
        );
        const ranked = rankProspects(upstream.data, run.competitor_domains);
        const data = sort === 'score' ? ranked : sortProspects(ranked, sort, input.order ?? 'desc');
        return {
          run_id: run.run_id,
          provider: run.provider,
          your_domain: run.your_domain,
          competitor_domains: run.competitor_domains,
          data,
          meta: upstream.meta,
          ...nextPage(run.run_id, input, upstream.meta),
        };
      }
    }
    const { rows } = await filteredRun(input);
    const paged = pageOf(rows, page, perPage);
    return {
      run_id: run.run_id,
      provider: run.provider,
      your_domain: run.your_domain,
      competitor_domains: run.competitor_domains,
      data: paged.data,
      meta: paged.meta,
      ...(run.synthetic && { synthetic: true }),
      ...nextPage(run.run_id, input, paged.meta),
    };
  }

  function nextPage(runId: string, input: ProspectsInput, meta: { page: number; total_pages: number }): { next_call?: NextCall } {
    if (meta.page >= meta.total_pages) return {};
    const { run_id: _ignored, ...rest } = input;
    return { next_call: { tool: 'list_prospects', arguments: { run_id: runId, ...rest, page: meta.page + 1 } } };
  }

  async function prospectsCsv(input: ProspectsInput) {
    const { run, rows } = await filteredRun(input);
    return { run_id: run.run_id, rows: rows.length, csv: prospectsToCsv(rows) };
  }

  // ---- paging over cached upstream pages --------------------------------------------------------

  function encodeCursor(cursor: PageCursor): string {
    return Buffer.from(JSON.stringify(cursor)).toString('base64url');
  }

  function decodeCursor(value: string | undefined, field: string, queryHash: string): PageCursor {
    if (value === undefined || value === '') return { s: 0, q: queryHash };
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    } catch {
      parsed = undefined;
    }
    const cursor = parsed as Partial<PageCursor> | undefined;
    if (
      !cursor ||
      typeof cursor !== 'object' ||
      typeof cursor.s !== 'number' ||
      !Number.isInteger(cursor.s) ||
      cursor.s < 0 ||
      (cursor.u !== undefined && typeof cursor.u !== 'string')
    ) {
      throw invalidInput(field, value, `not a ${field} from an earlier answer; repeat the call without ${field} to start from the first page`);
    }
    if (cursor.q !== queryHash) {
      throw invalidInput(field, value, `belongs to a different query; repeat the call without ${field}, or with the same other arguments as the call that returned it`);
    }
    return { s: cursor.s, q: queryHash, ...(cursor.u !== undefined && { u: cursor.u }) };
  }

  const hashOf = (value: unknown): string => createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 12);

  // ---- get_backlinks ----------------------------------------------------------------------------

  async function backlinks(input: BacklinksInput, options?: CallOptions): Promise<BacklinksOutcome | DryRun> {
    const target = normalizeTarget(input.target, 'target');
    const mode = input.mode ?? 'as_is';
    const limit = input.limit ?? DEFAULTS.backlinksLimit;
    const providerName = registry.resolve('backlinks', input.provider);
    const provider = await registry.get(providerName);
    if (!provider.backlinks) throw new UsageError('unsupported', `${PROVIDER_TITLES[providerName]} cannot list backlinks.`);
    const anchor = input.anchor?.trim() || undefined;
    const filters = {
      target: target.value,
      target_kind: target.kind,
      mode,
      ...(input.dofollow !== undefined && { dofollow: input.dofollow }),
      ...(anchor !== undefined && { anchor }),
      ...(input.min_authority !== undefined && { min_authority: input.min_authority }),
    };
    const queryHash = hashOf([providerName, filters]);
    const cursor = decodeCursor(input.cursor, 'cursor', queryHash);
    const upstreamLimit = provider.describe().wholeAnswerRows ?? Math.min(UPSTREAM_PAGE_MAX, cursor.s + limit);
    const query: BacklinksQuery = { ...filters, limit: upstreamLimit, ...(cursor.u !== undefined && { cursor: cursor.u }) };
    const key = cacheKey({
      provider: providerName,
      operation: 'backlinks',
      account: provider.describe().account,
      params: { ...filters, cursor: cursor.u },
    });
    const accept = (stored: Stored<BacklinksResult>) =>
      stored.limit >= upstreamLimit || stored.result.next_cursor === undefined;
    if (input.dry_run) {
      return dryRun(providerName, [{ provider, operation: { kind: 'backlinks', query }, key, accept: accept as (stored: Stored<never>) => boolean }]);
    }
    const call = provider.backlinks.bind(provider);
    const context = contextFor(options);
    const outcome = await paid<BacklinksResult>(provider, { kind: 'backlinks', query }, key, input.fresh, accept, () => call(query, context));
    const rows = outcome.result.backlinks.slice(cursor.s, cursor.s + limit);
    const next = nextCursor(cursor, rows.length, outcome.result.backlinks.length, outcome.result.next_cursor, queryHash);
    return {
      ...provenanceOf(providerName, outcome),
      target: target.value,
      mode,
      metrics: outcome.result.metrics,
      backlinks: rows,
      total: outcome.result.total,
      ...(next !== undefined && {
        next_cursor: next,
        next_call: { tool: 'get_backlinks', arguments: { ...withoutPaging(input), target: target.value, mode, limit, cursor: next } },
      }),
      resumeAfter: (served: number) => {
        const cursorAfter = nextCursor(cursor, served, outcome.result.backlinks.length, outcome.result.next_cursor, queryHash);
        if (cursorAfter === undefined) return undefined;
        return {
          next_cursor: cursorAfter,
          next_call: { tool: 'get_backlinks', arguments: { ...withoutPaging(input), target: target.value, mode, limit, cursor: cursorAfter } },
        };
      },
    };
  }

  function nextCursor(cursor: PageCursor, served: number, pageRows: number, upstreamNext: string | undefined, queryHash: string): string | undefined {
    const end = cursor.s + served;
    if (end < pageRows) return encodeCursor({ ...(cursor.u !== undefined && { u: cursor.u }), s: end, q: queryHash });
    if (upstreamNext !== undefined) return encodeCursor({ u: upstreamNext, s: 0, q: queryHash });
    return undefined;
  }

  function withoutPaging<T extends { cursor?: string; next_token?: string; fresh?: boolean; dry_run?: boolean }>(input: T) {
    const { cursor: _c, next_token: _n, fresh: _f, dry_run: _d, ...rest } = input;
    return rest;
  }

  // ---- link_intersect ---------------------------------------------------------------------------

  function targetOf(value: TargetInput, field: string): Target {
    const raw = typeof value === 'string' ? { target: value, scope: 'root_domain' as Scope } : value;
    if (!raw || typeof raw !== 'object' || typeof raw.target !== 'string') {
      throw invalidInput(field, value, 'expected a domain string or {"target": "...", "scope": "root_domain" | "subdomain" | "page"}');
    }
    const scope = raw.scope ?? 'root_domain';
    const normalized = normalizeTarget(raw.target, `${field}.target`);
    if (scope === 'root_domain') return { target: normalized.domain, scope };
    if (scope === 'subdomain') {
      const host = normalized.kind === 'page' ? new URL(normalized.value).hostname.replace(/^www\./, '') : normalized.value;
      return { target: host, scope };
    }
    const page = normalized.kind === 'page' ? normalized.value : `https://${normalized.value}/`;
    return { target: page, scope };
  }

  async function intersect(input: IntersectInput, options?: CallOptions): Promise<IntersectOutcome | DryRun> {
    const positives = (input.positive_targets ?? []).map((value, index) => targetOf(value, `positive_targets[${index}]`));
    const negatives = (input.negative_targets ?? []).map((value, index) => targetOf(value, `negative_targets[${index}]`));
    if (positives.length === 0) throw invalidInput('positive_targets', input.positive_targets, 'give at least one positive target');
    if (positives.length + negatives.length > 6) {
      throw invalidInput(
        'positive_targets',
        `${positives.length} positive + ${negatives.length} negative`,
        'at most 6 targets in all (positive and negative together); split the question into several calls',
      );
    }
    const seen = new Set<string>();
    for (const target of [...positives, ...negatives]) {
      const id = `${target.scope}:${target.target}`;
      if (seen.has(id)) throw invalidInput('positive_targets', target.target, 'a target appears twice (or is both positive and negative)');
      seen.add(id);
    }
    const minMatching = input.min_matching_targets ?? 1;
    if (minMatching > positives.length) {
      throw invalidInput('min_matching_targets', minMatching, `cannot exceed the number of positive targets (${positives.length})`);
    }
    const sourceScope = input.source_scope ?? 'root_domain';
    const sort = input.sort ?? 'matching_target_count';
    const limit = input.limit ?? DEFAULTS.intersectLimit;
    const providerName = registry.resolve('intersect', input.provider);
    const provider = await registry.get(providerName);
    if (!provider.intersect) throw new UsageError('unsupported', `${PROVIDER_TITLES[providerName]} cannot intersect links.`);
    const base = {
      positive_targets: positives,
      negative_targets: negatives,
      min_matching_targets: minMatching,
      source_scope: sourceScope,
      sort,
    };
    const queryHash = hashOf([providerName, base]);
    const cursor = decodeCursor(input.next_token, 'next_token', queryHash);
    const upstreamLimit = provider.describe().wholeAnswerRows ?? Math.min(UPSTREAM_PAGE_MAX, cursor.s + limit);
    const query: IntersectQuery = { ...base, limit: upstreamLimit, ...(cursor.u !== undefined && { next_token: cursor.u }) };
    const key = cacheKey({
      provider: providerName,
      operation: 'intersect',
      account: provider.describe().account,
      // Order of positives matters to matching_target naming only; sort where order changes nothing.
      params: {
        ...base,
        positive_targets: [...positives].sort(compareTargets),
        negative_targets: [...negatives].sort(compareTargets),
        next_token: cursor.u,
      },
    });
    const accept = (stored: Stored<IntersectResult>) => stored.limit >= upstreamLimit || stored.result.next_token === undefined;
    if (input.dry_run) {
      return dryRun(providerName, [{ provider, operation: { kind: 'intersect', query }, key, accept: accept as (stored: Stored<never>) => boolean }]);
    }
    const call = provider.intersect.bind(provider);
    const context = contextFor(options);
    const outcome = await paid<IntersectResult>(provider, { kind: 'intersect', query }, key, input.fresh, accept, () => call(query, context));
    const rows = outcome.result.results.slice(cursor.s, cursor.s + limit);
    const next = nextCursor(cursor, rows.length, outcome.result.results.length, outcome.result.next_token, queryHash);
    return {
      ...provenanceOf(providerName, outcome),
      positive_targets: positives,
      negative_targets: negatives,
      source_scope: sourceScope,
      results: rows,
      ...(outcome.result.total !== undefined && { total: outcome.result.total }),
      ...(next !== undefined && {
        next_token: next,
        next_call: {
          tool: 'link_intersect',
          arguments: { ...withoutPaging(input), positive_targets: positives, negative_targets: negatives, source_scope: sourceScope, limit, next_token: next },
        },
      }),
    };
  }

  // ---- usage ------------------------------------------------------------------------------------

  async function usage(options?: CallOptions): Promise<UsageOutcome> {
    const configured = new Set(registry.configured());
    const spend = new Map((await ledger.summary()).map((row) => [row.provider, row]));
    const names = (['local', 'localseodata', 'oneclickseo', 'moz', 'domdetailer', 'dataforseo'] as const).filter(
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
        if (provider.balance) {
          try {
            const context: CallContext = { deadline: Date.now() + Math.min(config.deadlineMs, 8_000), ...(options?.signal && { signal: options.signal }) };
            const balance = await provider.balance(context);
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

  return { gap, prospects, prospectsCsv, backlinks, intersect, usage, run: loadRun };
}

/** Where a single-provider answer came from, what it cost (0 from the cache) and its caveats. */
function provenanceOf(
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

function costsOf(all: boolean, costs: Cost[]): { cost: Cost } | { costs: Cost[] } {
  return all || costs.length !== 1 ? { costs } : { cost: costs[0]! };
}

function limitOf(operation: Operation): number {
  return operation.query.limit;
}

function compareTargets(a: Target, b: Target): number {
  return `${a.scope}:${a.target}`.localeCompare(`${b.scope}:${b.target}`);
}

