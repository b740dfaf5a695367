// Figures as a user reads them, through a real MCP client: what a headline count covers, the units of a
// spend quote, the call that finds linking pages (runnable where it was priced, never one that cannot
// give pages), and rows whose anchors no provider knows.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generateWebGraph } from '../../bench/generate-webgraph.js';
import { importRelease } from '../../src/providers/local/engine/webgraph.js';
import { callTool, connectClient } from '../helpers/client.js';
import { createFakeProvider, prospect } from '../helpers/fake-provider.js';
import { type FakeOneClickSeo, startFakeOneClickSeo } from '../helpers/fake-oneclickseo.js';
import { type FakeUpstream, startFakeUpstream } from '../helpers/fake-upstream.js';
import { type TestRuntime, testRuntime } from '../helpers/runtime.js';
import { DATAFORSEO_KEYS, type InProcess, inProcess, ROOT, textOf, upstreamEnv } from '../proof/harness.js';

const fixture = (path: string): unknown => JSON.parse(readFileSync(`${ROOT}test/fixtures/${path}`, 'utf8'));
const text = (result: CallToolResult) => (result.content[0] as { text: string }).text;

describe('paid providers behind a loopback fake', () => {
  let upstream: FakeUpstream;
  let server: InProcess;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    upstream.setDefault((request) => {
      if (request.url.startsWith('/v1/backlinks/gap')) return { kind: 'json', body: fixture('localseodata/gap.json') };
      if (request.url.startsWith('/v3/backlinks/domain_intersection/live')) return { kind: 'json', body: fixture('dataforseo/domain-intersection-live.json') };
      if (request.url.startsWith('/v3/backlinks/bulk_ranks/live')) return { kind: 'json', body: fixture('dataforseo/bulk-ranks-live.json') };
      return { kind: 'json', status: 404, body: {} };
    });
    server = await inProcess({
      ...DATAFORSEO_KEYS,
      LOCALSEODATA_API_KEY: 'SECRETKEY-LSD-figures-1234',
      DOMDETAILER_API_KEY: 'SECRETKEY-DD-figures-1234',
      DATAFORSEO_DAILY_BUDGET: '2.5',
      ...upstreamEnv(upstream.origin),
    });
  });

  afterAll(async () => {
    await server?.dispose();
    await upstream?.close();
  });

  it('LocalSEOData: a total counted before min_competitors is said to be that, not the count of sites linking to ≥2', async () => {
    // The documented answer: 34 opportunities in all, two returned, one of which links to both competitors.
    const result = await server.call('backlink_gap', {
      your_domain: 'mybusiness.com',
      competitor_domains: ['competitor1.com', 'competitor2.com'],
      provider: 'localseodata',
      min_competitors: 2,
    });
    const answer = textOf(result);
    expect(result.isError, answer).toBeFalsy();
    const headline = answer.split('\n')[0]!;
    expect(headline).toContain('34 prospects before the min_competitors filter');
    expect(headline).toContain('the run keeps the 1 fetched ones linking to ≥2 competitors');
    expect(headline).not.toMatch(/34 prospects[^;]*, linking to ≥2/);
    // The note counts what the provider returned, not the limit asked for.
    expect(answer).toContain('it returned 2 of them');
    expect(answer).not.toContain('only the first 100 were returned');
    expect(result.structuredContent).toMatchObject({ total_prospects: 34, kept: 1, total_before_min_competitors: true });
  });

  it('DataForSEO: the linking-pages call names the provider it was priced for, and runs as written', async () => {
    const result = await server.call('backlink_gap', { your_domain: 'mine.com', competitor_domains: ['a-rival.com', 'b-rival.com'], provider: 'dataforseo' });
    expect(result.isError, textOf(result)).toBeFalsy();
    const pagesCall = (result.structuredContent as { pages_call?: { call?: { arguments: Record<string, unknown> }; estimate?: { provider: string } } }).pages_call;
    // The user chose DataForSEO, which lists backlinks: the call goes there, not to the default (DomDetailer).
    expect(pagesCall?.call?.arguments).toEqual({ target: 'a-rival.com', mode: 'one_per_domain', provider: 'dataforseo' });
    expect(pagesCall?.estimate?.provider).toBe('dataforseo');
    expect(textOf(result)).toContain('get_backlinks {"target":"a-rival.com","mode":"one_per_domain","provider":"dataforseo"}');
    const quote = await server.call('get_backlinks', { ...pagesCall!.call!.arguments, dry_run: true });
    expect(textOf(quote)).toMatch(/^Dry run/);
    // Billed per row returned: the estimate prices the whole limit, so it is a maximum.
    expect(textOf(quote)).toContain('dataforseo: up to $');
    expect(textOf(result)).toMatch(/this one costs up to \$[\d.]+ with dataforseo/);
  });

  it('a spend quote gives the day\'s spend and budget in the provider\'s unit', async () => {
    const quote = await server.call('backlink_gap', {
      your_domain: 'mine.com',
      competitor_domains: ['a-rival.com', 'c-rival.com'],
      provider: 'dataforseo',
      dry_run: true,
    });
    const line = textOf(quote).split('\n').find((entry) => entry.startsWith('dataforseo:'));
    // Spent today is what the gap above cost, in dollars, against a $2.5 budget.
    expect(line).toMatch(/^dataforseo: up to \$[\d.]+ · spent today \$0\.0\d+ of budget \$2\.5$/);
  });
});

