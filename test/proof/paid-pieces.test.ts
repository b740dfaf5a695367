// A paid fan-out (one billed request per competitor or domain) that fails half-way keeps every request
// it bought: repeating the call buys only what it had not bought yet, and says what it cost.

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataForSeoErrorEnvelope, type FakeUpstream, startFakeUpstream } from '../helpers/fake-upstream.js';
import { DATAFORSEO_KEYS, type InProcess, inProcess, ROOT, textOf, upstreamEnv } from './harness.js';

let upstream: FakeUpstream;
let server: InProcess;
const domDetailerSample = JSON.parse(readFileSync(`${ROOT}test/fixtures/domdetailer/backlinks.json`, 'utf8')) as unknown;

beforeAll(async () => {
  upstream = await startFakeUpstream();
  upstream.setDefault((request) =>
    request.url.startsWith('/api2/backlinks.php')
      ? { kind: 'json', body: domDetailerSample }
      : request.url.startsWith('/v3/backlinks/domain_intersection/live')
        ? { kind: 'json', body: JSON.parse(readFileSync(`${ROOT}test/fixtures/dataforseo/domain-intersection-live.json`, 'utf8')) }
        : { kind: 'json', status: 404, body: {} },
  );
  server = await inProcess({
    ...DATAFORSEO_KEYS,
    DATAFORSEO_BULK_RANKS: '0',
    DOMDETAILER_API_KEY: 'SECRETKEY-DD-pieces-1234',
    ...upstreamEnv(upstream.origin),
  });
});

afterAll(async () => {
  await server?.dispose();
  await upstream?.close();
});

const requestsTo = (path: string) => upstream.requests.filter((request) => request.url.startsWith(path)).length;
const spentToday = async (provider: string) => {
  const usage = await server.call('usage', {});
  return (usage.structuredContent as { providers: Array<{ provider: string; spent_today: number }> }).providers.find((p) => p.provider === provider)
    ?.spent_today;
};

describe('a paid fan-out that failed half-way, called again', () => {
  it('DataForSEO: buys only the competitor it had not bought, and its answer costs that one request', async () => {
    const args = { your_domain: 'mine.com', competitor_domains: ['a-rival.com', 'b-rival.com', 'c-rival.com'], provider: 'dataforseo', min_competitors: 1 };
    upstream.queue(dataForSeoErrorEnvelope(40000, 'fake: one target failed'));
    const failed = await server.call('backlink_gap', args);
    expect(failed.isError, textOf(failed)).toBe(true);
    expect(requestsTo('/v3/backlinks/domain_intersection/live')).toBe(3);

    const again = await server.call('backlink_gap', args);
    expect(again.isError, textOf(again)).toBeFalsy();
    expect(requestsTo('/v3/backlinks/domain_intersection/live')).toBe(4);
    const cost = (again.structuredContent as { cost: { amount: number } }).cost.amount;
    expect(cost).toBeGreaterThan(0);
    // Three requests answered over both calls, each priced alike (the failed one cost nothing).
    expect(await spentToday('dataforseo')).toBeCloseTo(cost * 3, 6);
  });

  it('DomDetailer: buys only the domains it had not bought, and its answer says so in credits', async () => {
    const args = { your_domain: 'mine.com', competitor_domains: ['a-rival.com', 'b-rival.com', 'c-rival.com'], provider: 'domdetailer' };
    upstream.queue({ kind: 'json', status: 500, body: { error: 'fake: one domain failed' } });
    const failed = await server.call('backlink_gap', args);
    expect(failed.isError, textOf(failed)).toBe(true);
    const bought = requestsTo('/api2/backlinks.php');
    expect(bought).toBeGreaterThanOrEqual(4);

    const again = await server.call('backlink_gap', args);
    expect(again.isError, textOf(again)).toBeFalsy();
    expect(requestsTo('/api2/backlinks.php') - bought).toBe(1);
    expect((again.structuredContent as { cost: { amount: number; unit: string } }).cost).toMatchObject({ amount: 3, unit: 'credits' });
  });
});
