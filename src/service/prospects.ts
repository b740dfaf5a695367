// list_prospects: a stored run read back, filtered, sorted and paged (OneClickSEO runs are paged by
// the provider itself, for free), and the whole filtered run as CSV.

import { prospectsToCsv } from '../analysis/csv.js';
import { filterProspects, hasDofollowLink, hidesPlatformsByDefault, pageOf, type ProspectFilter, sortProspects } from '../analysis/prospects.js';
import { droppedReferrersNote, enrichPublicProspects } from '../analysis/rank.js';
import type { GapRun, Prospect, ProspectsPage, ProspectsQuery } from '../domain.js';
import { DEFAULTS } from '../domain.js';
import { UsageError, invalidInput } from '../errors.js';
import { normalizeDomain } from '../hosts.js';
import { isValidRunId, type RunSummary } from '../runs.js';
import { nextPage } from './paging.js';
import type { CallOptions, OperationDependencies, ProspectsInput, ProspectsOutcome } from './types.js';

/** A provider-side run is exported by pages of this size, at most this many pages (OneClickSEO runs hold ≤1,000). */
const UPSTREAM_PAGE = 100;
const MAX_UPSTREAM_PAGES = 10;

export interface ProspectsOperations {
  prospects(input: ProspectsInput, options?: CallOptions): Promise<ProspectsOutcome>;
  prospectsCsv(input: ProspectsInput, options?: CallOptions): Promise<{ run_id: string; rows: number; csv: string }>;
  /** A stored run, or an `unknown_run` error naming stored runs near the id and how to get one. */
  loadRun(runId: string): Promise<GapRun>;
  /** Stored runs, most recent first. */
  listRuns(): Promise<RunSummary[]>;
}

