// DataForSEO Backlinks API adapter: backlinks/live, gap and intersect from domain_intersection/live, balance.
//
// Authority: DataForSEO `rank` / `domain_from_rank` is 0-1000 unless `rank_scale: "one_hundred"` is
// asked for; every call here asks for it, so the figure is the normalised 0-100 `authority` as is.
// Should a response echo a request without that scale, the 0-1000 figure is converted with
// DataForSEO's own formula, round(sin(rank / 636.62) × 100). The figure as sent stays in
// `provider_metrics.dataforseo.authority_raw`.

import { z } from 'zod';
import type { DataForSeoSettings } from '../config.js';
import type {
  Backlink,
  BacklinkMetrics,
  BacklinksQuery,
  BacklinksResult,
  Cost,
  GapQuery,
  GapResult,
  IntersectQuery,
  IntersectResult,
  IntersectRow,
  IntersectSort,
  ProspectCore,
  Target,
} from '../domain.js';
import { PROVIDER_TITLES } from '../domain.js';
import { ProviderError, UsageError, invalidInput } from '../errors.js';
import { hostOf, sourceDomainOf } from '../hosts.js';
import { redact } from '../log.js';
import { type AdapterDependencies, accountHash, adapterHttpClient, billed, notConfigured, parseResponse, sumCosts } from './adapter.js';
import { type Balance, type CallContext, type Operation, type Provider, type ProviderDescription, piece } from './provider.js';

const NAME = 'dataforseo';
const TITLE = PROVIDER_TITLES[NAME];
const MAX_LIMIT = 1000;
const MAX_OFFSET = 20_000;
const MAX_TARGETS = 20;
const MAX_EXCLUDED = 10;
/** DataForSEO allows 30 simultaneous requests; a third of that leaves room for other clients. */
const CONCURRENCY = 10;
const PRICE_PER_REQUEST = 0.02;
const PRICE_PER_ROW = 0.000_03;
const CREDENTIALS_HINT =
  'check DATAFORSEO_LOGIN and DATAFORSEO_PASSWORD (the API password shown at https://app.dataforseo.com/api-access, not the account password)';

const taskSchema = z.object({
  status_code: z.number(),
  status_message: z.string().nullish(),
  cost: z.number().nullish(),
  data: z.object({ rank_scale: z.string().nullish() }).nullish(),
  result: z.array(z.unknown()).nullish(),
});
const envelopeSchema = z.object({
  status_code: z.number(),
  status_message: z.string().nullish(),
  cost: z.number().nullish(),
  tasks_error: z.number().nullish(),
  tasks: z.array(taskSchema).nullish(),
});

const count = z.number().nullish();
const backlinkSchema = z.object({
  domain_from: z.string().nullish(),
  url_from: z.string(),
  url_to: z.string().nullish(),
  anchor: z.string().nullish(),
  dofollow: z.boolean().nullish(),
  attributes: z.array(z.string()).nullish(),
  domain_from_rank: count,
  backlink_spam_score: count,
  page_from_title: z.string().nullish(),
  first_seen: z.string().nullish(),
  last_seen: z.string().nullish(),
});
const backlinksResultSchema = z.object({
  total_count: count,
  items: z.array(backlinkSchema).nullish(),
  search_after_token: z.string().nullish(),
});

const intersectionStatsSchema = z.object({
  target: z.string(),
  rank: count,
  backlinks: count,
  backlinks_spam_score: count,
  referring_domains: count,
  referring_pages: count,
  referring_pages_nofollow: count,
  referring_links_attributes: z.record(z.string(), z.number().nullish()).nullish(),
});
type IntersectionStats = z.infer<typeof intersectionStatsSchema>;
const intersectionResultSchema = z.object({
  total_count: count,
  items: z
    .array(z.object({ domain_intersection: z.record(z.string(), intersectionStatsSchema.nullish()) }))
    .nullish(),
});

const userDataSchema = z.object({ money: z.object({ balance: z.number() }) });

// bulk_ranks/live: result[0].items of { target, rank } (providers.md §5.10 [SPEC]; dataforseo/TypeScriptClient
// BacklinksBulkRanksLiveResultInfo / Item).
const bulkRanksResultSchema = z.object({
  items: z.array(z.object({ target: z.string(), rank: z.number().nullish() })).nullish(),
});
/** bulk_ranks takes up to 1,000 targets a call. */
const MAX_BULK_TARGETS = 1000;

interface Unwrapped {
  result: unknown;
  cost: number;
  /** Whether ranks in this response are on the 0-100 scale. */
  hundredScale: boolean;
}