describe('a confirmation quote', () => {
  let runtime: TestRuntime | undefined;
  let client: Client | undefined;
  afterEach(async () => {
    await client?.close();
    await runtime?.dispose();
  });

  it('states the threshold in the provider\'s unit', async () => {
    const paid = createFakeProvider('domdetailer', { unit: 'credits', costPerCall: 30, prospects: [prospect('blog.example', ['rival.com'])] });
    runtime = testRuntime({ BACKLINK_GAP_PROVIDER: 'local', BACKLINK_GAP_CONFIRM_ABOVE: '20', DOMDETAILER_DAILY_BUDGET: '100' }, { domdetailer: paid });
    client = await connectClient({ service: runtime.service, logger: runtime.logger });
    const result = await callTool(client, 'backlink_gap', { your_domain: 'me.com', competitor_domains: ['rival.com'], provider: 'domdetailer' });
    expect(paid.calls.gap).toHaveLength(0);
    expect(text(result)).toContain('confirmation threshold (20 credits per call)');
    expect(text(result)).toContain('domdetailer: ~30 credits · spent today 0 credits of budget 100 credits');
  });
});

describe('the Common Crawl web graph (no linking pages, no anchors)', () => {
  let runtime: TestRuntime;
  let client: Client;
  const folders: string[] = [];
  let targets: string[] = [];

  beforeAll(async () => {
    const release = mkdtempSync(join(tmpdir(), 'blg-figures-release-'));
    const cacheDir = mkdtempSync(join(tmpdir(), 'blg-figures-cache-'));
    folders.push(release);
    const graph = await generateWebGraph(release, { edges: 900, vertices: 120, seed: 11 });
    targets = graph.levels[0]!.largestTargets;
    await importRelease(release, { cacheDir });
    runtime = testRuntime({}, undefined, cacheDir);
    client = await connectClient({ service: runtime.service, logger: runtime.logger });
  });

  afterAll(async () => {
    await client?.close();
    await runtime?.dispose();
    for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  });

  it('a gap does not send the user to a get_backlinks that has no pages either', async () => {
    const [a, b, you] = targets as [string, string, string];
    const result = await callTool(client, 'backlink_gap', { your_domain: you, competitor_domains: [a, b], provider: 'commoncrawl', top: 3 });
    const answer = text(result);
    expect(result.isError, answer).toBeFalsy();
    expect(answer).toContain('linking pages unknown (commoncrawl returns none), and no configured provider lists them');
    expect(answer).not.toMatch(/get_backlinks \{/);
    expect((result.structuredContent as { pages_call?: { call?: unknown } }).pages_call?.call).toBeUndefined();
  });

  it('a dofollow filter over a run whose follow is unknown says why nothing matches', async () => {
    const [a, b, you] = targets as [string, string, string];
    const gap = await callTool(client, 'backlink_gap', { your_domain: you, competitor_domains: [a, b], provider: 'commoncrawl', top: 1 });
    const runId = (gap.structuredContent as { run_id: string }).run_id;
    const kept = (gap.structuredContent as { kept: number }).kept;
    const answer = text(await callTool(client, 'list_prospects', { run_id: runId, dofollow: true }));
    expect(answer).toContain('0 match');
    expect(answer).toContain(`note: dofollow leaves out ${kept} prospects whose links' follow commoncrawl does not report`);
    const spam = await callTool(client, 'list_prospects', { run_id: runId, max_spam: 10, per_page: 5 });
    expect(text(spam)).toContain(`${kept} match`);
    expect(text(spam)).toContain(`note: max_spam keeps ${kept} prospects whose spam score commoncrawl does not report.`);
    expect((spam.structuredContent as { notes?: string[] }).notes).toHaveLength(1);
  });

  it('backlink rows name the linking site, not a made-up home page link or an empty anchor, and count edges, not links', async () => {
    const result = await callTool(client, 'get_backlinks', { target: targets[0]!, provider: 'commoncrawl', limit: 3 });
    const answer = text(result);
    expect(result.isError, answer).toBeFalsy();
    expect(answer).toContain('rows (linking site, no pages or anchors known, df? unknown, authority):');
    const lines = answer.split('\n');
    const rows = lines.slice(lines.findIndex((line) => line.startsWith('rows (')) + 1).filter((line) => line.includes(' (site) '));
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      expect(row).not.toContain('""');
      expect(row).not.toContain(' → ');
    }
    const top = lines.find((line) => line.startsWith('top referring domains'))!;
    expect(top).toMatch(/^top referring domains over \d+ referring domains \(the web graph counts edges between sites, not links\) \(edges, authority\): /);
    expect(top).not.toMatch(/over \d+ links|\d+\/\?df/);
  });
});

