// Every tool through a real MCP client over an in-memory transport, on the bundled sample.

import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { encode } from 'gpt-tokenizer/encoding/o200k_base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callTool, connectClient } from './helpers/client.js';
import { COMPETITORS, YOU, sampleTruth } from './helpers/sample-truth.js';
import { type TestRuntime, testRuntime } from './helpers/runtime.js';

let runtime: TestRuntime;
let client: Client;
const truth = sampleTruth();

beforeAll(async () => {
  runtime = testRuntime();
  client = await connectClient({ service: runtime.service, logger: runtime.logger });
});

afterAll(async () => {
  await client.close();
  await runtime.dispose();
});

const call = (name: string, args: Record<string, unknown>) => callTool(client, name, args);

const text = (result: CallToolResult) => (result.content[0] as { text: string }).text;

/** Links from `source` to `competitor` in the sample, and how many are dofollow. */
function linkCounts(source: string, competitor: string): { links: number; dofollow: number } {
  const rows = truth.linksTo(competitor).filter((link) => {
    const host = new URL(link.source_url!).hostname.replace(/^www\./, '');
    return host === source || host.endsWith(`.${source}`);
  });
  return { links: rows.length, dofollow: rows.filter((link) => link.nofollow !== 'true').length };
}

describe('tools/list', () => {
  it('lists the tools with strict schemas, annotations and short descriptions', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(expect.arrayContaining(['backlink_gap', 'check_prospects', 'get_backlinks', 'link_intersect', 'list_prospects', 'usage']));
    for (const tool of tools) {
      expect(tool.description!.length).toBeLessThan(1500);
      expect(tool.inputSchema.additionalProperties).toBe(false);
      expect(tool.annotations?.readOnlyHint).toBe(true);
    }
    expect(tools.find((tool) => tool.name === 'backlink_gap')?.outputSchema?.properties).toHaveProperty('run_id');
  });

  it('stays within 3,000 tokens, and no output schema declares an object that says nothing', async () => {
    const { tools } = await client.listTools();
    expect(encode(JSON.stringify(tools)).length).toBeLessThanOrEqual(3000);
    const empty: string[] = [];
    const visit = (schema: unknown, path: string) => {
      if (schema === null || typeof schema !== 'object') return;
      const node = schema as { type?: string; properties?: Record<string, unknown>; items?: unknown };
      if (node.type === 'object' && (!node.properties || Object.keys(node.properties).length === 0)) empty.push(path);
      for (const [key, inner] of Object.entries(node.properties ?? {})) visit(inner, `${path}.${key}`);
      visit(node.items, `${path}[]`);
    };
    for (const tool of tools) if (tool.outputSchema) visit(tool.outputSchema, tool.name);
    expect(empty).toEqual([]);
  });

  it('describes what the figures mean and points to what shows a prospect\'s links to competitors', async () => {
    const { tools } = await client.listTools();
    const description = (name: string) => tools.find((tool) => tool.name === name)!.description!;
    expect(description('backlink_gap')).toMatch(/df 4\/12/);
    expect(description('backlink_gap')).not.toMatch(/get_backlinks on a prospect/);
    expect(description('get_backlinks')).toMatch(/links pointing TO a domain/);
    expect(description('get_backlinks')).toMatch(/over every link matching the filters/);
    expect(description('link_intersect')).toMatch(/at least min_matching_targets \(default 1\)/);
    expect(description('link_intersect')).not.toMatch(/get_backlinks on a source/);
  });
});