/** A referring domain found by one or more intersection calls. */
interface Referrer {
  domain: string;
  /** Indexes of the positive targets it links to. */
  matched: Set<number>;
  /** The rank this referrer passes to the targets (domain_intersection's per-target `rank`): a
   *  selection and ordering signal, never the referrer's own authority (see bulk_ranks). */
  rank?: number;
  rankRaw?: number;
  /** Links to each positive target (by index), and of those dofollow, where the answer says. */
  perTarget: Map<number, { links?: number; dofollowLinks?: number }>;
  backlinks?: number;
  spam?: number;
  referringDomains?: number;
  dofollow?: boolean;
}

interface Intersection {
  referrers: Referrer[];
  cost: number;
  /** Matching referring domains upstream, when one call covered every positive target. */
  total?: number;
  /** True when some call returned fewer rows than exist upstream. */
  capped: boolean;
}

/** `bulkRanks` (default on): read each gap prospect's own rank with one bulk_ranks/live call; off
 *  leaves authority unknown. (A setting for config.ts to expose, e.g. DATAFORSEO_BULK_RANKS=0.) */
export function createDataForSeoProvider(settings: DataForSeoSettings, deps: AdapterDependencies): Provider {
  const { login, password } = settings;
  const bulkRanks = settings.bulkRanks !== false;
  const basic = login !== undefined && password !== undefined ? Buffer.from(`${login}:${password}`).toString('base64') : undefined;
  const secrets = [login, password, basic].filter((value): value is string => value !== undefined);
  const http = adapterHttpClient(NAME, settings.baseUrl, secrets, deps, CONCURRENCY);
  const retryWaitMs = deps.backoffBaseMs ?? 2000;

  const credentials = (): Record<string, string> => {
    if (basic === undefined) throw notConfigured(NAME);
    return { Authorization: `Basic ${basic}` };
  };
  const usd = (amount: number): Cost => ({ amount: roundUsd(amount), unit: 'usd', provider: NAME });

  const mapError = ({ status, body }: { status: number; body: unknown }): ProviderError | undefined => {
    const said = messageOf(body);
    const suffix = said === undefined ? '' : ` DataForSEO said: ${redact(said, secrets)}`;
    if (status === 401) {
      return new ProviderError({ code: 'auth_failed', provider: NAME, status, message: `${TITLE} rejected the credentials (HTTP 401): ${CREDENTIALS_HINT}.${suffix}` });
    }
    if (status === 402) {
      return new ProviderError({
        code: 'no_credits',
        provider: NAME,
        status,
        message: `${TITLE} refused the call for billing reasons (HTTP 402): top up the balance at https://app.dataforseo.com.${suffix}`,
      });
    }
    return undefined;
  };

  /** DataForSEO answers HTTP 200 for most failures: the status codes inside the envelope decide. */
  const unwrap = (body: unknown): Unwrapped => {
    const envelope = parseResponse(NAME, envelopeSchema, body);
    if (!isOk(envelope.status_code)) throw statusError(envelope.status_code, envelope.status_message, secrets);
    const task = envelope.tasks?.[0];
    if (task === undefined) {
      throw new ProviderError({ code: 'invalid_response', provider: NAME, message: `${TITLE} answered without a task; try again later.` });
    }
    if (!isOk(task.status_code) || (envelope.tasks_error ?? 0) > 0) throw statusError(task.status_code, task.status_message, secrets);
    const result = task.result?.[0];
    if (result === undefined || result === null) {
      // A task reported as done holds its result; none is not an empty answer (and must not be cached as one).
      throw new ProviderError({
        code: 'invalid_response',
        provider: NAME,
        message: `${TITLE} reported the task done (status ${task.status_code}) but sent no result. Nothing was cached; try again later.`,
      });
    }
    return {
      result,
      cost: task.cost ?? envelope.cost ?? 0,
      hundredScale: task.data === null || task.data === undefined || task.data.rank_scale === 'one_hundred',
    };
  };

  /** One Live task. `rows` is the most rows it can return, for its price when no answer says the cost. */
  const post = async (path: string, task: Record<string, unknown>, rows: number, context: CallContext): Promise<Unwrapped> => {
    const costs: Array<Cost | undefined> = [];
    for (let attempt = 1; ; attempt += 1) {
      const response = await http.requestJson({
        method: 'POST',
        path,
        headers: credentials(),
        // Live endpoints take an array of exactly one task.
        body: [task],
        ...(context.signal !== undefined && { signal: context.signal }),
        ...(context.deadline !== undefined && { deadline: context.deadline }),
        // Billed per request and row; the answer's own `cost` says what was charged (0 for an errored task).
        billing: billed(context, usd(PRICE_PER_REQUEST + PRICE_PER_ROW * rows), chargedOf),
        mapError,
      });
      costs.push(response.cost);
      try {
        return { ...unwrap(response.body), cost: sumCosts(NAME, 'usd', costs).amount };
      } catch (error) {
        // A rate limit reported inside a 200 is invisible to the HTTP layer's retries: one retry here.
        const wait = Math.round(retryWaitMs * (0.5 + Math.random()));
        const fits = context.deadline === undefined || Date.now() + wait < context.deadline;
        if (error instanceof ProviderError && error.code === 'rate_limited' && attempt === 1 && fits && !context.signal?.aborted) {
          await sleep(wait);
          continue;
        }
        throw error;
      }
    }
  };

  async function backlinks(query: BacklinksQuery, context: CallContext): Promise<BacklinksResult> {
    credentials();
    const cursor = query.cursor === undefined ? { offset: 0 } : decodeCursor(query.cursor, 'cursor');
    const limit = clampLimit(query.limit);
    const filters = backlinkFilters(query);
    const task: Record<string, unknown> = {
      target: targetOf(query.target, query.target_kind === 'page' ? 'page' : 'root_domain'),
      mode: query.mode,
      limit,
      ...(cursor.token !== undefined ? { search_after_token: cursor.token } : cursor.offset > 0 && { offset: cursor.offset }),
      ...(filters !== undefined && { filters }),
      order_by: ['domain_from_rank,desc'],
      // Ranks on 0-100 instead of the default 0-1000.
      rank_scale: 'one_hundred',
    };
    const answer = await post('/v3/backlinks/backlinks/live', task, limit, context);
    const result = parseResponse(NAME, backlinksResultSchema, answer.result);
    const items = result.items ?? [];
    const total = result.total_count ?? items.length;
    const nextOffset = cursor.offset + items.length;
    let nextCursor: string | undefined;
    if (items.length > 0 && total > nextOffset) {
      // Plain offsets reach 20,000 rows; past that only the search_after_token goes deeper.
      if (cursor.token === undefined && nextOffset <= MAX_OFFSET) nextCursor = encodeCursor({ offset: nextOffset });
      else if (result.search_after_token) nextCursor = encodeCursor({ offset: nextOffset, token: result.search_after_token });
    }
    // total_count counts every link of the target only when nothing narrows the rows.
    const metrics: BacklinkMetrics = query.mode === 'as_is' && filters === undefined && result.total_count != null ? { links_in: result.total_count } : {};
    return {
      target: query.target,
      metrics,
      backlinks: items.map((item) => toBacklink(item, answer.hundredScale)),
      total,
      ...(nextCursor !== undefined && { next_cursor: nextCursor }),
      cost: usd(answer.cost),
    };
  }

  /** One domain_intersection call: referring domains linking to every one of `targets` and to none of `excluded`. */
  async function intersectionCall(
    targets: string[],
    excluded: string[],
    options: { limit: number; offset: number; orderBy: string },
    context: CallContext,
  ): Promise<{ items: { domain: string; stats: Array<[number, IntersectionStats]> }[]; total: number; cost: number; hundredScale: boolean }> {
    const task: Record<string, unknown> = {
      targets: Object.fromEntries(targets.map((target, index) => [String(index + 1), target])),
      ...(excluded.length > 0 && { exclude_targets: excluded }),
      limit: options.limit,
      ...(options.offset > 0 && { offset: options.offset }),
      order_by: [options.orderBy],
      rank_scale: 'one_hundred',
    };
    const answer = await post('/v3/backlinks/domain_intersection/live', task, options.limit, context);
    const result = parseResponse(NAME, intersectionResultSchema, answer.result);
    const items = (result.items ?? []).flatMap((item) => {
      // Keys "1", "2", … are the 1-based positions of `targets` in this call.
      const stats = Object.entries(item.domain_intersection).flatMap(([key, value]): Array<[number, IntersectionStats]> =>
        value == null || !/^\d+$/.test(key) ? [] : [[Number(key) - 1, value]],
      );
      const first = stats[0];
      return first === undefined ? [] : [{ domain: sourceDomainOf(first[1].target), stats }];
    });
    return { items, total: result.total_count ?? items.length, cost: answer.cost, hundredScale: answer.hundredScale };
  }

  /**
   * Referring domains linking to at least `minMatching` of `positives` and to none of `negatives`.
   * domain_intersection only answers "links to ALL targets", so anything short of all is one call
   * per positive target, merged here.
   */
  async function intersectDomains(
    positives: string[],
    negatives: string[],
    minMatching: number,
    window: { limit: number; offset: number; orderBy: string },
    context: CallContext,
  ): Promise<Intersection> {
    if (negatives.length > MAX_EXCLUDED) {
      throw new UsageError('invalid_input', `${TITLE} excludes at most ${MAX_EXCLUDED} targets per call (got ${negatives.length}); use fewer negative targets.`);
    }
    const everyTarget = positives.length === 1 || minMatching >= positives.length;
    if (everyTarget) {
      if (positives.length > MAX_TARGETS) {
        throw new UsageError('invalid_input', `${TITLE} intersects at most ${MAX_TARGETS} targets (got ${positives.length}); use fewer targets.`);
      }
      const answer = await intersectionCall(positives, negatives, window, context);
      context.progress?.(1, 1, `${TITLE}: intersection read`);
      const all = new Set(positives.map((_, index) => index));
      return {
        referrers: answer.items.map((item) => referrerOf(item.domain, item.stats, all, answer.hundredScale)),
        cost: answer.cost,
        total: answer.total,
        capped: answer.total > window.offset + answer.items.length,
      };
    }
    // Each call must hold the rows up to the end of the requested window, since merging reorders them.
    const perCall = Math.min(MAX_LIMIT, window.offset + window.limit);
    let done = 0;
    const settled = await Promise.allSettled(
      positives.map(async (positive) => {
        // One call per target: one bought by an earlier call that failed or was cancelled is not bought again.
        const key = { path: 'domain_intersection', targets: [positive], excluded: negatives, limit: perCall, order: window.orderBy };
        const { value, stored } = await piece(context, key, () =>
          intersectionCall([positive], negatives, { limit: perCall, offset: 0, orderBy: window.orderBy }, context),
        );
        const answer = stored ? { ...value, cost: 0 } : value;
        done += 1;
        context.progress?.(done, positives.length, `${TITLE}: ${done} of ${positives.length} targets read`);
        return answer;
      }),
    );
    const failure = settled.find((outcome) => outcome.status === 'rejected');
    if (failure !== undefined) throw failure.reason;
    const merged = new Map<string, Referrer>();
    let cost = 0;
    let capped = false;
    settled.forEach((outcome, index) => {
      if (outcome.status !== 'fulfilled') return;
      const answer = outcome.value;
      cost += answer.cost;
      if (answer.total > answer.items.length) capped = true;
      for (const item of answer.items) {
        // This call had one target: its stats belong to positive `index`.
        const found = referrerOf(
          item.domain,
          item.stats.map(([, stat]) => [index, stat] as [number, IntersectionStats]),
          new Set([index]),
          answer.hundredScale,
        );
        const earlier = merged.get(item.domain);
        merged.set(item.domain, earlier === undefined ? found : mergeReferrers(earlier, found));
      }
    });
    return { referrers: [...merged.values()].filter((referrer) => referrer.matched.size >= minMatching), cost, capped };
  }

  /**
   * The referrers' own ranks from bulk_ranks/live (one call per 1,000), billed like any call. A
   * failure other than cancellation leaves authority unknown with a note: the intersection it
   * follows is paid for already and stays usable.
   */
  async function ownRanks(domains: string[], context: CallContext, notes: string[]): Promise<{ ranks: Map<string, { authority: number; raw: number }>; cost: number }> {
    const ranks = new Map<string, { authority: number; raw: number }>();
    let cost = 0;
    // Counted as reported, so a call that may have been billed and then failed is in the result's cost too.
    const counted: CallContext = {
      ...context,
      spend: (spent) => {
        cost += spent.amount;
        context.spend?.(spent);
      },
    };
    for (let start = 0; start < domains.length; start += MAX_BULK_TARGETS) {
      const targets = domains.slice(start, start + MAX_BULK_TARGETS);
      let answer: Unwrapped;
      let items: z.infer<typeof bulkRanksResultSchema>['items'];
      try {
        answer = await post('/v3/backlinks/bulk_ranks/live', { targets, rank_scale: 'one_hundred' }, targets.length, counted);
        items = parseResponse(NAME, bulkRanksResultSchema, answer.result).items;
      } catch (error) {
        if (error instanceof ProviderError && error.code === 'cancelled') throw error;
        const said = error instanceof ProviderError ? error.message : 'an unexpected failure';
        notes.push(`${TITLE} bulk_ranks failed, so authority is unknown for ${domains.length - start} prospects: ${said}`);
        break;
      }
      for (const item of items ?? []) {
        const authority = normaliseRank(item.rank, answer.hundredScale);
        if (authority !== undefined && item.rank != null) ranks.set(sourceDomainOf(item.target), { authority, raw: item.rank });
      }
    }
    return { ranks, cost: roundUsd(cost) };
  }

  async function gap(query: GapQuery, context: CallContext): Promise<GapResult> {
    credentials();
    const competitors = query.competitor_domains;
    const limit = clampLimit(query.limit);
    const found = await intersectDomains(competitors, [query.your_domain], Math.max(1, query.min_competitors), { limit, offset: 0, orderBy: '1.rank,desc' }, context);
    // Which prospects are kept follows the rank each passes to the competitors (what upstream sorts by).
    const ranked = found.referrers
      .filter((referrer) => referrer.domain !== query.your_domain)
      .sort((a, b) => b.matched.size - a.matched.size || (b.rank ?? -1) - (a.rank ?? -1) || a.domain.localeCompare(b.domain));
    const kept = ranked.slice(0, query.limit);
    const notes: string[] = [];
    if (found.capped) {
      notes.push(`${TITLE} returned at most ${limit} referring domains per call (best rank first); more exist upstream. Raise limit (up to ${MAX_LIMIT}) for a fuller list.`);
    }
    // Authority is the referrer's own rank: domain_intersection's per-target rank is what a referrer
    // passes to that target (providers.md §5.4), not its own standing.
    let own = { ranks: new Map<string, { authority: number; raw: number }>(), cost: 0 };
    if (bulkRanks && kept.length > 0) own = await ownRanks(kept.map((referrer) => referrer.domain), context, notes);
    else if (!bulkRanks) notes.push(`${TITLE} authority is unknown: the bulk_ranks call that reads each prospect's own rank is switched off.`);
    return {
      prospects: kept.map((referrer) => toProspect(referrer, competitors, own.ranks.get(referrer.domain))),
      total_prospects: Math.max(ranked.length, found.total ?? 0),
      cost: usd(found.cost + own.cost),
      status: 'complete',
      ...(notes.length > 0 && { notes }),
    };
  }

  async function intersect(query: IntersectQuery, context: CallContext): Promise<IntersectResult> {
    credentials();
    if (query.source_scope === 'page') {
      throw new UsageError(
        'unsupported',
        `${TITLE} intersects by referring domain only: use source_scope "root_domain", or another provider (moz) for referring pages.`,
      );
    }
    const offset = query.next_token === undefined ? 0 : decodeCursor(query.next_token, 'next_token').offset;
    const limit = clampLimit(query.limit);
    const positives = query.positive_targets.map((target) => targetOf(target.target, target.scope));
    const negatives = query.negative_targets.map((target) => targetOf(target.target, target.scope));
    const minMatching = Math.max(1, Math.min(query.min_matching_targets, positives.length));
    const found = await intersectDomains(positives, negatives, minMatching, { limit, offset, orderBy: ORDER_BY[query.sort] }, context);
    const single = found.total !== undefined;
    // A single call is already a window at `offset`; merged calls are windowed here.
    const ordered = single ? found.referrers : sortReferrers(found.referrers, query.sort).slice(offset);
    const page = ordered.slice(0, limit);
    const known = single ? (found.total as number) : found.capped ? undefined : found.referrers.length;
    // Merged calls can widen their window only up to DataForSEO's 1,000 rows a call.
    const more = single
      ? (found.total as number) > offset + found.referrers.length && found.referrers.length > 0
      : ordered.length > limit || (found.capped && offset + limit < MAX_LIMIT);
    // domain_authority is each source's own rank (bulk_ranks), as in gap; the order stays DataForSEO's.
    const notes: string[] = [];
    let own = { ranks: new Map<string, { authority: number; raw: number }>(), cost: 0 };
    if (bulkRanks && page.length > 0) own = await ownRanks(page.map((referrer) => referrer.domain), context, notes);
    else if (!bulkRanks && page.length > 0) notes.push(`${TITLE} domain_authority is unknown: the bulk_ranks call that reads each source's own rank is switched off.`);
    if (query.sort === 'source_domain_authority' && page.length > 0) {
      notes.push(`${TITLE} orders by the rank each source passes to the first target; domain_authority shown is the source's own rank.`);
    }
    return {
      results: page.map((referrer) => toRow(referrer, query.positive_targets, own.ranks.get(referrer.domain)?.authority)),
      ...(known !== undefined && { total: known }),
      ...(more && page.length > 0 && { next_token: encodeCursor({ offset: offset + page.length }) }),
      cost: usd(found.cost + own.cost),
      ...(notes.length > 0 && { notes }),
    };
  }

  async function balance(context: CallContext): Promise<Balance> {
    const response = await http.requestJson({
      method: 'GET',
      path: '/v3/appendix/user_data',
      headers: credentials(),
      ...(context.signal !== undefined && { signal: context.signal }),
      ...(context.deadline !== undefined && { deadline: context.deadline }),
      mapError,
    });
    const user = parseResponse(NAME, userDataSchema, unwrap(response.body).result);
    return { amount: user.money.balance, unit: 'usd' };
  }

  return {
    name: NAME,
    describe(): ProviderDescription {
      return {
        name: NAME,
        title: TITLE,
        capabilities: ['gap', 'backlinks', 'intersect'],
        computed: ['intersect'],
        configured: basic !== undefined,
        unit: 'usd',
        pricing: `$0.02 a request + $0.00003 a row${bulkRanks ? '; gap and intersect add one bulk_ranks request for the domains’ own ranks' : ''}`,
        configureWith: 'DATAFORSEO_LOGIN and DATAFORSEO_PASSWORD',
        account: accountHash(login, password),
      };
    },
    gap,
    backlinks,
    intersect,
    balance,
    estimate(operation: Operation): Cost {
      const call = (rows: number) => PRICE_PER_REQUEST + PRICE_PER_ROW * clampLimit(rows);
      // Billed per row returned: each call priced at its limit in full is the most it can cost.
      const most = (amount: number): Cost => ({ ...usd(amount), up_to: true });
      switch (operation.kind) {
        case 'backlinks':
          return most(call(operation.query.limit));
        case 'gap': {
          const { competitor_domains: competitors, min_competitors: min, limit } = operation.query;
          // Plus one bulk_ranks call for the kept prospects' own ranks (priced like the Backlinks API).
          return most(callsFor(competitors.length, min) * call(limit) + (bulkRanks ? call(limit) : 0));
        }
        case 'intersect': {
          const { positive_targets: positives, min_matching_targets: min, limit } = operation.query;
          return most(callsFor(positives.length, min) * call(limit) + (bulkRanks ? call(limit) : 0));
        }
      }
    },
    close: () => http.close(),
  };
}