describe('the terminal tables (what the CLI prints)', () => {
  let runtime: TestRuntime;
  beforeAll(() => {
    runtime = testRuntime({ BACKLINK_GAP_PROVIDER: 'local' });
  });
  afterAll(async () => {
    await runtime?.dispose();
  });

  it('a gap with --min-competitors 2 says its prospects link to ≥2 competitors, and its hint names the command used', async () => {
    const { renderGapTable } = await import('../../src/summary/table.js');
    const outcome = await runtime.service.gap({
      your_domain: 'bluebonnetplumbing.com',
      competitor_domains: ['austinplumbingco.com', 'capitalcityplumbers.com'],
      min_competitors: 2,
    });
    if ('estimates' in outcome) throw new Error('expected a gap, got a dry run');
    const table = renderGapTable(outcome, 'concise', 'node dist/cli.js');
    expect(table).toContain(`${outcome.total_prospects} prospects link to ≥2 competitors but not to you`);
    expect(table).toContain(`More: node dist/cli.js prospects ${outcome.run_id}`);
  });

  it('a page past the end says which page is the last', async () => {
    const { renderProspectsTable } = await import('../../src/summary/table.js');
    const outcome = await runtime.service.gap({ your_domain: 'bluebonnetplumbing.com', competitor_domains: ['austinplumbingco.com', 'capitalcityplumbers.com'] });
    if ('estimates' in outcome) throw new Error('expected a gap, got a dry run');
    const page = await runtime.service.prospects({ run_id: outcome.run_id, min_authority: 30, dofollow: true, page: 2 });
    const table = renderProspectsTable(page, 'concise');
    expect(table).toContain(`page 2/1 · ${page.meta.total} match`);
    expect(table).toContain('Page 2 of 1: the last page is 1 (--page 1).');
  });
});

