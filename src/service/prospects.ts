// list_prospects: a stored run read back, filtered, sorted and paged (OneClickSEO runs are paged by
// the provider itself, for free), and the whole filtered run as CSV.

import { prospectsToCsv } from '../analysis/csv.js';
import { filterProspects, hidesPlatformsByDefault, pageOf, sortProspects } from '../analysis/prospects.js';
import { rankProspects } from '../analysis/rank.js';
import type { GapRun, Prospect } from '../domain.js';
import { DEFAULTS } from '../domain.js';
import { UsageError, invalidInput } from '../errors.js';
import { normalizeDomain } from '../hosts.js';
import { isValidRunId } from '../runs.js';
import { nextPage } from './paging.js';
import type { CallOptions, OperationDependencies, ProspectsInput, ProspectsOutcome } from './types.js';

export interface ProspectsOperations {
  prospects(input: ProspectsInput, options?: CallOptions): Promise<ProspectsOutcome>;
  prospectsCsv(input: ProspectsInput, options?: CallOptions): Promise<{ run_id: string; rows: number; csv: string }>;
  /** A stored run, or an `unknown_run` error saying how to get one. */
  loadRun(runId: string): Promise<GapRun>;
}

export function createProspects(deps: OperationDependencies): ProspectsOperations {
  const { config, registry, runs, spending } = deps;

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

  async function filteredRun(input: ProspectsInput): Promise<{ run: GapRun; rows: Prospect[]; hidden: number }> {
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
      ...(input.include_platforms !== undefined && { include_platforms: input.include_platforms }),
      ...(input.category !== undefined && { category: input.category }),
      ...(input.exclude_category !== undefined && { exclude_category: input.exclude_category }),
      ...(input.route !== undefined && { route: input.route }),
      ...(input.exclude_route !== undefined && { exclude_route: input.exclude_route }),
    };
    const hidden = run.prospects.filter((prospect) => hidesPlatformsByDefault(filter, prospect.category)).length;
    return { run, rows: sortProspects(filterProspects(run.prospects, filter), sort, order), hidden };
  }

  async function prospects(input: ProspectsInput, options?: CallOptions): Promise<ProspectsOutcome> {
    const page = input.page ?? 1;
    const perPage = input.per_page ?? DEFAULTS.perPage;
    const run = await loadRun(input.run_id);
    // Categories and routes are ours, so a selection by them reads the stored run rather than the provider's pages.
    const selects = [input.category, input.exclude_category, input.route, input.exclude_route].some((values) => values !== undefined && values.length > 0);
    if (run.provider === 'oneclickseo' && run.provider_run_id !== undefined && !selects) {
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
          spending.contextFor(options),
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
    const { rows, hidden } = await filteredRun(input);
    const paged = pageOf(rows, page, perPage);
    return {
      run_id: run.run_id,
      provider: run.provider,
      your_domain: run.your_domain,
      competitor_domains: run.competitor_domains,
      data: paged.data,
      meta: paged.meta,
      ...(hidden > 0 && { platforms_hidden: hidden }),
      ...(run.synthetic && { synthetic: true }),
      ...nextPage(run.run_id, input, paged.meta),
    };
  }

  async function prospectsCsv(input: ProspectsInput) {
    const { run, rows } = await filteredRun(input);
    return { run_id: run.run_id, rows: rows.length, csv: prospectsToCsv(rows) };
  }

  return { prospects, prospectsCsv, loadRun };
}