const ORDER_BY: Record<IntersectSort, string> = {
  source_domain_authority: '1.rank,desc',
  source_spam_score: '1.backlinks_spam_score,desc',
  matching_target_count: '1.rank,desc',
};

/** What DataForSEO says a Live answer cost: the task's figure, else the envelope's; undefined when absent. */
function chargedOf(body: unknown): Cost | undefined {
  const envelope = envelopeSchema.safeParse(body);
  if (!envelope.success) return undefined;
  const amount = envelope.data.tasks?.[0]?.cost ?? envelope.data.cost;
  return amount === null || amount === undefined ? undefined : { amount: roundUsd(amount), unit: 'usd', provider: NAME };
}

function callsFor(positives: number, minMatching: number): number {
  return positives <= 1 || minMatching >= positives ? 1 : positives;
}

function isOk(code: number): boolean {
  return Math.floor(code / 100) === 200;
}

/** A DataForSEO status code (inside an HTTP 200) as one ProviderError whose message says what to do. */
export function statusError(code: number, statusMessage: string | null | undefined, secrets: readonly string[] = []): ProviderError {
  const said = redact(statusMessage?.trim() || 'no message', secrets);
  const error = (errorCode: ProviderError['code'], advice: string) =>
    new ProviderError({ code: errorCode, provider: NAME, message: `${TITLE} status ${code} "${said}": ${advice}` });
  if (code === 40100) return error('auth_failed', `${CREDENTIALS_HINT}.`);
  if (code === 40104) return error('auth_failed', 'verify the DataForSEO account (see the dashboard at https://app.dataforseo.com).');
  if (code === 40207) return error('auth_failed', "allow this machine's IP address in the DataForSEO dashboard (API access settings).");
  if (code === 40202 || code === 40209) return error('rate_limited', 'too many requests right now; retry in a minute.');
  if (code === 40203) return error('no_credits', 'the daily spending limit set in the DataForSEO dashboard is reached; it resets at midnight UTC, or raise it in the dashboard.');
  if (code === 40204) return error('no_credits', 'the Backlinks API needs an active subscription: activate it at https://app.dataforseo.com/backlinks-subscription, or use another provider.');
  if (code >= 40200 && code < 40300) return error('no_credits', 'the DataForSEO balance is too low: top it up at https://app.dataforseo.com.');
  if (code === 50401) return error('timeout', 'the live call took too long upstream; retry, or ask for fewer rows.');
  if (code >= 50000) return error('upstream_unavailable', 'DataForSEO had an internal problem; retry in a moment.');
  return error('bad_request', 'the request was refused as invalid; change the arguments.');
}

