// check_prospects through a real MCP client against the fixture web on 127.0.0.1, allowed by
// BACKLINK_GAP_FETCH_ALLOW_LOOPBACK=1 (and a fake DNS mapping the fixture's names to loopback).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { type CallToolResult, CallToolResultSchema, type Progress } from '@modelcontextprotocol/sdk/types.js';
import type { Dispatcher } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { GapRun, Prospect } from '../../src/domain.js';
import { createWebFetcher } from '../../src/http/web.js';
import { createLogger } from '../../src/log.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { createServer } from '../../src/server.js';
import { COMPETITOR_A, COMPETITOR_B, COMPETITOR_C, type FixtureSite, fixtureResolver, fixtureTransport, HOSTS, startFixtureSite, YOU } from './fixture-site.js';

let site: FixtureSite;
let dir: string;

beforeAll(async () => {
  site = await startFixtureSite();
  dir = mkdtempSync(join(tmpdir(), 'blg-check-'));
});

afterAll(async () => {
  await site.close();
  rmSync(dir, { recursive: true, force: true });
});

async function connect(env: Record<string, string>, withFakeDns = true, dispatcher?: Dispatcher): Promise<{ client: Client; runtime: Runtime; close: () => Promise<void> }> {
  const config = loadConfig({ BACKLINK_GAP_CACHE_DIR: mkdtempSync(join(dir, 'run-')), BACKLINK_GAP_CACHE: 'persistent', ...env });
  const logger = createLogger({ level: 'silent', secrets: [] });
  const web = withFakeDns ? createWebFetcher({ allowLoopback: config.fetchAllowLoopback, logger, resolve: fixtureResolver, ...(dispatcher && { dispatcher }) }) : undefined;
  const runtime = createRuntime(config, { logger, ...(web && { web }) });
  const server = createServer({ service: runtime.service, logger });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'test', version: '1.0.0' });
  await client.connect(clientSide);
  return {
    client,
    runtime,
    close: async () => {
      await client.close();
      await runtime.close();
    },
  };
}

const text = (result: CallToolResult) => (result.content[0] as { text: string }).text;
const LOOPBACK = { BACKLINK_GAP_FETCH_ALLOW_LOOPBACK: '1', BACKLINK_GAP_DEADLINE_MS: '4000' };

