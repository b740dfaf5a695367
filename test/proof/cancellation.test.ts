// Issue 6 proof 5: a client that cancels a call aborts its upstream request; the fake sees the socket
// closed before it answered, in process and through the built server over stdio.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../helpers/fake-upstream.js';
import { DATAFORSEO_KEYS, inProcess, stdioSession, tempDir, textOf, upstreamEnv } from './harness.js';

let upstream: FakeUpstream;

beforeAll(async () => {
  upstream = await startFakeUpstream();
});
afterAll(async () => {
  await upstream?.close();
});

describe('cancellation reaches the upstream request', () => {
  it('in process: AbortController on callTool closes the upstream socket; the next call works', async () => {
    const server = await inProcess({ ...DATAFORSEO_KEYS, ...upstreamEnv(upstream.origin) });
    try {
      upstream.queue({ kind: 'hang' });
      const before = upstream.requests.length;
      const controller = new AbortController();
      const pending = server.call('get_backlinks', { target: 'cancel-in-process.com', provider: 'dataforseo' }, { signal: controller.signal });
      const abandoned = upstream.abandoned();
      await upstream.received(before + 1);
      controller.abort();
      await expect(pending).rejects.toThrow();
      const request = await abandoned;
      expect(request.url).toContain('/v3/backlinks/backlinks/live');
      expect(request.answered).toBe(false);
      // Not retried after the cancel: exactly one upstream request for the cancelled call.
      expect(upstream.requests.length).toBe(before + 1);
      const next = await server.call('get_backlinks', { target: 'after-cancel.com', provider: 'dataforseo' });
      expect(next.isError, textOf(next)).toBeFalsy();
    } finally {
      await server.dispose();
    }
  });

  it('over stdio: notifications/cancelled from the client closes the upstream socket', async () => {
    const session = await stdioSession({ ...DATAFORSEO_KEYS, ...upstreamEnv(upstream.origin), BACKLINK_GAP_CACHE_DIR: tempDir('cancel') });
    try {
      upstream.queue({ kind: 'hang' });
      const before = upstream.requests.length;
      const controller = new AbortController();
      const abandoned = upstream.abandoned();
      const pending = session.call('get_backlinks', { target: 'cancel-stdio.com', provider: 'dataforseo' }, { signal: controller.signal });
      await upstream.received(before + 1);
      controller.abort();
      await expect(pending).rejects.toThrow();
      const request = await abandoned;
      expect(request.answered).toBe(false);
      const next = await session.call('get_backlinks', { target: 'after-cancel-stdio.com', provider: 'dataforseo' });
      expect(next.isError, textOf(next)).toBeFalsy();
    } finally {
      await session.close();
    }
  });
});
