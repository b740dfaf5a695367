// DataForSEO adapter: the shared contract, then status codes inside a 200, filters, cursors,
// one domain_intersection call per competitor, intersect and balance.

import { readFileSync } from 'node:fs';
import { MockAgent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BacklinksQuery, BacklinksResult, Cost, GapQuery, GapResult, IntersectQuery, IntersectResult } from '../../src/domain.js';
import { ProviderError, UsageError } from '../../src/errors.js';
import type { Logger } from '../../src/log.js';
import { createDataForSeoProvider } from '../../src/providers/dataforseo.js';
import type { Provider } from '../../src/providers/provider.js';
import { type CapturedRequest, captureRequest, runProviderContract } from './contract.js';

const ORIGIN = 'https://api.dataforseo.com';
const LOGIN = 'dfs-LOGIN-a81c@example.com';
const PASSWORD = 'dfs-PASSWORD-3e9b27';
const BASIC = `Basic ${Buffer.from(`${LOGIN}:${PASSWORD}`).toString('base64')}`;
const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../fixtures/dataforseo/${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;
const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

type Seen = CapturedRequest;

function recorder(agent: MockAgent, answer: (request: Seen, index: number) => { status: number; body: unknown }) {
  const seen: Seen[] = [];
  agent
    .get(ORIGIN)
    .intercept({ path: () => true, method: () => true })
    .reply((options) => {
      const request = captureRequest(ORIGIN, options as { path: string; method: string; headers?: unknown; body?: unknown });
      seen.push(request);
      const reply = answer(request, seen.length - 1);
      return { statusCode: reply.status, data: JSON.stringify(reply.body), responseOptions: { headers: { 'content-type': 'application/json' } } };
    })
    .persist();
  return seen;
}

/** The task of a recorded request: DataForSEO bodies are an array of exactly one task. */
function taskOf(request: Seen | undefined): Record<string, unknown> {
  const body = request?.body;
  if (!Array.isArray(body)) throw new Error(`expected a JSON array body, got ${JSON.stringify(body)}`);
  expect(body).toHaveLength(1);
  return body[0] as Record<string, unknown>;
}

/** An envelope around one task result (or a task-level failure). */
function envelope(result: unknown, options: { taskCode?: number; message?: string; cost?: number; rankScale?: string } = {}) {
  const code = options.taskCode ?? 20000;
  const failed = Math.floor(code / 100) !== 200;
  return {
    version: '0.1.20240801',
    status_code: 20000,
    status_message: 'Ok.',
    time: '0.1 sec.',
    cost: failed ? 0 : (options.cost ?? 0.02),
    tasks_count: 1,
    tasks_error: failed ? 1 : 0,
    tasks: [
      {
        id: '08011234-0000-0000-0000-000000000001',
        status_code: code,
        status_message: options.message ?? (failed ? 'Failed.' : 'Ok.'),
        cost: failed ? 0 : (options.cost ?? 0.02),
        data: { api: 'backlinks', rank_scale: options.rankScale ?? 'one_hundred' },
        result: failed ? null : [result],
      },
    ],
  };
}

function intersectionItem(referrer: string, rank: number, backlinks: number, dofollow = true) {
  return {
    domain_intersection: {
      '1': {
        type: 'backlinks_domain_intersection',
        target: referrer,
        rank,
        backlinks,
        backlinks_spam_score: 5,
        referring_domains: 1,
        referring_pages: backlinks,
        referring_pages_nofollow: dofollow ? 0 : backlinks,
      },
    },
    summary: { intersections_count: 1 },
  };
}

const backlinksQuery: BacklinksQuery = { target: 'forbes.com', target_kind: 'domain', mode: 'as_is', limit: 5 };
const gapQuery: GapQuery = { your_domain: 'mysite.com', competitor_domains: ['competitor-one.com'], limit: 100, min_competitors: 1 };

runProviderContract({
  name: 'dataforseo',
  secrets: [LOGIN, PASSWORD],
  origin: ORIGIN,
  create: (dispatcher, logger) => createDataForSeoProvider({ login: LOGIN, password: PASSWORD, baseUrl: ORIGIN }, { logger, dispatcher, backoffBaseMs: 1 }),
  errorBody: (status) => ({ status_code: status * 100, status_message: `HTTP ${status} from DataForSEO`, tasks: null }),
  cases: [
    {
      capability: 'backlinks',
      call: (provider, context) => (provider.backlinks as NonNullable<Provider['backlinks']>)({ ...backlinksQuery, anchor: 'forbes' }, context),
      intercept: { method: 'POST', path: '/v3/backlinks/backlinks/live' },
      billed: true,
      documentedResponse: { status: 200, body: fixture('backlinks-live.json') },
      emptyResponse: { status: 200, body: envelope({ target: 'forbes.com', total_count: 0, items_count: 0, items: null }) },
      assertRequest(request) {
        expect(request.headers.authorization).toBe(BASIC);
        expect(request.body).toEqual([
          {
            target: 'forbes.com',
            mode: 'as_is',
            limit: 5,
            filters: ['anchor', 'like', '%forbes%'],
            order_by: ['domain_from_rank,desc'],
            rank_scale: 'one_hundred',
          },
        ]);
      },
      assertMapped(result) {
        const mapped = result as BacklinksResult;
        expect(mapped.backlinks).toHaveLength(5);
        // The seed's echo carries no rank_scale, so its ranks are 0-1000 and are converted to 0-100.
        expect(mapped.backlinks[0]).toEqual({
          source_url: 'https://tagalife.org/relevant-material/',
          source_domain: 'tagalife.org',
          target_url: 'https://www.forbes.com/sites/example/2022/01/27/story/',
          anchor: 'Forbes',
          dofollow: true,
          authority: 4,
          spam_score: 0,
          title: 'Relevant Material | Tag a Life International',
          first_seen: '2022-01-27 20:18:57 +00:00',
          last_seen: '2023-01-21 03:25:46 +00:00',
        });
        expect(mapped.backlinks.map((link) => link.authority)).toEqual([4, 4, 7, 36, 44]);
        expect(mapped.backlinks[3]?.dofollow).toBe(false);
        expect(mapped.backlinks[3]?.source_domain).toBe('zimbuzz.com');
        expect(mapped.total).toBe(993857);
        expect(mapped.next_cursor).toEqual(expect.any(String));
        expect(mapped.cost).toEqual({ amount: 0.02015, unit: 'usd', provider: 'dataforseo' });
      },
      assertEmpty(result) {
        const mapped = result as BacklinksResult;
        expect(mapped.backlinks).toEqual([]);
        expect(mapped.total).toBe(0);
        expect(mapped.next_cursor).toBeUndefined();
      },
    },
    {
      capability: 'gap',
      call: (provider, context) => (provider.gap as NonNullable<Provider['gap']>)(gapQuery, context),
      intercept: { method: 'POST', path: '/v3/backlinks/domain_intersection/live' },
      billed: true,
      documentedResponse: { status: 200, body: fixture('domain-intersection-live.json') },
      emptyResponse: { status: 200, body: envelope({ targets: { '1': 'competitor-one.com' }, total_count: 0, items_count: 0, items: null }) },
      assertRequest(request) {
        expect(request.headers.authorization).toBe(BASIC);
        expect(request.body).toEqual([
          {
            targets: { '1': 'competitor-one.com' },
            exclude_targets: ['mysite.com'],
            limit: 100,
            order_by: ['1.rank,desc'],
            rank_scale: 'one_hundred',
          },
        ]);
      },
      assertMapped(result) {
        const mapped = result as GapResult;
        expect(mapped.prospects.map((prospect) => prospect.domain)).toEqual(['example-press.com', 'plumbingdirectory.org', 'localchamber.org']);
        // The contract answers domain_intersection only: the bulk_ranks call finds no answer, so the
        // referrer's own authority is unknown (never the per-target rank 61), and a note says why.
        expect(mapped.prospects[0]).toEqual({
          domain: 'example-press.com',
          competitors: ['competitor-one.com'],
          backlinks: 14,
          dofollow_links: 14,
          dofollow: true,
          spam_score: 2,
          by_competitor: { 'competitor-one.com': { links: 14, dofollow_links: 14 } },
          provider_metrics: {
            dataforseo: {
              authority_scale: 'rank 0-100 (bulk_ranks, rank_scale one_hundred)',
              spam_score: 2,
              backlinks: 14,
              referring_domains: 1,
              dofollow: true,
            },
          },
          found_by: ['dataforseo'],
        });
        expect(mapped.notes?.join(' ')).toMatch(/bulk_ranks failed, so authority is unknown/);
        expect(mapped.prospects[1]?.by_competitor).toEqual({ 'competitor-one.com': { links: 3, dofollow_links: 0 } });
        expect(mapped.prospects[2]?.dofollow_links).toBe(1);
        // Every page linking is nofollow: not a dofollow prospect.
        expect(mapped.prospects[1]?.dofollow).toBe(false);
        expect(mapped.total_prospects).toBe(3);
        expect(mapped.cost).toEqual({ amount: 0.02009, unit: 'usd', provider: 'dataforseo' });
      },
      assertEmpty(result) {
        const mapped = result as GapResult;
        expect(mapped.prospects).toEqual([]);
        expect(mapped.total_prospects).toBe(0);
      },
    },
  ],
});

describe('dataforseo status codes inside a 200', () => {
  let agent: MockAgent;
  let provider: Provider;
  beforeEach(() => {
    agent = new MockAgent();
    agent.disableNetConnect();
    provider = createDataForSeoProvider({ login: LOGIN, password: PASSWORD, baseUrl: ORIGIN }, { logger: silent, dispatcher: agent, backoffBaseMs: 1 });
  });
  afterEach(async () => {
    await provider.close?.();
    await agent.close();
  });

  const cases = [
    { code: 40100, message: 'You are not authorized to access this resource.', expected: 'auth_failed', hint: 'DATAFORSEO_LOGIN', calls: 1 },
    { code: 40200, message: 'Your balance is depleted.', expected: 'no_credits', hint: 'top it up', calls: 1 },
    { code: 40203, message: 'Daily cost limit exceeded.', expected: 'no_credits', hint: 'midnight UTC', calls: 1 },
    { code: 40204, message: 'Access denied. Activate Backlinks API subscription.', expected: 'no_credits', hint: 'subscription', calls: 1 },
    { code: 40202, message: 'Rate limit per minute exceeded.', expected: 'rate_limited', hint: 'retry', calls: 2 },
    { code: 40501, message: "Invalid Field: 'filters'.", expected: 'bad_request', hint: "Invalid Field: 'filters'.", calls: 1 },
    { code: 50000, message: 'Internal Error.', expected: 'upstream_unavailable', hint: 'retry', calls: 1 },
    { code: 50401, message: 'Timeout exceeded.', expected: 'timeout', hint: 'fewer rows', calls: 1 },
  ] as const;

  for (const { code, message, expected, hint, calls } of cases) {
    it(`task status ${code} → ${expected}`, async () => {
      const seen = recorder(agent, () => ({ status: 200, body: envelope(null, { taskCode: code, message }) }));
      const error = await provider.backlinks?.(backlinksQuery, {}).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ProviderError);
      expect((error as ProviderError).code).toBe(expected);
      expect((error as ProviderError).message).toContain(String(code));
      expect((error as ProviderError).message).toContain(hint);
      expect((error as ProviderError).message).not.toContain(PASSWORD);
      // Only a rate limit is tried once more, by the adapter (the HTTP layer sees a 200).
      expect(seen).toHaveLength(calls);
    });
  }

  it('a rate limit that clears on the adapter retry returns the data', async () => {
    const seen = recorder(agent, (_request, index) =>
      index === 0
        ? { status: 200, body: envelope(null, { taskCode: 40202, message: 'Rate limit per minute exceeded.' }) }
        : { status: 200, body: envelope({ total_count: 0, items: [] }) },
    );
    const result = (await provider.backlinks?.(backlinksQuery, {})) as BacklinksResult;
    expect(result.backlinks).toEqual([]);
    expect(seen).toHaveLength(2);
  });

  it('a task reported done with no result is invalid_response, not an empty answer', async () => {
    for (const result of [null, []]) {
      const body = envelope({});
      (body.tasks[0] as { result: unknown }).result = result;
      const agent = new MockAgent();
      agent.disableNetConnect();
      const provider = createDataForSeoProvider({ login: LOGIN, password: PASSWORD, baseUrl: ORIGIN }, { logger: silent, dispatcher: agent, backoffBaseMs: 1 });
      recorder(agent, () => ({ status: 200, body }));
      const error = await provider.backlinks?.(backlinksQuery, {}).catch((caught: unknown) => caught);
      expect((error as ProviderError).code).toBe('invalid_response');
      await agent.close();
    }
  });

  it('an envelope-level failure with no tasks is mapped too', async () => {
    recorder(agent, () => ({ status: 200, body: { status_code: 40100, status_message: 'You are not authorized.', tasks_error: 0, tasks: null } }));
    const error = await provider.backlinks?.(backlinksQuery, {}).catch((caught: unknown) => caught);
    expect((error as ProviderError).code).toBe('auth_failed');
  });
});

