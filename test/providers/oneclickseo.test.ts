// OneClickSEO adapter: the shared contract, then the run lifecycle (create → poll → read) and prospect reads.

import { readFileSync } from 'node:fs';
import { MockAgent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GapQuery, GapResult, ProspectsPage } from '../../src/domain.js';
import { ProviderError, UsageError } from '../../src/errors.js';
import type { Logger } from '../../src/log.js';
import { createOneClickSeoProvider, estimateRunCredits } from '../../src/providers/oneclickseo.js';
import type { Provider } from '../../src/providers/provider.js';
import { type CapturedRequest, captureRequest, runProviderContract } from './contract.js';

const ORIGIN = 'https://api.oneclickseo.ai';
const BASE_URL = `${ORIGIN}/v1`;
const API_KEY = 'ocs_live_SECRETKEY_7f3a9c';
const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`../fixtures/oneclickseo/${name}`, import.meta.url), 'utf8'));

type Seen = CapturedRequest;

/** Route every request through one recorder; `answer` decides each reply in order of arrival. */
function recorder(agent: MockAgent, answer: (request: Seen) => { status: number; body: unknown }) {
  const seen: Seen[] = [];
  agent
    .get(ORIGIN)
    .intercept({ path: () => true, method: () => true })
    .reply((options) => {
      const request = captureRequest(ORIGIN, options as { path: string; method: string; headers?: unknown; body?: unknown });
      seen.push(request);
      const reply = answer(request);
      return { statusCode: reply.status, data: JSON.stringify(reply.body), responseOptions: { headers: { 'content-type': 'application/json' } } };
    })
    .persist();
  return seen;
}

const query: GapQuery = { your_domain: 'mysite.com', competitor_domains: ['a.com', 'b.com'], limit: 100, min_competitors: 1 };

function prospectRow(index: number, competitors: string[]) {
  return {
    domain: `site${index}.com`,
    domain_rating: 90 - (index % 80),
    backlinks: 1000 + index,
    referring_domains: 100 + index,
    competitor_overlap: competitors.length,
    competitors,
    dofollow: index % 2 === 0,
    spam_score: index % 10,
  };
}

runProviderContract({
  name: 'oneclickseo',
  secrets: [API_KEY],
  origin: ORIGIN,
  create: (dispatcher, logger) => createOneClickSeoProvider({ apiKey: API_KEY, baseUrl: BASE_URL }, { logger, dispatcher, backoffBaseMs: 1, firstPollMs: 1 }),
  cases: [
    {
      capability: 'prospects',
      call: (provider, context) =>
        (provider.prospects as NonNullable<Provider['prospects']>)(
          { run_id: 'gap_1', provider_run_id: 'run_4d2a90', sort: 'score', order: 'desc', page: 1, per_page: 50, min_authority: 40, dofollow: true },
          context,
        ),
      intercept: { method: 'GET', path: (path: string) => path.startsWith('/v1/backlinks/gap/run_4d2a90/prospects') },
      documentedResponse: { status: 200, body: fixture('prospects.json') },
      emptyResponse: { status: 200, body: { data: [], meta: { page: 1, per_page: 50, total: 0, total_pages: 0 } } },
      assertRequest(request) {
        expect(request.headers.authorization).toBe(`Bearer ${API_KEY}`);
        expect(request.query.get('min_authority')).toBe('40');
        expect(request.query.get('dofollow')).toBe('true');
      },
      assertMapped(result) {
        const page = result as ProspectsPage;
        expect(page.data).toEqual([
          {
            domain: 'marketingblog.com',
            authority: 72,
            competitors: ['a.com', 'b.com'],
            referring_domains: 940,
            dofollow: true,
            spam_score: 3,
            provider_metrics: {
              oneclickseo: {
                authority: 72,
                authority_raw: 72,
                authority_scale: 'domain_rating 0-100',
                spam_score: 3,
                backlinks: 18400,
                referring_domains: 940,
                dofollow: true,
              },
            },
            found_by: ['oneclickseo'],
          },
        ]);
        expect(page.meta).toEqual({ page: 1, per_page: 50, total: 184, total_pages: 4 });
        expect(page.cost).toEqual({ amount: 0, unit: 'credits', provider: 'oneclickseo' });
      },
      assertEmpty(result) {
        const page = result as ProspectsPage;
        expect(page.data).toEqual([]);
        expect(page.meta.total).toBe(0);
      },
    },
  ],
});

