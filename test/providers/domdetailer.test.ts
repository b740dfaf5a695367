// DomDetailer adapter: the shared contract, then unordered samples, onePerDomain, filters and paging,
// computed gap and intersect, the "Account Not Found" answer, balance, and the key in the query string.

import { readFileSync } from 'node:fs';
import { MockAgent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BacklinksQuery, BacklinksResult, Cost, IntersectQuery } from '../../src/domain.js';
import { ProviderError, UsageError } from '../../src/errors.js';
import { createDomDetailerProvider } from '../../src/providers/domdetailer.js';
import type { Provider } from '../../src/providers/provider.js';
import { type CapturedRequest, captureLogger, captureRequest, runProviderContract } from './contract.js';

const ORIGIN = 'https://domdetailer.com';
const API_KEY = 'ddKEY-SECRET-8c41f0';
const settings = { apiKey: API_KEY, app: 'backlink-gap-mcp', baseUrl: ORIGIN, backlinksPath: '/api2/backlinks.php' };
const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`../fixtures/domdetailer/${name}`, import.meta.url), 'utf8'));

const seedQuery: BacklinksQuery = { target: 'domdetailer.com', target_kind: 'domain', mode: 'as_is', limit: 10 };
const backlinksOf = (provider: Provider) => provider.backlinks as NonNullable<Provider['backlinks']>;

runProviderContract({
  name: 'domdetailer',
  secrets: [API_KEY],
  origin: ORIGIN,
  create: (dispatcher, logger) => createDomDetailerProvider(settings, { logger, dispatcher, backoffBaseMs: 1 }),
  errorBody: (status) => ({ error: status === 401 ? 'invalid_api_key' : 'error', message: `Problem with apikey=${API_KEY}` }),
  cases: [
    {
      capability: 'backlinks',
      call: (provider, context) => backlinksOf(provider)(seedQuery, context),
      intercept: { method: 'GET', path: '/api2/backlinks.php' },
      billed: true,
      documentedResponse: { status: 200, body: fixture('backlinks.json') },
      emptyResponse: { status: 200, body: { domain: 'domdetailer.com', metrics: { links_in: 0, ref_domains: 0 }, backlinks: [] } },
      assertRequest(request) {
        expect(request.path).toBe('/api2/backlinks.php');
        expect(Object.fromEntries(request.query)).toEqual({ apikey: API_KEY, app: 'backlink-gap-mcp', domain: 'domdetailer.com' });
      },
      assertMapped(result) {
        const mapped = result as BacklinksResult;
        // Every documented metric is kept, page_count, links_out and nofollow_ratio included.
        expect(mapped.metrics).toEqual({
          links_in: 504,
          ref_domains: 215,
          dofollow: 469,
          nofollow: 35,
          edu_links: 0,
          gov_links: 0,
          page_count: 364,
          links_out: 2114,
          nofollow_ratio: 6.9,
        });
        expect(mapped.backlinks).toEqual([
          {
            source_url: 'https://bestfew.com/elementor-test/',
            source_domain: 'bestfew.com',
            target_url: 'https://domdetailer.com/',
            anchor: 'Domdetailer.com',
            dofollow: false,
            title: 'Domdetailer.com',
          },
          {
            source_url: 'https://docu.gsa-online.de/proxy_scraper/url_metrics?bootswatch-theme=paper',
            source_domain: 'gsa-online.de',
            target_url: 'https://domdetailer.com/',
            anchor: 'DomDetailer Homepage',
            dofollow: true,
            title: 'https://domdetailer.com/',
          },
        ]);
        expect(mapped.total).toBe(2);
        expect(mapped.next_cursor).toBeUndefined();
        expect(mapped.cost).toEqual({ amount: 3, unit: 'credits', provider: 'domdetailer' });
        expect(mapped.notes?.join(' ')).toContain('5,000');
      },
      assertEmpty(result) {
        const mapped = result as BacklinksResult;
        expect(mapped.backlinks).toEqual([]);
        expect(mapped.total).toBe(0);
      },
    },
  ],
});

interface FakeRow {
  anchor?: string;
  title?: string;
  nf: number;
  source: string;
  target: string;
}
const row = (source: string, target: string, extra: Partial<FakeRow> = {}): FakeRow => ({ anchor: '', title: '', nf: 0, source, target, ...extra });