describe('dataforseo backlinks', () => {
  let agent: MockAgent;
  let provider: Provider;
  beforeEach(() => {
    agent = new MockAgent();
    agent.disableNetConnect();
    provider = createDataForSeoProvider({ login: LOGIN, password: PASSWORD, baseUrl: ORIGIN }, { logger: silent, dispatcher: agent, backoffBaseMs: 1 });
  });
  afterEach(async () => {
    await provider.close?.();
    await agent.close();
  });

  it('passes our filters through in DataForSEO syntax joined with "and", on the 0-100 rank scale', async () => {
    const seen = recorder(agent, () => ({ status: 200, body: envelope({ total_count: 0, items: [] }) }));
    await provider.backlinks?.(
      { target: 'https://www.forbes.com/sites/x/', target_kind: 'page', mode: 'one_per_domain', limit: 50, dofollow: true, anchor: 'best plumber', min_authority: 30 },
      {},
    );
    expect(taskOf(seen[0])).toEqual({
      target: 'https://www.forbes.com/sites/x/',
      mode: 'one_per_domain',
      limit: 50,
      filters: [['dofollow', '=', true], 'and', ['anchor', 'like', '%best plumber%'], 'and', ['domain_from_rank', '>=', 30]],
      order_by: ['domain_from_rank,desc'],
      rank_scale: 'one_hundred',
    });
  });

  it('ranks echoed on the 0-100 scale are kept as they are', async () => {
    const item = { url_from: 'https://a.example.org/p', domain_from: 'a.example.org', url_to: 'https://forbes.com/', anchor: 'x', dofollow: true, domain_from_rank: 27 };
    recorder(agent, () => ({ status: 200, body: envelope({ total_count: 1, items: [item] }) }));
    const result = (await provider.backlinks?.(backlinksQuery, {})) as BacklinksResult;
    expect(result.backlinks[0]?.authority).toBe(27);
    expect(result.backlinks[0]?.source_domain).toBe('example.org');
    expect(result.metrics).toEqual({ links_in: 1 });
  });

  it('pages with offsets up to 20,000, then round-trips the search_after_token', async () => {
    const total = 50_000;
    const seen = recorder(agent, (request) => {
      const task = taskOf(request);
      const start = typeof task.offset === 'number' ? task.offset : 0;
      const items = Array.from({ length: task.limit as number }, (_, index) => ({
        url_from: `https://site${start + index}.com/`,
        domain_from: `site${start + index}.com`,
        url_to: 'https://forbes.com/',
        anchor: '',
        dofollow: true,
      }));
      const token = task.search_after_token === undefined ? 'token-after-offsets' : `${String(task.search_after_token)}+1`;
      return { status: 200, body: envelope({ total_count: total, items, search_after_token: token }) };
    });
    let cursor: string | undefined;
    for (let call = 0; call < 23; call += 1) {
      const result = (await provider.backlinks?.({ ...backlinksQuery, limit: 1000, ...(cursor !== undefined && { cursor }) }, {})) as BacklinksResult;
      cursor = result.next_cursor;
      expect(cursor).toEqual(expect.any(String));
    }
    const tasks = seen.map(taskOf);
    expect(tasks.slice(0, 21).map((task) => task.offset ?? 0)).toEqual(Array.from({ length: 21 }, (_, index) => index * 1000));
    expect(tasks[21]?.search_after_token).toBe('token-after-offsets');
    expect(tasks[21]?.offset).toBeUndefined();
    expect(tasks[22]?.search_after_token).toBe('token-after-offsets+1');
  });

  it('refuses a cursor it did not make, before any request', async () => {
    const seen = recorder(agent, () => ({ status: 200, body: envelope({ total_count: 0, items: [] }) }));
    const error = await provider.backlinks?.({ ...backlinksQuery, cursor: 'not-a-cursor' }, {}).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).code).toBe('invalid_input');
    expect(seen).toHaveLength(0);
  });
});