function silent(lines: string[] = []): Logger {
  const write = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    lines.push(`${level} ${message} ${fields ? JSON.stringify(fields) : ''}`);
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

describe('oneclickseo gap run', () => {
  let agent: MockAgent;
  let lines: string[];
  let provider: Provider;

  beforeEach(() => {
    agent = new MockAgent();
    agent.disableNetConnect();
    lines = [];
    provider = createOneClickSeoProvider(
      { apiKey: API_KEY, baseUrl: BASE_URL },
      { logger: silent(lines), dispatcher: agent, backoffBaseMs: 1, firstPollMs: 5 },
    );
  });
  afterEach(async () => {
    await provider.close?.();
    await agent.close();
  });

  it('creates one run, polls until completed, then reads every page of prospects by score', async () => {
    const polls = ['running', 'running', 'completed'];
    const rows = Array.from({ length: 150 }, (_, index) => prospectRow(index, index % 3 === 0 ? ['b.com', 'a.com'] : ['a.com']));
    const seen = recorder(agent, (request) => {
      if (request.method === 'POST') return { status: 202, body: fixture('run-created.json') };
      if (request.path === '/v1/backlinks/gap/run_4d2a90') {
        const status = polls.shift() ?? 'completed';
        return { status: 200, body: { data: { id: 'run_4d2a90', status, prospect_count: 150 }, meta: {} } };
      }
      const page = Number(request.query.get('page'));
      const data = rows.slice((page - 1) * 100, page * 100);
      return { status: 200, body: { data, meta: { page, per_page: 100, total: 150, total_pages: 2 } } };
    });
    const progress: string[] = [];
    const result = (await provider.gap?.({ ...query, limit: 120 }, { progress: (_done, _total, message) => progress.push(message ?? '') })) as GapResult;

    const posts = seen.filter((request) => request.method === 'POST');
    expect(posts).toHaveLength(1);
    expect(posts[0]?.path).toBe('/v1/backlinks/gap');
    expect(posts[0]?.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(posts[0]?.body).toEqual({ domain: 'mysite.com', competitors: ['a.com', 'b.com'], mode: 'union', limit: 120 });
    expect(seen.filter((request) => request.path === '/v1/backlinks/gap/run_4d2a90')).toHaveLength(3);
    const reads = seen.filter((request) => request.path.endsWith('/prospects'));
    expect(reads.map((request) => Object.fromEntries(request.query))).toEqual([
      { sort: 'score', order: 'desc', page: '1', per_page: '100' },
      { sort: 'score', order: 'desc', page: '2', per_page: '100' },
    ]);
    expect(result.status).toBe('complete');
    expect(result.provider_run_id).toBe('run_4d2a90');
    expect(result.cost).toEqual({ amount: 7, unit: 'credits', provider: 'oneclickseo' });
    expect(result.prospects).toHaveLength(120);
    expect(result.total_prospects).toBe(150);
    // Competitors come back in the order they were given, whatever order the provider used.
    expect(result.prospects[0]?.competitors).toEqual(['a.com', 'b.com']);
    expect(result.prospects[0]?.found_by).toEqual(['oneclickseo']);
    expect(progress.some((message) => message.includes('run_4d2a90'))).toBe(true);
  });

  it('asks for intersect mode when every competitor must match, clamps the limit to 10 and slices after', async () => {
    const seen = recorder(agent, (request) => {
      if (request.method === 'POST') return { status: 202, body: fixture('run-created.json') };
      if (request.path === '/v1/backlinks/gap/run_4d2a90') return { status: 200, body: fixture('run-completed.json') };
      const data = Array.from({ length: 10 }, (_, index) => prospectRow(index, ['a.com', 'b.com']));
      return { status: 200, body: { data, meta: { page: 1, per_page: 100, total: 10, total_pages: 1 } } };
    });
    const result = (await provider.gap?.({ ...query, limit: 3, min_competitors: 2 }, {})) as GapResult;
    expect(seen[0]?.body).toEqual({ domain: 'mysite.com', competitors: ['a.com', 'b.com'], mode: 'intersect', limit: 10 });
    expect(result.prospects.map((prospect) => prospect.domain)).toEqual(['site0.com', 'site1.com', 'site2.com']);
  });

  it('applies min_competitors to competitor_overlap on a union run', async () => {
    recorder(agent, (request) => {
      if (request.method === 'POST') return { status: 202, body: fixture('run-created.json') };
      if (request.path === '/v1/backlinks/gap/run_4d2a90') return { status: 200, body: fixture('run-completed.json') };
      const data = [prospectRow(0, ['a.com', 'b.com']), prospectRow(1, ['a.com']), prospectRow(2, ['b.com', 'c.com'])];
      return { status: 200, body: { data, meta: { page: 1, per_page: 100, total: 3, total_pages: 1 } } };
    });
    const result = (await provider.gap?.({ ...query, competitor_domains: ['a.com', 'b.com', 'c.com'], min_competitors: 2 }, {})) as GapResult;
    expect(result.prospects.map((prospect) => [prospect.domain, prospect.competitors])).toEqual([
      ['site0.com', ['a.com', 'b.com']],
      ['site2.com', ['b.com', 'c.com']],
    ]);
    expect(result.total_prospects).toBe(2);
  });

  it('returns pending with the run id at the deadline, and a resumed call polls that run without a second POST', async () => {
    let completed = false;
    const seen = recorder(agent, (request) => {
      if (request.method === 'POST') return { status: 202, body: fixture('run-created.json') };
      if (request.path === '/v1/backlinks/gap/run_4d2a90') {
        return { status: 200, body: completed ? fixture('run-completed.json') : fixture('run-running.json') };
      }
      return { status: 200, body: fixture('prospects.json') };
    });
    const pending = (await provider.gap?.(query, { deadline: Date.now() + 150 })) as GapResult;
    expect(pending).toEqual({
      status: 'pending',
      provider_run_id: 'run_4d2a90',
      prospects: [],
      total_prospects: 0,
      cost: { amount: 7, unit: 'credits', provider: 'oneclickseo' },
    });
    expect(seen.filter((request) => request.method === 'POST')).toHaveLength(1);

    completed = true;
    const resumed = (await provider.gap?.({ ...query, resume_provider_run_id: 'run_4d2a90' }, {})) as GapResult;
    expect(seen.filter((request) => request.method === 'POST')).toHaveLength(1);
    expect(resumed.status).toBe('complete');
    expect(resumed.prospects.map((prospect) => prospect.domain)).toEqual(['marketingblog.com']);
    // Already paid for by the first call.
    expect(resumed.cost.amount).toBe(0);
    expect(provider.estimate({ kind: 'gap', query: { ...query, resume_provider_run_id: 'run_4d2a90' } }).amount).toBe(0);
  });

  it('names the run id when the run ends in a status other than running or completed', async () => {
    recorder(agent, (request) => {
      if (request.method === 'POST') return { status: 202, body: fixture('run-created.json') };
      return { status: 200, body: { data: { id: 'run_4d2a90', status: 'failed' } } };
    });
    const error = await provider.gap?.(query, {}).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).code).toBe('upstream_unavailable');
    expect((error as ProviderError).message).toContain('run_4d2a90');
    expect((error as ProviderError).message).toContain('failed');
  });

  it('never repeats the billable POST after a server error, and says the run may exist', async () => {
    const seen = recorder(agent, () => ({ status: 502, body: { error: 'bad gateway' } }));
    const error = await provider.gap?.(query, {}).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).code).toBe('upstream_unavailable');
    expect((error as ProviderError).message).toContain('dashboard');
    expect(seen.filter((request) => request.method === 'POST')).toHaveLength(1);
  });

  it('records the charge when the run is created, so a run that then fails has reported its spend', async () => {
    recorder(agent, (request) => {
      if (request.method === 'POST') return { status: 202, body: fixture('run-created.json') };
      return { status: 200, body: { data: { id: 'run_4d2a90', status: 'failed' } } };
    });
    const spent: number[] = [];
    const error = await provider.gap?.(query, { spend: (cost) => spent.push(cost.amount) }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    expect(spent).toEqual([7]);
  });

  it('counts a create that may have landed (a 502) at the estimate, once; a resumed run spends nothing', async () => {
    recorder(agent, (request) => {
      if (request.method === 'POST') return { status: 502, body: { error: 'bad gateway' } };
      if (request.path === '/v1/backlinks/gap/run_4d2a90') return { status: 200, body: fixture('run-completed.json') };
      return { status: 200, body: fixture('prospects.json') };
    });
    const spent: number[] = [];
    await provider.gap?.(query, { spend: (cost) => spent.push(cost.amount) }).catch(() => undefined);
    expect(spent).toEqual([estimateRunCredits(2, 100)]);
    await provider.gap?.({ ...query, resume_provider_run_id: 'run_4d2a90' }, { spend: (cost) => spent.push(cost.amount) });
    expect(spent).toEqual([estimateRunCredits(2, 100)]);
  });

  it('counts a create answered with a 500 at the estimate too: the run may exist', async () => {
    const seen = recorder(agent, () => ({ status: 500, body: { error: 'internal' } }));
    const spent: number[] = [];
    const error = await provider.gap?.(query, { spend: (cost) => spent.push(cost.amount) }).catch((caught: unknown) => caught);
    expect((error as ProviderError).message).toContain('may have been created and charged');
    expect(spent).toEqual([estimateRunCredits(2, 100)]);
    expect(seen.filter((request) => request.method === 'POST')).toHaveLength(1);
  });

  it.each([
    ['an error body', { error: { message: 'internal' } }],
    ['no meta', { data: [] }],
    ['no data', { meta: { page: 1, per_page: 100, total: 0, total_pages: 0 } }],
  ])('answers a 200 prospect page with %s as invalid_response, never an empty run', async (_what, body) => {
    recorder(agent, (request) => {
      if (request.method === 'POST') return { status: 202, body: fixture('run-created.json') };
      if (request.path === '/v1/backlinks/gap/run_4d2a90') return { status: 200, body: fixture('run-completed.json') };
      return { status: 200, body };
    });
    const error = await provider.gap?.(query, {}).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).code).toBe('invalid_response');
  });

  it('maps 401, 403, 402 and 429 with what to do next, reading the message leniently', async () => {
    const statuses = [401, 403, 402, 429];
    for (const status of statuses) {
      const local = new MockAgent();
      local.disableNetConnect();
      local
        .get(ORIGIN)
        .intercept({ path: '/v1/backlinks/gap/run_4d2a90/prospects?sort=score&order=desc&page=1&per_page=50', method: 'GET' })
        .reply(status, JSON.stringify({ error: { message: `upstream says ${status}` } }), { headers: { 'content-type': 'application/json' } })
        .persist();
      const client = createOneClickSeoProvider({ apiKey: API_KEY, baseUrl: BASE_URL }, { logger: silent(), dispatcher: local, backoffBaseMs: 1 });
      const error = await client
        .prospects?.({ run_id: 'r', provider_run_id: 'run_4d2a90', sort: 'score', order: 'desc', page: 1, per_page: 50 }, {})
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ProviderError);
      const expected = { 401: 'auth_failed', 403: 'auth_failed', 402: 'no_credits', 429: 'rate_limited' }[status];
      expect((error as ProviderError).code).toBe(expected);
      if (status === 401 || status === 403) {
        expect((error as ProviderError).message).toContain('ONECLICKSEO_API_KEY');
        expect((error as ProviderError).message).toContain(`upstream says ${status}`);
      }
      expect((error as ProviderError).message).not.toContain(API_KEY);
      await client.close?.();
      await local.close();
    }
  });
});

