// Moz Links API v2 adapter: link_intersect for intersect and gap, paged with next_token.
//
// Authority: `domain_authority` is documented as 1-100, so it is the normalised `authority` as is
// and also kept as `provider_metrics.moz.authority_raw`. A spam score of -1 means "unknown": absent.

import { z } from 'zod';
import type { MozSettings } from '../config.js';
import type { Cost, GapQuery, GapResult, IntersectQuery, IntersectResult, IntersectRow, ProspectCore, Target } from '../domain.js';
import { PROVIDER_TITLES } from '../domain.js';
import { ProviderError, UsageError } from '../errors.js';
import { sourceDomainOf } from '../hosts.js';
import { redact } from '../log.js';
import { type AdapterDependencies, accountHash, adapterHttpClient, billed, notConfigured, parseResponse, sumCosts } from './adapter.js';
import type { CallContext, Operation, Provider, ProviderDescription } from './provider.js';

const NAME = 'moz';
const TITLE = PROVIDER_TITLES[NAME];
const MAX_TARGETS = 6;
const MAX_ROWS_PER_CALL = 50;
/** Moz returns at most 500 results for one query, whatever the paging. */
const MAX_ROWS_PER_QUERY = 500;
/** 500 results at 50 a call. */
const MAX_CALLS_PER_QUERY = MAX_ROWS_PER_QUERY / MAX_ROWS_PER_CALL;
/** link_intersect is a weighted endpoint: each returned row consumes 5 rows of quota. */
const ROWS_PER_RESULT = 5;
const CREDENTIALS_HINT = 'check MOZ_API_TOKEN or MOZ_ACCESS_ID/MOZ_SECRET_KEY';

const resultSchema = z.object({
  page: z.string(),
  title: z.string().nullish(),
  domain_authority: z.number().nullish(),
  spam_score: z.number().nullish(),
  matching_target_indexes: z.array(z.number()).nullish(),
  matching_source_pages: z.array(z.object({ page: z.string(), page_authority: z.number().nullish() })).nullish(),
});
type MozResult = z.infer<typeof resultSchema>;
const responseSchema = z.object({
  results: z.array(resultSchema),
  next_token: z.string().nullish(),
});

interface Gathered {
  rows: MozResult[];
  next_token?: string;
  /** What every call cost, including any page read twice after a restart (reported through spend). */
  cost: Cost;
  notes: string[];
}

