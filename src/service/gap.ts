// backlink_gap: who links to the competitors but not to you, from one provider or all, ranked and
// kept as a run that list_prospects pages later.

import { createHash } from 'node:crypto';
import { facetsOf } from '../analysis/facets.js';
import { mergeProspects } from '../analysis/merge.js';
import { filterProspects, hidesPlatformsByDefault, type ProspectFilter } from '../analysis/prospects.js';
import { droppedReferrersNote, rankPublicProspects } from '../analysis/rank.js';
import { cacheKey } from '../cache/key.js';
import { bestLinkingPage } from '../analysis/prospects.js';
import type { DryRun, GapQuery, GapResult, GapRun, Prospect, ProspectCore, ProviderName } from '../domain.js';
import { DEFAULTS, isDryRun, PROVIDER_TITLES } from '../domain.js';
import { UsageError, describeError, invalidInput } from '../errors.js';
import { normalizeDomain, normalizeDomainList } from '../hosts.js';
import type { CallContext, Provider } from '../providers/provider.js';
import { holdForConfirmation } from './confirm.js';
import { costsOf } from './spending.js';
import type { BacklinksInput, CallOptions, GapInput, GapOutcome, NextCall, OperationDependencies, Service, Stored } from './types.js';

export function gapQueryOf(input: GapInput): GapQuery {
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

export function createGap(
  deps: OperationDependencies,
  backlinks?: Service['backlinks'],
): (input: GapInput, options?: CallOptions) => Promise<GapOutcome | DryRun> {
  const { registry, cache, runs, now, spending } = deps;

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
      const broad = await cache.peek<Stored<GapResult>>(gapKey(provider, { ...query, min_competitors: 1 }));
      const result = broad?.value.result;
      if (broad && result && result.status !== 'pending' && result.prospects.length >= result.total_prospects) {
        cache.countHit();
        const prospects = result.prospects.filter((prospect) => prospect.competitors.length >= query.min_competitors);
        const age = spending.ageOf(broad.storedAt);
        return {
          result: { ...result, prospects: asFetched(prospects, query.limit), total_prospects: prospects.length },
          cached: true,
          ...(age !== undefined && { age_seconds: age }),
          storedKey: key,
        };
      }
    }
    // A provider-side run still pending from an earlier call is resumed, never created (and paid) twice,
    // even when an older version stored it (its answer is not served, but its run id is still paid for).
    const earlier = (await cache.peek<Partial<Stored<Partial<GapResult>>>>(key, { anyShape: true }))?.value?.result;
    const resume = earlier?.status === 'pending' && typeof earlier.provider_run_id === 'string' ? earlier.provider_run_id : undefined;
    const effective: GapQuery = resume !== undefined ? { ...query, resume_provider_run_id: resume } : query;
    const gap = provider.gap.bind(provider);
    const outcome =
      resume !== undefined
        ? await spending.resume<GapResult>(key, query.limit, context, (charged) => gap(effective, charged))
        : await spending.paid<GapResult>(provider, { kind: 'gap', query }, key, fresh, gapAccept(query.limit), context, (charged) => gap(query, charged));
    return { ...outcome, result: { ...outcome.result, prospects: asFetched(outcome.result.prospects, query.limit) }, storedKey: key };
  }

  async function gap(input: GapInput, options?: CallOptions): Promise<GapOutcome | DryRun> {
    const query = gapQueryOf(input);
    const names = input.provider === 'all' ? registry.allWith('gap') : [registry.resolve('gap', input.provider)];
    if (names.length === 0) throw new UsageError('not_configured', 'No configured provider can compute a gap.');
    const providers = await Promise.all(names.map((name) => registry.get(name)));
    const quoted = input.provider === 'all' ? 'all' : names[0]!;
    const items = providers.map((provider) => ({
      provider,
      operation: { kind: 'gap' as const, query },
      key: gapKey(provider, query),
      accept: gapAccept(query.limit) as (stored: Stored<never>) => boolean,
    }));
    if (input.dry_run) return spending.dryRun(quoted, items);
    const held = await holdForConfirmation(spending, deps.config.confirmAbove, quoted, items, input.confirm, options);
    if (held) return held;
    const context = spending.contextFor(options);
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
    // Referrers that are not public sites (localhost, IPs, junk) are left out here, and counted.
    const { prospects: publicRanked, dropped } = rankPublicProspects(cores, query.competitor_domains);
    const ranked = publicRanked.filter((p) => p.competitor_overlap >= query.min_competitors);
    const kept = ranked.slice(0, query.limit);
    const results = ok.map(({ outcome }) => outcome.result);
    const pending = results.find((result) => result.status === 'pending');
    const totalProspects =
      single !== undefined
        ? Math.max(single.outcome.result.total_prospects - dropped, kept.length)
        : Math.max(ranked.length, ...results.map((r) => r.total_prospects));
    // A provider total counted before the min_competitors filter says so, unless our own count is the total.
    const totalBeforeFilter =
      query.min_competitors > 1 && totalProspects > ranked.length && results.some((result) => result.total_before_min_competitors === true);
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
    const selection: ProspectFilter = selectionArguments(input);
    const visible = filterProspects(kept, selection);
    const hiddenByDefault = kept.filter((prospect) => hidesPlatformsByDefault(selection, prospect.category));
    const notes = results.flatMap((result) => result.notes ?? []);
    const droppedNote = droppedReferrersNote(dropped);
    if (droppedNote !== undefined) notes.push(droppedNote);
    if (pending) {
      notes.unshift(
        `The ${PROVIDER_TITLES[pending.cost.provider]} run is still running. Call list_prospects with run_id "${runId}" in a minute, or backlink_gap again with the same arguments; neither starts or pays for a new run.`,
      );
    }
    const cachedAll = ok.every(({ outcome }) => outcome.cached);
    const ages = ok.map(({ outcome }) => outcome.age_seconds).filter((age): age is number => age !== undefined);
    const shown = visible.slice(0, top);
    const pagesCall =
      pending || backlinks === undefined ? undefined : await pagesCallOf(shown, query.competitor_domains[0]!, pagesProvider(providerName), backlinks);
    return {
      ...(pagesCall !== undefined && { pages_call: pagesCall }),
      status: pending ? 'pending' : 'complete',
      run_id: runId,
      provider: providerName,
      your_domain: query.your_domain,
      competitor_domains: query.competitor_domains,
      min_competitors: query.min_competitors,
      total_prospects: totalProspects,
      ...(totalBeforeFilter && { total_before_min_competitors: true as const }),
      kept: kept.length,
      top: shown,
      left_out: {
        platform_or_social: hiddenByDefault.filter((p) => p.category === 'platform_or_social').length,
        suspect_spam: hiddenByDefault.filter((p) => p.category === 'suspect_spam').length,
        filtered: kept.length - hiddenByDefault.length - visible.length,
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
      // The same selection continues at the first row not shown (the run lists them in the same order).
      next_call: {
        tool: 'list_prospects',
        arguments: { run_id: runId, ...selectionArguments(input), ...(shown.length > 0 ? { offset: shown.length } : { page: 1 }), per_page: DEFAULTS.perPage },
      },
    };
  }

  /**
   * Who can list the linking pages the gap's provider did not give: the gap's own provider when it lists
   * backlinks, else the default one, else any configured. The web graph has no pages, and the bundled
   * sample knows none of a real site's links, so neither is named.
   */
  function pagesProvider(gapProvider: ProviderName | 'all'): ProviderName | undefined {
    const able = registry.allWith('backlinks').filter((name) => name !== 'commoncrawl' && (name !== 'local' || deps.config.dataPath !== undefined));
    if (gapProvider !== 'all' && able.includes(gapProvider)) return gapProvider;
    let preferred: ProviderName | undefined;
    try {
      preferred = registry.resolve('backlinks');
    } catch {
      preferred = undefined;
    }
    return preferred !== undefined && able.includes(preferred) ? preferred : able[0];
  }

  return gap;
}

