// OneClickSEO adapter: an asynchronous gap run (create → poll → read prospects) and free prospect reads.
//
// Authority: `domain_rating` is documented as 0-100, so it is the normalised `authority` as is and
// also kept as `provider_metrics.oneclickseo.authority_raw`.

import { z } from 'zod';
import type { OneClickSeoSettings } from '../config.js';
import type { Cost, GapQuery, GapResult, ProspectCore, ProspectSort, ProspectsPage, ProspectsQuery } from '../domain.js';
import { PROVIDER_TITLES } from '../domain.js';
import { ProviderError, UsageError } from '../errors.js';
import { sourceDomainOf } from '../hosts.js';
import { redact } from '../log.js';
import { type AdapterDependencies, accountHash, adapterHttpClient, billed, notConfigured, parseResponse } from './adapter.js';
import type { CallContext, Operation, Provider, ProviderDescription } from './provider.js';

const NAME = 'oneclickseo';
const TITLE = PROVIDER_TITLES[NAME];
const MAX_COMPETITORS = 20;
const MIN_RUN_LIMIT = 10;
const MAX_RUN_LIMIT = 1000;
const MAX_PER_PAGE = 100;
const FIRST_POLL_MS = 1000;
/** Polling slows from the first interval to five times it (1 s → 5 s). */
const POLL_GROWTH_CAP = 5;
const DEFAULT_DEADLINE_MS = 50_000;
const RUN_ID = /^[A-Za-z0-9_-]{1,128}$/;

const createdSchema = z.object({
  data: z.object({ id: z.string(), status: z.string().optional() }),
  meta: z.object({ credits_charged: z.number().optional() }).partial().optional(),
});

const runSchema = z.object({
  data: z.object({
    id: z.string().optional(),
    status: z.string(),
    prospect_count: z.number().optional(),
    credits_charged: z.number().optional(),
  }),
});

const optionalNumber = z.number().nullish();
const prospectSchema = z.object({
  domain: z.string(),
  domain_rating: optionalNumber,
  backlinks: optionalNumber,
  referring_domains: optionalNumber,
  competitor_overlap: optionalNumber,
  competitors: z.array(z.string()).nullish(),
  dofollow: z.boolean().nullish(),
  spam_score: optionalNumber,
});
type UpstreamProspect = z.infer<typeof prospectSchema>;

// `data` and `meta.total` are the answer: a 200 without them is unreadable, never an empty page.
const prospectsSchema = z.object({
  data: z.array(prospectSchema),
  meta: z.object({
    page: z.number().optional(),
    per_page: z.number().optional(),
    total: z.number(),
    total_pages: z.number().optional(),
  }),
});
type UpstreamPage = z.infer<typeof prospectsSchema>;

/** The seed's sort fields; our extra `overlap` has no upstream field, so the page is read by score. */
const UPSTREAM_SORT: Record<ProspectSort, string> = {
  score: 'score',
  rank: 'rank',
  backlinks: 'backlinks',
  referring_domains: 'referring_domains',
  overlap: 'score',
};

export interface OneClickSeoDependencies extends AdapterDependencies {
  /** First wait between polls of a run, in ms (default 1000); tests shorten it. */
  firstPollMs?: number;
}

