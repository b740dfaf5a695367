// Moz Links API v2 adapter: the shared contract, then next_token paging, 410 handling, spam -1 and auth headers.

import { readFileSync } from 'node:fs';
import { MockAgent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Cost, GapQuery, GapResult, IntersectQuery, IntersectResult } from '../../src/domain.js';
import { ProviderError, UsageError } from '../../src/errors.js';
import type { Logger } from '../../src/log.js';
import { createMozProvider } from '../../src/providers/moz.js';
import type { Provider } from '../../src/providers/provider.js';
import { type CapturedRequest, captureRequest, runProviderContract } from './contract.js';

const ORIGIN = 'https://lsapi.seomoz.com';
const TOKEN = 'moz-token-SECRET-4b1e77';
const ACCESS_ID = 'mozscape-ACCESSID-91c2';
const SECRET_KEY = 'moz-SECRETKEY-0d8f3e';
const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`../fixtures/moz/${name}`, import.meta.url), 'utf8'));
const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

type Seen = Omit<CapturedRequest, 'body'> & { body: Record<string, unknown> };

function recorder(agent: MockAgent, answer: (request: Seen, index: number) => { status: number; body: unknown }) {
  const seen: Seen[] = [];
  agent
    .get(ORIGIN)
    .intercept({ path: () => true, method: () => true })
    .reply((options) => {
      const captured = captureRequest(ORIGIN, options as { path: string; method: string; headers?: unknown; body?: unknown });
      const request: Seen = { ...captured, body: (captured.body ?? {}) as Record<string, unknown> };
      seen.push(request);
      const reply = answer(request, seen.length - 1);
      return { statusCode: reply.status, data: JSON.stringify(reply.body), responseOptions: { headers: { 'content-type': 'application/json' } } };
    })
    .persist();
  return seen;
}

const intersectQuery: IntersectQuery = {
  positive_targets: [
    { target: 'latimes.com', scope: 'root_domain' },
    { target: 'blog.nytimes.com', scope: 'subdomain' },
  ],
  negative_targets: [{ target: 'moz.com', scope: 'root_domain' }],
  min_matching_targets: 1,
  source_scope: 'page',
  sort: 'source_domain_authority',
  limit: 1,
};

const gapQuery: GapQuery = { your_domain: 'mysite.com', competitor_domains: ['rival-one.com', 'rival-two.com'], limit: 50, min_competitors: 1 };

function rows(from: number, count: number) {
  return Array.from({ length: count }, (_, index) => ({
    page: `source${from + index}.com`,
    title: '',
    domain_authority: 50,
    spam_score: 2,
    matching_target_indexes: [0],
    matching_source_pages: [{ page: `source${from + index}.com/page`, page_authority: 30 }],
  }));
}

