// End to end over stdio: the built server with every paid provider pointed (by *_BASE_URL) at local
// fakes on 127.0.0.1 that answer with the documented responses, and all four tools called through
// an MCP client.

import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const fixture = (name: string) => JSON.parse(readFileSync(join(ROOT, 'test/fixtures', name), 'utf8')) as unknown;

interface Seen {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
}

const seen: Seen[] = [];
let upstream: Server;
let client: Client;
let cacheDir: string;

function answer(request: Seen): { status: number; body: unknown } {
  const { method, path } = request;
  if (method === 'POST' && path === '/lsd/v1/backlinks/gap') return { status: 200, body: fixture('localseodata/gap.json') };
  if (method === 'POST' && path === '/ocs/backlinks/gap') return { status: 202, body: fixture('oneclickseo/run-created.json') };
  if (method === 'GET' && path === '/ocs/backlinks/gap/run_4d2a90') return { status: 200, body: fixture('oneclickseo/run-completed.json') };
  if (method === 'GET' && path === '/ocs/backlinks/gap/run_4d2a90/prospects') {
    const page = fixture('oneclickseo/prospects.json') as { meta: Record<string, number> };
    return { status: 200, body: { ...page, meta: { page: 1, per_page: 50, total: 1, total_pages: 1 } } };
  }
  if (method === 'POST' && path === '/moz/v2/link_intersect') {
    const scope = (JSON.parse(request.body) as { source_scope?: string }).source_scope;
    return { status: 200, body: fixture(scope === 'root_domain' ? 'moz/link-intersect-root-domain.json' : 'moz/link-intersect-page.json') };
  }
  if (method === 'GET' && path === '/dd/api2/backlinks.php') return { status: 200, body: fixture('domdetailer/backlinks.json') };
  if (method === 'POST' && path === '/dfs/v3/backlinks/backlinks/live') return { status: 200, body: fixture('dataforseo/backlinks-live.json') };
  if (method === 'POST' && path === '/dfs/v3/backlinks/domain_intersection/live') {
    return { status: 200, body: fixture('dataforseo/domain-intersection-live.json') };
  }
  if (method === 'GET' && path === '/dfs/v3/appendix/user_data') return { status: 200, body: fixture('dataforseo/user-data.json') };
  return { status: 404, body: { error: 'not_found', path } };
}

beforeAll(async () => {
  upstream = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const request: Seen = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, body: Buffer.concat(chunks).toString() };
      seen.push(request);
      const { status, body } = answer(request);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  cacheDir = mkdtempSync(join(tmpdir(), 'blg-e2e-providers-'));
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: ['dist/cli.js'],
    cwd: ROOT,
    stderr: 'pipe',
    env: {
      PATH: process.env.PATH ?? '',
      HOME: cacheDir,
      BACKLINK_GAP_CACHE_DIR: cacheDir,
      LOCALSEODATA_API_KEY: 'sk_live_e2e_localseodata',
      LOCALSEODATA_BASE_URL: `${base}/lsd`,
      ONECLICKSEO_API_KEY: 'e2e-oneclickseo-key',
      ONECLICKSEO_BASE_URL: `${base}/ocs`,
      MOZ_API_TOKEN: 'e2e-moz-token',
      MOZ_BASE_URL: `${base}/moz`,
      DOMDETAILER_API_KEY: 'e2e-domdetailer-key',
      DOMDETAILER_BASE_URL: `${base}/dd`,
      DATAFORSEO_LOGIN: 'e2e-login',
      DATAFORSEO_PASSWORD: 'e2e-password',
      DATAFORSEO_BASE_URL: `${base}/dfs`,
    },
  });
  client = new Client({ name: 'e2e-providers', version: '1.0.0' });
  await client.connect(transport);
});

afterAll(async () => {
  await client?.close();
  await new Promise((resolve) => upstream?.close(resolve));
  rmSync(cacheDir, { recursive: true, force: true });
});

async function call(name: string, args: Record<string, unknown>): Promise<Record<string, any>> {
  const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
  const text = (result.content[0] as { text: string }).text;
  expect(result.isError, text).toBeFalsy();
  return { ...(result.structuredContent as Record<string, unknown>), text };
}

const lastRequest = (path: string) => [...seen].reverse().find((request) => request.path === path)!;