describe('a OneClickSEO run read back', () => {
  let ocs: FakeOneClickSeo;
  let server: InProcess;
  beforeAll(async () => {
    ocs = await startFakeOneClickSeo();
    ocs.state = 'completed';
    server = await inProcess({ ONECLICKSEO_API_KEY: 'SECRETKEY-OCS-figures-1234', ONECLICKSEO_BASE_URL: ocs.baseUrl });
  });
  afterAll(async () => {
    await server?.dispose();
    await ocs?.close();
  });

  it('says in its text what its structured notes say (the provider cannot sort by overlap)', async () => {
    const gap = await server.call('backlink_gap', { your_domain: 'mine.com', competitor_domains: ['a.com', 'b.com'], provider: 'oneclickseo' });
    expect(gap.isError, textOf(gap)).toBeFalsy();
    const page = await server.call('list_prospects', { run_id: (gap.structuredContent as { run_id: string }).run_id, sort: 'overlap' });
    const notes = (page.structuredContent as { notes?: string[] }).notes ?? [];
    expect(notes).toContain('OneClickSEO cannot sort by overlap: rows are in its score order.');
    for (const note of notes) expect(textOf(page)).toContain(`note: ${note}`);
  });
});

describe('a filter over prospects with unknown authority', () => {
  let runtime: TestRuntime;
  let client: Client;
  beforeAll(async () => {
    runtime = testRuntime({ BACKLINK_GAP_PROVIDER: 'local' });
    client = await connectClient({ service: runtime.service, logger: runtime.logger });
  });
  afterAll(async () => {
    await client?.close();
    await runtime?.dispose();
  });

  it('min_authority counts the prospects it leaves out for want of an authority figure', async () => {
    const gap = await callTool(client, 'backlink_gap', {
      your_domain: 'bluebonnetplumbing.com',
      competitor_domains: ['austinplumbingco.com', 'capitalcityplumbers.com', 'lonestarrooter.com'],
    });
    const runId = (gap.structuredContent as { run_id: string }).run_id;
    const all = await callTool(client, 'list_prospects', { run_id: runId, format: 'csv' });
    const unknown = (all.structuredContent as { csv: string }).csv.split('\n').slice(1).filter((line) => line.split(',')[1] === '').length;
    expect(unknown).toBeGreaterThan(0);
    const page = await callTool(client, 'list_prospects', { run_id: runId, min_authority: 10, per_page: 5 });
    expect(text(page)).toContain(`note: min_authority leaves out ${unknown} prospects whose authority local does not report.`);
  });
});

describe('a gap answer cut to fit', () => {
  let runtime: TestRuntime;
  let client: Client;
  beforeAll(async () => {
    runtime = testRuntime({ BACKLINK_GAP_PROVIDER: 'local' });
    client = await connectClient({ service: runtime.service, logger: runtime.logger });
  });
  afterAll(async () => {
    await client?.close();
    await runtime?.dispose();
  });

  it('counts the rows left out alike in text and structure, and its next call starts at the first of them', async () => {
    const competitors = ['austinplumbingco.com', 'capitalcityplumbers.com', 'lonestarrooter.com', 'hillcountryplumbing.com', 'eastsidepipeworks.com'];
    const gap = await callTool(client, 'backlink_gap', { your_domain: 'bluebonnetplumbing.com', competitor_domains: competitors, top: 50, response_format: 'detailed' });
    const structured = gap.structuredContent as {
      prospects: Array<{ domain: string }>;
      left_out: { below_top: number };
      next_call: { tool: string; arguments: Record<string, unknown> };
    };
    const shown = structured.prospects.length;
    expect(shown).toBeLessThan(50);
    const more = Number(/(\d+) more ranked below/.exec(text(gap))?.[1]);
    expect(structured.left_out.below_top).toBe(more);
    expect(structured.next_call.arguments).toMatchObject({ offset: shown, response_format: 'detailed' });
    expect(text(gap)).toContain(`next: list_prospects ${JSON.stringify(structured.next_call.arguments)}`);
    const next = await callTool(client, structured.next_call.tool, structured.next_call.arguments);
    const firstRow = text(next).split('\n').find((line) => /^\d+\. /.test(line));
    expect(firstRow).toMatch(new RegExp(`^${shown + 1}\\. `));
    const all = await callTool(client, 'list_prospects', { run_id: (gap.structuredContent as { run_id: string }).run_id, per_page: 100 });
    const order = (all.structuredContent as { data: Array<{ domain: string }> }).data.map((row) => row.domain);
    expect(order.slice(0, shown)).toEqual(structured.prospects.map((row) => row.domain));
    expect(firstRow).toContain(` ${order[shown]} `);
  });
});

