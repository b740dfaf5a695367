// LocalSEOData adapter: the shared contract, then batching above 5 competitors, authority scale and error bodies.

import { readFileSync } from 'node:fs';
import { MockAgent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GapQuery, GapResult } from '../../src/domain.js';
import { ProviderError, UsageError } from '../../src/errors.js';
import { createLocalSeoDataProvider } from '../../src/providers/localseodata.js';
import type { Provider } from '../../src/providers/provider.js';
import { type CapturedRequest, captureLogger, captureRequest, runProviderContract } from './contract.js';

const ORIGIN = 'https://api.localseodata.com';
const API_KEY = 'sk_live_LSDSECRET_5e2c91';
const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`../fixtures/localseodata/${name}`, import.meta.url), 'utf8'));

const seedQuery: GapQuery = { your_domain: 'mybusiness.com', competitor_domains: ['competitor1.com', 'competitor2.com'], limit: 20, min_competitors: 1 };
const gapOf = (provider: Provider) => provider.gap as NonNullable<Provider['gap']>;

runProviderContract({
  name: 'localseodata',
  secrets: [API_KEY],
  origin: ORIGIN,
  create: (dispatcher, logger) => createLocalSeoDataProvider({ apiKey: API_KEY, baseUrl: ORIGIN }, { logger, dispatcher, backoffBaseMs: 1 }),
  errorBody: (status) => ({ status: 'error', error: status === 402 ? 'INSUFFICIENT_CREDITS' : 'ERROR', message: `Failed for ${API_KEY}` }),
  cases: [
    {
      capability: 'gap',
      call: (provider, context) => gapOf(provider)(seedQuery, context),
      intercept: { method: 'POST', path: '/v1/backlinks/gap' },
      documentedResponse: { status: 200, body: fixture('gap.json') },
      emptyResponse: {
        status: 200,
        body: { status: 'success', credits_used: 10, data: { your_domain: 'mybusiness.com', opportunities: [], total_opportunities: 0 } },
      },
      assertRequest(request) {
        expect(request.path).toBe('/v1/backlinks/gap');
        expect(request.headers.authorization).toBe(`Bearer ${API_KEY}`);
        expect(request.headers['content-type']).toBe('application/json');
        // The seed's example request, as sent.
        expect(request.body).toEqual({ your_domain: 'mybusiness.com', competitor_domains: ['competitor1.com', 'competitor2.com'], limit: 20 });
      },
      assertMapped(result) {
        const gap = result as GapResult;
        expect(gap.prospects).toEqual([
          {
            domain: 'austinchamber.org',
            competitors: ['competitor1.com', 'competitor2.com'],
            backlinks: 231,
            by_competitor: { 'competitor1.com': { links: 142 }, 'competitor2.com': { links: 89 } },
            authority: 65,
            provider_metrics: {
              localseodata: { authority: 65, authority_raw: 65, authority_scale: 'domain_rank read as 0-100 (scale UNVERIFIED; no value above 100 in this answer)', backlinks: 231 },
            },
            found_by: ['localseodata'],
          },
          {
            domain: 'austinmonthly.com',
            competitors: ['competitor1.com'],
            backlinks: 67,
            by_competitor: { 'competitor1.com': { links: 67 } },
            authority: 52,
            provider_metrics: {
              localseodata: { authority: 52, authority_raw: 52, authority_scale: 'domain_rank read as 0-100 (scale UNVERIFIED; no value above 100 in this answer)', backlinks: 67 },
            },
            found_by: ['localseodata'],
          },
        ]);
        // Two of 34 returned: the provider's total stands.
        expect(gap.total_prospects).toBe(34);
        expect(gap.cost).toEqual({ amount: 10, unit: 'credits', provider: 'localseodata' });
      },
      assertEmpty(result) {
        const gap = result as GapResult;
        expect(gap.prospects).toEqual([]);
        expect(gap.total_prospects).toBe(0);
      },
    },
  ],
});