export function createOneClickSeoProvider(settings: OneClickSeoSettings, deps: OneClickSeoDependencies): Provider {
  const apiKey = settings.apiKey;
  const secrets = apiKey === undefined ? [] : [apiKey];
  const http = adapterHttpClient(NAME, settings.baseUrl, secrets, deps);

  const credentials = (): Record<string, string> => {
    if (apiKey === undefined) throw notConfigured(NAME);
    return { Authorization: `Bearer ${apiKey}` };
  };
  const credits = (amount: number): Cost => ({ amount, unit: 'credits', provider: NAME });

  // The error body shape is undocumented: read `message` or `error` leniently.
  const mapError = ({ status, body }: { status: number; body: unknown }): ProviderError | undefined => {
    const said = upstreamMessage(body);
    const suffix = said === undefined ? '' : ` OneClickSEO said: ${redact(said, secrets)}`;
    if (status === 401 || status === 403) {
      return new ProviderError({
        code: 'auth_failed',
        provider: NAME,
        status,
        message: `${TITLE} rejected the API key (HTTP ${status}): check ONECLICKSEO_API_KEY; 403 means the plan lacks API access.${suffix}`,
      });
    }
    if (status === 402) {
      return new ProviderError({
        code: 'no_credits',
        provider: NAME,
        status,
        message: `${TITLE} has no credits left for this run (HTTP 402): top up credits or wait for the monthly allowance.${suffix}`,
      });
    }
    return undefined;
  };

  const getJson = async (path: string, context: CallContext, query?: Record<string, string | number | boolean | undefined>) => {
    const response = await http.requestJson({
      method: 'GET',
      path,
      headers: credentials(),
      ...(query !== undefined && { query }),
      ...(context.signal !== undefined && { signal: context.signal }),
      ...(context.deadline !== undefined && { deadline: context.deadline }),
      mapError,
    });
    return response.body;
  };

  const readPage = async (runId: string, query: Record<string, string | number | boolean | undefined>, context: CallContext) =>
    parseResponse(NAME, prospectsSchema, await getJson(`${runPath(runId)}/prospects`, context, query));

  /** Every prospect of a completed run, up to `wanted`, best score first. */
  const readAll = async (runId: string, wanted: number, context: CallContext): Promise<{ rows: UpstreamProspect[]; total: number }> => {
    const query = (page: number) => ({ sort: 'score', order: 'desc', page, per_page: MAX_PER_PAGE });
    const first = await readPage(runId, query(1), context);
    const total = first.meta.total;
    const pages = Math.min(first.meta.total_pages ?? pagesFor(total), Math.ceil(wanted / MAX_PER_PAGE));
    const rest = await Promise.all(
      Array.from({ length: Math.max(0, pages - 1) }, (_, index) => readPage(runId, query(index + 2), context)),
    );
    const rows = [first, ...rest].flatMap((page) => page.data).slice(0, wanted);
    return { rows, total };
  };

  async function gap(query: GapQuery, context: CallContext): Promise<GapResult> {
    const headers = credentials();
    const competitors = query.competitor_domains;
    if (competitors.length === 0 || competitors.length > MAX_COMPETITORS) {
      throw new UsageError(
        'invalid_input',
        `competitor_domains: ${TITLE} takes 1 to ${MAX_COMPETITORS} competitors per run (got ${competitors.length}); split them or use another provider.`,
      );
    }
    const deadline = context.deadline ?? Date.now() + DEFAULT_DEADLINE_MS;
    const bounded: CallContext = { ...context, deadline };
    let runId: string;
    let cost = credits(0);
    if (query.resume_provider_run_id !== undefined) {
      // Created (and paid for) by an earlier call: only poll and read it.
      runId = checkRunId(query.resume_provider_run_id);
    } else {
      // Charged at creation and recorded then (by the HTTP layer), so a poll or read that fails later loses no spend.
      const created = await createRun(query, headers, bounded);
      runId = checkRunId(created.id);
      cost = created.cost;
      deps.logger.info(`${TITLE} gap run created`, { run_id: runId, credits: cost.amount });
    }
    const pending = (): GapResult => ({ status: 'pending', provider_run_id: runId, prospects: [], total_prospects: 0, cost });
    try {
      const done = await pollUntilCompleted(runId, bounded);
      if (!done) return pending();
      const { rows, total } = await readAll(runId, runLimit(query.limit), bounded);
      return completedResult(query, runId, rows, total, cost);
    } catch (error) {
      // The run exists and is paid for: a slow poll or read, or a cancelled call (an MCP task
      // cancelled, a client that gave up), leaves it to be read later, not lost and not paid again.
      if (error instanceof ProviderError && error.code === 'timeout') return pending();
      if (error instanceof ProviderError && error.code === 'cancelled') {
        deps.logger.info(`${TITLE} gap run ${runId} kept running when the call was cancelled; the next call with the same arguments resumes it`, { run_id: runId });
        return pending();
      }
      throw error;
    }
  }

  async function createRun(query: GapQuery, headers: Record<string, string>, context: CallContext): Promise<{ id: string; cost: Cost }> {
    const competitors = query.competitor_domains;
    const mode = competitors.length > 1 && query.min_competitors >= competitors.length ? 'intersect' : 'union';
    const estimate = credits(estimateRunCredits(competitors.length, runLimit(query.limit)));
    try {
      const response = await http.requestJson({
        method: 'POST',
        path: '/backlinks/gap',
        headers,
        body: { domain: query.your_domain, competitors, mode, limit: runLimit(query.limit) },
        // A billable run: the HTTP layer reports its charge (meta.credits_charged, else the estimate)
        // when it answers or may have landed, and never repeats it then.
        billing: billed(context, estimate, (body) => {
          const charged = (body as { meta?: { credits_charged?: unknown } } | null)?.meta?.credits_charged;
          return typeof charged === 'number' && Number.isFinite(charged) && charged >= 0 ? credits(charged) : undefined;
        }),
        ...(context.signal !== undefined && { signal: context.signal }),
        ...(context.deadline !== undefined && { deadline: context.deadline }),
        mapError,
      });
      const body = parseResponse(NAME, createdSchema, response.body);
      return { id: body.data.id, cost: response.cost ?? credits(body.meta?.credits_charged ?? estimate.amount) };
    } catch (error) {
      if (error instanceof ProviderError && mayHaveReachedServer(error)) {
        // The HTTP layer counts a 500 as a refusal; here it may hide a created run, so it counts at the estimate.
        if (error.status === 500) context.spend?.(estimate);
        throw new ProviderError({
          code: error.code,
          provider: NAME,
          ...(error.status !== undefined && { status: error.status }),
          message: `${error.message} A gap run for ${query.your_domain} may have been created and charged: look for it in the OneClickSEO dashboard before starting another.`,
        });
      }
      throw error;
    }
  }

  /** True once the run is completed; false when the deadline comes first. */
  async function pollUntilCompleted(runId: string, context: CallContext): Promise<boolean> {
    const deadline = context.deadline as number;
    const first = deps.firstPollMs ?? FIRST_POLL_MS;
    let interval = first;
    for (let polls = 1; ; polls += 1) {
      const body = parseResponse(NAME, runSchema, await getJson(runPath(runId), context));
      const status = body.data.status;
      if (status === 'completed') {
        context.progress?.(polls, polls, `${TITLE} run ${runId} completed`);
        return true;
      }
      if (status !== 'running') {
        throw new ProviderError({
          code: 'upstream_unavailable',
          provider: NAME,
          message: `${TITLE} gap run ${runId} ended with status "${status}" instead of completing. Check the run in the OneClickSEO dashboard, or start a new gap run.`,
        });
      }
      context.progress?.(polls, undefined, `${TITLE} run ${runId} still running`);
      if (Date.now() + interval >= deadline) return false;
      await sleep(interval, context.signal);
      interval = Math.min(first * POLL_GROWTH_CAP, Math.round(interval * 1.6));
    }
  }

  function completedResult(query: GapQuery, runId: string, rows: UpstreamProspect[], total: number | undefined, cost: Cost): GapResult {
    const readEverything = total === undefined || rows.length >= total;
    const kept = rows
      .map((row) => ({ row, prospect: toProspect(row, query.competitor_domains) }))
      .filter(({ row, prospect }) => (row.competitor_overlap ?? prospect.competitors.length) >= query.min_competitors);
    const notes: string[] = [];
    let totalProspects = kept.length;
    let beforeFilter = false;
    if (!readEverything) {
      totalProspects = Math.max(total ?? 0, kept.length);
      beforeFilter = kept.length < rows.length && totalProspects > kept.length;
      if (kept.length < rows.length) notes.push(`${TITLE} reports ${total} prospects before the min_competitors filter.`);
    }
    return {
      status: 'complete',
      provider_run_id: runId,
      prospects: kept.slice(0, query.limit).map(({ prospect }) => prospect),
      total_prospects: totalProspects,
      ...(beforeFilter && { total_before_min_competitors: true }),
      cost,
      ...(notes.length > 0 && { notes }),
    };
  }

  async function prospects(query: ProspectsQuery & { provider_run_id: string }, context: CallContext): Promise<ProspectsPage> {
    const runId = checkRunId(query.provider_run_id);
    const perPage = Math.min(MAX_PER_PAGE, Math.max(1, query.per_page));
    const body: UpstreamPage = await readPage(
      runId,
      {
        min_authority: query.min_authority,
        max_spam: query.max_spam,
        dofollow: query.dofollow,
        competitor: query.competitor,
        q: query.q,
        sort: UPSTREAM_SORT[query.sort],
        order: query.order,
        page: query.page,
        per_page: perPage,
      },
      context,
    );
    const total = body.meta.total;
    const metaPerPage = body.meta.per_page ?? perPage;
    return {
      data: body.data.map((row) => toProspect(row, [])),
      meta: {
        page: body.meta.page ?? query.page,
        per_page: metaPerPage,
        total,
        total_pages: body.meta.total_pages ?? Math.ceil(total / Math.max(1, metaPerPage)),
      },
      // Reading prospects is free.
      cost: credits(0),
    };
  }

  return {
    name: NAME,
    describe(): ProviderDescription {
      return {
        name: NAME,
        title: TITLE,
        capabilities: ['gap', 'prospects'],
        computed: [],
        configured: apiKey !== undefined,
        unit: 'credits',
        pricing: 'gap run: dynamic credits (reported per run); reading prospects: free',
        configureWith: 'ONECLICKSEO_API_KEY',
        account: accountHash(apiKey),
      };
    },
    gap,
    prospects,
    estimate(operation: Operation): Cost {
      if (operation.kind !== 'gap' || operation.query.resume_provider_run_id !== undefined) return credits(0);
      return credits(estimateRunCredits(operation.query.competitor_domains.length, operation.query.limit));
    },
    close: () => http.close(),
  };
}