describe('domdetailer', () => {
  let agent: MockAgent;
  let provider: Provider;
  let seen: CapturedRequest[];
  let lines: string[];

  /** Answers backlinks calls per requested domain; a function may vary the answer per call. */
  const serve = (rowsByDomain: Record<string, FakeRow[] | ((call: number) => FakeRow[])>, path = '/api2/backlinks.php') => {
    const calls = new Map<string, number>();
    agent
      .get(ORIGIN)
      .intercept({ path: (actual) => actual.startsWith(`${path}?`), method: 'GET' })
      .reply((options) => {
        const request = captureRequest(ORIGIN, options as { path: string; method: string; headers?: unknown });
        seen.push(request);
        const domain = request.query.get('domain') ?? '';
        const call = (calls.get(domain) ?? 0) + 1;
        calls.set(domain, call);
        const entry = rowsByDomain[domain];
        const backlinks = typeof entry === 'function' ? entry(call) : (entry ?? []);
        const body = { domain, metrics: { links_in: backlinks.length, ref_domains: 1 }, backlinks };
        return { statusCode: 200, data: JSON.stringify(body), responseOptions: { headers: { 'content-type': 'application/json' } } };
      })
      .persist();
  };

  beforeEach(() => {
    agent = new MockAgent();
    agent.disableNetConnect();
    seen = [];
    const captured = captureLogger();
    lines = captured.lines;
    provider = createDomDetailerProvider(settings, { logger: captured.logger, dispatcher: agent, backoffBaseMs: 1 });
  });
  afterEach(async () => {
    await provider.close?.();
    await agent.close();
  });

  describe('backlinks', () => {
    const rows = [
      row('https://c.org/1', 'https://me.com/', { anchor: 'Plumber', nf: 1 }),
      row('https://a.org/2', 'https://blog.me.com/post', { anchor: 'plumber' }),
      row('https://b.org/1', 'https://me.com/pricing', { anchor: '', title: 'B Title' }),
      row('https://a.org/1', 'https://me.com/', { anchor: 'Best plumbers' }),
      row('https://a.org/3', 'https://me.com/pricing', { anchor: 'Pricing', nf: 1 }),
    ];

    it('orders an unordered sample the same way on every call, and pages through it with the cursor', async () => {
      serve({ 'me.com': (call) => (call === 1 ? rows : [...rows].reverse()) });
      const first = await backlinksOf(provider)({ target: 'me.com', target_kind: 'domain', mode: 'as_is', limit: 3 }, {});
      expect(first.backlinks.map((link) => link.source_url)).toEqual(['https://a.org/1', 'https://a.org/2', 'https://a.org/3']);
      expect(first.total).toBe(5);
      expect(first.next_cursor).toBeDefined();
      const second = await backlinksOf(provider)({ target: 'me.com', target_kind: 'domain', mode: 'as_is', limit: 3, cursor: first.next_cursor! }, {});
      expect(second.backlinks.map((link) => link.source_url)).toEqual(['https://b.org/1', 'https://c.org/1']);
      expect(second.next_cursor).toBeUndefined();
      // An empty anchor falls back to the page title; nf 1 is nofollow.
      expect(second.backlinks[0]!.anchor).toBe('B Title');
      expect(second.backlinks[1]!.dofollow).toBe(false);
    });

    it('asks upstream for onePerDomain=1 on a whole domain', async () => {
      serve({ 'me.com': [rows[3]!, rows[2]!] });
      const result = await backlinksOf(provider)({ target: 'me.com', target_kind: 'domain', mode: 'one_per_domain', limit: 10 }, {});
      expect(seen[0]!.query.get('onePerDomain')).toBe('1');
      expect(result.backlinks).toHaveLength(2);
    });

    it('fetches the full domain for a subdomain, keeps its rows and de-duplicates here', async () => {
      serve({
        'me.com': [
          ...rows,
          row('https://a.org/9', 'https://blog.me.com/other', { anchor: 'again' }),
          row('https://d.org/1', 'https://blog.me.com/', { anchor: 'blog' }),
        ],
      });
      const result = await backlinksOf(provider)({ target: 'blog.me.com', target_kind: 'subdomain', mode: 'one_per_domain', limit: 10 }, {});
      expect(seen[0]!.query.get('domain')).toBe('me.com');
      expect(seen[0]!.query.has('onePerDomain')).toBe(false);
      expect(result.backlinks.map((link) => link.source_url)).toEqual(['https://a.org/2', 'https://d.org/1']);
      expect(result.notes?.join(' ')).toContain('kept the rows pointing to blog.me.com');
    });

    it('keeps only the rows to a page target', async () => {
      serve({ 'me.com': rows });
      const result = await backlinksOf(provider)({ target: 'https://me.com/pricing', target_kind: 'page', mode: 'as_is', limit: 10 }, {});
      expect(result.backlinks.map((link) => link.source_url)).toEqual(['https://a.org/3', 'https://b.org/1']);
    });

    it('applies one_per_anchor, dofollow and anchor filters before counting and limiting', async () => {
      serve({ 'me.com': rows });
      const perAnchor = await backlinksOf(provider)({ target: 'me.com', target_kind: 'domain', mode: 'one_per_anchor', limit: 10 }, {});
      // "plumber" and "Plumber" are one anchor; the first by source URL stays.
      expect(perAnchor.backlinks.map((link) => link.anchor)).toEqual(['Best plumbers', 'plumber', 'Pricing', 'B Title']);
      const filtered = await backlinksOf(provider)(
        { target: 'me.com', target_kind: 'domain', mode: 'as_is', limit: 1, dofollow: true, anchor: 'PLUMB' },
        {},
      );
      expect(filtered.total).toBe(2);
      expect(filtered.backlinks.map((link) => link.source_url)).toEqual(['https://a.org/1']);
      expect(filtered.next_cursor).toBeDefined();
    });

    it('rejects min_authority, which its rows cannot honour, before paying for a call', async () => {
      serve({ 'me.com': rows });
      const error = await backlinksOf(provider)({ ...seedQuery, min_authority: 30 }, {}).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(UsageError);
      expect((error as UsageError).code).toBe('invalid_input');
      expect(seen).toHaveLength(0);
    });

    it('rejects a cursor it did not issue', async () => {
      serve({ 'me.com': rows });
      const error = await backlinksOf(provider)({ ...seedQuery, cursor: 'not-a-cursor' }, {}).catch((caught: unknown) => caught);
      expect((error as UsageError).code).toBe('invalid_input');
    });

    it('uses the configured backlinks path', async () => {
      await provider.close?.();
      provider = createDomDetailerProvider({ ...settings, backlinksPath: '/api2/getBacklinks.php' }, { logger: captureLogger().logger, dispatcher: agent });
      serve({ 'me.com': rows }, '/api2/getBacklinks.php');
      const result = await backlinksOf(provider)({ target: 'me.com', target_kind: 'domain', mode: 'as_is', limit: 10 }, {});
      expect(seen[0]!.path).toBe('/api2/getBacklinks.php');
      expect(result.total).toBe(5);
    });
  });

  describe('computed gap', () => {
    it('subtracts your referring domains from the competitors’, one onePerDomain call per domain', async () => {
      serve({
        'me.com': [row('https://shared.org/x', 'https://me.com/')],
        'rival-one.com': [
          row('https://shared.org/y', 'https://rival-one.com/'),
          row('https://news.example.org/a', 'https://rival-one.com/', { nf: 1, title: 'News A' }),
          row('https://blog.dir.net/p', 'https://rival-one.com/', { title: 'Dir' }),
          row('https://rival-two.com/partners', 'https://rival-one.com/'),
        ],
        'rival-two.com': [
          row('https://www.dir.net/q', 'https://rival-two.com/', { nf: 1 }),
          row('https://lonely.io/', 'https://rival-two.com/'),
        ],
      });
      const progress: string[] = [];
      const result = await (provider.gap as NonNullable<Provider['gap']>)(
        { your_domain: 'me.com', competitor_domains: ['rival-one.com', 'rival-two.com'], limit: 10, min_competitors: 1 },
        { progress: (done, total) => progress.push(`${done}/${total}`) },
      );
      expect(seen.map((request) => request.query.get('domain')).sort()).toEqual(['me.com', 'rival-one.com', 'rival-two.com']);
      expect(seen.every((request) => request.query.get('onePerDomain') === '1')).toBe(true);
      expect(result.prospects.map((prospect) => [prospect.domain, prospect.competitors])).toEqual([
        ['dir.net', ['rival-one.com', 'rival-two.com']],
        ['example.org', ['rival-one.com']],
        ['lonely.io', ['rival-two.com']],
      ]);
      const dir = result.prospects[0]!;
      expect(dir.dofollow).toBe(true);
      expect(dir.titles).toEqual(['Dir']);
      expect(dir.source_pages).toEqual(['https://blog.dir.net/p', 'https://www.dir.net/q']);
      // The linking page to each competitor, with what the row says (nf → nofollow; an empty anchor stays unknown).
      expect(dir.by_competitor).toEqual({
        'rival-one.com': { page: { url: 'https://blog.dir.net/p', title: 'Dir', rel: { nofollow: false } } },
        'rival-two.com': { page: { url: 'https://www.dir.net/q', rel: { nofollow: true } } },
      });
      expect(result.prospects[1]!.by_competitor).toEqual({
        'rival-one.com': { page: { url: 'https://news.example.org/a', title: 'News A', rel: { nofollow: true } } },
      });
      // Only a nofollow link was sampled: dofollow stays unknown rather than false.
      expect(result.prospects[1]!.dofollow).toBeUndefined();
      expect(result.prospects.every((prospect) => prospect.authority === undefined)).toBe(true);
      expect(result.total_prospects).toBe(3);
      expect(result.cost).toEqual({ amount: 9, unit: 'credits', provider: 'domdetailer' });
      expect(progress.at(-1)).toBe('3/3');
      expect(result.notes?.join(' ')).toContain('5,000');

      const both = await (provider.gap as NonNullable<Provider['gap']>)(
        { your_domain: 'me.com', competitor_domains: ['rival-one.com', 'rival-two.com'], limit: 10, min_competitors: 2 },
        {},
      );
      expect(both.prospects.map((prospect) => prospect.domain)).toEqual(['dir.net']);
      expect(provider.estimate({ kind: 'gap', query: { your_domain: 'me.com', competitor_domains: ['a.com', 'b.com'], limit: 10, min_competitors: 1 } }).amount).toBe(9);
    });
  });

  describe('spend', () => {
    it('reports each backlinks call of a gap as it is answered, even when another call fails', async () => {
      agent
        .get(ORIGIN)
        .intercept({ path: (actual) => actual.includes('domain=rival-two.com'), method: 'GET' })
        .reply(402, JSON.stringify({ error: 'no_credits', message: 'out of credits' }))
        .persist();
      serve({ 'me.com': [row('https://shared.org/x', 'https://me.com/')], 'rival-one.com': [row('https://a.org/y', 'https://rival-one.com/')] });
      const spent: Cost[] = [];
      const error = await (provider.gap as NonNullable<Provider['gap']>)(
        { your_domain: 'me.com', competitor_domains: ['rival-one.com', 'rival-two.com'], limit: 10, min_competitors: 1 },
        { spend: (cost) => spent.push(cost) },
      ).catch((caught: unknown) => caught);
      expect((error as ProviderError).code).toBe('no_credits');
      expect(spent).toEqual([
        { amount: 3, unit: 'credits', provider: 'domdetailer' },
        { amount: 3, unit: 'credits', provider: 'domdetailer' },
      ]);
    });

    it('does not repeat a backlinks call after a 503 or a reset', async () => {
      let calls = 0;
      agent
        .get(ORIGIN)
        .intercept({ path: (actual) => actual.startsWith('/api2/backlinks.php?'), method: 'GET' })
        .reply(() => {
          calls += 1;
          return { statusCode: 503, data: '{}' };
        })
        .persist();
      const error = (await backlinksOf(provider)(seedQuery, {}).catch((caught: unknown) => caught)) as ProviderError;
      expect(error.code).toBe('upstream_unavailable');
      expect(calls).toBe(1);
    });
  });

  describe('computed intersect', () => {
    const samples = {
      'a.com': [
        row('https://hub.org/links', 'https://a.com/'),
        row('https://hub.org/other', 'https://shop.a.com/item', { title: 'Hub other' }),
        row('https://solo.net/', 'https://a.com/about'),
        row('https://blocked.io/x', 'https://a.com/'),
      ],
      'b.com': [row('https://hub.org/links', 'https://b.com/', { title: 'Hub links' }), row('https://solo.net/', 'https://b.com/')],
      'me.com': [row('https://blocked.io/y', 'https://me.com/')],
    };
    const base: IntersectQuery = {
      positive_targets: [
        { target: 'a.com', scope: 'root_domain' },
        { target: 'b.com', scope: 'root_domain' },
      ],
      negative_targets: [{ target: 'me.com', scope: 'root_domain' }],
      min_matching_targets: 1,
      source_scope: 'root_domain',
      sort: 'matching_target_count',
      limit: 10,
    };
    const intersectOf = (p: Provider) => p.intersect as NonNullable<Provider['intersect']>;

    it('finds root-domain sources linking to the positives and none of the negatives', async () => {
      serve(samples);
      const result = await intersectOf(provider)(base, {});
      expect(seen).toHaveLength(3);
      expect(seen.every((request) => !request.query.has('onePerDomain'))).toBe(true);
      expect(result.results).toEqual([
        {
          source: 'hub.org',
          source_domain: 'hub.org',
          matching_targets: ['a.com', 'b.com'],
          matching_source_pages: [
            { target: 'a.com', page: 'https://hub.org/links' },
            { target: 'b.com', page: 'https://hub.org/links' },
          ],
        },
        {
          source: 'solo.net',
          source_domain: 'solo.net',
          matching_targets: ['a.com', 'b.com'],
          matching_source_pages: [
            { target: 'a.com', page: 'https://solo.net/' },
            { target: 'b.com', page: 'https://solo.net/' },
          ],
        },
      ]);
      expect(result.total).toBe(2);
      expect(result.cost.amount).toBe(9);
    });

    it('evaluates page and subdomain scopes against row targets, with page sources, min_matching_targets and paging', async () => {
      serve(samples);
      const query: IntersectQuery = {
        ...base,
        positive_targets: [
          { target: 'shop.a.com', scope: 'subdomain' },
          { target: 'https://a.com/about', scope: 'page' },
          { target: 'b.com', scope: 'root_domain' },
        ],
        negative_targets: [],
        source_scope: 'page',
        sort: 'source_domain_authority',
        limit: 1,
      };
      const first = await intersectOf(provider)(query, {});
      // a.com is fetched once for both of its targets.
      expect(seen.map((request) => request.query.get('domain')).sort()).toEqual(['a.com', 'b.com']);
      expect(first.total).toBe(3);
      expect(first.results).toEqual([{ source: 'https://solo.net/', source_domain: 'solo.net', matching_targets: ['https://a.com/about', 'b.com'] }]);
      expect(first.notes?.join(' ')).toContain('sorted by matching_target_count');
      const rest = await intersectOf(provider)({ ...query, limit: 5, next_token: first.next_token! }, {});
      expect(rest.results.map((entry) => [entry.source, entry.matching_targets, entry.title])).toEqual([
        ['https://hub.org/links', ['b.com'], 'Hub links'],
        ['https://hub.org/other', ['shop.a.com'], 'Hub other'],
      ]);
      const strict = await intersectOf(provider)({ ...query, min_matching_targets: 2 }, {});
      expect(strict.total).toBe(1);
    });
  });

  describe('auth and the key in the query string', () => {
    it('reads the bare "Account Not Found" answer as auth_failed', async () => {
      agent.get(ORIGIN).intercept({ path: (path) => path.startsWith('/api2/backlinks.php?'), method: 'GET' }).reply(200, '"Account Not Found"');
      const error = (await backlinksOf(provider)(seedQuery, {}).catch((caught: unknown) => caught)) as ProviderError;
      expect(error).toBeInstanceOf(ProviderError);
      expect(error.code).toBe('auth_failed');
      expect(error.message).toContain('DOMDETAILER_API_KEY');
    });

    it('maps 401 invalid_api_key to auth_failed and keeps the key out of the error and the logs', async () => {
      agent
        .get(ORIGIN)
        .intercept({ path: (path) => path.startsWith('/api2/backlinks.php?'), method: 'GET' })
        .reply((options) => ({ statusCode: 401, data: JSON.stringify({ error: 'invalid_api_key', message: `API key not found or inactive: ${options.path}` }) }));
      const error = (await backlinksOf(provider)(seedQuery, {}).catch((caught: unknown) => caught)) as ProviderError;
      expect(error.code).toBe('auth_failed');
      expect(error.message).toContain('API key not found or inactive');
      const everything = `${error.message} ${JSON.stringify(error)} ${error.stack} ${lines.join('\n')}`;
      expect(everything).not.toContain(API_KEY);
      expect(lines.join('\n')).toContain('apikey=***');
    });
  });

  describe('balance', () => {
    const balanceAnswer = (body: string) =>
      agent.get(ORIGIN).intercept({ path: (path) => path.startsWith('/api/checkBalance.php?'), method: 'GET' }).reply(200, body);

    it('reads the units left at index 1 of the array', async () => {
      balanceAnswer('["UnitsLeft", 4521]');
      const balance = await (provider.balance as NonNullable<Provider['balance']>)({});
      expect(balance).toMatchObject({ amount: 4521, unit: 'credits' });
    });

    it('reads a numeric string too', async () => {
      balanceAnswer('["UnitsLeft", "1,200"]');
      expect((await (provider.balance as NonNullable<Provider['balance']>)({})).amount).toBe(1200);
    });

    it('reports an unexpected shape as invalid_response', async () => {
      balanceAnswer('{"units": 12}');
      const error = (await (provider.balance as NonNullable<Provider['balance']>)({}).catch((caught: unknown) => caught)) as ProviderError;
      expect(error.code).toBe('invalid_response');
    });
  });
});