function clampLimit(limit: number): number {
  return Math.min(MAX_LIMIT, Math.max(1, Math.floor(limit)));
}

function roundUsd(amount: number): number {
  return Math.round(amount * 1e6) / 1e6;
}

/** Domains and subdomains as bare hosts without www; pages as absolute URLs. */
function targetOf(target: string, scope: Target['scope']): string {
  if (scope === 'page') return /^https?:\/\//i.test(target) ? target : `https://${target}`;
  return hostOf(target) ?? target;
}

/** Our filters in DataForSEO's syntax: triples joined with "and". */
function backlinkFilters(query: BacklinksQuery): unknown[] | undefined {
  const filters: unknown[][] = [];
  if (query.dofollow !== undefined) filters.push(['dofollow', '=', query.dofollow]);
  if (query.anchor !== undefined && query.anchor !== '') filters.push(['anchor', 'like', `%${query.anchor}%`]);
  if (query.min_authority !== undefined) filters.push(['domain_from_rank', '>=', query.min_authority]);
  if (filters.length === 0) return undefined;
  if (filters.length === 1) return filters[0];
  return filters.flatMap((filter, index) => (index === 0 ? [filter] : ['and', filter]));
}

interface Cursor {
  offset: number;
  token?: string;
}

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor.token === undefined ? { o: cursor.offset } : { o: cursor.offset, t: cursor.token })).toString('base64url');
}