/**
 * An estimate only: the documented minimum is 1 credit and the documented example charges 7 for two
 * competitors at the default limit of 100; the real charge is reported when the run is created.
 */
export function estimateRunCredits(competitors: number, limit: number): number {
  return Math.max(1, Math.ceil(3.5 * competitors * Math.max(1, limit / 100)));
}

function runLimit(limit: number): number {
  return Math.min(MAX_RUN_LIMIT, Math.max(MIN_RUN_LIMIT, limit));
}

function pagesFor(total: number): number {
  return Math.max(1, Math.ceil(total / MAX_PER_PAGE));
}

function runPath(runId: string): string {
  return `/backlinks/gap/${encodeURIComponent(checkRunId(runId))}`;
}

function checkRunId(runId: string): string {
  if (!RUN_ID.test(runId)) {
    throw new ProviderError({
      code: 'invalid_response',
      provider: NAME,
      message: `${TITLE} run id ${JSON.stringify(runId.slice(0, 40))} is not a valid run id (letters, digits, "_" and "-", at most 128).`,
    });
  }
  return runId;
}

function mayHaveReachedServer(error: ProviderError): boolean {
  if (error.code === 'timeout') return true;
  // 503 means the server refused the work; a reset, a 500 or a gateway error may hide a created run.
  return error.code === 'upstream_unavailable' && error.status !== 503;
}

