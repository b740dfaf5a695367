// Many instances, one state: two server processes over HTTP against one real Redis share runs,
// cache hits and the daily budget; with Redis stopped, free answers go on and paid calls refuse.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { lazyRedis } from '../../src/redis/connection.js';
import { createRedisLedger } from '../../src/redis/ledger.js';
import { type HttpChild, httpChild, httpClient as connect } from '../proof/harness.js';
import { type RedisServer, startRedis } from './redis-server.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
const gapAnswer = readFileSync(join(FIXTURES, 'localseodata/gap.json'), 'utf8');

let redis: RedisServer;
let upstream: Server;
let base: string;
let gapRequests = 0;
const dirs: string[] = [];

beforeAll(async () => {
  redis = await startRedis();
  upstream = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      if (request.method === 'POST' && request.url?.startsWith('/lsd/v1/backlinks/gap')) {
        gapRequests += 1;
        // A little latency so concurrent calls overlap for real.
        setTimeout(() => {
          response.writeHead(200, { 'content-type': 'application/json' });
          response.end(gapAnswer);
        }, 20);
        return;
      }
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end('{"error":"not found"}');
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await redis?.stop();
  await new Promise((resolve) => upstream?.close(resolve));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function instanceEnv(extra: Record<string, string> = {}): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'blg-redis-'));
  dirs.push(dir);
  return {
    BACKLINK_GAP_CACHE_DIR: dir,
    BACKLINK_GAP_REDIS_URL: redis.url,
    LOCALSEODATA_API_KEY: 'sk_test_shared_state',
    LOCALSEODATA_BASE_URL: `${base}/lsd`,
    ...extra,
  };
}

describe('the ledger in Redis', () => {
  it('holds a daily budget across instances: 50 concurrent paid calls never pass it by more than one estimate', async () => {
    const logger = createLogger({ level: 'silent', secrets: [] });
    const handles = [lazyRedis({ url: redis.url, prefix: 'ledger-test', logger }), lazyRedis({ url: redis.url, prefix: 'ledger-test', logger })];
    const ledgers = handles.map((handle) => createRedisLedger({ redis: handle, prefix: 'ledger-test', logger }));
    const estimate = { amount: 10, unit: 'credits' as const, provider: 'localseodata' as const };
    const outcomes = await Promise.allSettled(
      Array.from({ length: 50 }, async (_, index) => {
        const reservation = await ledgers[index % 2]!.reserve(estimate, 100, Date.now() + 60_000);
        await new Promise((resolve) => setTimeout(resolve, 5));
        await reservation.spend(estimate);
        await reservation.settle();
      }),
    );
    const done = outcomes.filter((outcome) => outcome.status === 'fulfilled').length;
    expect(done).toBe(10);
    for (const outcome of outcomes) if (outcome.status === 'rejected') expect(String(outcome.reason)).toMatch(/daily budget/);
    expect(await ledgers[0]!.spent('localseodata', 'day')).toBe(100);
    expect(await ledgers[1]!.held('localseodata', 'credits')).toBe(0);
    expect(await ledgers[1]!.spent('localseodata', 'month')).toBe(100);
    await Promise.all(handles.map((handle) => handle.close()));
  });

  it('says what calls running on another instance hold, until they settle', async () => {
    const logger = createLogger({ level: 'silent', secrets: [] });
    const handles = [lazyRedis({ url: redis.url, prefix: 'held-test', logger }), lazyRedis({ url: redis.url, prefix: 'held-test', logger })];
    const [a, b] = handles.map((handle) => createRedisLedger({ redis: handle, prefix: 'held-test', logger }));
    const estimate = { amount: 30, unit: 'credits' as const, provider: 'localseodata' as const };
    const reservation = await a!.reserve(estimate, 100, Date.now() + 60_000);
    expect(await b!.held('localseodata', 'credits')).toBe(30);
    await reservation.spend({ ...estimate, amount: 10 });
    expect(await b!.held('localseodata', 'credits')).toBe(20);
    await reservation.settle();
    expect(await b!.held('localseodata', 'credits')).toBe(0);
    // A hold whose call would long have ended (its instance died) holds nothing.
    await a!.reserve(estimate, 100, Date.now() + 50);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(await b!.held('localseodata', 'credits')).toBe(0);
    await Promise.all(handles.map((handle) => handle.close()));
  });
});