function decodeCursor(value: string, field: string): Cursor {
  const why = 'not a cursor from an earlier call of this tool; repeat the call without it';
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    throw invalidInput(field, value, why);
  }
  const shape = z.object({ o: z.number().int().min(0), t: z.string().min(1).optional() }).safeParse(parsed);
  if (!shape.success) throw invalidInput(field, value, why);
  if (shape.data.t === undefined && shape.data.o > MAX_OFFSET) throw invalidInput(field, value, why);
  return { offset: shape.data.o, ...(shape.data.t !== undefined && { token: shape.data.t }) };
}

function normaliseRank(rank: number | null | undefined, hundredScale: boolean): number | undefined {
  if (rank === null || rank === undefined) return undefined;
  if (hundredScale) return rank;
  return Math.round(Math.sin(Math.min(rank, 1000) / 636.62) * 100);
}

function toBacklink(item: z.infer<typeof backlinkSchema>, hundredScale: boolean): Backlink {
  const authority = normaliseRank(item.domain_from_rank, hundredScale);
  const spam = item.backlink_spam_score ?? undefined;
  const title = item.page_from_title?.trim();
  const dofollow = item.dofollow ?? !(item.attributes ?? []).includes('nofollow');
  return {
    source_url: item.url_from,
    source_domain: sourceDomainOf(item.domain_from || item.url_from),
    target_url: item.url_to ?? '',
    anchor: item.anchor ?? '',
    dofollow,
    ...(authority !== undefined && { authority }),
    ...(spam !== undefined && { spam_score: spam }),
    ...(title !== undefined && title !== '' && { title }),
    ...(item.first_seen != null && { first_seen: item.first_seen }),
    ...(item.last_seen != null && { last_seen: item.last_seen }),
  };
}