export function createMozProvider(settings: MozSettings, deps: AdapterDependencies): Provider {
  const { token, accessId, secretKey } = settings;
  const basic = accessId !== undefined && secretKey !== undefined ? Buffer.from(`${accessId}:${secretKey}`).toString('base64') : undefined;
  const secrets = [token, accessId, secretKey, basic].filter((value): value is string => value !== undefined);
  const configured = token !== undefined || basic !== undefined;
  const http = adapterHttpClient(NAME, settings.baseUrl, secrets, deps);

  const credentials = (): Record<string, string> => {
    if (token !== undefined) return { 'x-moz-token': token };
    if (basic !== undefined) return { Authorization: `Basic ${basic}` };
    throw notConfigured(NAME);
  };
  const rows = (amount: number): Cost => ({ amount, unit: 'rows', provider: NAME });

  // Moz v2 error bodies are undocumented; read a message leniently. Other 4xx keep the default
  // mapping, which never retries them (Moz limits accounts that send bursts of 4xx).
  const mapError = ({ status, body }: { status: number; body: unknown }): ProviderError | undefined => {
    const said = upstreamMessage(body);
    const suffix = said === undefined ? '' : ` Moz said: ${redact(said, secrets)}`;
    if ((status === 402 || status === 403) && said !== undefined && /quota|rows|limit|exceed|credit|plan|subscription/i.test(said)) {
      return new ProviderError({
        code: 'no_credits',
        provider: NAME,
        status,
        message: `${TITLE} quota is used up (HTTP ${status}): wait for the quota to renew or upgrade the Moz plan.${suffix}`,
      });
    }
    if (status === 401 || status === 403) {
      return new ProviderError({
        code: 'auth_failed',
        provider: NAME,
        status,
        message: `${TITLE} rejected the credentials (HTTP ${status}): ${CREDENTIALS_HINT}.${suffix}`,
      });
    }
    if (status === 402) {
      return new ProviderError({
        code: 'no_credits',
        provider: NAME,
        status,
        message: `${TITLE} refused the call for billing reasons (HTTP 402): check the Moz plan and its row quota.${suffix}`,
      });
    }
    return undefined;
  };

  const call = async (body: Record<string, unknown> & { limit: number }, context: CallContext) => {
    const response = await http.requestJson({
      method: 'POST',
      path: '/v2/link_intersect',
      headers: credentials(),
      body,
      ...(context.signal !== undefined && { signal: context.signal }),
      ...(context.deadline !== undefined && { deadline: context.deadline }),
      // Moz bills the rows it returns: at most `limit` of them, 5 rows of quota each.
      billing: billed(context, rows(ROWS_PER_RESULT * body.limit), (answer) => {
        const results = (answer as { results?: unknown } | null)?.results;
        return Array.isArray(results) ? rows(ROWS_PER_RESULT * results.length) : undefined;
      }),
      mapError,
    });
    return { page: parseResponse(NAME, responseSchema, response.body), cost: response.cost };
  };

  /**
   * Follow next_token until `limit` rows are gathered, within Moz's documented ceiling (500 results,
   * 50 a call: 10 calls). A token of this same call that expires (410) restarts once from the first
   * page, paying again for the rows re-read, which the result says. A page of rows already read under
   * a fresh token is no progress: paging stops with an error instead of paying on.
   */
  async function gather(query: IntersectQuery, context: CallContext): Promise<Gathered> {
    credentials();
    const total = query.positive_targets.length + query.negative_targets.length;
    if (query.positive_targets.length === 0 || total > MAX_TARGETS) {
      throw new UsageError(
        'invalid_input',
        `${TITLE} link_intersect takes 1 to ${MAX_TARGETS} targets in all, positive and negative combined (got ${total}). Split the targets over several calls or use another provider.`,
      );
    }
    const base: Record<string, unknown> = {
      positive_targets: query.positive_targets.map(toMozTarget),
      ...(query.negative_targets.length > 0 && { negative_targets: query.negative_targets.map(toMozTarget) }),
      ...(query.min_matching_targets > 1 && { min_matching_targets: query.min_matching_targets }),
      source_scope: query.source_scope,
      sort: query.sort,
    };
    const limit = Math.min(query.limit, MAX_ROWS_PER_QUERY);
    const gathered: MozResult[] = [];
    const seen = new Set<string>();
    const costs: Array<Cost | undefined> = [];
    const notes: string[] = [];
    let nextToken = query.next_token;
    let restarted = false;
    let calls = 0;
    /** Calls since the first page was (re)read: Moz serves at most MAX_CALLS_PER_QUERY of them. */
    let callsThisPass = 0;
    /** After a restart, rows already gathered that the first pages will return again. */
    let toSkip = 0;
    let repaid = 0;
    const paid = () => sumCosts(NAME, 'rows', costs).amount;
    while (gathered.length < limit) {
      if (callsThisPass >= MAX_CALLS_PER_QUERY) {
        notes.push(`${TITLE} serves at most ${MAX_ROWS_PER_QUERY} results (${MAX_CALLS_PER_QUERY} calls of ${MAX_ROWS_PER_CALL}) for one query: stopped after ${calls} calls with ${gathered.length} rows.`);
        nextToken = undefined;
        break;
      }
      const first = calls === 0;
      let page: z.infer<typeof responseSchema>;
      try {
        const size = Math.min(MAX_ROWS_PER_CALL, limit - gathered.length + toSkip);
        calls += 1;
        callsThisPass += 1;
        const answer = await call({ ...base, limit: size, ...(nextToken !== undefined && { next_token: nextToken }) }, context);
        costs.push(answer.cost);
        page = answer.page;
      } catch (error) {
        if (!(error instanceof ProviderError) || error.code !== 'expired' || nextToken === undefined) throw error;
        if (first || query.next_token !== undefined || restarted) {
          throw new ProviderError({
            code: 'expired',
            provider: NAME,
            status: 410,
            message: `${TITLE} says the next_token has expired (HTTP 410)${calls > 1 ? ` after ${calls - 1} pages (${paid()} rows of quota spent and recorded)` : ''}. Repeat the call without next_token to start from the first page.`,
          });
        }
        // A token from this same call expired: read again from the first page, skipping rows already gathered.
        restarted = true;
        nextToken = undefined;
        toSkip = gathered.length;
        repaid = gathered.length;
        callsThisPass = 0;
        continue;
      }
      const skipping = toSkip;
      let added = 0;
      for (const row of page.results) {
        if (seen.has(row.page)) {
          toSkip = Math.max(0, toSkip - 1);
          continue;
        }
        seen.add(row.page);
        gathered.push(row);
        added += 1;
      }
      context.progress?.(gathered.length, limit, `${TITLE}: ${gathered.length} of ${limit} rows`);
      const fresh = page.next_token === null || page.next_token === undefined || page.next_token === '' ? undefined : page.next_token;
      if (fresh !== undefined && page.results.length > 0 && added === 0 && skipping === 0) {
        throw new ProviderError({
          code: 'invalid_response',
          provider: NAME,
          message: `${TITLE} answered call ${calls} with only rows already read and a new next_token, so paging stopped (${calls} calls, ${paid()} rows of quota spent and recorded). Try again later with a smaller limit, or use another provider.`,
        });
      }
      nextToken = fresh;
      if (nextToken === undefined || page.results.length === 0) break;
    }
    if (restarted) {
      notes.push(`${TITLE} expired this call's next_token (HTTP 410), so it was read again from the first page: ${repaid} rows were paid twice (${calls} calls in all).`);
    }
    return { rows: gathered.slice(0, limit), cost: sumCosts(NAME, 'rows', costs), notes, ...(nextToken !== undefined && { next_token: nextToken }) };
  }

  async function intersect(query: IntersectQuery, context: CallContext): Promise<IntersectResult> {
    const gathered = await gather(query, context);
    return {
      results: gathered.rows.map((row) => toRow(row, query)),
      ...(gathered.next_token !== undefined && { next_token: gathered.next_token }),
      ...(gathered.next_token === undefined && query.next_token === undefined && { total: gathered.rows.length }),
      cost: gathered.cost,
      ...(gathered.notes.length > 0 && { notes: gathered.notes }),
    };
  }

  async function gap(query: GapQuery, context: CallContext): Promise<GapResult> {
    const competitors = query.competitor_domains;
    if (competitors.length > MAX_TARGETS - 1) {
      throw new UsageError(
        'invalid_input',
        `competitor_domains: ${TITLE} compares at most ${MAX_TARGETS - 1} competitors (${MAX_TARGETS} targets with your domain); got ${competitors.length}. Use another provider (dataforseo, oneclickseo, localseodata) or split the competitors into groups of ${MAX_TARGETS - 1}.`,
      );
    }
    const intersectQuery: IntersectQuery = {
      positive_targets: competitors.map((target) => ({ target, scope: 'root_domain' })),
      negative_targets: [{ target: query.your_domain, scope: 'root_domain' }],
      min_matching_targets: Math.max(1, query.min_competitors),
      source_scope: 'root_domain',
      sort: 'matching_target_count',
      limit: query.limit,
    };
    const gathered = await gather(intersectQuery, context);
    const prospects: ProspectCore[] = [];
    const domains = new Set<string>();
    for (const row of gathered.rows) {
      const prospect = toProspect(toRow(row, intersectQuery));
      if (domains.has(prospect.domain) || prospect.domain === query.your_domain) continue;
      domains.add(prospect.domain);
      prospects.push(prospect);
    }
    const notes: string[] = [...gathered.notes];
    let total = prospects.length;
    if (gathered.next_token !== undefined) {
      // Moz reports no total; one more than we hold says "more exist" to the cache above.
      total = prospects.length + 1;
      notes.push(`${TITLE} has more prospects than the ${prospects.length} read (it reports no total, and returns at most ${MAX_ROWS_PER_QUERY}).`);
    } else if (query.limit > MAX_ROWS_PER_QUERY && prospects.length === MAX_ROWS_PER_QUERY) {
      notes.push(`${TITLE} returns at most ${MAX_ROWS_PER_QUERY} results per query.`);
    }
    return {
      prospects,
      total_prospects: total,
      cost: gathered.cost,
      status: 'complete',
      ...(notes.length > 0 && { notes }),
    };
  }

  return {
    name: NAME,
    describe(): ProviderDescription {
      return {
        name: NAME,
        title: TITLE,
        capabilities: ['gap', 'intersect'],
        computed: [],
        configured,
        unit: 'rows',
        pricing: `link_intersect: ${ROWS_PER_RESULT} rows per returned row`,
        configureWith: 'MOZ_API_TOKEN (or MOZ_ACCESS_ID and MOZ_SECRET_KEY)',
        account: accountHash(token, accessId, secretKey),
      };
    },
    gap,
    intersect,
    estimate(operation: Operation): Cost {
      if (operation.kind === 'backlinks') return rows(0);
      // Moz bills the rows it returns: the limit in full is the most a call can cost.
      return { ...rows(ROWS_PER_RESULT * Math.min(operation.query.limit, MAX_ROWS_PER_QUERY)), up_to: true };
    },
    close: () => http.close(),
  };
}