function toProspect(row: UpstreamProspect, order: readonly string[]): ProspectCore {
  const authority = row.domain_rating ?? undefined;
  const spam = row.spam_score ?? undefined;
  const dofollow = row.dofollow ?? undefined;
  const backlinks = row.backlinks ?? undefined;
  const referringDomains = row.referring_domains ?? undefined;
  return {
    domain: sourceDomainOf(row.domain),
    ...(authority !== undefined && { authority }),
    competitors: inOrder((row.competitors ?? []).map(sourceDomainOf), order),
    // OneClickSEO documents `backlinks` as the prospect's own total, not its links to the competitors
    // (what ProspectCore.backlinks means), so it stays in provider_metrics only.
    ...(referringDomains !== undefined && { referring_domains: referringDomains }),
    ...(dofollow !== undefined && { dofollow }),
    ...(spam !== undefined && { spam_score: spam }),
    provider_metrics: {
      oneclickseo: {
        ...(authority !== undefined && { authority, authority_raw: authority }),
        authority_scale: 'domain_rating 0-100',
        ...(spam !== undefined && { spam_score: spam }),
        ...(backlinks !== undefined && { backlinks }),
        ...(referringDomains !== undefined && { referring_domains: referringDomains }),
        ...(dofollow !== undefined && { dofollow }),
      },
    },
    found_by: [NAME],
  };
}

/** Competitors in the order they were given; any the caller did not name keep the provider's order, after. */
function inOrder(found: string[], order: readonly string[]): string[] {
  const unique = [...new Set(found)];
  const known = order.filter((domain) => unique.includes(domain));
  return [...known, ...unique.filter((domain) => !order.includes(domain))];
}

function upstreamMessage(body: unknown): string | undefined {
  if (typeof body === 'string' && body.trim() !== '') return body.slice(0, 300);
  if (typeof body !== 'object' || body === null) return undefined;
  const record = body as Record<string, unknown>;
  for (const key of ['message', 'error', 'detail']) {
    const value = record[key];
    if (typeof value === 'string' && value.trim() !== '') return value.slice(0, 300);
    if (typeof value === 'object' && value !== null) {
      const inner = (value as Record<string, unknown>).message;
      if (typeof inner === 'string' && inner.trim() !== '') return inner.slice(0, 300);
    }
  }
  return undefined;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const cancelled = () =>
      new ProviderError({ code: 'cancelled', provider: NAME, message: `The ${TITLE} call was cancelled while waiting for the gap run.` });
    if (signal?.aborted) {
      reject(cancelled());
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(cancelled());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