describe('link_intersect paged', () => {
  let runtime: TestRuntime;
  let client: Client;
  beforeAll(async () => {
    runtime = testRuntime({ BACKLINK_GAP_PROVIDER: 'local' });
    client = await connectClient({ service: runtime.service, logger: runtime.logger });
  });
  afterAll(async () => {
    await client?.close();
    await runtime?.dispose();
  });

  it('numbers the rows of a next page on from the last one, as one long list', async () => {
    const args = { positive_targets: ['austinplumbingco.com', 'capitalcityplumbers.com'], negative_targets: ['bluebonnetplumbing.com'], limit: 20 };
    const whole = text(await callTool(client, 'link_intersect', args)).split('\n').filter((line) => /^\d+\. /.test(line));
    const first = await callTool(client, 'link_intersect', { ...args, limit: 10 });
    const next = (first.structuredContent as { next_call: { arguments: Record<string, unknown> } }).next_call;
    const second = await callTool(client, 'link_intersect', next.arguments);
    const rows = text(second).split('\n').filter((line) => /^\d+\. /.test(line));
    expect(rows).toHaveLength(10);
    expect(rows).toEqual(whole.slice(10, 20));
    expect(rows[0]).toMatch(/^11\. /);
  });
});

describe('get_backlinks of a target the data does not know', () => {
  let runtime: TestRuntime;
  let client: Client;
  beforeAll(async () => {
    runtime = testRuntime({ BACKLINK_GAP_PROVIDER: 'local' });
    client = await connectClient({ service: runtime.service, logger: runtime.logger });
  });
  afterAll(async () => {
    await client?.close();
    await runtime?.dispose();
  });

  it('says the target has no backlinks there, rather than to drop filters it never set', async () => {
    const empty = text(await callTool(client, 'get_backlinks', { target: 'example.com' }));
    expect(empty).toContain("example.com has no backlinks in local's data (the bundled synthetic sample knows only its sample market)");
    expect(empty).not.toContain('drop');
    const filtered = text(await callTool(client, 'get_backlinks', { target: 'austinplumbingco.com', anchor: 'zzzz' }));
    expect(filtered).toContain('No backlinks match; drop or loosen the filters (dofollow, anchor, min_authority).');
  });
});

describe('the cache hit rate in usage', () => {
  let runtime: TestRuntime | undefined;
  let client: Client | undefined;
  afterEach(async () => {
    await client?.close();
    await runtime?.dispose();
  });

  it('counts calls: one fresh and one cached gap are 1 hit and 1 miss, also with a confirmation threshold and a stricter repeat', async () => {
    const paid = createFakeProvider('domdetailer', { prospects: [prospect('blog.example', ['rival.com']), prospect('news.example', ['rival.com', 'other.com'])] });
    runtime = testRuntime({ BACKLINK_GAP_PROVIDER: 'local', BACKLINK_GAP_CONFIRM_ABOVE: '100' }, { domdetailer: paid });
    client = await connectClient({ service: runtime.service, logger: runtime.logger });
    const gap = { your_domain: 'me.com', competitor_domains: ['rival.com', 'other.com'], provider: 'domdetailer' };
    await callTool(client, 'backlink_gap', gap);
    await callTool(client, 'backlink_gap', gap);
    expect(paid.calls.gap).toHaveLength(1);
    expect(text(await callTool(client, 'usage', {}))).toContain('hit rate 50% (1 hits, 1 misses since start)');
    // A stricter question answered from the broad one held in the cache is one more hit.
    await callTool(client, 'backlink_gap', { ...gap, min_competitors: 2 });
    expect(paid.calls.gap).toHaveLength(1);
    expect(text(await callTool(client, 'usage', {}))).toContain('(2 hits, 1 misses since start)');
  });
});