runProviderContract({
  name: 'moz',
  secrets: [TOKEN],
  origin: ORIGIN,
  create: (dispatcher, logger) => createMozProvider({ token: TOKEN, baseUrl: ORIGIN }, { logger, dispatcher, backoffBaseMs: 1 }),
  cases: [
    {
      capability: 'intersect',
      call: (provider, context) => (provider.intersect as NonNullable<Provider['intersect']>)(intersectQuery, context),
      intercept: { method: 'POST', path: '/v2/link_intersect' },
      billed: true,
      documentedResponse: { status: 200, body: fixture('link-intersect-page.json') },
      emptyResponse: { status: 200, body: { results: [], next_token: '' } },
      assertRequest(request) {
        expect(request.headers['x-moz-token']).toBe(TOKEN);
        // The seed's example request, as sent.
        expect(request.body).toEqual({
          positive_targets: [
            { target: 'latimes.com', scope: 'root_domain' },
            { target: 'blog.nytimes.com', scope: 'subdomain' },
          ],
          negative_targets: [{ target: 'moz.com', scope: 'root_domain' }],
          source_scope: 'page',
          sort: 'source_domain_authority',
          limit: 1,
        });
      },
      assertMapped(result) {
        const mapped = result as IntersectResult;
        expect(mapped.results).toEqual([
          {
            source: 'www.google.com/amp/www.latimes.com/business/hollywood/la-fi-ct-espn-streaming-20170810-story,amp.html',
            source_domain: 'google.com',
            domain_authority: 100,
            spam_score: 15,
            matching_targets: ['latimes.com'],
          },
        ]);
        expect(mapped.next_token).toBe('Ao3225XIVYho');
        expect(mapped.cost).toEqual({ amount: 5, unit: 'rows', provider: 'moz' });
      },
      assertEmpty(result) {
        const mapped = result as IntersectResult;
        expect(mapped.results).toEqual([]);
        expect(mapped.next_token).toBeUndefined();
        expect(mapped.cost.amount).toBe(0);
      },
    },
    {
      capability: 'gap',
      call: (provider, context) => (provider.gap as NonNullable<Provider['gap']>)({ ...gapQuery, competitor_domains: ['latimes.com', 'nytimes.com'] }, context),
      intercept: { method: 'POST', path: '/v2/link_intersect' },
      billed: true,
      documentedResponse: { status: 200, body: fixture('link-intersect-root-domain.json') },
      emptyResponse: { status: 200, body: { results: [], next_token: '' } },
      assertRequest(request) {
        expect(request.headers['x-moz-token']).toBe(TOKEN);
        expect(request.body).toMatchObject({ negative_targets: [{ target: 'mysite.com', scope: 'root_domain' }], source_scope: 'root_domain' });
      },
      assertMapped(result) {
        const mapped = result as GapResult;
        expect(mapped.prospects.map((prospect) => [prospect.domain, prospect.competitors, prospect.authority, prospect.spam_score])).toEqual([
          ['latimes.com', ['latimes.com', 'nytimes.com'], 93, 1],
          ['plumbers-guild.org', ['nytimes.com'], 38, undefined],
        ]);
        expect(mapped.prospects[0]?.source_pages).toEqual(['latimes.com/business/story-one', 'latimes.com/local/story-two']);
        expect(mapped.total_prospects).toBe(2);
        expect(mapped.cost).toEqual({ amount: 10, unit: 'rows', provider: 'moz' });
      },
      assertEmpty(result) {
        const mapped = result as GapResult;
        expect(mapped.prospects).toEqual([]);
        expect(mapped.total_prospects).toBe(0);
      },
    },
  ],
});

