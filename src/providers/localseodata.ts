// LocalSEOData adapter: one synchronous gap call per batch of at most 5 competitors, merged by referring domain.

import { z } from 'zod';
import type { LocalSeoDataSettings } from '../config.js';
import type { Cost, GapQuery, GapResult, ProspectCore, ProviderMetrics } from '../domain.js';
import { PROVIDER_TITLES } from '../domain.js';
import { ProviderError } from '../errors.js';
import { registrableDomain, sourceDomainOf } from '../hosts.js';
import type { HttpRequest } from '../http/client.js';
import { upstreamDetail } from '../http/failures.js';
import { type AdapterDependencies, accountHash, adapterHttpClient, billed, notConfigured, parseResponse, sumCosts } from './adapter.js';
import { type CallContext, type Operation, type Provider, type ProviderDescription, piece } from './provider.js';

const NAME = 'localseodata';
const TITLE = PROVIDER_TITLES[NAME];
/** The documented maximum of `competitor_domains` per call. */
const COMPETITORS_PER_CALL = 5;
const CREDITS_PER_CALL = 10;

const opportunitySchema = z.object({
  referring_domain: z.string(),
  domain_rank: z.number().nullish(),
  links_to_competitors: z
    .array(z.object({ domain: z.string(), backlinks: z.number().nullish() }))
    .nullish()
    .transform((value) => value ?? []),
  links_to_you: z.boolean().nullish(),
});

// `opportunities` is the answer: a 200 without it is unreadable, never an empty gap.
const gapSchema = z.object({
  credits_used: z.number().nullish(),
  data: z.object({
    opportunities: z.array(opportunitySchema),
    total_opportunities: z.number().nullish(),
  }),
});
type GapAnswer = z.output<typeof gapSchema>;

const errorBodySchema = z.object({ status: z.string().optional(), error: z.string().optional(), message: z.string().optional(), data: z.unknown() });

export type RankScale = NonNullable<LocalSeoDataSettings['rankScale']>;

/** How one answer's domain_rank values are read: all on one scale, whatever each value is. */
interface RankReading {
  divisor: 1 | 10;
  scale: string;
  note?: string;
}

/**
 * domain_rank's scale is not documented (UNVERIFIED); the sibling summary endpoint's `rank: 342`
 * suggests 0-1000 while the gap example shows 65 and 52. Configured, the setting decides; on `auto`
 * the whole answer (every batch of one gap call) is read as 0-1000 if any value in it is above 100,
 * else as 0-100: never value by value, so a higher rank never reads lower.
 */
export function rankReading(setting: RankScale, ranks: readonly number[]): RankReading {
  const highest = ranks.length === 0 ? undefined : Math.max(...ranks);
  if (setting === '1000') return { divisor: 10, scale: 'domain_rank 0-1000 (LOCALSEODATA_RANK_SCALE)' };
  if (setting === '100') {
    const above = ranks.filter((rank) => rank > 100).length;
    return {
      divisor: 1,
      scale: 'domain_rank 0-100 (LOCALSEODATA_RANK_SCALE)',
      ...(above > 0 && { note: `${TITLE} sent ${above} domain_rank value${above === 1 ? '' : 's'} above 100 (up to ${highest}) although LOCALSEODATA_RANK_SCALE=100; they count as 100. Set LOCALSEODATA_RANK_SCALE=1000 if its scale is 0-1000.` }),
    };
  }
  const fix = 'Set LOCALSEODATA_RANK_SCALE=100 or 1000 to read every answer the same way.';
  if (highest !== undefined && highest > 100) {
    return {
      divisor: 10,
      scale: 'domain_rank read as 0-1000 (scale UNVERIFIED; this answer has values above 100)',
      note: `${TITLE} domain_rank has no documented scale (UNVERIFIED): this answer has values above 100 (up to ${highest}), so all of its ranks were read as 0-1000 and divided by 10. ${fix}`,
    };
  }
  return {
    divisor: 1,
    scale: 'domain_rank read as 0-100 (scale UNVERIFIED; no value above 100 in this answer)',
    ...(highest !== undefined && {
      note: `${TITLE} domain_rank has no documented scale (UNVERIFIED): no value in this answer is above 100, so its ranks were read as 0-100. ${fix}`,
    }),
  };
}

