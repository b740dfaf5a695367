// LocalSEOData adapter: one synchronous gap call per batch of at most 5 competitors, merged by referring domain.

import { z } from 'zod';
import type { LocalSeoDataSettings } from '../config.js';
import type { Cost, GapQuery, GapResult, ProspectCore, ProviderMetrics } from '../domain.js';
import { PROVIDER_TITLES } from '../domain.js';
import { ProviderError } from '../errors.js';
import { registrableDomain, sourceDomainOf } from '../hosts.js';
import type { HttpRequest } from '../http/client.js';
import { upstreamDetail } from '../http/failures.js';
import { type AdapterDependencies, accountHash, adapterHttpClient, notConfigured, parseResponse } from './adapter.js';
import type { CallContext, Operation, Provider, ProviderDescription } from './provider.js';

const NAME = 'localseodata';
const TITLE = PROVIDER_TITLES[NAME];
/** The documented maximum of `competitor_domains` per call. */
const COMPETITORS_PER_CALL = 5;
const CREDITS_PER_CALL = 10;
const AUTHORITY_SCALE = 'domain_rank, scale undocumented: >100 read as 0-1000';

const opportunitySchema = z.object({
  referring_domain: z.string(),
  domain_rank: z.number().nullish(),
  links_to_competitors: z
    .array(z.object({ domain: z.string(), backlinks: z.number().nullish() }))
    .nullish()
    .transform((value) => value ?? []),
  links_to_you: z.boolean().nullish(),
});

const gapSchema = z.object({
  credits_used: z.number().nullish(),
  data: z.object({
    opportunities: z
      .array(opportunitySchema)
      .nullish()
      .transform((value) => value ?? []),
    total_opportunities: z.number().nullish(),
  }),
});
type GapAnswer = z.output<typeof gapSchema>;

const errorBodySchema = z.object({ error: z.string().optional(), message: z.string().optional() });

/**
 * domain_rank's scale is not documented; the sibling summary endpoint's `rank: 342` suggests 0-1000.
 * A value above 100 can only be on the larger scale, so it is divided by 10; otherwise read as 0-100.
 */
function authorityOf(rank: number): number {
  const normalised = rank > 100 ? rank / 10 : rank;
  return Math.round(Math.min(100, Math.max(0, normalised)) * 10) / 10;
}

interface Merged {
  domain: string;
  competitors: Set<string>;
  backlinks: number;
  backlinksKnown: boolean;
  rank?: number;
  linksToYou: boolean;
}