describe('moz link_intersect', () => {
  let agent: MockAgent;
  let provider: Provider;
  beforeEach(() => {
    agent = new MockAgent();
    agent.disableNetConnect();
    provider = createMozProvider({ token: TOKEN, baseUrl: ORIGIN }, { logger: silent, dispatcher: agent, backoffBaseMs: 1 });
  });
  afterEach(async () => {
    await provider.close?.();
    await agent.close();
  });

  it('follows next_token across calls of at most 50 until the limit (120 → 3 calls) and hands back the last token', async () => {
    const seen = recorder(agent, (request, index) => {
      const limit = request.body.limit as number;
      return { status: 200, body: { results: rows(index * 50, limit), next_token: `token-${index + 1}` } };
    });
    const result = (await provider.intersect?.({ ...intersectQuery, limit: 120 }, {})) as IntersectResult;
    expect(seen.map((request) => [request.body.limit, request.body.next_token])).toEqual([
      [50, undefined],
      [50, 'token-1'],
      [20, 'token-2'],
    ]);
    expect(result.results).toHaveLength(120);
    expect(result.next_token).toBe('token-3');
    expect(result.cost).toEqual({ amount: 600, unit: 'rows', provider: 'moz' });
  });

  it('stops when Moz gives no token and reports the total it saw', async () => {
    recorder(agent, () => ({ status: 200, body: { results: rows(0, 7), next_token: '' } }));
    const result = (await provider.intersect?.({ ...intersectQuery, limit: 120 }, {})) as IntersectResult;
    expect(result.results).toHaveLength(7);
    expect(result.next_token).toBeUndefined();
    expect(result.total).toBe(7);
  });

  it('restarts once from the first page when its own continuation token expires, skipping rows already read', async () => {
    let expiredOnce = false;
    const seen = recorder(agent, (request) => {
      const token = request.body.next_token as string | undefined;
      if (token === undefined) return { status: 200, body: { results: rows(0, request.body.limit as number), next_token: 'token-1' } };
      if (token === 'token-1' && !expiredOnce) {
        expiredOnce = true;
        return { status: 410, body: { message: 'The next token has expired' } };
      }
      return { status: 200, body: { results: rows(50, request.body.limit as number), next_token: 'token-2' } };
    });
    const result = (await provider.intersect?.({ ...intersectQuery, limit: 60 }, {})) as IntersectResult;
    expect(seen.map((request) => [request.body.next_token, request.body.limit])).toEqual([
      [undefined, 50],
      ['token-1', 10],
      [undefined, 50],
      ['token-1', 10],
    ]);
    expect(result.results.map((row) => row.source)).toEqual([...rows(0, 50), ...rows(50, 10)].map((row) => row.page));
    expect(new Set(result.results.map((row) => row.source)).size).toBe(60);
  });

  it('reports each billed page through spend as it arrives: two pages then a 410 are two spends', async () => {
    const seen = recorder(agent, (request, index) => {
      if (index < 2) return { status: 200, body: { results: rows(index * 50, request.body.limit as number), next_token: `token-${index + 1}` } };
      return { status: 410, body: { message: 'The next token has expired' } };
    });
    const spent: Cost[] = [];
    const error = await provider
      .intersect?.({ ...intersectQuery, limit: 150, next_token: 'from-an-earlier-call' }, { spend: (cost) => spent.push(cost) })
      .catch((caught: unknown) => caught);
    expect((error as ProviderError).code).toBe('expired');
    expect((error as ProviderError).message).toContain('500 rows of quota spent and recorded');
    expect(seen).toHaveLength(3);
    expect(spent).toEqual([
      { amount: 250, unit: 'rows', provider: 'moz' },
      { amount: 250, unit: 'rows', provider: 'moz' },
    ]);
  });

  it('a restart after its own token expires is recorded and said: the rows read twice are paid twice', async () => {
    let expiredOnce = false;
    recorder(agent, (request) => {
      const token = request.body.next_token as string | undefined;
      if (token === undefined) return { status: 200, body: { results: rows(0, request.body.limit as number), next_token: 'token-1' } };
      if (!expiredOnce) {
        expiredOnce = true;
        return { status: 410, body: { message: 'The next token has expired' } };
      }
      return { status: 200, body: { results: rows(50, request.body.limit as number), next_token: '' } };
    });
    const spent: Cost[] = [];
    const result = (await provider.intersect?.({ ...intersectQuery, limit: 60 }, { spend: (cost) => spent.push(cost) })) as IntersectResult;
    expect(result.results).toHaveLength(60);
    // 50 + 50 (the first page again) + 10 rows, 5 rows of quota each.
    expect(spent.map((cost) => cost.amount)).toEqual([250, 250, 50]);
    expect(result.cost).toEqual({ amount: 550, unit: 'rows', provider: 'moz' });
    expect(result.notes?.join(' ')).toMatch(/50 rows were paid twice/);
  });

  it('stops with an error when a fresh next_token brings only rows already read (no progress)', async () => {
    const seen = recorder(agent, (_request, index) => ({ status: 200, body: { results: rows(0, 50), next_token: `fresh-${index}` } }));
    const spent: Cost[] = [];
    const error = await provider.intersect?.({ ...intersectQuery, limit: 500 }, { spend: (cost) => spent.push(cost) }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).code).toBe('invalid_response');
    expect((error as ProviderError).message).toMatch(/only rows already read/);
    expect(seen).toHaveLength(2);
    expect(spent).toHaveLength(2);
  });

  it('stops at the documented ceiling of 10 calls for one query, and says so', async () => {
    // One new row a page, always with a token: without the ceiling this pages for ever.
    const seen = recorder(agent, (_request, index) => ({ status: 200, body: { results: rows(index, 1), next_token: `token-${index + 1}` } }));
    const result = (await provider.intersect?.({ ...intersectQuery, limit: 500 }, {})) as IntersectResult;
    expect(seen).toHaveLength(10);
    expect(result.results).toHaveLength(10);
    expect(result.next_token).toBeUndefined();
    expect(result.notes?.join(' ')).toMatch(/at most 500 results \(10 calls of 50\)/);
  });

  it('does not repeat a page after a 502 or a 504, and counts it as possibly billed', async () => {
    for (const status of [502, 504]) {
      const seen = recorder(agent, () => ({ status, body: { message: 'bad gateway' } }));
      const spent: Cost[] = [];
      const error = await provider.intersect?.({ ...intersectQuery, limit: 20 }, { spend: (cost) => spent.push(cost) }).catch((caught: unknown) => caught);
      expect((error as ProviderError).code).toBe('upstream_unavailable');
      expect((error as ProviderError).message).toMatch(/may have reached .* billed/);
      expect(seen).toHaveLength(1);
      // At most the 20 rows asked for, 5 rows of quota each.
      expect(spent).toEqual([{ amount: 100, unit: 'rows', provider: 'moz' }]);
      await agent.close();
      agent = new MockAgent();
      agent.disableNetConnect();
      provider = createMozProvider({ token: TOKEN, baseUrl: ORIGIN }, { logger: silent, dispatcher: agent, backoffBaseMs: 1 });
    }
  });

  it('a 410 on the caller-supplied next_token is expired, telling to repeat without it', async () => {
    const seen = recorder(agent, () => ({ status: 410, body: { message: 'Gone' } }));
    const error = await provider.intersect?.({ ...intersectQuery, next_token: 'stale' }, {}).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).code).toBe('expired');
    expect((error as ProviderError).message).toContain('without next_token');
    expect(seen).toHaveLength(1);
  });

  it('more than 6 targets in all is refused before any request', async () => {
    const seen = recorder(agent, () => ({ status: 200, body: { results: [] } }));
    const positive = Array.from({ length: 6 }, (_, index) => ({ target: `t${index}.com`, scope: 'root_domain' as const }));
    const error = await provider.intersect?.({ ...intersectQuery, positive_targets: positive }, {}).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).code).toBe('invalid_input');
    expect(seen).toHaveLength(0);
  });

  it('maps root_domain rows: spam -1 is absent, matching pages align with the target indexes', async () => {
    recorder(agent, () => ({ status: 200, body: fixture('link-intersect-root-domain.json') }));
    const result = (await provider.intersect?.({ ...intersectQuery, source_scope: 'root_domain', limit: 10 }, {})) as IntersectResult;
    expect(result.results).toEqual([
      {
        source: 'latimes.com',
        source_domain: 'latimes.com',
        domain_authority: 93,
        spam_score: 1,
        matching_targets: ['latimes.com', 'blog.nytimes.com'],
        matching_source_pages: [
          { target: 'latimes.com', page: 'latimes.com/business/story-one', page_authority: 61 },
          { target: 'blog.nytimes.com', page: 'latimes.com/local/story-two', page_authority: 55 },
        ],
      },
      {
        source: 'plumbers-guild.org',
        source_domain: 'plumbers-guild.org',
        domain_authority: 38,
        matching_targets: ['blog.nytimes.com'],
        matching_source_pages: [{ target: 'blog.nytimes.com', page: 'plumbers-guild.org/members', page_authority: 30 }],
      },
    ]);
  });
});