function maxOf(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.max(a, b);
}

function sumOf(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a + b;
}

function referrerOf(domain: string, stats: Array<[number, IntersectionStats]>, matched: Set<number>, hundredScale: boolean): Referrer {
  let referrer: Referrer = { domain, matched, perTarget: new Map() };
  for (const [index, stat] of stats) {
    const pages = stat.referring_pages ?? undefined;
    const nofollow = stat.referring_pages_nofollow ?? undefined;
    const dofollow = pages === undefined || nofollow === undefined ? undefined : pages > nofollow;
    const rankRaw = stat.rank ?? undefined;
    const rank = normaliseRank(rankRaw, hundredScale);
    const backlinks = stat.backlinks ?? undefined;
    const spam = stat.backlinks_spam_score ?? undefined;
    const referringDomains = stat.referring_domains ?? undefined;
    const dofollowLinks = dofollowLinksOf(stat);
    const perTarget = new Map([[index, { ...(backlinks !== undefined && { links: backlinks }), ...(dofollowLinks !== undefined && { dofollowLinks }) }]]);
    referrer = mergeReferrers(referrer, {
      domain,
      matched,
      perTarget,
      ...(rank !== undefined && { rank }),
      ...(rankRaw !== undefined && { rankRaw }),
      ...(backlinks !== undefined && { backlinks }),
      ...(spam !== undefined && { spam }),
      ...(referringDomains !== undefined && { referringDomains }),
      ...(dofollow !== undefined && { dofollow }),
    });
  }
  return referrer;
}