describe('dataforseo gap and intersect', () => {
  let agent: MockAgent;
  let provider: Provider;
  beforeEach(() => {
    agent = new MockAgent();
    agent.disableNetConnect();
    provider = createDataForSeoProvider({ login: LOGIN, password: PASSWORD, baseUrl: ORIGIN }, { logger: silent, dispatcher: agent, backoffBaseMs: 1 });
  });
  afterEach(async () => {
    await provider.close?.();
    await agent.close();
  });

  const byCompetitor: Record<string, ReturnType<typeof intersectionItem>[]> = {
    'rival-one.com': [intersectionItem('shared-news.com', 70, 4), intersectionItem('one-only.org', 30, 1)],
    'rival-two.com': [intersectionItem('www.shared-news.com', 70, 6, false), intersectionItem('two-only.net', 45, 2)],
    'rival-three.com': [],
  };

  it('makes one call per competitor and merges them by referring domain', async () => {
    const seen = recorder(agent, (request) => {
      const target = (taskOf(request).targets as Record<string, string>)['1'] as string;
      const items = byCompetitor[target] ?? [];
      return { status: 200, body: envelope({ total_count: items.length, items }, { cost: 0.02 + 0.00003 * items.length }) };
    });
    const progress: number[] = [];
    const result = (await provider.gap?.(
      { your_domain: 'mysite.com', competitor_domains: ['rival-one.com', 'rival-two.com', 'rival-three.com'], limit: 50, min_competitors: 1 },
      { progress: (done) => progress.push(done) },
    )) as GapResult;
    const tasks = seen.filter((request) => request.path.endsWith('/domain_intersection/live')).map(taskOf);
    expect(tasks).toHaveLength(3);
    expect(tasks.map((task) => task.targets)).toEqual(
      expect.arrayContaining([{ '1': 'rival-one.com' }, { '1': 'rival-two.com' }, { '1': 'rival-three.com' }]),
    );
    for (const task of tasks) {
      expect(task).toMatchObject({ exclude_targets: ['mysite.com'], limit: 50, rank_scale: 'one_hundred', order_by: ['1.rank,desc'] });
    }
    expect(result.prospects.map((prospect) => [prospect.domain, prospect.competitors])).toEqual([
      ['shared-news.com', ['rival-one.com', 'rival-two.com']],
      ['two-only.net', ['rival-two.com']],
      ['one-only.org', ['rival-one.com']],
    ]);
    const shared = result.prospects[0];
    expect(shared?.backlinks).toBe(10);
    // Dofollow from one competitor is enough.
    expect(shared?.dofollow).toBe(true);
    expect(result.total_prospects).toBe(3);
    // Three intersection calls and one bulk_ranks call (answered here with no ranks: authority unknown).
    expect(seen).toHaveLength(4);
    expect(result.cost).toEqual({ amount: 0.08012, unit: 'usd', provider: 'dataforseo' });
    expect(progress.sort()).toEqual([1, 2, 3]);
  });

  it("takes a prospect's authority from its own rank (bulk_ranks), not the rank it passes to the competitor", async () => {
    const seen = recorder(agent, (request) =>
      request.path === '/v3/backlinks/bulk_ranks/live'
        ? { status: 200, body: fixture('bulk-ranks-live.json') }
        : { status: 200, body: fixture('domain-intersection-live.json') },
    );
    const spent: Cost[] = [];
    const result = (await provider.gap?.(gapQuery, { spend: (cost) => spent.push(cost) })) as GapResult;
    expect(seen.map((request) => request.path)).toEqual(['/v3/backlinks/domain_intersection/live', '/v3/backlinks/bulk_ranks/live']);
    expect(taskOf(seen[1])).toEqual({ targets: ['example-press.com', 'plumbingdirectory.org', 'localchamber.org'], rank_scale: 'one_hundred' });
    // Per-target ranks were 61, 44 and 38; the referrers' own ranks are 78, 35 and 52.
    expect(result.prospects.map((prospect) => [prospect.domain, prospect.authority])).toEqual([
      ['example-press.com', 78],
      ['plumbingdirectory.org', 35],
      ['localchamber.org', 52],
    ]);
    expect(result.prospects[0]?.provider_metrics?.dataforseo).toMatchObject({ authority: 78, authority_raw: 78 });
    expect(result.notes).toBeUndefined();
    // Both billed requests reported, and the result's cost is their sum.
    expect(spent.map((cost) => cost.amount)).toEqual([0.02009, 0.02009]);
    expect(result.cost).toEqual({ amount: 0.04018, unit: 'usd', provider: 'dataforseo' });
  });

  it('with bulk_ranks switched off, authority is unknown and no second call is made', async () => {
    const off = createDataForSeoProvider({ login: LOGIN, password: PASSWORD, baseUrl: ORIGIN, bulkRanks: false }, { logger: silent, dispatcher: agent });
    const seen = recorder(agent, () => ({ status: 200, body: fixture('domain-intersection-live.json') }));
    const result = (await off.gap?.(gapQuery, {})) as GapResult;
    expect(seen).toHaveLength(1);
    expect(result.prospects.every((prospect) => prospect.authority === undefined)).toBe(true);
    expect(result.notes?.join(' ')).toMatch(/authority is unknown/);
  });

  it('a fan-out where one call fails still reports the spend of the calls that were answered', async () => {
    recorder(agent, (request) => {
      const target = (taskOf(request).targets as Record<string, string>)['1'] as string;
      if (target === 'rival-three.com') return { status: 402, body: { status_code: 40200, status_message: 'Payment Required.' } };
      const items = byCompetitor[target] ?? [];
      return { status: 200, body: envelope({ total_count: items.length, items }, { cost: 0.02 + 0.00003 * items.length }) };
    });
    const spent: Cost[] = [];
    const error = await provider
      .gap?.(
        { your_domain: 'mysite.com', competitor_domains: ['rival-one.com', 'rival-two.com', 'rival-three.com'], limit: 50, min_competitors: 1 },
        { spend: (cost) => spent.push(cost) },
      )
      .catch((caught: unknown) => caught);
    expect((error as ProviderError).code).toBe('no_credits');
    expect(spent.map((cost) => cost.amount).sort()).toEqual([0.02006, 0.02006]);
    expect(spent.every((cost) => cost.unit === 'usd' && cost.provider === 'dataforseo')).toBe(true);
  });

  it('a Live call is not repeated after a reset: it may have been billed, and is counted at its price', async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: '/v3/backlinks/domain_intersection/live', method: 'POST' })
      .replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    const spent: Cost[] = [];
    const error = await provider.gap?.({ ...gapQuery, limit: 100 }, { spend: (cost) => spent.push(cost) }).catch((caught: unknown) => caught);
    expect((error as ProviderError).code).toBe('upstream_unavailable');
    expect((error as ProviderError).message).toMatch(/may have been billed/);
    // $0.02 a request + $0.00003 a row, for the 100 rows asked.
    expect(spent).toEqual([{ amount: 0.023, unit: 'usd', provider: 'dataforseo' }]);
  });

  it('keeps only referring domains found for min_competitors competitors', async () => {
    recorder(agent, (request) => {
      const target = (taskOf(request).targets as Record<string, string>)['1'] as string;
      const items = byCompetitor[target] ?? [];
      return { status: 200, body: envelope({ total_count: items.length, items }) };
    });
    const result = (await provider.gap?.(
      { your_domain: 'mysite.com', competitor_domains: ['rival-one.com', 'rival-two.com', 'rival-three.com'], limit: 50, min_competitors: 2 },
      {},
    )) as GapResult;
    expect(result.prospects.map((prospect) => prospect.domain)).toEqual(['shared-news.com']);
  });

  it('when every competitor must match, one call intersects them all', async () => {
    const seen = recorder(agent, () => ({
      status: 200,
      body: envelope({
        total_count: 1,
        items: [
          {
            domain_intersection: {
              '1': { target: 'both.com', rank: 50, backlinks: 2, referring_pages: 2, referring_pages_nofollow: 0 },
              '2': { target: 'both.com', rank: 50, backlinks: 3, referring_pages: 3, referring_pages_nofollow: 3 },
            },
          },
        ],
      }),
    }));
    const result = (await provider.gap?.(
      { your_domain: 'mysite.com', competitor_domains: ['rival-one.com', 'rival-two.com'], limit: 10, min_competitors: 2 },
      {},
    )) as GapResult;
    expect(seen.map((request) => request.path)).toEqual(['/v3/backlinks/domain_intersection/live', '/v3/backlinks/bulk_ranks/live']);
    expect(taskOf(seen[0]).targets).toEqual({ '1': 'rival-one.com', '2': 'rival-two.com' });
    expect(result.prospects).toHaveLength(1);
    expect(result.prospects[0]).toMatchObject({ domain: 'both.com', competitors: ['rival-one.com', 'rival-two.com'], backlinks: 5, dofollow: true });
    // Keys "1" and "2" are the competitors in order: counts per competitor, dofollow where the pages say.
    expect(result.prospects[0]?.by_competitor).toEqual({ 'rival-one.com': { links: 2, dofollow_links: 2 }, 'rival-two.com': { links: 3 } });
    expect(result.prospects[0]?.dofollow_links).toBeUndefined();
  });

  it('intersect merges per-positive calls, excludes negatives and keeps sources matching enough targets', async () => {
    const seen = recorder(agent, (request) => {
      if (request.path === '/v3/backlinks/bulk_ranks/live') {
        const ranks = (taskOf(request).targets as string[]).map((target) => ({ target, rank: target === 'x.com' ? 33 : 71 }));
        return { status: 200, body: envelope({ items_count: ranks.length, items: ranks }) };
      }
      const target = (taskOf(request).targets as Record<string, string>)['1'] as string;
      const items =
        target === 'https://a.com/pricing'
          ? [intersectionItem('x.com', 80, 1), intersectionItem('y.com', 20, 1)]
          : target === 'blog.b.com'
            ? [intersectionItem('x.com', 80, 1)]
            : [intersectionItem('y.com', 20, 1), intersectionItem('z.com', 10, 1)];
      return { status: 200, body: envelope({ total_count: items.length, items }) };
    });
    const query: IntersectQuery = {
      positive_targets: [
        { target: 'https://a.com/pricing', scope: 'page' },
        { target: 'blog.b.com', scope: 'subdomain' },
        { target: 'c.com', scope: 'root_domain' },
      ],
      negative_targets: [{ target: 'mine.com', scope: 'root_domain' }],
      min_matching_targets: 2,
      source_scope: 'root_domain',
      sort: 'matching_target_count',
      limit: 10,
    };
    const result = (await provider.intersect?.(query, {})) as IntersectResult;
    const intersections = seen.filter((request) => request.path.endsWith('/domain_intersection/live'));
    expect(intersections.map((request) => taskOf(request).exclude_targets)).toEqual([['mine.com'], ['mine.com'], ['mine.com']]);
    // One bulk_ranks call for the page's sources: domain_authority is their own rank, not the 80 / 20 they pass on.
    expect(taskOf(seen.at(-1)).targets).toEqual(['x.com', 'y.com']);
    expect(result.results).toEqual([
      { source: 'x.com', source_domain: 'x.com', domain_authority: 33, spam_score: 5, matching_targets: ['https://a.com/pricing', 'blog.b.com'] },
      { source: 'y.com', source_domain: 'y.com', domain_authority: 71, spam_score: 5, matching_targets: ['https://a.com/pricing', 'c.com'] },
    ]);
    expect(result.total).toBe(2);
    expect(result.next_token).toBeUndefined();
  });

  it('intersect at page source scope is unsupported, saying what to use instead', async () => {
    const error = await provider
      .intersect?.(
        {
          positive_targets: [{ target: 'a.com', scope: 'root_domain' }],
          negative_targets: [],
          min_matching_targets: 1,
          source_scope: 'page',
          sort: 'matching_target_count',
          limit: 10,
        },
        {},
      )
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).code).toBe('unsupported');
    expect((error as UsageError).message).toContain('root_domain');
  });
});

