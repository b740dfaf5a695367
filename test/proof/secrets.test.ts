// Issue 6 proof 3: with every provider configured with recognisable fake keys and every error path
// exercised against the fake upstream, no key (plain, base64 Basic form or URL-encoded) appears in a
// tool result, stderr, an HTTP response, or any file under the cache dir. Built server, stdio and HTTP.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Fault, type FakeUpstream, startFakeUpstream } from '../helpers/fake-upstream.js';
import { type Call, httpChild, httpClient, stdioSession, tempDir, textOf, upstreamEnv } from './harness.js';

const KEYS = {
  LOCALSEODATA_API_KEY: 'SECRETKEY-LSD-1234567890',
  ONECLICKSEO_API_KEY: 'SECRETKEY-OCS-1234567890',
  MOZ_ACCESS_ID: 'SECRETID-MOZ-1234567890',
  MOZ_SECRET_KEY: 'SECRETKEY-MOZ-1234567890',
  // Characters that URL-encoding changes, since this key travels in the query string.
  DOMDETAILER_API_KEY: 'SECRETKEY-DD+/=1234567890',
  DATAFORSEO_LOGIN: 'secret-login-dfs@example.com',
  DATAFORSEO_PASSWORD: 'SECRETPASS-DFS-1234567890',
  BACKLINK_GAP_HTTP_TOKEN: 'SECRETTOKEN-HTTP-1234567890',
};

/** Every form a key could leak in. */
const FORBIDDEN = (() => {
  const plain = Object.values(KEYS);
  const basic = [
    Buffer.from(`${KEYS.MOZ_ACCESS_ID}:${KEYS.MOZ_SECRET_KEY}`).toString('base64'),
    Buffer.from(`${KEYS.DATAFORSEO_LOGIN}:${KEYS.DATAFORSEO_PASSWORD}`).toString('base64'),
  ];
  const encoded = plain.map((key) => encodeURIComponent(key)).filter((key) => !plain.includes(key));
  const plus = plain.map((key) => new URLSearchParams({ k: key }).toString().slice(2)).filter((key) => !plain.includes(key));
  return [...new Set([...plain, ...basic, ...encoded, ...plus])];
})();

const FAULTS: Array<[string, Fault]> = [
  ['401', { kind: 'json', status: 401, body: { error: 'unauthorized', message: 'bad key' } }],
  ['402', { kind: 'json', status: 402, body: { error: 'payment required' } }],
  ['429', { kind: 'json', status: 429, body: { error: 'slow down' }, headers: { 'retry-after': '0' } }],
  ['500', { kind: 'text', status: 500, text: 'Internal Server Error' }],
  ['reset', { kind: 'reset' }],
  ['html', { kind: 'text', status: 200, text: '<html><body>Please log in</body></html>', contentType: 'text/html' }],
  ['timeout', { kind: 'hang' }],
];

const PROVIDERS = ['localseodata', 'oneclickseo', 'moz', 'domdetailer', 'dataforseo'] as const;

function leaks(haystack: string): string[] {
  return FORBIDDEN.filter((secret) => haystack.includes(secret));
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...filesUnder(path));
    else out.push(path);
  }
  return out;
}

let upstream: FakeUpstream;
let sequence = 0;

beforeAll(async () => {
  upstream = await startFakeUpstream();
});
afterAll(async () => {
  await upstream?.close();
});

/** Drive every provider through every fault plus a dry run and usage; return all tool output text. */
async function exercise(call: Call): Promise<string> {
  const seen: string[] = [];
  const record = (result: Awaited<ReturnType<Call>>) => seen.push(textOf(result), JSON.stringify(result.structuredContent ?? {}));
  for (const [, fault] of FAULTS) {
    upstream.setDefault(() => fault);
    for (const provider of PROVIDERS) {
      sequence += 1;
      const gap = await call('backlink_gap', { your_domain: `you-${sequence}.com`, competitor_domains: [`rival-${sequence}.com`], provider, fresh: true });
      expect(gap.isError).toBe(true);
      record(gap);
      if (provider === 'domdetailer' || provider === 'dataforseo') {
        record(await call('get_backlinks', { target: `target-${sequence}.com`, provider, fresh: true }));
        record(await call('link_intersect', { positive_targets: [`a-${sequence}.com`, `b-${sequence}.com`], provider, fresh: true }));
      }
    }
  }
  upstream.setDefault(undefined);
  // Successful paid answers too, so the cache, runs and spend ledger are written to disk.
  const served = await call('get_backlinks', { target: `served-${sequence}.com`, provider: 'dataforseo' });
  expect(served.isError, textOf(served)).toBeFalsy();
  record(served);
  const gap = await call('backlink_gap', { your_domain: `served-${sequence}.com`, competitor_domains: ['forbes.com'], provider: 'dataforseo' });
  record(gap);
  record(await call('usage', {}));
  record(await call('backlink_gap', { your_domain: 'dry.com', competitor_domains: ['run.com'], provider: 'all', dry_run: true }));
  return seen.join('\n');
}