describe('check_prospects on urls', () => {
  let client: Client;
  let close: () => Promise<void>;
  let answer: CallToolResult;
  const pages = {
    dofollow: site_url(HOSTS.chamber, '/members/plumbing'),
    redirecting: site_url(HOSTS.chamber, '/old-members'),
    disallowed: site_url(HOSTS.chamber, '/private/list'),
    removed: site_url(HOSTS.blog, '/best-plumbers-2025'),
    linksToYou: site_url(HOSTS.blog, '/thanks'),
    huge: site_url(HOSTS.blog, '/huge'),
    json: site_url(HOSTS.blog, '/feed.json'),
    slow: site_url(HOSTS.blog, '/slow'),
    gone: site_url(HOSTS.blog, '/no-such-page'),
  };
  // Paths are resolved once the fixture's port is known.
  function site_url(host: string, path: string) {
    return () => site.url(host, path);
  }

  beforeAll(async () => {
    ({ client, close } = await connect(LOOPBACK));
    answer = (await client.callTool({
      name: 'check_prospects',
      arguments: { urls: Object.values(pages).map((page) => page()), competitor_domains: [COMPETITOR_A, COMPETITOR_B, COMPETITOR_C], your_domain: YOU },
    })) as CallToolResult;
  });
  afterAll(async () => close());

  const checkOf = (url: string) => {
    const data = answer.structuredContent as { prospects: Array<{ domain: string; pages: any[]; contact: any }> };
    for (const prospect of data.prospects) {
      const page = prospect.pages.find((candidate) => candidate.url === url);
      if (page) return page;
    }
    throw new Error(`no check for ${url}`);
  };
  const linkOf = (url: string, domain: string) => checkOf(url).links.find((link: { domain: string }) => link.domain === domain);

  it('finds a live dofollow link with its anchor and the words around it, and a sponsored one', () => {
    expect(answer.isError).toBeFalsy();
    const page = checkOf(pages.dofollow());
    expect(page).toMatchObject({ outcome: 'ok', status: 200, title: 'Member directory: Plumbing – Austin Chamber' });
    expect(linkOf(pages.dofollow(), COMPETITOR_A)).toMatchObject({
      live: true,
      href: `https://www.${COMPETITOR_A}/services?ref=chamber`,
      anchor: 'Austin Plumbing Co',
    });
    expect(linkOf(pages.dofollow(), COMPETITOR_A).rel).toBeUndefined();
    expect(linkOf(pages.dofollow(), COMPETITOR_A).context).toContain('serving Travis County since 1998');
    // The href in upper case still matches after normalisation; the link in a <script> is not a link.
    expect(linkOf(pages.dofollow(), COMPETITOR_B)).toMatchObject({ live: true, rel: { sponsored: true, nofollow: true } });
    expect(linkOf(pages.dofollow(), COMPETITOR_C)).toEqual({ domain: COMPETITOR_C, live: false });
    const body = text(answer);
    expect(body).toContain(`${COMPETITOR_A} dofollow "Austin Plumbing Co"`);
    expect(body).toContain(`${COMPETITOR_B} nofollow+sponsored "Capital City Plumbers"`);
    expect(body).toContain('free, no provider cost');
  });

  it('says when a link was removed, and follows a redirecting page', () => {
    expect(checkOf(pages.removed()).links.every((link: { live: boolean }) => !link.live)).toBe(true);
    expect(text(answer)).toMatch(/\/best-plumbers-2025 · 200 "Best plumbers in Austin \(2025\)": austinplumbingco\.com not linked/);
    const moved = checkOf(pages.redirecting());
    expect(moved.final_url).toBe(site.url(HOSTS.chamber, '/members/plumbing'));
    expect(linkOf(pages.redirecting(), COMPETITOR_A).live).toBe(true);
  });

  it('says a page already links to you, and follows the page\'s own outbound redirect to a competitor', () => {
    const page = checkOf(pages.linksToYou());
    expect(page.you).toMatchObject({ domain: YOU, live: true, anchor: 'Bluebonnet Plumbing' });
    expect(linkOf(pages.linksToYou(), COMPETITOR_C)).toMatchObject({ live: true, via: 'redirect', href: site.url(HOSTS.blog, '/go/lonestar') });
    const blog = (answer.structuredContent as any).prospects.find((prospect: { domain: string }) => prospect.domain === HOSTS.blog);
    expect(blog.links_to_you).toBe(true);
    expect(text(answer)).toContain(`already links to ${YOU}`);
  });

  it('finds contact routes on the page and the site (contact page mailto, membership, write-for-us)', () => {
    const data = answer.structuredContent as any;
    const chamber = data.prospects.find((prospect: { domain: string }) => prospect.domain === HOSTS.chamber);
    expect(chamber.contact.pages).toEqual(
      expect.arrayContaining([
        { kind: 'membership', url: site.url(HOSTS.chamber, '/join') },
        { kind: 'contact', url: site.url(HOSTS.chamber, '/contact-us') },
      ]),
    );
    expect(chamber.contact.emails).toEqual(['members@chamber.test']);
    const blog = data.prospects.find((prospect: { domain: string }) => prospect.domain === HOSTS.blog);
    expect(blog.contact.pages).toContainEqual({ kind: 'write_for_us', url: site.url(HOSTS.blog, '/write-for-us') });
    expect(text(answer)).toContain('members@chamber.test');
  });

  it('reads only the first 2 MB of a huge page, skips non-HTML, honours robots.txt, reports a slow page and a 404', () => {
    const huge = checkOf(pages.huge());
    expect(huge.truncated).toBe(true);
    expect(linkOf(pages.huge(), COMPETITOR_B).live).toBe(true);
    expect(linkOf(pages.huge(), COMPETITOR_A).live).toBe(false);
    expect(checkOf(pages.json())).toMatchObject({ outcome: 'not_html' });
    expect(checkOf(pages.disallowed())).toMatchObject({ outcome: 'robots' });
    expect(site.requests).not.toContain(`${HOSTS.chamber} /private/list`);
    expect(checkOf(pages.slow())).toMatchObject({ outcome: 'timeout' });
    expect(checkOf(pages.gone())).toMatchObject({ outcome: 'http_status', status: 404 });
    const body = text(answer);
    expect(body).toContain('robots: robots.txt of');
    expect(body).toContain('(first 2 MB read)');
    expect(body).toContain('not_html: not an HTML page (application/json)');
  });

  it('says the fetches it counts beyond the pages checked are the sites\' home and contact pages', () => {
    const data = answer.structuredContent as { fetched: number; prospects: Array<{ pages: unknown[] }> };
    const checked = data.prospects.reduce((sum, prospect) => sum + prospect.pages.length, 0);
    expect(data.fetched).toBeGreaterThan(checked);
    expect(text(answer)).toContain(`Checked ${checked} pages`);
    expect(text(answer)).toContain(`${data.fetched} fetched (home and contact pages included)`);
  });

  it('answers a repeat from the cache without fetching again', async () => {
    const before = site.requests.length;
    const again = (await client.callTool({
      name: 'check_prospects',
      arguments: { urls: [pages.dofollow(), pages.removed()], competitor_domains: [COMPETITOR_A, COMPETITOR_B, COMPETITOR_C], your_domain: YOU },
    })) as CallToolResult;
    expect((again.structuredContent as any).from_cache).toBe(2);
    expect(site.requests.slice(before)).toEqual([]);
    expect((again.structuredContent as any).fetched).toBe(0);
    expect(site.requests.length).toBe(before);
    expect(text(again)).toContain('0 fetched, 2 from cache');
  });
});