describe('two server processes over HTTP sharing one Redis', () => {
  let a: HttpChild;
  let b: HttpChild;

  beforeAll(async () => {
    a = await httpChild(instanceEnv({ LOCALSEODATA_DAILY_BUDGET: '100' }));
    b = await httpChild(instanceEnv({ LOCALSEODATA_DAILY_BUDGET: '100' }));
  });

  afterAll(async () => {
    await a?.stop('SIGKILL');
    await b?.stop('SIGKILL');
  });

  it('a run made through A is paged through B, and B answers A’s paid question from the shared cache', async () => {
    const first = await httpClient(a.url);
    const second = await httpClient(b.url);
    const before = gapRequests;
    const gap = await first.call('backlink_gap', { your_domain: 'mybusiness.com', competitor_domains: ['competitor1.com', 'competitor2.com'], provider: 'localseodata' });
    expect(gap.isError, gap.text).toBeFalsy();
    expect(gapRequests).toBe(before + 1);
    const runId = gap.structured.run_id as string;

    const page = await second.call('list_prospects', { run_id: runId });
    expect(page.isError, page.text).toBeFalsy();
    expect((page.structured.data as Array<{ domain: string }>).map((row) => row.domain).sort()).toEqual(['austinchamber.org', 'austinmonthly.com']);

    const again = await second.call('backlink_gap', { your_domain: 'mybusiness.com', competitor_domains: ['competitor1.com', 'competitor2.com'], provider: 'localseodata' });
    expect(again.structured.cached).toBe(true);
    expect(again.structured.run_id).toBe(runId);
    expect(gapRequests).toBe(before + 1);
    await first.client.close();
    await second.client.close();
  });

  it('50 concurrent paid calls across both instances stay within the shared daily budget', async () => {
    const clients = [await httpClient(a.url), await httpClient(b.url)];
    const dry = await clients[0]!.call('backlink_gap', { your_domain: 'budget.com', competitor_domains: ["rival0-plumbing.com"], provider: 'localseodata', dry_run: true });
    expect(dry.isError, dry.text).toBeFalsy();
    const estimate = (dry.structured.estimates as Array<{ estimate: { amount: number } }>)[0]!.estimate.amount;
    const usage = await clients[0]!.call('usage', {});
    const spentBefore = spentOf(usage.structured);
    const before = gapRequests;
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        clients[index % 2]!.call('backlink_gap', { your_domain: 'budget.com', competitor_domains: [`rival${index}-plumbing.com`], provider: 'localseodata' }),
      ),
    );
    const refused = results.filter((result) => result.isError);
    for (const result of refused) expect(result.text).toMatch(/daily budget/);
    const spent = spentOf((await clients[1]!.call('usage', {})).structured);
    expect(spent).toBeLessThanOrEqual(100 + estimate);
    expect(spent - spentBefore).toBeGreaterThan(0);
    expect(gapRequests - before).toBe(results.length - refused.length);
    for (const client of clients) await client.client.close();
  });

  it('with Redis stopped, free answers go on and paid calls are refused with a clear error; it recovers', async () => {
    const client = await httpClient(a.url);
    await redis.stop();
    try {
      const free = await client.call('backlink_gap', {
        your_domain: 'bluebonnetplumbing.com',
        competitor_domains: ['austinplumbingco.com', 'capitalcityplumbers.com'],
        provider: 'local',
      });
      expect(free.isError, free.text).toBeFalsy();
      const listed = await client.call('list_prospects', { run_id: free.structured.run_id as string });
      expect(listed.isError, listed.text).toBeFalsy();
      const paid = await client.call('backlink_gap', { your_domain: 'down.com', competitor_domains: ['y1.com'], provider: 'localseodata' });
      expect(paid.isError).toBe(true);
      expect(paid.text).toMatch(/Redis .*unreachable/);
    } finally {
      await client.client.close();
      await redis.start();
    }
    const other = await httpClient(b.url);
    await expect
      .poll(async () => (await other.call('backlink_gap', { your_domain: 'up.com', competitor_domains: ['z1.com'], provider: 'localseodata', dry_run: true })).isError, {
        timeout: 10_000,
      })
      .toBeFalsy();
    await other.client.close();
  });
});

/** An HTTP client whose calls answer what a person reads: error or not, the text, the structure. */
async function httpClient(url: string) {
  const { client, call } = await connect(url);
  return {
    client,
    call: async (name: string, args: Record<string, unknown>) => {
      const result = await call(name, args);
      const text = result.content.map((part) => ('text' in part ? part.text : '')).join('\n');
      return { isError: result.isError === true, text, structured: (result.structuredContent ?? {}) as Record<string, unknown> };
    },
  };
}

describe('stateless HTTP with Redis', () => {
  it('serves any request from any instance: a run made through one is read through the other', async () => {
    const a = await httpChild(instanceEnv(), ['--stateless']);
    const b = await httpChild(instanceEnv(), ['--stateless']);
    try {
      const first = await httpClient(a.url);
      const second = await httpClient(b.url);
      const gap = await first.call('backlink_gap', {
        your_domain: 'bluebonnetplumbing.com',
        competitor_domains: ['austinplumbingco.com', 'lonestarrooter.com'],
        provider: 'local',
      });
      expect(gap.isError, gap.text).toBeFalsy();
      const args = { run_id: gap.structured.run_id as string, per_page: 5 };
      const page = await second.call('list_prospects', args);
      expect(page.isError, page.text).toBeFalsy();
      const here = await first.call('list_prospects', args);
      expect(page.structured.data).toEqual(here.structured.data);
      expect((page.structured.meta as { total: number }).total).toBeGreaterThan(5);
      await first.client.close();
      await second.client.close();
    } finally {
      await a.stop('SIGKILL');
      await b.stop('SIGKILL');
    }
  });
});

function spentOf(structured: Record<string, unknown>): number {
  const providers = (structured.providers ?? []) as Array<{ provider: string; spent_today?: number }>;
  return providers.find((entry) => entry.provider === 'localseodata')?.spent_today ?? 0;
}