describe('localseodata gap', () => {
  let agent: MockAgent;
  let provider: Provider;
  let seen: CapturedRequest[];

  const reply = (answer: (request: CapturedRequest) => { status: number; body: unknown }) => {
    agent
      .get(ORIGIN)
      .intercept({ path: '/v1/backlinks/gap', method: 'POST' })
      .reply((options) => {
        const request = captureRequest(ORIGIN, options as { path: string; method: string; headers?: unknown; body?: unknown });
        seen.push(request);
        const { status, body } = answer(request);
        return { statusCode: status, data: JSON.stringify(body), responseOptions: { headers: { 'content-type': 'application/json' } } };
      })
      .persist();
  };

  beforeEach(() => {
    agent = new MockAgent();
    agent.disableNetConnect();
    seen = [];
    provider = createLocalSeoDataProvider({ apiKey: API_KEY, baseUrl: ORIGIN }, { logger: captureLogger().logger, dispatcher: agent, backoffBaseMs: 1 });
  });
  afterEach(async () => {
    await provider.close?.();
    await agent.close();
  });

  const sevenCompetitors = ['c1.com', 'c2.com', 'c3.com', 'c4.com', 'c5.com', 'c6.com', 'c7.com'];

  it('splits 7 competitors into 2 calls with your domain in each and merges them by referring domain', async () => {
    reply((request) => {
      const body = request.body as { competitor_domains: string[] };
      const firstBatch = body.competitor_domains.includes('c1.com');
      const opportunities = firstBatch
        ? [
            { referring_domain: 'shared.org', domain_rank: 40, links_to_competitors: [{ domain: 'c2.com', backlinks: 3 }], links_to_you: false },
            { referring_domain: 'www.Only-First.com', domain_rank: 20, links_to_competitors: [{ domain: 'c1.com', backlinks: 1 }], links_to_you: false },
            { referring_domain: 'mine-too.net', domain_rank: 30, links_to_competitors: [{ domain: 'c3.com', backlinks: 2 }], links_to_you: false },
          ]
        : [
            { referring_domain: 'shared.org', domain_rank: 40, links_to_competitors: [{ domain: 'c7.com', backlinks: 5 }], links_to_you: false },
            // The second call says this one links to you: it is no gap.
            { referring_domain: 'mine-too.net', domain_rank: 30, links_to_competitors: [{ domain: 'c6.com', backlinks: 1 }], links_to_you: true },
          ];
      return { status: 200, body: { status: 'success', credits_used: 10, data: { opportunities, total_opportunities: opportunities.length } } };
    });
    const progress: Array<[number, number | undefined]> = [];
    const result = await gapOf(provider)(
      { your_domain: 'me.com', competitor_domains: sevenCompetitors, limit: 50, min_competitors: 1 },
      { progress: (done, total) => progress.push([done, total]) },
    );

    expect(seen).toHaveLength(2);
    const bodies = seen.map((request) => request.body as { your_domain: string; competitor_domains: string[]; limit: number });
    expect(bodies.every((body) => body.your_domain === 'me.com' && body.limit === 50)).toBe(true);
    expect(bodies.map((body) => body.competitor_domains).sort((a, b) => b.length - a.length)).toEqual([
      ['c1.com', 'c2.com', 'c3.com', 'c4.com', 'c5.com'],
      ['c6.com', 'c7.com'],
    ]);

    expect(result.prospects.map((prospect) => prospect.domain)).toEqual(['shared.org', 'only-first.com']);
    const shared = result.prospects[0]!;
    expect(shared.competitors).toEqual(['c2.com', 'c7.com']);
    expect(shared.backlinks).toBe(8);
    // Each competitor keeps its own count, from whichever batch asked for it.
    expect(shared.by_competitor).toEqual({ 'c2.com': { links: 3 }, 'c7.com': { links: 5 } });
    expect(result.total_prospects).toBe(2);
    expect(result.cost).toEqual({ amount: 20, unit: 'credits', provider: 'localseodata' });
    expect(result.notes?.join(' ')).toContain('2 calls');
    expect(progress.map(([done, total]) => `${done}/${total}`)).toEqual(['1/2', '2/2']);
  });

  it('applies min_competitors after merging the batches', async () => {
    reply((request) => {
      const first = (request.body as { competitor_domains: string[] }).competitor_domains.includes('c1.com');
      const opportunities = [
        { referring_domain: 'both.org', domain_rank: 10, links_to_competitors: [{ domain: first ? 'c1.com' : 'c6.com', backlinks: 1 }], links_to_you: false },
        { referring_domain: first ? 'one.org' : 'other.org', domain_rank: 10, links_to_competitors: [{ domain: first ? 'c1.com' : 'c6.com', backlinks: 1 }] },
      ];
      return { status: 200, body: { status: 'success', credits_used: 10, data: { opportunities, total_opportunities: 2 } } };
    });
    const result = await gapOf(provider)({ your_domain: 'me.com', competitor_domains: sevenCompetitors, limit: 50, min_competitors: 2 }, {});
    expect(result.prospects.map((prospect) => [prospect.domain, prospect.competitors])).toEqual([['both.org', ['c1.com', 'c6.com']]]);
    expect(result.total_prospects).toBe(1);
  });

  it('uses the largest batch total, and says so, when the batches did not return everything', async () => {
    reply((request) => {
      const first = (request.body as { competitor_domains: string[] }).competitor_domains.includes('c1.com');
      const opportunities = [{ referring_domain: first ? 'a.org' : 'b.org', domain_rank: 10, links_to_competitors: [{ domain: first ? 'c1.com' : 'c6.com', backlinks: 1 }] }];
      return { status: 200, body: { status: 'success', credits_used: 10, data: { opportunities, total_opportunities: first ? 120 : 80 } } };
    });
    const result = await gapOf(provider)({ your_domain: 'me.com', competitor_domains: sevenCompetitors, limit: 1, min_competitors: 1 }, {});
    expect(result.total_prospects).toBe(120);
    expect(result.notes?.join(' ')).toContain('between that and 200');
  });

  it('reads a domain_rank above 100 as 0-1000 and keeps the raw figure', async () => {
    reply(() => ({
      status: 200,
      body: {
        status: 'success',
        credits_used: 0,
        cached: true,
        data: { opportunities: [{ referring_domain: 'big.org', domain_rank: 342, links_to_competitors: [{ domain: 'competitor1.com', backlinks: 4 }] }], total_opportunities: 1 },
      },
    }));
    const result = await gapOf(provider)(seedQuery, {});
    const prospect = result.prospects[0]!;
    expect(prospect.authority).toBe(34.2);
    expect(prospect.provider_metrics?.localseodata?.authority_raw).toBe(342);
    expect(prospect.provider_metrics?.localseodata?.authority_scale).toContain('read as 0-1000');
    expect(result.notes?.join(' ')).toContain('divided by 10');
    expect(result.notes?.join(' ')).toContain('LOCALSEODATA_RANK_SCALE');
    // A cached answer is free.
    expect(result.cost.amount).toBe(0);
  });

  it('keeps blogs on one hosting platform apart, wordpress.com as blogspot.com', async () => {
    const opportunity = (referring_domain: string) => ({ referring_domain, domain_rank: 20, links_to_competitors: [{ domain: 'competitor1.com', backlinks: 1 }] });
    reply(() => ({
      status: 200,
      body: {
        status: 'success',
        credits_used: 10,
        data: {
          opportunities: ['joe.wordpress.com', 'ann.wordpress.com', 'joe.blogspot.com', 'ann.blogspot.com', 'www.bob.tumblr.com'].map(opportunity),
          total_opportunities: 5,
        },
      },
    }));
    const result = await gapOf(provider)(seedQuery, {});
    expect(result.prospects.map((prospect) => prospect.domain).sort()).toEqual([
      'ann.blogspot.com',
      'ann.wordpress.com',
      'bob.tumblr.com',
      'joe.blogspot.com',
      'joe.wordpress.com',
    ]);
  });

  it('keeps the 402 message (cost and balance) but never the key', async () => {
    reply(() => ({
      status: 402,
      body: { status: 'error', error: 'INSUFFICIENT_CREDITS', message: `This request costs 10 credits; balance 4 credits (key ${API_KEY}).` },
    }));
    const error = (await gapOf(provider)(seedQuery, {}).catch((caught: unknown) => caught)) as ProviderError;
    expect(error).toBeInstanceOf(ProviderError);
    expect(error.code).toBe('no_credits');
    expect(error.message).toContain('costs 10 credits; balance 4 credits');
    expect(error.message).not.toContain(API_KEY);
  });

  it('tells how to fix a refused key', async () => {
    reply(() => ({ status: 401, body: { status: 'error', error: 'UNAUTHORIZED', message: 'Invalid API key' } }));
    const error = (await gapOf(provider)(seedQuery, {}).catch((caught: unknown) => caught)) as ProviderError;
    expect(error.code).toBe('auth_failed');
    expect(error.message).toContain('LOCALSEODATA_API_KEY');
    expect(error.message).toContain('sk_live_');
  });

  it('estimates 10 credits per batch of 5 competitors', () => {
    const estimate = (count: number) =>
      provider.estimate({ kind: 'gap', query: { ...seedQuery, competitor_domains: sevenCompetitors.slice(0, count) } }).amount;
    expect([estimate(1), estimate(5), estimate(6), estimate(7)]).toEqual([10, 10, 20, 20]);
  });

  it('refuses to call without a key, saying which variable to set', async () => {
    const unconfigured = createLocalSeoDataProvider({ baseUrl: ORIGIN }, { logger: captureLogger().logger, dispatcher: agent });
    expect(unconfigured.describe().configured).toBe(false);
    const error = await gapOf(unconfigured)(seedQuery, {}).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).code).toBe('not_configured');
    expect((error as UsageError).message).toContain('LOCALSEODATA_API_KEY');
    expect(seen).toHaveLength(0);
  });
});