describe('check_prospects on a run', () => {
  it('checks the run\'s known linking pages (home page when unknown), stores the results, and list_prospects and the CSV show them', async () => {
    const { client, runtime, close } = await connect(LOOPBACK, true, fixtureTransport(site.port));
    const prospect = (domain: string, extra: Partial<Prospect>): Prospect => ({
      domain,
      competitors: [COMPETITOR_A],
      found_by: ['local'],
      competitor_overlap: 1,
      tier: 'one',
      category: 'directory',
      score: 50,
      ...extra,
    });
    const run: GapRun = {
      run_id: 'run_checkfixture0001',
      provider: 'local',
      your_domain: YOU,
      competitor_domains: [COMPETITOR_A, COMPETITOR_B],
      min_competitors: 1,
      limit: 100,
      created_at: '2026-11-27T12:00:00.000Z',
      total_prospects: 2,
      prospects: [
        prospect(HOSTS.chamber, { score: 80, by_competitor: { [COMPETITOR_A]: { page: { url: site.url(HOSTS.chamber, '/members/plumbing') } } } }),
        prospect(HOSTS.directory, { score: 40 }),
      ],
    };
    await runtime.runs.save(run);
    const seen: Progress[] = [];
    const result = (await client.callTool(
      { name: 'check_prospects', arguments: { run_id: run.run_id, domains: [HOSTS.chamber, HOSTS.directory] } },
      CallToolResultSchema,
      { onprogress: (progress) => seen.push(progress) },
    )) as CallToolResult;
    expect(result.isError, text(result)).toBeFalsy();
    const data = result.structuredContent as any;
    expect(data.stored).toBe(2);
    const directory = data.prospects.find((row: { domain: string }) => row.domain === HOSTS.directory);
    expect(directory.pages_known).toBe(false);
    expect(directory.contact).toEqual({
      emails: ['hello@directory.test'],
      pages: [
        { kind: 'submit_listing', url: `https://${HOSTS.directory}/submit-listing` },
        { kind: 'contact', url: `https://${HOSTS.directory}/contact` },
      ],
    });
    expect(text(result)).toContain('pages unknown (home page checked)');
    expect(text(result)).toContain('get_backlinks');
    expect(seen.at(-1)).toMatchObject({ progress: 2, total: 2 });

    const listed = (await client.callTool({ name: 'list_prospects', arguments: { run_id: run.run_id } })) as CallToolResult;
    const rows = (listed.structuredContent as any).data;
    const chamber = rows.find((row: { domain: string }) => row.domain === HOSTS.chamber);
    expect(chamber).toMatchObject({ link_live: true, links_to_you: false });
    expect(chamber.verified).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(chamber.contact.emails).toEqual(['members@chamber.test']);
    expect(text(listed)).toMatch(/chamber\.test .* live \d\d-\d\d · contact members@chamber\.test/);

    const csv = text((await client.callTool({ name: 'list_prospects', arguments: { run_id: run.run_id, format: 'csv' } })) as CallToolResult);
    const [header, ...lines] = csv.trim().split('\n');
    expect(header).toContain('verified');
    expect(header).toContain('link_live');
    expect(header).toContain('contact');
    expect(lines.find((line) => line.startsWith(HOSTS.chamber))).toContain('members@chamber.test');
    await close();
  });

  it('refuses domains that are not prospects of the run, naming the way to check any page', async () => {
    const { client, runtime, close } = await connect(LOOPBACK);
    await runtime.runs.save({
      run_id: 'run_checkfixture0002',
      provider: 'local',
      your_domain: YOU,
      competitor_domains: [COMPETITOR_A],
      min_competitors: 1,
      limit: 10,
      created_at: '2026-11-27T12:00:00.000Z',
      total_prospects: 0,
      prospects: [],
    });
    const result = (await client.callTool({ name: 'check_prospects', arguments: { run_id: 'run_checkfixture0002', domains: ['nothere.com'] } })) as CallToolResult;
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(/nothere\.com is not a prospect of run run_checkfixture0002; .*urls with competitor_domains/);
    await close();
  });
});

