// Issue 6, the HTTP transport: auth, Host/Origin checks, body limit, health, bind refusal, idle expiry,
// graceful SIGTERM with a call in flight, and two processes sharing one cache dir.

import { spawnSync } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { createRuntime } from '../../src/runtime.js';
import { createHttpApp, type HttpApp, listen } from '../../src/serve-http.js';
import { type FakeUpstream, startFakeUpstream } from '../helpers/fake-upstream.js';
import { CLI, DATAFORSEO_KEYS, httpChild, httpClient, ROOT, tempDir, textOf, upstreamEnv } from './harness.js';

const TOKEN = 'proof-http-token-0123456789';
const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};
const MCP_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

async function startApp(env: Record<string, string>): Promise<{ app: HttpApp; base: string; port: number }> {
  const config = loadConfig({ BACKLINK_GAP_CACHE_DIR: tempDir('http'), BACKLINK_GAP_CACHE: 'memory', ...env });
  const runtime = createRuntime(config, { logger: createLogger({ level: 'silent', secrets: [] }) });
  const options = { port: 0, host: '127.0.0.1' };
  const app = createHttpApp(runtime, options);
  const address: AddressInfo = await listen(app, options);
  return { app, base: `http://127.0.0.1:${address.port}`, port: address.port };
}

describe('HTTP transport with a token', () => {
  let app: HttpApp;
  let base: string;
  let port: number;
  beforeAll(async () => {
    ({ app, base, port } = await startApp({ BACKLINK_GAP_HTTP_TOKEN: TOKEN, BACKLINK_GAP_HTTP_MAX_BODY_KB: '4' }));
  });
  afterAll(async () => {
    await app?.stop();
  });

  const post = (headers: Record<string, string>, body: string = JSON.stringify(INITIALIZE)) =>
    fetch(`${base}/mcp`, { method: 'POST', headers: { ...MCP_HEADERS, ...headers }, body });

  it('answers 401 without a token and with a wrong one, and 200 with the right one', async () => {
    const none = await post({});
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/Bearer/);
    expect(await none.text()).not.toContain(TOKEN);
    expect((await post({ authorization: `Bearer ${TOKEN}x` })).status).toBe(401);
    expect((await post({ authorization: `Bearer ${TOKEN.slice(0, -1)}` })).status).toBe(401);
    expect((await post({ authorization: `Basic ${TOKEN}` })).status).toBe(401);
    const ok = await post({ authorization: `Bearer ${TOKEN}` });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('mcp-session-id')).toBeTruthy();
  });

  it('answers 403 to a foreign Origin and to a foreign Host, even with the token', async () => {
    expect((await post({ authorization: `Bearer ${TOKEN}`, origin: 'https://evil.example' })).status).toBe(403);
    expect((await post({ authorization: `Bearer ${TOKEN}`, origin: 'null' })).status).toBe(403);
    // fetch will not forge Host; a raw request does.
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, path: '/mcp', method: 'POST', headers: { ...MCP_HEADERS, host: 'evil.example', authorization: `Bearer ${TOKEN}` } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify(INITIALIZE));
    });
    expect(status).toBe(403);
    expect((await post({ authorization: `Bearer ${TOKEN}`, origin: `http://127.0.0.1:${port}` })).status).toBe(200);
  });

  it('compares Origin and Host whole: a name that starts like loopback is foreign', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    for (const origin of ['http://127.evil.com', 'http://127.0.0.1.evil.com', 'http://localhost.evil.com', 'http://127.0.0.1@evil.com', 'ftp://127.0.0.1']) {
      expect((await post({ ...auth, origin })).status, origin).toBe(403);
    }
    const { request } = await import('node:http');
    const withHost = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/mcp', method: 'POST', headers: { ...MCP_HEADERS, host, ...auth } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end(JSON.stringify(INITIALIZE));
      });
    for (const host of ['127.evil.com', `127.evil.com:${port}`, 'localhost.evil.com', '127.0.0.1.evil.com']) expect(await withHost(host), host).toBe(403);
    expect(await withHost(`localhost:${port}`)).toBe(200);
    expect(await withHost(`127.0.0.2:${port}`)).toBe(200);
    expect((await post({ ...auth, origin: `http://localhost:${port}` })).status).toBe(200);
  });

  it('answers 413 to a body over the limit', async () => {
    const big = JSON.stringify({ ...INITIALIZE, params: { ...INITIALIZE.params, padding: 'x'.repeat(8 * 1024) } });
    expect((await post({ authorization: `Bearer ${TOKEN}` }, big)).status).toBe(413);
  });

  it('serves /healthz without auth and without data', async () => {
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
  });

  it('answers a real client that sends the token', async () => {
    const { client, call } = await httpClient(`${base}/mcp`, TOKEN);
    const usage = await call('usage', {});
    expect(usage.isError).toBeFalsy();
    await client.close();
  });
});