export function createProspects(deps: OperationDependencies): ProspectsOperations {
  const { config, registry, runs, spending } = deps;

  async function loadRun(runId: string): Promise<GapRun> {
    if (typeof runId !== 'string' || !isValidRunId(runId)) {
      throw invalidInput('run_id', runId, 'not a run id; run ids look like "run_3f9a0c1b2d4e5f60" and come from backlink_gap');
    }
    const run = await runs.get(runId);
    if (!run) {
      const near = nearestRuns(runId, await runs.list().catch(() => []));
      const hint = near.length > 0 ? ` Stored runs near it: ${near.map(describeRun).join('; ')}.` : '';
      throw new UsageError(
        'unknown_run',
        `Unknown run_id "${runId}": it does not exist or has expired (runs are kept ${Math.round(config.runTtlSeconds / 86_400)} days).${hint} Call backlink_gap with your_domain and competitor_domains to get a run_id (a repeat of an earlier question costs nothing while it is cached).`,
      );
    }
    return run;
  }

  async function filteredRun(input: ProspectsInput): Promise<{ run: GapRun; rows: Prospect[]; hidden: number; notes: string[] }> {
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
    const rows = filterProspects(run.prospects, filter);
    return { run, rows: sortProspects(rows, sort, order), hidden, notes: unknownFigureNotes(run, filter, rows) };
  }

  /** The provider's own reader of a provider-side run (OneClickSEO), where this run has one. */
  async function upstreamOf(run: GapRun): Promise<((query: ProspectsQuery & { provider_run_id: string }, options?: CallOptions) => Promise<ProspectsPage>) | undefined> {
    if (run.provider !== 'oneclickseo' || run.provider_run_id === undefined) return undefined;
    const provider = await registry.get('oneclickseo');
    if (!provider.prospects) return undefined;
    const read = provider.prospects.bind(provider);
    return (query, options) => read(query, spending.contextFor(options));
  }

  /** The provider's filters and sort for one of its runs, without the page. */
  function upstreamQuery(run: GapRun & { provider_run_id: string }, input: ProspectsInput): Omit<ProspectsQuery, 'page' | 'per_page'> & { provider_run_id: string } {
    const competitor = input.competitor === undefined ? undefined : normalizeDomain(input.competitor, 'competitor');
    return {
      run_id: run.run_id,
      provider_run_id: run.provider_run_id,
      ...(input.min_authority !== undefined && { min_authority: input.min_authority }),
      ...(input.max_spam !== undefined && { max_spam: input.max_spam }),
      ...(input.dofollow !== undefined && { dofollow: input.dofollow }),
      ...(competitor !== undefined && { competitor }),
      ...(input.q !== undefined && { q: input.q }),
      sort: input.sort ?? 'score',
      order: input.order ?? 'desc',
    };
  }

  /** Upstream rows in the provider's order (its sort and filters stand), scored, without non-public
   *  referrers and, unless include_platforms is true, without platforms and suspected spam. */
  function fromUpstream(run: GapRun, input: ProspectsInput, rows: ProspectsPage['data']): { data: Prospect[]; notes: string[] } {
    const { prospects: scored, dropped } = enrichPublicProspects(rows, run.competitor_domains);
    const data = scored.filter((prospect) => !hidesPlatformsByDefault(input, prospect.category));
    const notes: string[] = [];
    const droppedNote = droppedReferrersNote(dropped);
    if (droppedNote !== undefined) notes.push(droppedNote);
    if (data.length < scored.length) {
      notes.push(`${scored.length - data.length} platform or suspected-spam rows left out (include_platforms: true shows them); OneClickSEO's total counts them.`);
    }
    if (input.sort === 'overlap') notes.push('OneClickSEO cannot sort by overlap: rows are in its score order.');
    return { data, notes };
  }

  async function prospects(input: ProspectsInput, options?: CallOptions): Promise<ProspectsOutcome> {
    const page = input.page ?? 1;
    const perPage = input.per_page ?? DEFAULTS.perPage;
    const run = await loadRun(input.run_id);
    // Categories and routes are ours, so a selection by them reads the stored run rather than the provider's pages.
    const selects = [input.category, input.exclude_category, input.route, input.exclude_route].some((values) => values !== undefined && values.length > 0);
    const upstream = selects ? undefined : await upstreamOf(run);
    if (upstream !== undefined && run.provider_run_id !== undefined) {
      // The provider keeps the run, filters and sorts it server-side, for free: its order is kept.
      const query = upstreamQuery({ ...run, provider_run_id: run.provider_run_id }, input);
      // An offset inside a provider page reads that page and the next one (both free).
      const offset = input.offset ?? (page - 1) * perPage;
      const number = Math.floor(offset / perPage) + 1;
      const answer = await upstream({ ...query, page: number, per_page: perPage }, options);
      const skip = offset - (number - 1) * perPage;
      let rows = answer.data.slice(skip);
      if (skip > 0 && number < answer.meta.total_pages) {
        rows = rows.concat((await upstream({ ...query, page: number + 1, per_page: perPage }, options)).data.slice(0, skip));
      }
      const { data, notes } = fromUpstream(run, input, rows);
      const meta = { ...answer.meta, page: number, offset };
      // Rows left out here (platforms) still count in the provider's positions.
      const positionOf = (served: number) => (served >= data.length ? rows.length : rows.findIndex((row) => row.domain === data[served]!.domain));
      const paging = nextPage(run.run_id, input, meta, rows.length);
      return {
        run_id: run.run_id,
        provider: run.provider,
        your_domain: run.your_domain,
        competitor_domains: run.competitor_domains,
        data,
        meta,
        ...(notes.length > 0 && { notes }),
        ...paging,
        resumeAfter: (served) => paging.resumeAfter(positionOf(served)),
      };
    }
    const { rows, hidden, notes } = await filteredRun(input);
    const paged = pageOf(rows, page, perPage, input.offset);
    return {
      run_id: run.run_id,
      provider: run.provider,
      your_domain: run.your_domain,
      competitor_domains: run.competitor_domains,
      data: paged.data,
      meta: paged.meta,
      ...(hidden > 0 && { platforms_hidden: hidden }),
      ...(notes.length > 0 && { notes }),
      ...(run.synthetic && { synthetic: true }),
      ...nextPage(run.run_id, input, paged.meta, paged.data.length),
    };
  }

  async function prospectsCsv(input: ProspectsInput, options?: CallOptions) {
    const run = await loadRun(input.run_id);
    const upstream = await upstreamOf(run);
    if (upstream !== undefined && run.provider_run_id !== undefined) {
      // Every row of the provider-side run that matches, page by page (bounded), in the provider's order.
      const query = upstreamQuery({ ...run, provider_run_id: run.provider_run_id }, input);
      const first = await upstream({ ...query, page: 1, per_page: UPSTREAM_PAGE }, options);
      const pages = Math.min(MAX_UPSTREAM_PAGES, first.meta.total_pages);
      const rest = await Promise.all(Array.from({ length: Math.max(0, pages - 1) }, (_, index) => upstream({ ...query, page: index + 2, per_page: UPSTREAM_PAGE }, options)));
      const { data } = fromUpstream(run, input, [first, ...rest].flatMap((answer) => answer.data));
      return { run_id: run.run_id, rows: data.length, csv: prospectsToCsv(data) };
    }
    const { rows } = await filteredRun(input);
    return { run_id: run.run_id, rows: rows.length, csv: prospectsToCsv(rows) };
  }

  return { prospects, prospectsCsv, loadRun, listRuns: () => runs.list() };
}