describe('backlink_gap on the sample', () => {
  it('returns the gap computed from the dataset, ranked, with a run and the next call', async () => {
    const result = await call('backlink_gap', { your_domain: `https://www.${YOU}/`, competitor_domains: COMPETITORS, limit: 1000 });
    expect(result.isError).toBeFalsy();
    const data = result.structuredContent as Record<string, any>;
    expect(data.total_prospects).toBe(truth.gap.size);
    expect(data.synthetic).toBe(true);
    expect(data.cost).toEqual({ amount: 0, unit: 'none', provider: 'local' });
    expect(data.prospects.length).toBeGreaterThan(0);
    expect(data.prospects.length).toBeLessThanOrEqual(15);
    for (const row of data.prospects) {
      expect(new Set(row.competitors)).toEqual(truth.gap.get(row.domain));
      expect(row.competitor_overlap).toBe(row.competitors.length);
      expect(row.score).toBeGreaterThanOrEqual(0);
      expect(row.score).toBeLessThanOrEqual(100);
    }
    const scores = data.prospects.map((row: { score: number }) => row.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(text(result)).toContain(data.run_id);
    expect(text(result)).toMatch(/next: list_prospects/);
    expect(text(result)).toMatch(/SYNTHETIC/);
    expect(result.content.some((item) => item.type === 'resource_link')).toBe(true);

    const page = await call('list_prospects', { run_id: data.run_id, per_page: 100, page: 1, sort: 'overlap', include_platforms: true });
    const listed = page.structuredContent as Record<string, any>;
    expect(listed.meta.total).toBe(truth.gap.size);
    expect(listed.data[0].competitor_overlap).toBe(Math.max(...[...truth.gap.values()].map((set) => set.size)));

    const csv = await call('list_prospects', { run_id: data.run_id, format: 'csv', include_platforms: true });
    expect(text(csv).trim().split('\n')).toHaveLength(truth.gap.size + 1);

    const resource = await client.readResource({ uri: `backlink-gap://runs/${data.run_id}` });
    expect(JSON.parse((resource.contents[0] as { text: string }).text).prospects).toHaveLength(truth.gap.size);
  });

  it('concise output carries every field the README promises', async () => {
    const result = await call('backlink_gap', { your_domain: YOU, competitor_domains: COMPETITORS });
    const data = result.structuredContent as Record<string, any>;
    for (const key of ['run_id', 'provider', 'your_domain', 'competitor_domains', 'total_prospects', 'prospects', 'facets', 'cached', 'cost', 'next_call']) {
      expect(data, key).toHaveProperty(key);
    }
    expect(Object.keys(data.facets).sort()).toEqual(['authority', 'category', 'competitor', 'route', 'tier']);
    expect(Object.keys(data.facets.authority)).toEqual(expect.arrayContaining(['0-19', '20-39', '40-59', '60-79', '80-100']));
    const known = data.prospects.find((row: Record<string, unknown>) => row.authority !== undefined && row.spam_score !== undefined);
    for (const key of ['domain', 'authority', 'competitors', 'competitor_overlap', 'backlinks', 'dofollow', 'spam_score', 'score', 'tier', 'category']) {
      expect(known, key).toHaveProperty(key);
    }
    for (const row of data.prospects) expect(Object.values(row)).not.toContain(null);
    const body = text(result);
    for (const part of ['tiers:', 'authority:', 'categories:', 'per competitor:', data.run_id, 'next: list_prospects', 'cost local free']) {
      expect(body).toContain(part);
    }
  });

  it('says a page past the end is past the end, and that the final page is the last', async () => {
    const gap = (await call('backlink_gap', { your_domain: YOU, competitor_domains: COMPETITORS, limit: 150 })).structuredContent as { run_id: string };
    const past = text(await call('list_prospects', { run_id: gap.run_id, per_page: 100, page: 9 }));
    expect(past).toContain('page 9 of 2: the last page is 2');
    expect(past).not.toMatch(/loosen|min_authority/);
    expect(past).toMatch(/next: list_prospects .*"page":2/);
    const last = text(await call('list_prospects', { run_id: gap.run_id, per_page: 100, page: 2 }));
    expect(last).toMatch(/last page \(2 of 2\)/);
    const none = text(await call('list_prospects', { run_id: gap.run_id, min_authority: 100, max_spam: 0 }));
    expect(none).toContain('No prospects match min_authority: 100, max_spam: 0');
    expect(none).not.toMatch(/dofollow|q:/);
  });

  it('shows dofollow/total links per prospect and, in detailed output, per competitor with its linking page', async () => {
    const concise = await call('backlink_gap', { your_domain: YOU, competitor_domains: COMPETITORS });
    const rows = (concise.structuredContent as { prospects: Array<Record<string, any>> }).prospects;
    for (const row of rows) {
      const counts = row.competitors.map((competitor: string) => linkCounts(row.domain, competitor));
      const links = counts.reduce((sum: number, count: { links: number }) => sum + count.links, 0);
      const dofollow = counts.reduce((sum: number, count: { dofollow: number }) => sum + count.dofollow, 0);
      expect([row.domain, row.backlinks, row.dofollow_links]).toEqual([row.domain, links, dofollow]);
      expect(text(concise)).toMatch(new RegExp(`\\. ${row.domain.replace(/\./g, '\\.')} .* df ${dofollow}/${links} `));
      expect(row.linking_page).toMatch(/^https?:\/\//);
    }
    // bbb.org: 4 of its 12 links to competitors are dofollow (every link to austinplumbingco.com nofollow).
    expect(text(concise)).toMatch(/bbb\.org .* df 4\/12 /);

    const detailed = await call('backlink_gap', { your_domain: YOU, competitor_domains: COMPETITORS, top: 3, response_format: 'detailed' });
    const bbb = (detailed.structuredContent as { prospects: Array<Record<string, any>> }).prospects.find((row) => row.domain === 'bbb.org')!;
    for (const competitor of COMPETITORS) {
      const expected = linkCounts('bbb.org', competitor);
      expect(bbb.by_competitor[competitor]).toMatchObject({ links: expected.links, dofollow_links: expected.dofollow });
      expect(new URL(bbb.by_competitor[competitor].page.url).hostname).toMatch(/bbb\.org$/);
      expect(text(detailed)).toContain(`   ${competitor}: ${expected.links} link${expected.links === 1 ? '' : 's'}, ${expected.dofollow} df ← /`);
    }
    expect(bbb.by_competitor[COMPETITORS[0]!].page.rel).toEqual({ nofollow: true });
  });

  it('keeps, with dofollow true, only prospects with a dofollow link to a competitor, and says so', async () => {
    const gap = (await call('backlink_gap', { your_domain: YOU, competitor_domains: COMPETITORS, limit: 1000 })).structuredContent as { run_id: string };
    const all = (await call('list_prospects', { run_id: gap.run_id, format: 'csv' }));
    const lines = text(all).trim().split('\n');
    const header = lines[0]!.split(',');
    const withDofollow = lines.slice(1).filter((line) => Number(line.split(',')[header.indexOf('dofollow_links')]) > 0).length;
    const page = await call('list_prospects', { run_id: gap.run_id, dofollow: true, per_page: 100 });
    const data = page.structuredContent as { data: Array<{ domain: string; dofollow_links: number }>; meta: { total: number } };
    expect(data.meta.total).toBe(withDofollow);
    expect(data.data.map((row) => row.domain)).not.toContain('yelp.com');
    for (const row of data.data) expect(row.dofollow_links).toBeGreaterThan(0);
    expect(text(page)).toContain('only prospects with at least one dofollow link to a competitor');
  });

  it('fits the concise top 15, each with a linking page, in 1,500 tokens', async () => {
    const result = await call('backlink_gap', { your_domain: YOU, competitor_domains: COMPETITORS });
    const rows = text(result).split('\n').filter((line) => /^\d+\. /.test(line));
    expect(rows).toHaveLength(15);
    for (const row of rows) expect(row).toMatch(/ \/\S*|\S+\.\S+\/\S*$/);
    expect(encode(text(result)).length).toBeLessThanOrEqual(1500);
  });

  it('turns bad input into isError results that say what to do', async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ your_domain: 'nope', competitor_domains: ['a.com'] }, /your_domain/],
      [{ your_domain: YOU, competitor_domains: [] }, /competitor_domains/],
      [{ your_domain: YOU, competitor_domains: [YOU] }, /your own domain/],
      [{ your_domain: YOU, competitor_domains: ['a.com'], provider: 'moz' }, /MOZ_API_TOKEN/],
      [{ your_domain: 'x'.repeat(10_000), competitor_domains: ['a.com'] }, /your_domain/],
    ];
    for (const [args, message] of cases) {
      const result = await call('backlink_gap', args);
      expect(result.isError, JSON.stringify(args).slice(0, 80)).toBe(true);
      expect(text(result)).toMatch(message);
      expect(text(result)).not.toMatch(/\n\s+at /);
    }
    const badPage = await call('list_prospects', { run_id: 'run_x', per_page: 500 });
    expect(badPage.isError).toBe(true);
    expect(text(badPage)).toMatch(/per_page/);
    const unknown = await call('list_prospects', { run_id: 'run_0000000000000000' });
    expect(text(unknown)).toMatch(/backlink_gap/);
  });
});