describe('HTTP transport limits', () => {
  it('refuses to bind 0.0.0.0 without a token', () => {
    const result = spawnSync(process.execPath, [CLI, 'serve', '--http', '--host', '0.0.0.0', '--port', '0'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: tempDir('bind'), BACKLINK_GAP_CACHE: 'off' },
      timeout: 15_000,
      encoding: 'utf8',
    });
    expect(result.status).not.toBe(0);
    expect(result.signal).toBeNull();
    expect(result.stderr).toMatch(/BACKLINK_GAP_HTTP_TOKEN/);
  });

  it('expires idle sessions', async () => {
    const { app, base } = await startApp({ BACKLINK_GAP_SESSION_IDLE_SECONDS: '5' });
    try {
      const { client, transport } = await httpClient(`${base}/mcp`);
      const sessionId = transport.sessionId;
      expect(sessionId).toBeTruthy();
      expect(app.sessions()).toBe(1);
      for (let waited = 0; app.sessions() > 0 && waited < 20_000; waited += 250) {
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      expect(app.sessions()).toBe(0);
      const stale = await fetch(`${base}/mcp`, {
        method: 'POST',
        headers: { ...MCP_HEADERS, 'mcp-session-id': sessionId ?? '', 'mcp-protocol-version': '2025-06-18' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
      });
      expect(stale.status).toBe(404);
      await client.close().catch(() => undefined);
    } finally {
      await app.stop();
    }
  });
});

describe('HTTP session cap', () => {
  const initialize = (base: string) => fetch(`${base}/mcp`, { method: 'POST', headers: MCP_HEADERS, body: JSON.stringify(INITIALIZE) });

  it('answers 503 with Retry-After past BACKLINK_GAP_MAX_SESSIONS, and accepts again once a session closes', async () => {
    const { app, base } = await startApp({ BACKLINK_GAP_MAX_SESSIONS: '3' });
    try {
      const ids: string[] = [];
      for (let index = 0; index < 3; index += 1) {
        const response = await initialize(base);
        expect(response.status).toBe(200);
        ids.push(response.headers.get('mcp-session-id') ?? '');
        await response.body?.cancel();
      }
      const refused = await initialize(base);
      expect(refused.status).toBe(503);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await refused.text()).toMatch(/BACKLINK_GAP_MAX_SESSIONS/);
      expect(app.sessions()).toBe(3);
      const closed = await fetch(`${base}/mcp`, {
        method: 'DELETE',
        headers: { ...MCP_HEADERS, 'mcp-session-id': ids[0] ?? '', 'mcp-protocol-version': '2025-06-18' },
      });
      expect(closed.status).toBe(200);
      const again = await initialize(base);
      expect(again.status).toBe(200);
      await again.body?.cancel();
    } finally {
      await app.stop();
    }
  });

  it('holds live sessions at the cap under a flood of initializes', async () => {
    const { app, base } = await startApp({ BACKLINK_GAP_MAX_SESSIONS: '20' });
    try {
      const statuses: number[] = [];
      for (let wave = 0; wave < 10; wave += 1) {
        const responses = await Promise.all(Array.from({ length: 20 }, () => initialize(base)));
        for (const response of responses) {
          statuses.push(response.status);
          await response.body?.cancel();
        }
        expect(app.sessions()).toBeLessThanOrEqual(20);
      }
      expect(statuses.filter((status) => status === 200)).toHaveLength(20);
      expect(statuses.filter((status) => status === 503)).toHaveLength(180);
    } finally {
      await app.stop();
    }
  });
});

describe('HTTP server processes', () => {
  let upstream: FakeUpstream;
  beforeAll(async () => {
    upstream = await startFakeUpstream();
  });
  afterAll(async () => {
    await upstream?.close();
  });

  it('finishes an in-flight call on SIGTERM, then exits 0', async () => {
    const dir = tempDir('sigterm');
    const server = await httpChild({ ...DATAFORSEO_KEYS, ...upstreamEnv(upstream.origin), BACKLINK_GAP_CACHE_DIR: dir });
    try {
      const { call } = await httpClient(server.url);
      upstream.queue({ kind: 'slow', ms: 1500 });
      const before = upstream.requests.length;
      const pending = call('get_backlinks', { target: 'sigterm-proof.com', provider: 'dataforseo', limit: 10 });
      await upstream.received(before + 1);
      server.child.kill('SIGTERM');
      const result = await pending;
      expect(result.isError, textOf(result)).toBeFalsy();
      expect((result.structuredContent as { backlinks: unknown[] }).backlinks.length).toBeGreaterThan(0);
      expect(await server.exited).toBe(0);
    } finally {
      await server.stop('SIGKILL');
    }
  });

  it('two processes share one cache dir: the second answers the first call from the cache', async () => {
    const dir = tempDir('shared');
    const env = { ...DATAFORSEO_KEYS, ...upstreamEnv(upstream.origin), BACKLINK_GAP_CACHE_DIR: dir };
    const first = await httpChild(env);
    const second = await httpChild(env);
    try {
      const args = { target: 'shared-cache-proof.com', provider: 'dataforseo', limit: 10 };
      const a = await httpClient(first.url);
      const before = upstream.requests.length;
      const fromFirst = await a.call('get_backlinks', args);
      expect(fromFirst.isError, textOf(fromFirst)).toBeFalsy();
      expect(upstream.requests.length).toBe(before + 1);
      const b = await httpClient(second.url);
      const fromSecond = await b.call('get_backlinks', args);
      expect(fromSecond.isError, textOf(fromSecond)).toBeFalsy();
      expect((fromSecond.structuredContent as { cached?: boolean }).cached).toBe(true);
      expect(upstream.requests.length).toBe(before + 1);
      expect((fromSecond.structuredContent as { backlinks: unknown }).backlinks).toEqual(
        (fromFirst.structuredContent as { backlinks: unknown }).backlinks,
      );
      // Both keep working side by side.
      const both = await Promise.all([a.call('usage', {}), b.call('usage', {})]);
      for (const result of both) expect(result.isError).toBeFalsy();
      await a.client.close();
      await b.client.close();
    } finally {
      await Promise.all([first.stop(), second.stop()]);
    }
  });
});