/**
 * Dofollow links among a referrer's links to one target: its links less those with the nofollow
 * attribute (`referring_links_attributes` counts links by rel attribute). With no attribute counts,
 * known only when no referring page is nofollow (then all are dofollow).
 */
function dofollowLinksOf(stat: IntersectionStats): number | undefined {
  const links = stat.backlinks ?? undefined;
  if (links === undefined) return undefined;
  const attributes = stat.referring_links_attributes;
  if (attributes !== null && attributes !== undefined) return Math.max(0, links - (attributes.nofollow ?? 0));
  return stat.referring_pages_nofollow === 0 ? links : undefined;
}

function mergeReferrers(a: Referrer, b: Referrer): Referrer {
  const rank = maxOf(a.rank, b.rank);
  const rankRaw = maxOf(a.rankRaw, b.rankRaw);
  const backlinks = sumOf(a.backlinks, b.backlinks);
  const spam = maxOf(a.spam, b.spam);
  const referringDomains = maxOf(a.referringDomains, b.referringDomains);
  const dofollow = a.dofollow === undefined ? b.dofollow : b.dofollow === undefined ? a.dofollow : a.dofollow || b.dofollow;
  const perTarget = new Map(a.perTarget);
  for (const [index, counts] of b.perTarget) if (!perTarget.has(index)) perTarget.set(index, counts);
  return {
    domain: a.domain,
    matched: new Set([...a.matched, ...b.matched]),
    perTarget,
    ...(rank !== undefined && { rank }),
    ...(rankRaw !== undefined && { rankRaw }),
    ...(backlinks !== undefined && { backlinks }),
    ...(spam !== undefined && { spam }),
    ...(referringDomains !== undefined && { referringDomains }),
    ...(dofollow !== undefined && { dofollow }),
  };
}