describe('get_backlinks and link_intersect on the sample', () => {
  it('lists the backlinks of a competitor with metrics over all its links', async () => {
    const target = COMPETITORS[0]!;
    const result = await call('get_backlinks', { target, mode: 'one_per_domain', limit: 1000 });
    expect(result.isError).toBeFalsy();
    const data = result.structuredContent as Record<string, any>;
    const links = truth.linksTo(target);
    expect(data.metrics.links_in).toBe(links.length);
    const sources = new Set(data.backlinks.map((row: { source_domain: string }) => row.source_domain));
    expect(sources.size).toBe(data.backlinks.length);
    expect(data.metrics.ref_domains).toBe(sources.size);
    expect(text(result)).toMatch(/top referring domains/);
  });

  it('counts top referring domains and anchors over every matching link, not the page, and says so', async () => {
    const target = COMPETITORS[0]!;
    const links = truth.linksTo(target);
    const anchorCounts = new Map<string, number>();
    for (const link of links) anchorCounts.set(link.anchor!.trim().toLowerCase(), (anchorCounts.get(link.anchor!.trim().toLowerCase()) ?? 0) + 1);
    const [topAnchor, topCount] = [...anchorCounts].sort((a, b) => b[1] - a[1])[0]!;
    const result = await call('get_backlinks', { target, limit: 5 });
    const data = result.structuredContent as { backlinks: unknown[]; summary: Record<string, any> };
    expect(data.backlinks).toHaveLength(5);
    expect(data.summary).toMatchObject({ covered_links: links.length, covers: 'matching' });
    expect(data.summary.anchors[0]).toEqual({ anchor: topAnchor, links: topCount, share: Math.round((topCount / links.length) * 1000) / 1000 });
    expect(text(result)).toContain(`anchors over ${links.length} links`);
    expect(text(result)).toContain(`"${topAnchor}" ${topCount} (${Math.round((topCount / links.length) * 100)}%)`);
    expect(text(result)).toContain(`top referring domains over ${links.length} links`);
    const domains = new Set(links.map((link) => new URL(link.source_url!).hostname));
    expect(data.summary.referring_domains.reduce((sum: number, row: { links: number }) => sum + row.links, 0)).toBeLessThanOrEqual(links.length);
    expect(data.summary.referring_domain_count).toBeLessThanOrEqual(domains.size);

    // Filters included: only the dofollow links are counted.
    const dofollow = links.filter((link) => link.nofollow !== 'true').length;
    const filtered = await call('get_backlinks', { target, limit: 5, dofollow: true });
    expect((filtered.structuredContent as { summary: { covered_links: number } }).summary.covered_links).toBe(dofollow);
    expect(text(filtered)).toContain(`anchors over ${dofollow} links`);
  });

  it('finds sources linking to two competitors but not to you', async () => {
    const result = await call('link_intersect', {
      positive_targets: COMPETITORS.slice(0, 2),
      negative_targets: [YOU],
      min_matching_targets: 2,
      limit: 50,
    });
    expect(result.isError).toBeFalsy();
    const data = result.structuredContent as Record<string, any>;
    const expected = [...truth.gap].filter(([, set]) => set.has(COMPETITORS[0]!) && set.has(COMPETITORS[1]!)).map(([domain]) => domain);
    expect(data.total ?? data.results.length).toBe(expected.length);
    for (const row of data.results) expect(expected).toContain(row.source_domain);
  });

  it('refuses more than 6 targets', async () => {
    const result = await call('link_intersect', { positive_targets: COMPETITORS, negative_targets: [YOU, 'other.com'] });
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(/6/);
  });
});

