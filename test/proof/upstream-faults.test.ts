// Issue 6 proof 1: every upstream fault becomes the right isError result (or a retried success), the
// server stays up, nothing rejects unhandled, and the next call works.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dataForSeoErrorEnvelope, type Fault, type FakeUpstream, startFakeUpstream } from '../helpers/fake-upstream.js';
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

  // A billed DataForSEO call that may have reached the provider is not repeated (nothing documents a
  // repeat as free): the error says it may have been billed, and exactly one request was made.
  async function expectNotRepeated(fault: Fault, code: RegExp, billedNote: boolean): Promise<void> {
    const before = upstream.requests.length;
    const text = await expectError([fault], code);
    expect(upstream.requests.length - before).toBe(1);
    if (billedNote) expect(text).toMatch(/may have been billed/);
  }

  it('502 and 504 are not repeated and say the call may have been billed', async () => {
    await expectNotRepeated(status(502), /upstream_unavailable/, true);
    await expectNotRepeated(status(504), /upstream_unavailable/, true);
  });

  it('503 is not repeated either (no provider documents it as free)', async () => {
    await expectNotRepeated(status(503), /upstream_unavailable/, false);
  });

  it('a connection reset mid-body is not repeated and says the call may have been billed', async () => {
    await expectNotRepeated({ kind: 'reset' }, /upstream_unavailable|timeout/, true);
  });

  it('a server that accepts and never answers ends as timeout within the deadline, possibly billed', async () => {
    await expectNotRepeated({ kind: 'hang' }, /timeout/, true);
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