describe('moz gap', () => {
  let agent: MockAgent;
  let provider: Provider;
  beforeEach(() => {
    agent = new MockAgent();
    agent.disableNetConnect();
    provider = createMozProvider({ token: TOKEN, baseUrl: ORIGIN }, { logger: silent, dispatcher: agent, backoffBaseMs: 1 });
  });
  afterEach(async () => {
    await provider.close?.();
    await agent.close();
  });

  it('sends competitors as positives and your domain as the negative, and maps prospects', async () => {
    const seen = recorder(agent, () => ({
      status: 200,
      body: {
        results: [
          {
            page: 'localnews.com',
            title: '',
            domain_authority: 71,
            spam_score: -1,
            matching_target_indexes: [0, 1],
            matching_source_pages: [
              { page: 'localnews.com/a', page_authority: 40 },
              { page: 'localnews.com/b', page_authority: 35 },
            ],
          },
        ],
        next_token: '',
      },
    }));
    const result = (await provider.gap?.({ ...gapQuery, min_competitors: 2 }, {})) as GapResult;
    expect(seen[0]?.body).toEqual({
      positive_targets: [
        { target: 'rival-one.com', scope: 'root_domain' },
        { target: 'rival-two.com', scope: 'root_domain' },
      ],
      negative_targets: [{ target: 'mysite.com', scope: 'root_domain' }],
      min_matching_targets: 2,
      source_scope: 'root_domain',
      sort: 'matching_target_count',
      limit: 50,
    });
    expect(result.prospects).toEqual([
      {
        domain: 'localnews.com',
        authority: 71,
        competitors: ['rival-one.com', 'rival-two.com'],
        source_pages: ['localnews.com/a', 'localnews.com/b'],
        by_competitor: {
          'rival-one.com': { page: { url: 'http://localnews.com/a' } },
          'rival-two.com': { page: { url: 'http://localnews.com/b' } },
        },
        provider_metrics: { moz: { authority: 71, authority_raw: 71, authority_scale: 'domain_authority 1-100' } },
        found_by: ['moz'],
      },
    ]);
    expect(result.total_prospects).toBe(1);
    expect(result.cost).toEqual({ amount: 5, unit: 'rows', provider: 'moz' });
  });

  it('refuses more than 5 competitors, naming the limit and what to do instead', async () => {
    const competitors = ['a1.com', 'a2.com', 'a3.com', 'a4.com', 'a5.com', 'a6.com'];
    const error = await provider.gap?.({ ...gapQuery, competitor_domains: competitors }, {}).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).code).toBe('invalid_input');
    expect((error as UsageError).message).toContain('at most 5');
    expect((error as UsageError).message).toMatch(/another provider/);
  });
});

