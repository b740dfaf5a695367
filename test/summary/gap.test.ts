// The backlink_gap text where a provider returns no linking pages: it says so once, with the call
// that finds them and what that costs.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDryRun } from '../../src/domain.js';
import type { GapOutcome } from '../../src/service/index.js';
import { renderGapResult } from '../../src/tools/backlink-gap.js';
import { createFakeProvider, prospect } from '../helpers/fake-provider.js';
import { type TestRuntime, testRuntime } from '../helpers/runtime.js';

let runtime: TestRuntime;
const COMPETITORS = ['a.com', 'b.com'];

beforeAll(() => {
  const fake = createFakeProvider('localseodata', {
    prospects: Array.from({ length: 20 }, (_, i) =>
      prospect(`site-${i}.com`, COMPETITORS.slice(0, 1 + (i % 2)), { authority: 40 + i, backlinks: 6, dofollow_links: 2, by_competitor: { 'a.com': { links: 4 } } }),
    ),
  });
  runtime = testRuntime({}, { localseodata: fake });
});

afterAll(async () => {
  await runtime.dispose();
});

describe('backlink_gap text without linking pages', () => {
  it('says pages are unknown and names the call that finds them and its cost', async () => {
    const outcome = await runtime.service.gap({ your_domain: 'me.com', competitor_domains: COMPETITORS, provider: 'localseodata' });
    if (isDryRun(outcome)) throw new Error('not a dry run');
    const concise = renderGapResult(outcome as GapOutcome, 'concise', 9000).text;
    expect(concise).toContain('linking pages unknown (localseodata returns none): get_backlinks {"target":"a.com","mode":"one_per_domain"}');
    expect(concise).toMatch(/dry_run: true to see how much/);
    expect(concise).toMatch(/ df 2\/6 /);
    const detailed = renderGapResult(outcome as GapOutcome, 'detailed', 9000).text;
    expect(detailed).toContain('   a.com: 4 links · page unknown');
  });
});