describe('every provider through the built server over stdio', () => {
  it('LocalSEOData: backlink_gap maps the documented opportunities', async () => {
    const gap = await call('backlink_gap', { your_domain: 'mybusiness.com', competitor_domains: ['competitor1.com', 'competitor2.com'], provider: 'localseodata' });
    expect(gap.prospects.map((p: { domain: string }) => p.domain).sort()).toEqual(['austinchamber.org', 'austinmonthly.com']);
    expect(gap.prospects.find((p: { domain: string }) => p.domain === 'austinchamber.org').competitors).toEqual(['competitor1.com', 'competitor2.com']);
    expect(gap.cost).toEqual({ amount: 10, unit: 'credits', provider: 'localseodata' });
    const request = lastRequest('/lsd/v1/backlinks/gap');
    expect(request.headers.authorization).toBe('Bearer sk_live_e2e_localseodata');
    expect(JSON.parse(request.body)).toMatchObject({ your_domain: 'mybusiness.com', competitor_domains: ['competitor1.com', 'competitor2.com'] });
  });

  it('OneClickSEO: backlink_gap creates and reads a run; list_prospects reads it from the provider with filters', async () => {
    const gap = await call('backlink_gap', { your_domain: 'mine.com', competitor_domains: ['a.com', 'b.com'], provider: 'oneclickseo' });
    expect(gap.status).toBe('complete');
    expect(gap.prospects.map((p: { domain: string }) => p.domain)).toEqual(['marketingblog.com']);
    expect(seen.filter((r) => r.method === 'POST' && r.path === '/ocs/backlinks/gap')).toHaveLength(1);
    const listed = await call('list_prospects', { run_id: gap.run_id, min_authority: 40, dofollow: true });
    expect(listed.data[0].domain).toBe('marketingblog.com');
    const read = lastRequest('/ocs/backlinks/gap/run_4d2a90/prospects');
    expect(read.query.get('min_authority')).toBe('40');
    expect(read.query.get('dofollow')).toBe('true');
    expect(read.headers.authorization).toBe('Bearer e2e-oneclickseo-key');
  });

  it('Moz: link_intersect names matching targets and the page linking to each', async () => {
    const result = await call('link_intersect', {
      positive_targets: ['competitor-a.com', 'competitor-b.com'],
      negative_targets: ['mine.com'],
      provider: 'moz',
    });
    const latimes = result.results.find((row: { source_domain: string }) => row.source_domain === 'latimes.com');
    expect(latimes.matching_targets).toEqual(['competitor-a.com', 'competitor-b.com']);
    expect(latimes.domain_authority).toBe(93);
    const request = lastRequest('/moz/v2/link_intersect');
    expect(request.headers['x-moz-token']).toBe('e2e-moz-token');
    expect(JSON.parse(request.body)).toMatchObject({ negative_targets: [{ target: 'mine.com', scope: 'root_domain' }], source_scope: 'root_domain' });
  });

  it('DomDetailer: get_backlinks maps the documented sample; the key travels only in the query', async () => {
    const result = await call('get_backlinks', { target: 'domdetailer.com', provider: 'domdetailer' });
    expect(result.metrics).toMatchObject({ links_in: 504, ref_domains: 215, dofollow: 469, nofollow: 35 });
    expect(result.backlinks.map((row: { source_domain: string }) => row.source_domain).sort()).toEqual(['bestfew.com', 'gsa-online.de']);
    const request = lastRequest('/dd/api2/backlinks.php');
    expect(request.query.get('apikey')).toBe('e2e-domdetailer-key');
    expect(result.text).not.toContain('e2e-domdetailer-key');
  });

  it('DataForSEO: get_backlinks, backlink_gap (one call per competitor) and its balance in usage', async () => {
    const backlinks = await call('get_backlinks', { target: 'forbes.com', provider: 'dataforseo' });
    expect(backlinks.backlinks).toHaveLength(5);
    expect(backlinks.total).toBe(993857);
    expect(lastRequest('/dfs/v3/backlinks/backlinks/live').headers.authorization).toBe(`Basic ${Buffer.from('e2e-login:e2e-password').toString('base64')}`);
    const before = seen.filter((r) => r.path === '/dfs/v3/backlinks/domain_intersection/live').length;
    const gap = await call('backlink_gap', { your_domain: 'mine.com', competitor_domains: ['c1.com', 'c2.com', 'c3.com'], provider: 'dataforseo', include_platforms: true });
    expect(seen.filter((r) => r.path === '/dfs/v3/backlinks/domain_intersection/live').length - before).toBe(3);
    expect(gap.prospects.map((p: { domain: string }) => p.domain)).toContain('plumbingdirectory.org');
    const usage = await call('usage', {});
    expect(usage.providers.find((p: { provider: string }) => p.provider === 'dataforseo').balance.amount).toBe(42.5173);
  });

  it('provider "all" merges every configured gap provider, and a repeat is served from the cache', async () => {
    const args = { your_domain: 'mybusiness.com', competitor_domains: ['competitor1.com', 'competitor2.com'], provider: 'all' };
    const merged = await call('backlink_gap', args);
    expect(merged.provider).toBe('all');
    expect(merged.costs.map((c: { provider: string }) => c.provider).sort()).toEqual(['dataforseo', 'domdetailer', 'localseodata', 'moz', 'oneclickseo']);
    const requests = seen.length;
    const again = await call('backlink_gap', args);
    expect(again.cached).toBe(true);
    expect(seen.length).toBe(requests);
  });
});
