// The answer-size cap: a huge answer is cut by whole rows, says how many were left out, and its next
// call starts with the first row left out. Token counts use the o200k tokenizer, as the issue asks.

import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { encode } from 'gpt-tokenizer/encoding/o200k_base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callTool, connectClient } from './helpers/client.js';
import { backlinkRows, createFakeProvider, prospect } from './helpers/fake-provider.js';
import { type TestRuntime, testRuntime } from './helpers/runtime.js';

let runtime: TestRuntime;
let client: Client;
const ROWS = backlinkRows(5000).map((row, index) => ({
  ...row,
  anchor: `anchor text number ${index} about emergency plumbing repairs`,
  title: `Page title ${index} with some words`,
}));
const COMPETITORS = ['a.com', 'b.com', 'c.com', 'd.com', 'e.com'];

beforeAll(async () => {
  const fake = createFakeProvider('dataforseo', {
    unit: 'usd',
    costPerCall: 0.02,
    backlinks: ROWS,
    prospects: Array.from({ length: 1000 }, (_, i) =>
      prospect(`prospect-number-${i}-example.com`, COMPETITORS.slice(0, 1 + (i % 5)), {
        authority: i % 100,
        dofollow: i % 2 === 0,
        spam_score: i % 7,
        by_competitor: Object.fromEntries(
          COMPETITORS.slice(0, 1 + (i % 5)).map((competitor) => [
            competitor,
            { links: 3, dofollow_links: 1, page: { url: `https://prospect-number-${i}-example.com/members/directory/home-services/${competitor}`, anchor: 'plumbing services in town' } },
          ]),
        ),
      }),
    ),
  });
  // 50 intersect rows, each with a long title and a page per target, so a detailed answer is cut to fit.
  fake.intersect = async (query) => ({
    results: Array.from({ length: 50 }, (_, i) => ({
      source: `source-number-${i}-example.org`,
      source_domain: `source-number-${i}-example.org`,
      domain_authority: 90 - i,
      title: `A long page title number ${i} for a site that links to several of the targets given here`.repeat(2),
      matching_targets: query.positive_targets.map((target) => target.target),
      matching_source_pages: query.positive_targets.map((target) => ({
        target: target.target,
        page: `https://source-number-${i}-example.org/resources/local-businesses/home-services/plumbing/${target.target}/listing`,
      })),
    })),
    total: 50,
    cost: { amount: 0.02, unit: 'usd', provider: 'dataforseo' },
  });
  // The fake pages 1000 rows at a time, like the real API's maximum.
  const backlinks = fake.backlinks!.bind(fake);
  fake.backlinks = (query, context) => backlinks({ ...query, limit: Math.min(query.limit, 1000) }, context);
  runtime = testRuntime({}, { dataforseo: fake });
  client = await connectClient({ service: runtime.service, logger: runtime.logger }, { name: 'cap' });
});

afterAll(async () => {
  await client.close();
  await runtime.dispose();
});

const call = (name: string, args: Record<string, unknown>) => callTool(client, name, args);
const textOf = (result: CallToolResult) => (result.content[0] as { text: string }).text;
const tokensOf = (result: CallToolResult) => encode(textOf(result)).length + encode(JSON.stringify(result.structuredContent ?? {})).length;