/**
 * The get_backlinks call that finds linking pages when none of the shown prospects has one, priced by
 * that very call's dry run (the provider's estimate, 0 when cached). No configured provider that lists
 * pages: no call at all (`{}`).
 */
async function pagesCallOf(
  shown: readonly Prospect[],
  competitor: string,
  provider: ProviderName | undefined,
  backlinks: Service['backlinks'],
): Promise<GapOutcome['pages_call']> {
  if (shown.length === 0 || shown.some((prospect) => bestLinkingPage(prospect) !== undefined || (prospect.source_pages ?? []).length > 0)) return undefined;
  if (provider === undefined) return {};
  // The provider is named, so the call runs where it was priced, whatever the default is later.
  const args = { target: competitor, mode: 'one_per_domain', provider } satisfies BacklinksInput;
  const call: NextCall = { tool: 'get_backlinks', arguments: args };
  try {
    const quote = await backlinks({ ...args, dry_run: true });
    const entry = isDryRun(quote) ? quote.estimates[0] : undefined;
    return entry === undefined ? { call } : { call, estimate: entry.estimate, cached: entry.cached };
  } catch {
    return { call };
  }
}

/** The category/route filters and the platform switch of a gap call, as list_prospects takes them. */
function selectionArguments(input: GapInput): Pick<GapInput, 'include_platforms' | 'category' | 'exclude_category' | 'route' | 'exclude_route'> {
  return {
    ...(input.include_platforms !== undefined && { include_platforms: input.include_platforms }),
    ...(input.category !== undefined && input.category.length > 0 && { category: input.category }),
    ...(input.exclude_category !== undefined && input.exclude_category.length > 0 && { exclude_category: input.exclude_category }),
    ...(input.route !== undefined && input.route.length > 0 && { route: input.route }),
    ...(input.exclude_route !== undefined && input.exclude_route.length > 0 && { exclude_route: input.exclude_route }),
  };
}

/**
 * The rows a fresh call with this limit would have received: the first `limit` in the provider's
 * own order. A larger stored answer (a limit 1000 run, a broad min_competitors) is cut this way
 * before ranking, so the run keeps the best `limit` by score of the same candidates a fresh call
 * ranks, whatever the cache held (same question, same answer). Providers order their answers
 * deterministically, and a filtered subsequence keeps that order.
 */
function asFetched<T>(prospects: T[], limit: number): T[] {
  return prospects.length > limit ? prospects.slice(0, limit) : prospects;
}
