// The README's example conversation quotes the bundled sample's figures; they must be the figures a
// fresh call gives, whatever is cached (the same question gets the same answer).

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestRuntime, testRuntime } from './helpers/runtime.js';
import { COMPETITORS, YOU } from './helpers/sample-truth.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const conversation = readme.slice(readme.indexOf('## An example conversation'));
const quoted = (pattern: RegExp) => Number(pattern.exec(conversation)?.[1]);

let runtime: TestRuntime;
beforeAll(() => {
  runtime = testRuntime();
});
afterAll(async () => {
  await runtime.dispose();
});

describe("the README's example conversation", () => {
  it('quotes the sample as a fresh call answers it, before and after a larger run is cached', async () => {
    const ask = async () => {
      const gap = await runtime.service.gap({ your_domain: YOU, competitor_domains: COMPETITORS });
      if (!('run_id' in gap)) throw new Error('dry run');
      const shortlist = await runtime.service.prospectsCsv({ run_id: gap.run_id, min_authority: 30, dofollow: true, include_platforms: false });
      return { total: gap.total_prospects, all: gap.top.filter((prospect) => prospect.tier === 'all').length, shortlist: shortlist.rows };
    };
    const fresh = await ask();
    expect(fresh.total).toBe(quoted(/\*\*Assistant:\*\* (\d+) sites link to at least one/));
    expect(fresh.shortlist).toBe(quoted(/\*\*Assistant:\*\* (\d+) prospects; here is the CSV/));
    expect(conversation).toContain(`${['None', 'One', 'Two', 'Three', 'Four', 'Five', 'Six', 'Seven'][fresh.all]} link to all five`);
    await runtime.service.gap({ your_domain: YOU, competitor_domains: COMPETITORS, limit: 1000 });
    expect(await ask()).toEqual(fresh);
  });
});