/**
 * What a filter did with prospects whose figure is unknown (the provider does not report it): min_authority
 * and dofollow leave them out, max_spam keeps them. Said with a count, so "0 match" or "100 match" is
 * not read as a fact about the sites.
 */
function unknownFigureNotes(run: GapRun, filter: ProspectFilter, rows: readonly Prospect[]): string[] {
  const notes: string[] = [];
  const without = (field: 'min_authority' | 'dofollow') => filterProspects(run.prospects, { ...filter, [field]: undefined });
  if (filter.min_authority !== undefined) {
    const unknown = without('min_authority').filter((prospect) => prospect.authority === undefined).length;
    if (unknown > 0) notes.push(`min_authority leaves out ${unknown} prospect${unknown === 1 ? '' : 's'} whose authority ${run.provider} does not report.`);
  }
  if (filter.dofollow !== undefined) {
    const unknown = without('dofollow').filter((prospect) => hasDofollowLink(prospect) === undefined).length;
    if (unknown > 0) notes.push(`dofollow leaves out ${unknown} prospect${unknown === 1 ? '' : 's'} whose links' follow ${run.provider} does not report (unknown, neither dofollow nor nofollow).`);
  }
  if (filter.max_spam !== undefined) {
    const unknown = rows.filter((prospect) => prospect.spam_score === undefined).length;
    if (unknown > 0) notes.push(`max_spam keeps ${unknown} prospect${unknown === 1 ? '' : 's'} whose spam score ${run.provider} does not report.`);
  }
  return notes;
}

/** Stored runs whose id the given one may be a mistyping of: a shared prefix or a few edits away. */
export function nearestRuns(runId: string, stored: RunSummary[], max = 3): RunSummary[] {
  const wanted = runId.toLowerCase();
  return stored
    .map((run) => {
      const id = run.run_id.toLowerCase();
      const prefix = id.startsWith(wanted) || wanted.startsWith(id) ? 0 : Number.POSITIVE_INFINITY;
      return { run, distance: Math.min(prefix, editDistance(wanted, id)) };
    })
    .filter(({ distance }) => distance <= 3)
    .sort((left, right) => left.distance - right.distance || left.run.age_seconds - right.run.age_seconds)
    .slice(0, max)
    .map(({ run }) => run);
}

export function describeRun(run: RunSummary): string {
  return `"${run.run_id}" (${run.your_domain} vs ${run.competitor_domains.join(', ')}; ${run.provider}; ${ageText(run.age_seconds)} old)`;
}

function ageText(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7_200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${Math.round(seconds / 3_600)} h`;
  return `${Math.round(seconds / 86_400)} days`;
}

function editDistance(left: string, right: string): number {
  let previous = Array.from({ length: right.length + 1 }, (_, index) => index);
  for (let i = 1; i <= left.length; i++) {
    const current = [i];
    for (let j = 1; j <= right.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (left[i - 1] === right[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[right.length]!;
}