export function createLocalSeoDataProvider(settings: LocalSeoDataSettings, deps: AdapterDependencies): Provider {
  const apiKey = settings.apiKey;
  const secrets = apiKey === undefined ? [] : [apiKey];
  const http = adapterHttpClient(NAME, settings.baseUrl, secrets, deps);

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

  const callGap = async (yourDomain: string, competitors: string[], limit: number, context: CallContext): Promise<GapAnswer> => {
    if (apiKey === undefined) throw notConfigured(NAME);
    const response = await http.requestJson({
      method: 'POST',
      path: '/v1/backlinks/gap',
      headers: { Authorization: `Bearer ${apiKey}` },
      body: { your_domain: yourDomain, competitor_domains: competitors, limit },
      // Each call is billed; after a reset the first one may have been charged, so it is not repeated.
      idempotent: false,
      mapError,
      ...(context.signal !== undefined && { signal: context.signal }),
      ...(context.deadline !== undefined && { deadline: context.deadline }),
    });
    return parseResponse(NAME, gapSchema, response.body);
  };

  async function gap(query: GapQuery, context: CallContext): Promise<GapResult> {
    if (apiKey === undefined) throw notConfigured(NAME);
    const batches: string[][] = [];
    for (let start = 0; start < query.competitor_domains.length; start += COMPETITORS_PER_CALL) {
      batches.push(query.competitor_domains.slice(start, start + COMPETITORS_PER_CALL));
    }
    let done = 0;
    const answers = await Promise.all(
      batches.map(async (batch) => {
        const answer = await callGap(query.your_domain, batch, query.limit, context);
        done += 1;
        if (batches.length > 1) context.progress?.(done, batches.length, `${TITLE}: ${done} of ${batches.length} competitor batches`);
        return answer;
      }),
    );

    const order = new Map(query.competitor_domains.map((domain, index) => [domain, index]));
    const merged = new Map<string, Merged>();
    let unmatched = 0;
    for (const answer of answers) {
      for (const opportunity of answer.data.opportunities) {
        const domain = registrableDomain(opportunity.referring_domain) ?? sourceDomainOf(opportunity.referring_domain);
        let entry = merged.get(domain);
        if (entry === undefined) {
          entry = { domain, competitors: new Set(), backlinks: 0, backlinksKnown: false, linksToYou: false };
          merged.set(domain, entry);
        }
        if (opportunity.links_to_you === true) entry.linksToYou = true;
        if (typeof opportunity.domain_rank === 'number') entry.rank = Math.max(entry.rank ?? opportunity.domain_rank, opportunity.domain_rank);
        for (const link of opportunity.links_to_competitors) {
          const competitor = sourceDomainOf(link.domain);
          if (!order.has(competitor)) {
            unmatched += 1;
            continue;
          }
          entry.competitors.add(competitor);
          if (typeof link.backlinks === 'number') {
            entry.backlinks += link.backlinks;
            entry.backlinksKnown = true;
          }
        }
      }
    }

    const all = [...merged.values()].filter((entry) => !entry.linksToYou && entry.competitors.size > 0);
    const kept = all.filter((entry) => entry.competitors.size >= query.min_competitors);
    kept.sort(
      (a, b) =>
        b.competitors.size - a.competitors.size || (b.rank ?? -1) - (a.rank ?? -1) || b.backlinks - a.backlinks || a.domain.localeCompare(b.domain),
    );
    const prospects = kept.slice(0, query.limit).map((entry) => toProspect(entry, order));

    const notes: string[] = [];
    const complete = answers.every((answer) => answer.data.total_opportunities == null || answer.data.opportunities.length >= answer.data.total_opportunities);
    let total: number;
    if (complete) {
      total = kept.length;
    } else if (batches.length === 1) {
      total = answers[0]?.data.total_opportunities ?? kept.length;
      if (query.min_competitors > 1) notes.push(`${TITLE} reports ${total} opportunities before the min_competitors filter; only the first ${query.limit} were returned.`);
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
    if (prospects.some((prospect) => (prospect.provider_metrics?.localseodata?.authority_raw ?? 0) > 100)) {
      notes.push(`${TITLE} domain_rank has no documented scale; values above 100 were read as 0-1000 and divided by 10.`);
    }

    const credits = answers.reduce((sum, answer) => sum + (answer.credits_used ?? CREDITS_PER_CALL), 0);
    const result: GapResult = {
      prospects,
      total_prospects: total,
      cost: { amount: credits, unit: 'credits', provider: NAME },
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
        account: accountHash(apiKey),
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

function toProspect(entry: Merged, order: Map<string, number>): ProspectCore {
  const prospect: ProspectCore = {
    domain: entry.domain,
    competitors: [...entry.competitors].sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0)),
    found_by: [NAME],
  };
  const metrics: ProviderMetrics = { authority_scale: AUTHORITY_SCALE };
  if (entry.backlinksKnown) {
    prospect.backlinks = entry.backlinks;
    metrics.backlinks = entry.backlinks;
  }
  if (entry.rank !== undefined) {
    prospect.authority = authorityOf(entry.rank);
    metrics.authority = prospect.authority;
    metrics.authority_raw = entry.rank;
  }
  prospect.provider_metrics = { localseodata: metrics };
  return prospect;
}