/** Moz takes domains as bare hosts and pages as URLs; our targets arrive normalised already. */
function toMozTarget(target: Target): { target: string; scope: string } {
  return { target: target.target, scope: target.scope };
}

function toRow(result: MozResult, query: IntersectQuery): IntersectRow {
  const sourceDomain = sourceDomainOf(result.page);
  const indexes = result.matching_target_indexes ?? [];
  const matching: string[] = [];
  const pages: NonNullable<IntersectRow['matching_source_pages']> = [];
  indexes.forEach((index, position) => {
    const target = query.positive_targets[index]?.target;
    if (target === undefined) return;
    matching.push(target);
    // matching_source_pages aligns with matching_target_indexes (root_domain scope only).
    const source = result.matching_source_pages?.[position];
    if (source !== undefined) {
      const authority = source.page_authority ?? undefined;
      pages.push({ target, page: source.page, ...(authority !== undefined && { page_authority: authority }) });
    }
  });
  const authority = result.domain_authority ?? undefined;
  const spam = result.spam_score === null || result.spam_score === undefined || result.spam_score < 0 ? undefined : result.spam_score;
  const title = result.title?.trim();
  return {
    source: query.source_scope === 'root_domain' ? sourceDomain : result.page,
    source_domain: sourceDomain,
    ...(authority !== undefined && { domain_authority: authority }),
    ...(spam !== undefined && { spam_score: spam }),
    ...(title !== undefined && title !== '' && { title }),
    matching_targets: matching,
    ...(pages.length > 0 && { matching_source_pages: pages }),
  };
}