describe('the answer-size cap', () => {
  it('cuts a 1,000-row backlinks page by rows, says how many were left out, and resumes at the first of them', async () => {
    const first = await call('get_backlinks', { target: 'a.com', limit: 1000, response_format: 'detailed' });
    const data = first.structuredContent as { backlinks: Array<{ source_url: string }>; next_cursor: string; next_call: { arguments: Record<string, unknown> } };
    const shown = data.backlinks.length;
    expect(shown).toBeGreaterThan(10);
    expect(shown).toBeLessThan(1000);
    expect(textOf(first)).toContain(`${1000 - shown} rows left out to fit the answer size`);
    expect(tokensOf(first)).toBeLessThan(25_000);
    // Every shown row is whole: the last one carries its anchor in full.
    expect(textOf(first)).toContain(`"${ROWS[shown - 1]!.anchor}"`);

    const next = await call('get_backlinks', data.next_call.arguments);
    const nextData = next.structuredContent as { backlinks: Array<{ source_url: string }> };
    expect(nextData.backlinks[0]!.source_url).toBe(ROWS[shown]!.source_url);
  });

  it('says a paid provider\'s backlinks summary covers only the links fetched', async () => {
    const result = await call('get_backlinks', { target: 'a.com' });
    const data = result.structuredContent as { summary: { covers: string; covered_links: number } };
    // The fetched rows: this page, or the larger cached answer it was served from.
    expect(data.summary.covers).toBe('fetched');
    expect(data.summary.covered_links).toBeGreaterThanOrEqual(100);
    expect(data.summary.covered_links).toBeLessThan(5000);
    expect(textOf(result)).toContain(`anchors over the ${data.summary.covered_links} links fetched (of 5000 matching)`);
  });

  it('continues a list_prospects page cut to fit at the first row left out', async () => {
    const gap = (await call('backlink_gap', { your_domain: 'me.com', competitor_domains: COMPETITORS, limit: 1000 })).structuredContent as { run_id: string };
    // The fake's names (prospect-number-1-example.com) look like spam, which list_prospects hides by default.
    const first = await call('list_prospects', { run_id: gap.run_id, per_page: 100, response_format: 'detailed', include_platforms: true });
    const data = first.structuredContent as { data: Array<{ domain: string }>; next_call: { arguments: Record<string, unknown> } };
    const shown = data.data.length;
    expect(shown).toBeGreaterThan(10);
    expect(shown).toBeLessThan(100);
    expect(textOf(first)).toContain(`${100 - shown} rows of this page left out to fit the answer size (the next call starts with them)`);
    expect(data.next_call.arguments).toMatchObject({ offset: shown, per_page: 100 });
    const order = (await call('list_prospects', { run_id: gap.run_id, format: 'csv', include_platforms: true })).structuredContent as { csv: string };
    const domains = order.csv.trim().split('\n').slice(1).map((line) => line.split(',')[0]);
    const next = await call('list_prospects', data.next_call.arguments);
    const nextData = next.structuredContent as { data: Array<{ domain: string }> };
    expect(nextData.data[0]!.domain).toBe(domains[shown]);
    expect(textOf(next)).toContain(`rows ${shown + 1}-`);
  });

  it('continues a link_intersect answer cut to fit at the first row left out', async () => {
    const first = await call('link_intersect', { positive_targets: COMPETITORS, limit: 50, response_format: 'detailed' });
    const data = first.structuredContent as { results: Array<{ source: string }>; next_call: { arguments: Record<string, unknown> } };
    const shown = data.results.length;
    expect(shown).toBeGreaterThan(5);
    expect(shown).toBeLessThan(50);
    expect(textOf(first)).toContain(`${50 - shown} rows left out to fit the answer size (the next call starts with them)`);
    expect(textOf(first)).toContain('linking to at least 1 of 5 (min_matching_targets, default 1)');
    const next = await call('link_intersect', data.next_call.arguments);
    const nextData = next.structuredContent as { results: Array<{ source: string }> };
    expect(nextData.results[0]!.source).toBe(`source-number-${shown}-example.org`);
  });

  it('keeps default answers under 10,000 tokens and any answer under 25,000', async () => {
    const defaults = [
      await call('get_backlinks', { target: 'a.com' }),
      await call('backlink_gap', { your_domain: 'me.com', competitor_domains: COMPETITORS }),
      await call('link_intersect', { positive_targets: COMPETITORS.slice(0, 3) }),
    ];
    for (const result of defaults) {
      expect(result.isError, textOf(result)).toBeFalsy();
      expect(tokensOf(result)).toBeLessThan(10_000);
    }
    const gap = defaults[1]!.structuredContent as { run_id: string };
    expect(tokensOf(await call('list_prospects', { run_id: gap.run_id }))).toBeLessThan(10_000);
    const largest = [
      await call('backlink_gap', { your_domain: 'me.com', competitor_domains: COMPETITORS, limit: 1000, top: 50, response_format: 'detailed', include_platforms: true }),
      await call('list_prospects', { run_id: gap.run_id, per_page: 100, response_format: 'detailed' }),
      await call('get_backlinks', { target: 'a.com', limit: 1000, response_format: 'detailed', cursor: undefined }),
    ];
    for (const result of largest) {
      expect(result.isError, textOf(result)).toBeFalsy();
      expect(tokensOf(result)).toBeLessThan(25_000);
    }
  });
});