describe('check_prospects, long calls', () => {
  it('stops fetching when the client cancels', async () => {
    const { client, close } = await connect({ ...LOOPBACK, BACKLINK_GAP_DEADLINE_MS: '60000' });
    const slowRequests = () => site.requests.filter((line) => line === `${HOSTS.blog} /slow`).length;
    const slowBefore = slowRequests();
    const controller = new AbortController();
    const call = client.callTool(
      { name: 'check_prospects', arguments: { urls: [site.url(HOSTS.blog, '/slow')], competitor_domains: [COMPETITOR_A] } },
      CallToolResultSchema,
      { signal: controller.signal },
    );
    await expect.poll(slowRequests).toBeGreaterThan(slowBefore);
    const open = site.requests.length;
    const abandoned = site.abandoned();
    controller.abort();
    await expect(call).rejects.toThrow();
    // The slow page's request is closed by us at once, not answered 20 s later.
    await expect.poll(() => site.abandoned(), { timeout: 3000 }).toBe(abandoned + 1);
    expect(site.requests.length).toBe(open);
    await close();
  });

  it('keeps a very large answer within the client limit, dropping the text around links first', async () => {
    const { renderCheckResult } = await import('../../src/summary/check.js');
    const context = 'x'.repeat(300);
    const outcome = {
      competitor_domains: Array.from({ length: 20 }, (_, index) => `rival${index}.com`),
      prospects: Array.from({ length: 50 }, (_, index) => ({
        domain: `site${index}.org`,
        pages_known: true,
        pages: [{ url: `https://site${index}.org/links`, outcome: 'ok' as const, status: 200, links: Array.from({ length: 20 }, (_, n) => ({ domain: `rival${n}.com`, live: true, href: `https://rival${n}.com/`, anchor: 'Rival', context })) }],
        link_live: true,
        contact: {},
        checked_at: '2026-12-01T00:00:00.000Z',
      })),
      fetched: 50,
      from_cache: 0,
      notes: [],
    };
    const rendered = renderCheckResult(outcome, 'concise', 20_000);
    expect((rendered.text.length + JSON.stringify(rendered.structured).length) / 3.4).toBeLessThanOrEqual(20_000);
    expect(rendered.text).not.toContain(context);
    expect(rendered.text).toContain('The text around each link was left out to fit the answer');
  });
});

describe('check_prospects safety without BACKLINK_GAP_FETCH_ALLOW_LOOPBACK', () => {
  it('refuses loopback and private targets before any connection', async () => {
    const { client, close } = await connect({ BACKLINK_GAP_DEADLINE_MS: '4000' }, false);
    const before = site.connections();
    const result = (await client.callTool({
      name: 'check_prospects',
      arguments: {
        urls: [`http://127.0.0.1:${site.port}/members/plumbing`, `http://localhost:${site.port}/`, `http://[::1]:${site.port}/`, 'http://10.1.2.3/', 'http://169.254.169.254/latest/meta-data/'],
        competitor_domains: [COMPETITOR_A],
      },
    })) as CallToolResult;
    expect(result.isError).toBeFalsy();
    const pages = (result.structuredContent as any).prospects.flatMap((prospect: { pages: unknown[] }) => prospect.pages);
    expect(pages).toHaveLength(5);
    for (const page of pages) expect(page.outcome).toBe('refused_address');
    expect(site.connections()).toBe(before);
    expect(text(result)).toContain('only public addresses are fetched');
    await close();
  });
});