describe('an estimate that is a maximum', () => {
  let runtime: TestRuntime | undefined;
  let client: Client | undefined;
  afterEach(async () => {
    await client?.close();
    await runtime?.dispose();
  });

  it('says "up to" where the provider bills per row returned (Moz), "~" where it is a real estimate (DomDetailer)', async () => {
    runtime = testRuntime({ BACKLINK_GAP_PROVIDER: 'local', MOZ_API_TOKEN: 'moz-token-figures-1234' });
    client = await connectClient({ service: runtime.service, logger: runtime.logger });
    const moz = await callTool(client, 'backlink_gap', { your_domain: 'me.com', competitor_domains: ['rival.com'], provider: 'moz', limit: 100, dry_run: true });
    expect(text(moz)).toContain('moz: up to 500 rows');
    expect(text(moz)).not.toContain('~500');
    await client.close();
    await runtime.dispose();
    const paid = createFakeProvider('domdetailer', { unit: 'credits', costPerCall: 30 });
    runtime = testRuntime({ BACKLINK_GAP_PROVIDER: 'local' }, { domdetailer: paid });
    client = await connectClient({ service: runtime.service, logger: runtime.logger });
    const domdetailer = await callTool(client, 'backlink_gap', { your_domain: 'me.com', competitor_domains: ['rival.com'], provider: 'domdetailer', dry_run: true });
    expect(text(domdetailer)).toContain('domdetailer: ~30 credits');
  });
});

describe('authority in text', () => {
  let runtime: TestRuntime | undefined;
  let client: Client | undefined;
  afterEach(async () => {
    await client?.close();
    await runtime?.dispose();
  });

  it('reads the same in backlink_gap and get_backlinks (whole numbers), the structured value kept as given', async () => {
    const paid = createFakeProvider('domdetailer', {
      prospects: [prospect('plumbingblog.com', ['rival.com'], { authority: 66.5 })],
      backlinks: [{ source_url: 'https://plumbingblog.com/post', source_domain: 'plumbingblog.com', target_url: 'https://rival.com/', anchor: 'rival', dofollow: true, authority: 66.5 }],
    });
    runtime = testRuntime({ BACKLINK_GAP_PROVIDER: 'local' }, { domdetailer: paid });
    client = await connectClient({ service: runtime.service, logger: runtime.logger });
    const gap = text(await callTool(client, 'backlink_gap', { your_domain: 'me.com', competitor_domains: ['rival.com'], provider: 'domdetailer' }));
    expect(gap).toMatch(/plumbingblog\.com.* a67\b/);
    const backlinks = await callTool(client, 'get_backlinks', { target: 'rival.com', provider: 'domdetailer' });
    expect(text(backlinks)).toMatch(/plumbingblog\.com\/post .* a67\b/);
    expect(text(backlinks)).not.toContain('a66.5');
    expect(JSON.stringify(backlinks.structuredContent)).toContain('66.5');
  });
});

describe('backlink_gap with nothing cut', () => {
  it('its next call starts at the first row not shown, not at page 1 again', async () => {
    const runtime = testRuntime({ BACKLINK_GAP_PROVIDER: 'local' });
    const client = await connectClient({ service: runtime.service, logger: runtime.logger });
    try {
      const result = await callTool(client, 'backlink_gap', { your_domain: 'bluebonnetplumbing.com', competitor_domains: ['austinplumbingco.com', 'capitalcityplumbers.com'], top: 5 });
      const structured = result.structuredContent as { prospects: Array<{ domain: string }>; next_call: { arguments: Record<string, unknown> } };
      expect(structured.prospects).toHaveLength(5);
      expect(structured.next_call.arguments).toMatchObject({ offset: 5 });
      expect(structured.next_call.arguments).not.toHaveProperty('page');
      const next = await callTool(client, 'list_prospects', structured.next_call.arguments);
      const rows = (next.structuredContent as { data: Array<{ domain: string }> }).data.map((row) => row.domain);
      expect(rows.length).toBeGreaterThan(0);
      for (const shown of structured.prospects) expect(rows).not.toContain(shown.domain);
    } finally {
      await client.close();
      await runtime.dispose();
    }
  });
});