describe('localseodata authority scale, per-competitor counts, spend and unreadable answers', () => {
  let agent: MockAgent;
  let seen: CapturedRequest[];
  const providers: Provider[] = [];

  const make = (rankScale?: 'auto' | '100' | '1000') => {
    const made = createLocalSeoDataProvider(
      { apiKey: API_KEY, baseUrl: ORIGIN, ...(rankScale !== undefined && { rankScale }) },
      { logger: captureLogger().logger, dispatcher: agent, backoffBaseMs: 1 },
    );
    providers.push(made);
    return made;
  };
  const reply = (answer: (request: CapturedRequest) => { status: number; body: unknown }) => {
    agent
      .get(ORIGIN)
      .intercept({ path: '/v1/backlinks/gap', method: 'POST' })
      .reply((options) => {
        const request = captureRequest(ORIGIN, options as { path: string; method: string; headers?: unknown; body?: unknown });
        seen.push(request);
        const { status, body } = answer(request);
        return { statusCode: status, data: JSON.stringify(body), responseOptions: { headers: { 'content-type': 'application/json' } } };
      })
      .persist();
  };
  const ranked = (ranks: number[], competitor = 'competitor1.com') => ({
    status: 'success',
    credits_used: 10,
    data: {
      opportunities: ranks.map((rank, index) => ({ referring_domain: `site${index}-${competitor}`, domain_rank: rank, links_to_competitors: [{ domain: competitor, backlinks: 1 }] })),
      total_opportunities: ranks.length,
    },
  });
  const authorities = (result: GapResult) => Object.fromEntries(result.prospects.map((prospect) => [prospect.provider_metrics?.localseodata?.authority_raw, prospect.authority]));

  beforeEach(() => {
    agent = new MockAgent();
    agent.disableNetConnect();
    seen = [];
  });
  afterEach(async () => {
    await Promise.all(providers.splice(0).map((made) => made.close?.()));
    await agent.close();
  });

  it('reads every rank of one answer on one scale: a higher domain_rank never reads lower', async () => {
    reply(() => ({ status: 200, body: ranked([150, 95, 40]) }));
    const result = await gapOf(make())(seedQuery, {});
    expect(authorities(result)).toEqual({ 150: 15, 95: 9.5, 40: 4 });
  });

  it('decides the scale over every batch of one gap call', async () => {
    const seven = ['c1.com', 'c2.com', 'c3.com', 'c4.com', 'c5.com', 'c6.com', 'c7.com'];
    reply((request) => {
      const first = (request.body as { competitor_domains: string[] }).competitor_domains.includes('c1.com');
      return { status: 200, body: first ? ranked([95], 'c1.com') : ranked([150], 'c7.com') };
    });
    const result = await gapOf(make())({ your_domain: 'me.com', competitor_domains: seven, limit: 50, min_competitors: 1 }, {});
    expect(authorities(result)).toEqual({ 150: 15, 95: 9.5 });
  });

  it('follows LOCALSEODATA_RANK_SCALE when set, and says when a value does not fit it', async () => {
    reply(() => ({ status: 200, body: ranked([150, 65]) }));
    const tens = await gapOf(make('100'))(seedQuery, {});
    expect(authorities(tens)).toEqual({ 150: 100, 65: 65 });
    expect(tens.notes?.join(' ')).toContain('above 100 (up to 150) although LOCALSEODATA_RANK_SCALE=100');
    const thousands = await gapOf(make('1000'))(seedQuery, {});
    expect(authorities(thousands)).toEqual({ 150: 15, 65: 6.5 });
    expect(thousands.prospects[0]?.provider_metrics?.localseodata?.authority_scale).toBe('domain_rank 0-1000 (LOCALSEODATA_RANK_SCALE)');
    // An answer read on another scale is another cached answer.
    expect(new Set([make().describe().account, make('100').describe().account, make('1000').describe().account]).size).toBe(3);
  });

  it('records spend once per billed call as each answer arrives, even when a later batch fails', async () => {
    const seven = ['c1.com', 'c2.com', 'c3.com', 'c4.com', 'c5.com', 'c6.com', 'c7.com'];
    reply((request) => {
      const first = (request.body as { competitor_domains: string[] }).competitor_domains.includes('c1.com');
      return first ? { status: 200, body: ranked([10], 'c1.com') } : { status: 400, body: { status: 'error', error: 'BAD_REQUEST', message: 'no' } };
    });
    const spent: number[] = [];
    const error = await gapOf(make())(
      { your_domain: 'me.com', competitor_domains: seven, limit: 50, min_competitors: 1 },
      { spend: (cost) => spent.push(cost.amount) },
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    expect(spent).toEqual([10]);
  });

  it('records what each answer says it used: a cached answer is free', async () => {
    reply(() => ({ status: 200, body: { ...ranked([10]), credits_used: 0, cached: true } }));
    const spent: number[] = [];
    const result = await gapOf(make())(seedQuery, { spend: (cost) => spent.push(cost.amount) });
    expect(spent.reduce((sum, amount) => sum + amount, 0)).toBe(0);
    expect(result.cost.amount).toBe(0);
  });

  it.each([
    ['an error body', { status: 'error', error: 'INTERNAL', message: 'upstream failed' }],
    ['no opportunities', { status: 'success', credits_used: 10, data: { your_domain: 'mybusiness.com' } }],
    ['no data', { status: 'success', credits_used: 10 }],
  ])('answers a 200 with %s as invalid_response, never an empty gap, and counts its spend', async (_what, body) => {
    reply(() => ({ status: 200, body }));
    const spent: number[] = [];
    const error = (await gapOf(make())(seedQuery, { spend: (cost) => spent.push(cost.amount) }).catch((caught: unknown) => caught)) as ProviderError;
    expect(error).toBeInstanceOf(ProviderError);
    expect(error.code).toBe('invalid_response');
    expect(spent).toEqual([10]);
  });
});

describe('localseodata spend on a call that never answers', () => {
  it('counts a sent call that timed out at the documented price: it may have been charged', async () => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    agent
      .get(ORIGIN)
      .intercept({ path: '/v1/backlinks/gap', method: 'POST' })
      .reply(200, JSON.stringify(fixture('gap.json')))
      .delay(5_000);
    const provider = createLocalSeoDataProvider({ apiKey: API_KEY, baseUrl: ORIGIN }, { logger: captureLogger().logger, dispatcher: agent, backoffBaseMs: 1 });
    const spent: number[] = [];
    const error = (await gapOf(provider)(seedQuery, { deadline: Date.now() + 200, spend: (cost) => spent.push(cost.amount) }).catch(
      (caught: unknown) => caught,
    )) as ProviderError;
    expect(error.code).toBe('timeout');
    expect(spent).toEqual([10]);
    await provider.close?.();
    await agent.close();
  });
});