describe('moz auth and errors', () => {
  it('uses Basic access_id:secret_key when no token is set', async () => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    const provider = createMozProvider({ accessId: ACCESS_ID, secretKey: SECRET_KEY, baseUrl: ORIGIN }, { logger: silent, dispatcher: agent, backoffBaseMs: 1 });
    const seen = recorder(agent, () => ({ status: 200, body: { results: [] } }));
    await provider.intersect?.(intersectQuery, {});
    expect(seen[0]?.headers.authorization).toBe(`Basic ${Buffer.from(`${ACCESS_ID}:${SECRET_KEY}`).toString('base64')}`);
    expect(seen[0]?.headers['x-moz-token']).toBeUndefined();
    expect(provider.describe().configured).toBe(true);
    await agent.close();
  });

  it('maps 401 to auth_failed naming the variables, and a quota 403 to no_credits, without retrying', async () => {
    for (const [status, body, code] of [
      [401, { message: 'invalid token' }, 'auth_failed'],
      [403, { message: 'Monthly row quota exceeded' }, 'no_credits'],
    ] as const) {
      const agent = new MockAgent();
      agent.disableNetConnect();
      const provider = createMozProvider({ token: TOKEN, baseUrl: ORIGIN }, { logger: silent, dispatcher: agent, backoffBaseMs: 1 });
      const seen = recorder(agent, () => ({ status, body }));
      const error = await provider.intersect?.(intersectQuery, {}).catch((caught: unknown) => caught);
      expect((error as ProviderError).code).toBe(code);
      if (status === 401) expect((error as ProviderError).message).toContain('MOZ_API_TOKEN');
      expect((error as ProviderError).message).not.toContain(TOKEN);
      expect(seen).toHaveLength(1);
      await agent.close();
    }
  });

  it('estimates 5 rows per requested row, capped at the 500 Moz returns', () => {
    const provider = createMozProvider({ token: TOKEN, baseUrl: ORIGIN }, { logger: silent });
    expect(provider.estimate({ kind: 'intersect', query: { ...intersectQuery, limit: 120 } })).toEqual({ amount: 600, unit: 'rows', provider: 'moz', up_to: true });
    expect(provider.estimate({ kind: 'gap', query: { ...gapQuery, limit: 1000 } }).amount).toBe(2500);
    expect(provider.describe()).toMatchObject({ unit: 'rows', pricing: 'link_intersect: 5 rows per returned row' });
  });
});
