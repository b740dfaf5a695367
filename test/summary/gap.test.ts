// The backlink_gap text where a provider returns no linking pages: it says so once, with the call
// that finds them and what that very call costs, as its provider estimates it (free once cached).

import { afterEach, describe, expect, it } from 'vitest';
import { type DryRun, isDryRun } from '../../src/domain.js';
import type { GapOutcome } from '../../src/service/index.js';
import { renderGapResult } from '../../src/tools/backlink-gap.js';
import { backlinkRows, createFakeProvider, prospect } from '../helpers/fake-provider.js';
import { type TestRuntime, testRuntime } from '../helpers/runtime.js';

const COMPETITORS = ['a.com', 'b.com'];
const PAGES_CALL = 'get_backlinks {"target":"a.com","mode":"one_per_domain","provider":"dataforseo"}';

/** LocalSEOData answers the gap without pages; `paid` adds a DataForSEO that lists backlinks at $0.02 a call. */
function runtimeWith(paid: boolean, env: Record<string, string> = {}): TestRuntime {
  const localseodata = createFakeProvider('localseodata', {
    prospects: Array.from({ length: 20 }, (_, i) =>
      prospect(`site-${i}.com`, COMPETITORS.slice(0, 1 + (i % 2)), { authority: 40 + i, backlinks: 6, dofollow_links: 2, by_competitor: { 'a.com': { links: 4 } } }),
    ),
  });
  const dataforseo = createFakeProvider('dataforseo', { unit: 'usd', costPerCall: 0.02, upTo: true, backlinks: backlinkRows(5, 'a.com') });
  return testRuntime(env, { localseodata, ...(paid && { dataforseo }) });
}

async function gapOf(runtime: TestRuntime): Promise<GapOutcome> {
  const outcome = await runtime.service.gap({ your_domain: 'me.com', competitor_domains: COMPETITORS, provider: 'localseodata' });
  if (isDryRun(outcome)) throw new Error('not a dry run');
  return outcome;
}

let runtime: TestRuntime | undefined;
afterEach(async () => {
  await runtime?.dispose();
  runtime = undefined;
});

describe('backlink_gap text without linking pages', () => {
  it('names the call that finds them and quotes its estimated cost, then says it is cached once made', async () => {
    runtime = runtimeWith(true);
    const outcome = await gapOf(runtime);
    const { text: concise, structured } = renderGapResult(outcome, 'concise', 9000);
    expect(concise).toContain(`linking pages unknown (localseodata returns none): ${PAGES_CALL} lists each referring domain's page`);
    // DataForSEO bills per row returned: its estimate is the most the call costs.
    expect(concise).toContain('this one costs up to $0.02 with dataforseo');
    expect(concise).not.toMatch(/dry_run: true to see how much/);
    expect(concise).toMatch(/ df 2\/6 /);
    // The quote is the dry run of that very call.
    const dry = (await runtime.service.backlinks({ target: 'a.com', mode: 'one_per_domain', dry_run: true })) as DryRun;
    expect(structured.pages_call).toEqual({ call: { tool: 'get_backlinks', arguments: { target: 'a.com', mode: 'one_per_domain', provider: 'dataforseo' } }, estimate: dry.estimates[0]!.estimate, cached: false });
    const detailed = renderGapResult(outcome, 'detailed', 9000).text;
    expect(detailed).toContain('   a.com: 4 links · page unknown');

    await runtime.service.backlinks({ target: 'a.com', mode: 'one_per_domain' });
    expect(renderGapResult(await gapOf(runtime), 'concise', 9000).text).toContain(`${PAGES_CALL} lists each referring domain's page to that competitor, one call per competitor; this one is cached (free; dataforseo).`);
  });

  it('says the call is free where only your own local data can list backlinks', async () => {
    runtime = runtimeWith(false, { BACKLINK_GAP_DATA: `${process.cwd()}/test/fixtures/local/basic` });
    const concise = renderGapResult(await gapOf(runtime), 'concise', 9000).text;
    const call = 'get_backlinks {"target":"a.com","mode":"one_per_domain","provider":"local"}';
    expect(concise).toContain(`${call} lists each referring domain's page to that competitor, one call per competitor; free with local.`);
  });

  it('names no call where only the bundled sample could answer it (it knows none of a real site\'s links)', async () => {
    runtime = runtimeWith(false);
    const { text: concise, structured } = renderGapResult(await gapOf(runtime), 'concise', 9000);
    expect(concise).toContain('linking pages unknown (localseodata returns none), and no configured provider lists them');
    expect(concise).not.toContain('get_backlinks {');
    expect(structured.pages_call).toEqual({});
  });
});

describe('backlink_gap with provider "all" and no linking pages', () => {
  it('says none of the providers returned any (not "all returns none") and labels the per-provider counts', async () => {
    const rows = (name: string) => Array.from({ length: 3 }, (_, i) => prospect(`${['austin', 'texas', 'river'][i]}${name}news.com`, COMPETITORS, { authority: 40 + i, spam_score: 1 }));
    const localseodata = createFakeProvider('localseodata', { prospects: rows('lsd') });
    const oneclickseo = createFakeProvider('oneclickseo', { prospects: rows('ocs') });
    const dataforseo = createFakeProvider('dataforseo', { unit: 'usd', costPerCall: 0.02, upTo: true, backlinks: backlinkRows(5, 'a.com') });
    runtime = testRuntime({}, { localseodata, oneclickseo, dataforseo });
    dataforseo.gapAnswer = async () => ({ prospects: [], total_prospects: 0, cost: { amount: 0.02, unit: 'usd', provider: 'dataforseo' } });
    const outcome = await runtime.service.gap({ your_domain: 'me.com', competitor_domains: COMPETITORS, provider: 'all' });
    if (isDryRun(outcome)) throw new Error('not a dry run');
    const concise = renderGapResult(outcome, 'concise', 9000).text;
    expect(concise).toContain('linking pages unknown (none of the providers returns any): get_backlinks {"target":"a.com","mode":"one_per_domain","provider":"dataforseo"}');
    expect(concise).toMatch(/^prospects per provider: .*localseodata 3 · oneclickseo 3/m);
  });
});

describe('backlink_gap where every kept prospect is hidden', () => {
  it('does not say there are no prospects when they are left out as suspect spam', async () => {
    const localseodata = createFakeProvider('localseodata', {
      prospects: Array.from({ length: 3 }, (_, i) => prospect(`cheap-seo-links-${i}.xyz`, COMPETITORS, { spam_score: 80 })),
    });
    runtime = testRuntime({}, { localseodata });
    const outcome = await gapOf(runtime);
    const concise = renderGapResult(outcome, 'concise', 9000).text;
    expect(outcome.kept).toBe(3);
    expect(concise).not.toContain('No prospects: every site linking to these competitors already links to you');
    expect(concise).toContain('No prospects shown: the run keeps 3, all left out below (include_platforms: true or other filters show them).');
  });
});