const env = (dir: string) => ({
  ...KEYS,
  ...upstreamEnv(upstream.origin),
  BACKLINK_GAP_CACHE_DIR: dir,
  BACKLINK_GAP_LOG_LEVEL: 'debug',
  BACKLINK_GAP_DEADLINE_MS: '1500',
});

describe('implausible keys', () => {
  it('a key shorter than 4 characters is refused at start-up, naming its variable', async () => {
    const { spawnSync } = await import('node:child_process');
    const { CLI, ROOT } = await import('./harness.js');
    for (const [name, value] of [
      ['MOZ_API_TOKEN', 'abc'],
      ['BACKLINK_GAP_HTTP_TOKEN', 'x'],
      ['DOMDETAILER_API_KEY', 'k1'],
    ] as const) {
      const result = spawnSync(process.execPath, [CLI, 'serve'], {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', HOME: tempDir('short-key'), BACKLINK_GAP_CACHE: 'off', [name]: value },
        input: '',
        timeout: 15_000,
        encoding: 'utf8',
      });
      expect(result.status, name).not.toBe(0);
      expect(result.stderr).toContain(name);
      expect(result.stderr).toMatch(/shorter than 4 characters/);
      expect(result.stdout).toBe('');
    }
  });
});

describe('no key leaks, whatever fails upstream', () => {
  it('over stdio: tool results, stderr and cache files are clean', { timeout: 180_000 }, async () => {
    const dir = tempDir('secrets-stdio');
    const session = await stdioSession(env(dir));
    let output: string;
    try {
      output = await exercise(session.call);
    } finally {
      await session.close();
    }
    expect(upstream.requests.length).toBeGreaterThan(FAULTS.length * PROVIDERS.length);
    // The keys really travelled to the (fake) provider, so their absence elsewhere means something.
    const sent = upstream.requests.map((request) => `${request.url}\n${JSON.stringify(request.headers)}\n${request.body}`).join('\n');
    expect(FORBIDDEN.filter((secret) => sent.includes(secret)).length).toBeGreaterThanOrEqual(4);
    expect(leaks(output)).toEqual([]);
    expect(leaks(session.stderr.join(''))).toEqual([]);
    const files = filesUnder(dir);
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) expect(leaks(readFileSync(file).toString('latin1')), file).toEqual([]);
  });

  it('over HTTP: tool results, raw HTTP responses, stderr and cache files are clean', { timeout: 180_000 }, async () => {
    const dir = tempDir('secrets-http');
    const server = await httpChild(env(dir));
    try {
      const { client, call } = await httpClient(server.url, KEYS.BACKLINK_GAP_HTTP_TOKEN);
      const output = await exercise(call);
      await client.close();
      expect(leaks(output)).toEqual([]);

      // Raw responses a caller sees on refusal and on errors, headers included.
      const responses = await Promise.all([
        fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }),
        fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${KEYS.BACKLINK_GAP_HTTP_TOKEN}x` }, body: '{}' }),
        fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${KEYS.BACKLINK_GAP_HTTP_TOKEN}` }, body: 'not json' }),
        fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${KEYS.BACKLINK_GAP_HTTP_TOKEN}`, origin: 'https://evil.example' }, body: '{}' }),
        fetch(server.url.replace('/mcp', '/healthz')),
        fetch(server.url.replace('/mcp', '/elsewhere'), { headers: { authorization: `Bearer ${KEYS.BACKLINK_GAP_HTTP_TOKEN}` } }),
      ]);
      for (const response of responses) {
        const raw = `${JSON.stringify([...response.headers])}\n${await response.text()}`;
        expect(leaks(raw)).toEqual([]);
      }
    } finally {
      expect(await server.stop()).toBe(0);
    }
    expect(leaks(server.stderr.join(''))).toEqual([]);
    for (const file of filesUnder(dir)) expect(leaks(readFileSync(file).toString('latin1')), file).toEqual([]);
  });
});