function authorityOf(rank: number, reading: RankReading): number {
  return Math.round(Math.min(100, Math.max(0, rank / reading.divisor)) * 10) / 10;
}

interface Merged {
  domain: string;
  /** Links per competitor, where the provider counted them; a competitor without a count is linked all the same. */
  links: Map<string, number | undefined>;
  rank?: number;
  linksToYou: boolean;
}

/** Credits an answer says it used (0 for a cached answer), else the documented price. */
function creditsUsed(body: unknown): number {
  const used = typeof body === 'object' && body !== null ? (body as { credits_used?: unknown }).credits_used : undefined;
  return typeof used === 'number' && Number.isFinite(used) && used >= 0 ? used : CREDITS_PER_CALL;
}

export function createLocalSeoDataProvider(settings: LocalSeoDataSettings, deps: AdapterDependencies): Provider {
  const apiKey = settings.apiKey;
  const secrets = apiKey === undefined ? [] : [apiKey];
  const http = adapterHttpClient(NAME, settings.baseUrl, secrets, deps);
  const rankScale: RankScale = settings.rankScale ?? 'auto';

  const mapError: HttpRequest['mapError'] = ({ status, body, text }) => {
    const parsed = errorBodySchema.safeParse(body);
    const code = parsed.success ? parsed.data.error : undefined;
    const detail = upstreamDetail(body, text, secrets);
    if (status === 402 || code === 'INSUFFICIENT_CREDITS') {
      // The provider's message carries the call's cost and the current balance: worth keeping.
      return new ProviderError({
        code: 'no_credits',
        provider: NAME,
        status,
        message: `${TITLE} has not enough credits for this call (HTTP ${status})${detail ? `: ${detail}` : ''}. Top up credits (Dashboard > Billing at localseodata.com), or use another provider.`,
      });
    }
    if (status === 401) {
      return new ProviderError({
        code: 'auth_failed',
        provider: NAME,
        status,
        message: `${TITLE} refused the API key (HTTP 401)${detail ? `: ${detail}` : ''}. Check LOCALSEODATA_API_KEY (keys start with sk_live_).`,
      });
    }
    return undefined;
  };

  const credits = (amount: number): Cost => ({ amount, unit: 'credits', provider: NAME });

  /** One billed call: the HTTP layer reports its spend (credits_used, else the documented price) the
   *  moment it answers, or may have been charged without an answer. */
  const callGap = async (yourDomain: string, competitors: string[], limit: number, context: CallContext): Promise<{ answer: GapAnswer; cost: Cost }> => {
    if (apiKey === undefined) throw notConfigured(NAME);
    const response = await http.requestJson({
      method: 'POST',
      path: '/v1/backlinks/gap',
      headers: { Authorization: `Bearer ${apiKey}` },
      body: { your_domain: yourDomain, competitor_domains: competitors, limit },
      billing: billed(context, credits(CREDITS_PER_CALL), (body) => credits(creditsUsed(body))),
      mapError,
      ...(context.signal !== undefined && { signal: context.signal }),
      ...(context.deadline !== undefined && { deadline: context.deadline }),
    });
    const cost = response.cost ?? credits(creditsUsed(response.body));
    const said = errorBodySchema.safeParse(response.body);
    if (said.success && (said.data.status === 'error' || (said.data.error !== undefined && said.data.data === undefined))) {
      const detail = upstreamDetail(response.body, '', secrets);
      throw new ProviderError({
        code: 'invalid_response',
        provider: NAME,
        status: response.status,
        message: `${TITLE} answered HTTP ${response.status} with an error instead of a gap${detail ? `: ${detail}` : ''}. Try again later, or use another provider.`,
      });
    }
    return { answer: parseResponse(NAME, gapSchema, response.body), cost };
  };

  async function gap(query: GapQuery, context: CallContext): Promise<GapResult> {
    if (apiKey === undefined) throw notConfigured(NAME);
    const batches: string[][] = [];
    for (let start = 0; start < query.competitor_domains.length; start += COMPETITORS_PER_CALL) {
      batches.push(query.competitor_domains.slice(start, start + COMPETITORS_PER_CALL));
    }
    let done = 0;
    // Every batch is waited for, failed or not, so each billed answer is recorded before an error leaves.
    const settled = await Promise.allSettled(
      batches.map(async (batch) => {
        // A batch bought by an earlier call that failed or was cancelled half-way is not bought again.
        const key = { path: 'backlinks/gap', your_domain: query.your_domain, competitor_domains: batch, limit: query.limit };
        const { value, stored } = await piece(context, key, () => callGap(query.your_domain, batch, query.limit, context));
        const called = stored ? { ...value, cost: credits(0) } : value;
        done += 1;
        if (batches.length > 1) context.progress?.(done, batches.length, `${TITLE}: ${done} of ${batches.length} competitor batches`);
        return called;
      }),
    );
    const failed = settled.find((outcome) => outcome.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    const called = settled.map((outcome) => (outcome as PromiseFulfilledResult<{ answer: GapAnswer; cost: Cost }>).value);
    const answers = called.map(({ answer }) => answer);

    const order = new Map(query.competitor_domains.map((domain, index) => [domain, index]));
    const merged = new Map<string, Merged>();
    const ranks: number[] = [];
    let unmatched = 0;
    for (const answer of answers) {
      for (const opportunity of answer.data.opportunities) {
        const domain = registrableDomain(opportunity.referring_domain) ?? sourceDomainOf(opportunity.referring_domain);
        let entry = merged.get(domain);
        if (entry === undefined) {
          entry = { domain, links: new Map(), linksToYou: false };
          merged.set(domain, entry);
        }
        if (opportunity.links_to_you === true) entry.linksToYou = true;
        if (typeof opportunity.domain_rank === 'number' && Number.isFinite(opportunity.domain_rank)) {
          ranks.push(opportunity.domain_rank);
          entry.rank = Math.max(entry.rank ?? opportunity.domain_rank, opportunity.domain_rank);
        }
        for (const link of opportunity.links_to_competitors) {
          const competitor = sourceDomainOf(link.domain);
          if (!order.has(competitor)) {
            unmatched += 1;
            continue;
          }
          const count = typeof link.backlinks === 'number' && Number.isFinite(link.backlinks) ? link.backlinks : undefined;
          const before = entry.links.get(competitor);
          // www.x.com and x.com are one referrer: their counts add up.
          entry.links.set(competitor, before === undefined ? count : count === undefined ? before : before + count);
        }
      }
    }

    const reading = rankReading(rankScale, ranks);
    const all = [...merged.values()].filter((entry) => !entry.linksToYou && entry.links.size > 0);
    const kept = all.filter((entry) => entry.links.size >= query.min_competitors);
    kept.sort(
      (a, b) => b.links.size - a.links.size || (b.rank ?? -1) - (a.rank ?? -1) || linksOf(b) - linksOf(a) || a.domain.localeCompare(b.domain),
    );
    const prospects = kept.slice(0, query.limit).map((entry) => toProspect(entry, order, reading));

    const notes: string[] = [];
    const complete = answers.every((answer) => answer.data.total_opportunities == null || answer.data.opportunities.length >= answer.data.total_opportunities);
    let total: number;
    if (complete) {
      total = kept.length;
    } else if (batches.length === 1) {
      total = answers[0]?.data.total_opportunities ?? kept.length;
      if (query.min_competitors > 1) {
        const returned = answers[0]?.data.opportunities.length ?? 0;
        notes.push(`${TITLE} reports ${total} opportunities before the min_competitors filter; it returned ${returned} of them.`);
      }
    } else {
      // Batches share referring domains, so their totals overlap: the sum over-counts, the largest batch under-counts.
      const totals = answers.map((answer) => answer.data.total_opportunities ?? answer.data.opportunities.length);
      total = Math.max(kept.length, ...totals);
      notes.push(
        `total_prospects is the largest batch total (${total}); the batches overlap, so the true number lies between that and ${totals.reduce((sum, value) => sum + value, 0)}.`,
      );
    }
    if (batches.length > 1) {
      notes.push(
        `${TITLE} compares at most ${COMPETITORS_PER_CALL} competitors a call: made ${batches.length} calls with your domain in each and merged them by referring domain.`,
      );
    }
    if (unmatched > 0) notes.push(`${unmatched} competitor links named domains that were not among the competitors asked for; they were left out.`);
    if (reading.note !== undefined) notes.push(reading.note);

    const result: GapResult = {
      prospects,
      total_prospects: total,
      // A total taken from the provider (not counted here) is its count before the min_competitors filter.
      ...(!complete && query.min_competitors > 1 && total > kept.length && { total_before_min_competitors: true }),
      cost: sumCosts(NAME, 'credits', called.map(({ cost }) => cost)),
      status: 'complete',
    };
    if (notes.length > 0) result.notes = notes;
    return result;
  }

  return {
    name: NAME,
    describe(): ProviderDescription {
      return {
        name: NAME,
        title: TITLE,
        capabilities: ['gap'],
        computed: [],
        configured: apiKey !== undefined,
        unit: 'credits',
        pricing: `gap: ${CREDITS_PER_CALL} credits a call (≤${COMPETITORS_PER_CALL} competitors a call)`,
        configureWith: 'LOCALSEODATA_API_KEY',
        // Part of every cache key: an answer read on another rank scale is another answer.
        account: apiKey === undefined || rankScale === 'auto' ? accountHash(apiKey) : accountHash(apiKey, `domain_rank 0-${rankScale}`),
      };
    },
    gap,
    estimate(operation: Operation): Cost {
      if (operation.kind !== 'gap') return { amount: 0, unit: 'credits', provider: NAME };
      const calls = Math.max(1, Math.ceil(operation.query.competitor_domains.length / COMPETITORS_PER_CALL));
      return { amount: calls * CREDITS_PER_CALL, unit: 'credits', provider: NAME };
    },
    close: () => http.close(),
  };
}

function linksOf(entry: Merged): number {
  let sum = 0;
  for (const count of entry.links.values()) sum += count ?? 0;
  return sum;
}

function toProspect(entry: Merged, order: Map<string, number>, reading: RankReading): ProspectCore {
  const competitors = [...entry.links.keys()].sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0));
  const prospect: ProspectCore = { domain: entry.domain, competitors, found_by: [NAME] };
  const metrics: ProviderMetrics = { authority_scale: reading.scale };
  const counted = competitors.filter((competitor) => entry.links.get(competitor) !== undefined);
  if (counted.length > 0) {
    prospect.backlinks = linksOf(entry);
    metrics.backlinks = prospect.backlinks;
    // No linking pages and no dofollow counts from this provider: only how many links to each competitor.
    prospect.by_competitor = Object.fromEntries(counted.map((competitor) => [competitor, { links: entry.links.get(competitor) as number }]));
  }
  if (entry.rank !== undefined) {
    prospect.authority = authorityOf(entry.rank, reading);
    metrics.authority = prospect.authority;
    metrics.authority_raw = entry.rank;
  }
  prospect.provider_metrics = { localseodata: metrics };
  return prospect;
}