describe('oneclickseo prospects', () => {
  let agent: MockAgent;
  let provider: Provider;
  beforeEach(() => {
    agent = new MockAgent();
    agent.disableNetConnect();
    provider = createOneClickSeoProvider({ apiKey: API_KEY, baseUrl: BASE_URL }, { logger: silent(), dispatcher: agent, backoffBaseMs: 1 });
  });
  afterEach(async () => {
    await provider.close?.();
    await agent.close();
  });

  it('passes every filter through as query parameters and caps per_page at 100', async () => {
    const seen = recorder(agent, () => ({ status: 200, body: fixture('prospects.json') }));
    await provider.prospects?.(
      {
        run_id: 'gap_1',
        provider_run_id: 'run_4d2a90',
        min_authority: 40,
        max_spam: 10,
        dofollow: false,
        competitor: 'a.com',
        q: 'blog',
        sort: 'referring_domains',
        order: 'asc',
        page: 3,
        per_page: 250,
      },
      {},
    );
    expect(seen[0]?.method).toBe('GET');
    expect(seen[0]?.path).toBe('/v1/backlinks/gap/run_4d2a90/prospects');
    expect(Object.fromEntries(seen[0]?.query ?? [])).toEqual({
      min_authority: '40',
      max_spam: '10',
      dofollow: 'false',
      competitor: 'a.com',
      q: 'blog',
      sort: 'referring_domains',
      order: 'asc',
      page: '3',
      per_page: '100',
    });
  });

  it('keeps blogs on one hosting platform apart, wordpress.com as blogspot.com', async () => {
    const row = (domain: string) => ({ ...prospectRow(1, ['a.com']), domain });
    recorder(agent, () => ({
      status: 200,
      body: { data: ['joe.wordpress.com', 'ann.wordpress.com', 'joe.blogspot.com', 'https://www.ann.blogspot.com/'].map(row), meta: { page: 1, per_page: 50, total: 4, total_pages: 1 } },
    }));
    const page = await provider.prospects?.({ run_id: 'g', provider_run_id: 'run_4d2a90', sort: 'score', order: 'desc', page: 1, per_page: 50 }, {});
    expect(page?.data.map((prospect) => prospect.domain)).toEqual(['joe.wordpress.com', 'ann.wordpress.com', 'joe.blogspot.com', 'ann.blogspot.com']);
  });

  it('reads our overlap sort by score, which the provider knows', async () => {
    const seen = recorder(agent, () => ({ status: 200, body: fixture('prospects.json') }));
    await provider.prospects?.({ run_id: 'g', provider_run_id: 'run_4d2a90', sort: 'overlap', order: 'desc', page: 1, per_page: 20 }, {});
    expect(seen[0]?.query.get('sort')).toBe('score');
  });

  it('refuses a run id that could escape the path, before any request', async () => {
    const seen = recorder(agent, () => ({ status: 200, body: fixture('prospects.json') }));
    const error = await provider
      .prospects?.({ run_id: 'g', provider_run_id: '../../account', sort: 'score', order: 'desc', page: 1, per_page: 20 }, {})
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    expect(seen).toHaveLength(0);
  });

  it('a malformed prospect list is one invalid_response error', async () => {
    recorder(agent, () => ({ status: 200, body: { data: [{ domain_rating: 'high' }] } }));
    const error = await provider
      .prospects?.({ run_id: 'g', provider_run_id: 'run_4d2a90', sort: 'score', order: 'desc', page: 1, per_page: 20 }, {})
      .catch((caught: unknown) => caught);
    expect((error as ProviderError).code).toBe('invalid_response');
  });
});

describe('oneclickseo describe and estimate', () => {
  it('reports credits, pricing and configuration without a secret', () => {
    const provider = createOneClickSeoProvider({ apiKey: API_KEY, baseUrl: BASE_URL }, { logger: silent() });
    const description = provider.describe();
    expect(description).toMatchObject({ name: 'oneclickseo', unit: 'credits', configured: true, capabilities: ['gap', 'prospects'] });
    expect(JSON.stringify(description)).not.toContain(API_KEY);
    expect(provider.estimate({ kind: 'gap', query })).toEqual({ amount: 7, unit: 'credits', provider: 'oneclickseo' });
    expect(estimateRunCredits(2, 500)).toBe(35);
  });

  it('an unconfigured provider says which variable to set', async () => {
    const provider = createOneClickSeoProvider({ baseUrl: BASE_URL }, { logger: silent() });
    expect(provider.describe().configured).toBe(false);
    const error = await provider.gap?.(query, {}).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toContain('ONECLICKSEO_API_KEY');
  });
});