describe('dataforseo balance, describe and estimate', () => {
  it('reads the balance from user_data', async () => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    const provider = createDataForSeoProvider({ login: LOGIN, password: PASSWORD, baseUrl: ORIGIN }, { logger: silent, dispatcher: agent, backoffBaseMs: 1 });
    const seen = recorder(agent, () => ({ status: 200, body: fixture('user-data.json') }));
    expect(await provider.balance?.({})).toEqual({ amount: 42.5173, unit: 'usd' });
    expect(seen[0]).toMatchObject({ method: 'GET', path: '/v3/appendix/user_data' });
    expect(seen[0]?.headers.authorization).toBe(BASIC);
    await agent.close();
  });

  it('describes itself in usd without secrets and estimates per request and row', () => {
    const provider = createDataForSeoProvider({ login: LOGIN, password: PASSWORD, baseUrl: ORIGIN }, { logger: silent });
    const description = provider.describe();
    expect(description).toMatchObject({ unit: 'usd', configured: true });
    expect(description.pricing).toMatch(/^\$0\.02 a request \+ \$0\.00003 a row; gap and intersect add one bulk_ranks request/);
    expect(JSON.stringify(description)).not.toContain(PASSWORD);
    expect(provider.estimate({ kind: 'backlinks', query: { ...backlinksQuery, limit: 1000 } })).toEqual({ amount: 0.05, unit: 'usd', provider: 'dataforseo', up_to: true });
    const three = { your_domain: 'mysite.com', competitor_domains: ['a.com', 'b.com', 'c.com'], limit: 100, min_competitors: 1 };
    // One domain_intersection call per competitor (or one for all), plus one bulk_ranks call.
    expect(provider.estimate({ kind: 'gap', query: three }).amount).toBe(0.092);
    expect(provider.estimate({ kind: 'gap', query: { ...three, min_competitors: 3 } }).amount).toBe(0.046);
    const off = createDataForSeoProvider({ login: LOGIN, password: PASSWORD, baseUrl: ORIGIN, bulkRanks: false }, { logger: silent });
    expect(off.estimate({ kind: 'gap', query: three }).amount).toBe(0.069);
  });
});