describe('usage and prompt', () => {
  it('reports providers and cache', async () => {
    const result = await call('usage', {});
    expect(result.isError).toBeFalsy();
    expect(text(result)).toMatch(/local \(default\)/);
    expect(text(result)).toMatch(/cache persistent/);
  });

  it('offers the link_building_plan prompt', async () => {
    const prompt = await client.getPrompt({ name: 'link_building_plan', arguments: { your_domain: YOU, competitors: COMPETITORS.join(',') } });
    const body = (prompt.messages[0]!.content as { text: string }).text;
    expect(body).toContain('backlink_gap');
    expect(body).toContain(COMPETITORS[4]);
    // Every step names a call the tools take as written: a prospect's links to competitors come from
    // list_prospects detailed (get_backlinks on a competitor cannot filter by source).
    expect(body).not.toMatch(/get_backlinks/);
    const { tools } = await client.listTools();
    const listArgs = Object.keys(tools.find((tool) => tool.name === 'list_prospects')!.inputSchema.properties!);
    for (const arg of ['min_authority', 'max_spam', 'dofollow', 'include_platforms', 'q', 'response_format', 'format']) {
      expect(body).toContain(arg);
      expect(listArgs).toContain(arg);
    }
  });
});

describe('category and route selection on the sample', () => {
  const gapOf = async (args: Record<string, unknown>) => {
    const result = await call('backlink_gap', { your_domain: YOU, competitor_domains: COMPETITORS, ...args });
    expect(result.isError, text(result)).toBeFalsy();
    return { result, data: result.structuredContent as Record<string, any> };
  };

  it('leaves paid listings out in one call, counts them, and keeps the selection on the next call', async () => {
    const all = await gapOf({ top: 50 });
    const paid = all.data.facets.route.paid_listing as number;
    expect(paid).toBeGreaterThan(0);
    expect(all.data.prospects.some((row: { route: string }) => row.route === 'paid_listing')).toBe(true);

    const { result, data } = await gapOf({ top: 50, exclude_route: ['paid_listing'] });
    expect(data.prospects.length).toBeGreaterThan(0);
    expect(data.prospects.every((row: { route: string }) => row.route !== 'paid_listing')).toBe(true);
    expect(data.left_out.filtered).toBe(paid);
    expect(text(result)).toContain(`${paid} left out by the category/route filters`);
    expect(data.next_call.arguments).toMatchObject({ run_id: data.run_id, exclude_route: ['paid_listing'] });

    const next = await call('list_prospects', data.next_call.arguments);
    const listed = next.structuredContent as Record<string, any>;
    expect(listed.data.every((row: { route: string }) => row.route !== 'paid_listing')).toBe(true);
    expect(listed.meta.total).toBe(data.kept - data.left_out.platform_or_social - data.left_out.suspect_spam - paid);
  });

  it('a detailed page continues detailed: the next call keeps response_format and the platform choice', async () => {
    const { data } = await gapOf({});
    const first = (await call('list_prospects', { run_id: data.run_id, per_page: 100, include_platforms: true, response_format: 'detailed' })).structuredContent as Record<string, any>;
    expect(first.next_call.arguments).toMatchObject({ response_format: 'detailed', include_platforms: true });
    const second = (await call('list_prospects', first.next_call.arguments)).structuredContent as Record<string, any>;
    expect(second.data[0].by_competitor).toBeDefined();
  });

  it('keeps only the routes and categories asked for', async () => {
    const { data } = await gapOf({ route: ['membership'] });
    expect(data.prospects.length).toBeGreaterThan(0);
    expect(data.prospects.every((row: { route: string }) => row.route === 'membership')).toBe(true);
    const run = data.run_id as string;
    const chambers = (await call('list_prospects', { run_id: run, category: ['chamber_or_association'], exclude_route: ['membership'], per_page: 100 })).structuredContent as Record<string, any>;
    const rows: Array<{ category: string; route: string }> = chambers.data ?? [];
    expect(rows.every((row) => row.category === 'chamber_or_association' && row.route !== 'membership')).toBe(true);
    // Against the same run without the route filter: exactly its non-membership chambers are left.
    const every = (await call('list_prospects', { run_id: run, category: ['chamber_or_association'], per_page: 100 })).structuredContent as Record<string, any>;
    const all: Array<{ route: string }> = every.data ?? [];
    expect(all.length).toBeGreaterThan(0);
    expect(rows.length).toBe(all.filter((row) => row.route !== 'membership').length);
  });

  it('treats platforms the same by default in backlink_gap and list_prospects', async () => {
    const { data } = await gapOf({ top: 50, limit: 40 });
    const listed = (await call('list_prospects', { run_id: data.run_id, per_page: 50 })).structuredContent as Record<string, any>;
    expect(listed.data.map((row: { domain: string }) => row.domain)).toEqual(data.prospects.map((row: { domain: string }) => row.domain));
    const hidden = data.left_out.platform_or_social + data.left_out.suspect_spam;
    expect(hidden).toBeGreaterThan(0);
    expect(listed.platforms_hidden).toBe(hidden);
    const shown = (await call('list_prospects', { run_id: data.run_id, per_page: 50, include_platforms: true })).structuredContent as Record<string, any>;
    expect(shown.meta.total).toBe(data.kept);
  });

  it('refuses a route that does not exist, naming the ones that do', async () => {
    const result = await call('backlink_gap', { your_domain: YOU, competitor_domains: COMPETITORS, exclude_route: ['paid_directory'] });
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(/paid_listing/);
  });
});