function sortReferrers(referrers: Referrer[], sort: IntersectSort): Referrer[] {
  const byRank = (a: Referrer, b: Referrer) => (b.rank ?? -1) - (a.rank ?? -1);
  const byDomain = (a: Referrer, b: Referrer) => a.domain.localeCompare(b.domain);
  return [...referrers].sort((a, b) => {
    if (sort === 'source_spam_score') return (b.spam ?? -1) - (a.spam ?? -1) || byRank(a, b) || byDomain(a, b);
    if (sort === 'matching_target_count') return b.matched.size - a.matched.size || byRank(a, b) || byDomain(a, b);
    return byRank(a, b) || byDomain(a, b);
  });
}

/** A gap prospect; `own` is the referrer's own rank from bulk_ranks (undefined: authority unknown). */
function toProspect(referrer: Referrer, competitors: readonly string[], own: { authority: number; raw: number } | undefined): ProspectCore {
  const { backlinks, spam, referringDomains, dofollow } = referrer;
  const byCompetitor: NonNullable<ProspectCore['by_competitor']> = {};
  let dofollowLinks: number | undefined = 0;
  competitors.forEach((competitor, index) => {
    if (!referrer.matched.has(index)) return;
    const counts = referrer.perTarget.get(index);
    if (counts === undefined || counts.links === undefined) {
      dofollowLinks = undefined;
      return;
    }
    byCompetitor[competitor] = { links: counts.links, ...(counts.dofollowLinks !== undefined && { dofollow_links: counts.dofollowLinks }) };
    dofollowLinks = dofollowLinks === undefined || counts.dofollowLinks === undefined ? undefined : dofollowLinks + counts.dofollowLinks;
  });
  return {
    domain: referrer.domain,
    ...(own !== undefined && { authority: own.authority }),
    competitors: competitors.filter((_, index) => referrer.matched.has(index)),
    // Links from this referring domain to the competitors, summed over the calls that found it.
    ...(backlinks !== undefined && { backlinks }),
    ...(backlinks !== undefined && dofollowLinks !== undefined && { dofollow_links: dofollowLinks }),
    ...(dofollow !== undefined && { dofollow }),
    ...(spam !== undefined && { spam_score: spam }),
    ...(Object.keys(byCompetitor).length > 0 && { by_competitor: byCompetitor }),
    provider_metrics: {
      dataforseo: {
        ...(own !== undefined && { authority: own.authority, authority_raw: own.raw }),
        authority_scale: 'rank 0-100 (bulk_ranks, rank_scale one_hundred)',
        ...(spam !== undefined && { spam_score: spam }),
        ...(backlinks !== undefined && { backlinks }),
        // Per-target statistics of the referrer, not its own popularity: kept here only.
        ...(referringDomains !== undefined && { referring_domains: referringDomains }),
        ...(dofollow !== undefined && { dofollow }),
      },
    },
    found_by: [NAME],
  };
}

function toRow(referrer: Referrer, positives: readonly Target[], authority: number | undefined): IntersectRow {
  return {
    source: referrer.domain,
    source_domain: referrer.domain,
    ...(authority !== undefined && { domain_authority: authority }),
    ...(referrer.spam !== undefined && { spam_score: referrer.spam }),
    matching_targets: positives.filter((_, index) => referrer.matched.has(index)).map((target) => target.target),
  };
}

function messageOf(body: unknown): string | undefined {
  if (typeof body === 'string' && body.trim() !== '') return body.slice(0, 300);
  if (typeof body !== 'object' || body === null) return undefined;
  const record = body as Record<string, unknown>;
  for (const key of ['status_message', 'message', 'error']) {
    const value = record[key];
    if (typeof value === 'string' && value.trim() !== '') return value.slice(0, 300);
  }
  return undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