function toProspect(row: IntersectRow): ProspectCore {
  const authority = row.domain_authority;
  const spam = row.spam_score;
  const pages = row.matching_source_pages?.map((source) => source.page) ?? [];
  // matching_source_pages holds the highest page-authority page linking to each target: the best
  // linking page per competitor. Moz gives no anchor, rel or dates at root_domain scope.
  const byCompetitor: NonNullable<ProspectCore['by_competitor']> = {};
  for (const source of row.matching_source_pages ?? []) {
    if (byCompetitor[source.target] === undefined) byCompetitor[source.target] = { page: { url: absoluteUrl(source.page) } };
  }
  return {
    domain: row.source_domain,
    ...(authority !== undefined && { authority }),
    competitors: row.matching_targets,
    ...(Object.keys(byCompetitor).length > 0 && { by_competitor: byCompetitor }),
    ...(spam !== undefined && { spam_score: spam }),
    ...(pages.length > 0 && { source_pages: [...new Set(pages)] }),
    provider_metrics: {
      moz: {
        ...(authority !== undefined && { authority, authority_raw: authority }),
        authority_scale: 'domain_authority 1-100',
        ...(spam !== undefined && { spam_score: spam }),
      },
    },
    found_by: [NAME],
  };
}

/** Moz canonicalises pages without a scheme ("www.example.com/a"); http:// reaches either scheme
 *  (sites redirect to https), where guessing https could point at nothing. */
function absoluteUrl(page: string): string {
  return /^https?:\/\//i.test(page) ? page : `http://${page}`;
}

function upstreamMessage(body: unknown): string | undefined {
  if (typeof body === 'string' && body.trim() !== '') return body.slice(0, 300);
  if (typeof body !== 'object' || body === null) return undefined;
  const record = body as Record<string, unknown>;
  for (const key of ['message', 'error', 'status', 'detail']) {
    const value = record[key];
    if (typeof value === 'string' && value.trim() !== '') return value.slice(0, 300);
    if (typeof value === 'object' && value !== null) {
      const inner = (value as Record<string, unknown>).message;
      if (typeof inner === 'string' && inner.trim() !== '') return inner.slice(0, 300);
    }
  }
  return undefined;
}
