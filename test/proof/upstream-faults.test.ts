// Issue 6 proof 1: every upstream fault becomes the right isError result (or a retried success), the
// server stays up, nothing rejects unhandled, and the next call works.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Fault, type FakeUpstream, dataForSeoErrorEnvelope, startFakeUpstream } from '../helpers/fake-upstream.js';
import { DATAFORSEO_KEYS, type InProcess, inProcess, textOf, upstreamEnv } from './harness.js';

let upstream: FakeUpstream;
let server: InProcess;
let unhandled = 0;
const countUnhandled = () => {
  unhandled += 1;
};
let sequence = 0;

beforeAll(async () => {
  process.on('unhandledRejection', countUnhandled);
  upstream = await startFakeUpstream();
  server = await inProcess({ ...DATAFORSEO_KEYS, ...upstreamEnv(upstream.origin), BACKLINK_GAP_DEADLINE_MS: '2500' });
});

afterAll(async () => {
  await server?.dispose();
  await upstream?.close();
  process.off('unhandledRejection', countUnhandled);
});

afterEach(async () => {
  // The next call after any fault works and nothing was left rejecting in the background.
  const after = await backlinks();
  expect(after.isError, textOf(after)).toBeFalsy();
  expect(unhandled).toBe(0);
});

/** A distinct target each time so no answer comes from the cache. */
const backlinks = () => {
  sequence += 1;
  return server.call('get_backlinks', { target: `fault-${sequence}.com`, provider: 'dataforseo', limit: 10 });
};

async function expectError(faults: Fault[], code: RegExp): Promise<string> {
  upstream.queue(...faults);
  const result = await backlinks();
  const text = textOf(result);
  expect(result.isError, text).toBe(true);
  expect(text).toMatch(code);
  expect(text).not.toMatch(/\bat .*\.(ts|js):\d+/);
  return text;
}

async function expectRetriedSuccess(faults: Fault[]): Promise<void> {
  const before = upstream.requests.length;
  upstream.queue(...faults);
  const result = await backlinks();
  expect(result.isError, textOf(result)).toBeFalsy();
  expect((result.structuredContent as { backlinks: unknown[] }).backlinks.length).toBeGreaterThan(0);
  expect(upstream.requests.length - before).toBe(faults.length + 1);
}

const status = (code: number, headers: Record<string, string> = {}): Fault => ({
  kind: 'json',
  status: code,
  body: { status_code: code * 100, status_message: `fake ${code}` },
  headers,
});

describe('upstream faults against a fake DataForSEO on 127.0.0.1', () => {
  it('429 with Retry-After is retried after the wait, then succeeds', async () => {
    await expectRetriedSuccess([status(429, { 'retry-after': '1' })]);
  });

  it('429 without Retry-After is retried with backoff, then succeeds', async () => {
    await expectRetriedSuccess([status(429)]);
  });

  it('429 on every attempt ends as rate_limited', async () => {
    await expectError([status(429), status(429), status(429)], /rate_limited/);
  });

  it('429 asking for a wait beyond the deadline ends as rate_limited at once', async () => {
    await expectError([status(429, { 'retry-after': '120' })], /rate_limited/);
  });

  it('502 and 503 are retried, then succeed', async () => {
    await expectRetriedSuccess([status(502), status(503)]);
  });

  it('500 is not repeated and reads as upstream_unavailable', async () => {
    const before = upstream.requests.length;
    await expectError([status(500)], /upstream_unavailable/);
    expect(upstream.requests.length - before).toBe(1);
  });

  it('503 on every attempt ends as upstream_unavailable', async () => {
    await expectError([status(503), status(503), status(503)], /upstream_unavailable/);
  });

  it('a connection reset mid-body is retried, then succeeds', async () => {
    await expectRetriedSuccess([{ kind: 'reset' }]);
  });

  it('resets on every attempt end as upstream_unavailable', async () => {
    await expectError([{ kind: 'reset' }, { kind: 'reset' }, { kind: 'reset' }], /upstream_unavailable|timeout/);
  });

  it('a server that accepts and never answers ends as timeout within the deadline', async () => {
    await expectError([{ kind: 'hang' }], /timeout/);
  });

  it('a body that stalls ends as timeout', async () => {
    await expectError([{ kind: 'stall' }], /timeout/);
  });

  it('truncated JSON is invalid_response', async () => {
    await expectError([{ kind: 'text', status: 200, text: '{"status_code":20000,"tasks":[{"status', contentType: 'application/json' }], /invalid_response/);
  });

  it('valid JSON missing required fields is invalid_response', async () => {
    await expectError([{ kind: 'json', body: { hello: 'world' } }], /invalid_response/);
  });

  it('HTML instead of JSON is invalid_response and says HTML', async () => {
    const text = await expectError(
      [{ kind: 'text', status: 200, text: '<!doctype html><html><body>Maintenance</body></html>', contentType: 'text/html' }],
      /invalid_response/,
    );
    expect(text).toMatch(/HTML/);
  });

  it('a 200 with a DataForSEO auth error inside is auth_failed', async () => {
    await expectError([dataForSeoErrorEnvelope(40100, 'You are not authorized to access this resource.')], /auth_failed/);
  });

  it('a 200 with a DataForSEO balance error inside is no_credits', async () => {
    await expectError([dataForSeoErrorEnvelope(40200, 'Payment Required.')], /no_credits/);
  });
});
