// Provider-side runs read through list_prospects (the provider's order and filters kept, CSV of the
// whole run), and referrers that are not public sites left out of every answer, counted.

import { afterEach, describe, expect, it } from 'vitest';
import type { ProspectCore, ProspectsPage, ProspectsQuery } from '../../src/domain.js';
import { type GapOutcome, isDryRun } from '../../src/service/index.js';
import { createFakeProvider, prospect } from '../helpers/fake-provider.js';
import { type TestRuntime, testRuntime } from '../helpers/runtime.js';

const COMPETITORS = ['a.com', 'b.com'];

let runtime: TestRuntime | undefined;
afterEach(async () => {
  await runtime?.dispose();
  runtime = undefined;
});

async function gapOf(promise: Promise<unknown>): Promise<GapOutcome> {
  const outcome = await promise;
  if (isDryRun(outcome)) throw new Error('unexpected dry run');
  return outcome as GapOutcome;
}

/** A OneClickSEO run of 184 prospects that pages, filters and sorts on its side, as the provider does. */
function oneClickSeoRun() {
  const rows: ProspectCore[] = Array.from({ length: 184 }, (_, index) => {
    const own = 1000 + ((index * 37) % 184) * 10;
    const domain = index === 3 ? 'facebook.com' : index === 5 ? '10.0.0.7' : `prospect-${String(index).padStart(3, '0')}.com`;
    return prospect(domain, index % 2 === 0 ? ['a.com', 'b.com'] : ['a.com'], {
      authority: 90 - (index % 80),
      referring_domains: 100 + index,
      provider_metrics: { oneclickseo: { backlinks: own, referring_domains: 100 + index } },
      found_by: ['oneclickseo'],
    });
  });
  const reads: ProspectsQuery[] = [];
  const fake = createFakeProvider('oneclickseo', { prospects: rows.slice(0, 1) });
  const normal = fake.gapAnswer;
  fake.gapAnswer = async (query, context) => ({ ...(await normal(query, context)), total_prospects: 184, provider_run_id: 'run_4d2a90', status: 'complete' });
  const provider = Object.assign(fake, {
    async prospects(query: ProspectsQuery & { provider_run_id: string }): Promise<ProspectsPage> {
      reads.push(query);
      let matching = rows.filter((row) => query.min_authority === undefined || (row.authority ?? 0) >= query.min_authority);
      if (query.sort === 'backlinks') {
        const own = (row: ProspectCore) => row.provider_metrics?.oneclickseo?.backlinks ?? 0;
        matching = [...matching].sort((left, right) => (query.order === 'asc' ? own(left) - own(right) : own(right) - own(left)));
      }
      const start = (query.page - 1) * query.per_page;
      return {
        data: matching.slice(start, start + query.per_page),
        meta: { page: query.page, per_page: query.per_page, total: matching.length, total_pages: Math.ceil(matching.length / query.per_page) },
        cost: { amount: 0, unit: 'credits', provider: 'oneclickseo' },
      };
    },
  });
  runtime = testRuntime({}, { oneclickseo: provider });
  return { service: runtime.service, reads, rows };
}

describe('list_prospects on a OneClickSEO run', () => {
  it("keeps the provider's order: sort backlinks comes back by the prospect's own backlinks, not alphabetically", async () => {
    const { service } = oneClickSeoRun();
    const gap = await gapOf(service.gap({ your_domain: 'me.com', competitor_domains: COMPETITORS, provider: 'oneclickseo' }));
    const page = await service.prospects({ run_id: gap.run_id, sort: 'backlinks', order: 'desc', per_page: 20 });
    const own = page.data.map((row) => row.provider_metrics?.oneclickseo?.backlinks ?? 0);
    expect(own).toEqual([...own].sort((left, right) => right - left));
    expect(page.data.map((row) => row.domain)).not.toEqual(page.data.map((row) => row.domain).sort());
  });

  it('hides platforms on the page by default, as backlink_gap does, and says how many rows it left out', async () => {
    const { service } = oneClickSeoRun();
    const gap = await gapOf(service.gap({ your_domain: 'me.com', competitor_domains: COMPETITORS, provider: 'oneclickseo' }));
    const shown = await service.prospects({ run_id: gap.run_id, per_page: 10, include_platforms: true });
    expect(shown.data.map((row) => row.domain)).toContain('facebook.com');
    const hidden = await service.prospects({ run_id: gap.run_id, per_page: 10 });
    expect(hidden.data.map((row) => row.domain)).not.toContain('facebook.com');
    expect(hidden.notes?.join(' ')).toContain('1 platform or suspected-spam rows left out');
  });

  it('drops a non-public referrer from the page, with a note', async () => {
    const { service } = oneClickSeoRun();
    const gap = await gapOf(service.gap({ your_domain: 'me.com', competitor_domains: COMPETITORS, provider: 'oneclickseo' }));
    const page = await service.prospects({ run_id: gap.run_id, per_page: 10 });
    expect(page.data.map((row) => row.domain)).not.toContain('10.0.0.7');
    expect(page.notes).toContain('1 non-public referrer dropped (localhost, IP addresses or names without a public suffix).');
  });

  it('exports every matching row of the provider-side run as CSV, page by page, with its filters', async () => {
    const { service, reads, rows } = oneClickSeoRun();
    const gap = await gapOf(service.gap({ your_domain: 'me.com', competitor_domains: COMPETITORS, provider: 'oneclickseo' }));
    const all = await service.prospectsCsv({ run_id: gap.run_id, include_platforms: true });
    // 184 upstream, less the IP address.
    expect(all.rows).toBe(183);
    expect(all.csv.trim().split('\n')).toHaveLength(184);
    expect(reads.map((read) => [read.page, read.per_page])).toEqual([
      [1, 100],
      [2, 100],
    ]);
    const strong = await service.prospectsCsv({ run_id: gap.run_id, min_authority: 80, include_platforms: true });
    expect(strong.rows).toBe(rows.filter((row) => (row.authority ?? 0) >= 80 && row.domain !== '10.0.0.7').length);
    expect(reads.at(-1)?.min_authority).toBe(80);
  });
});

describe('non-public referrers in a gap', () => {
  it('never become prospects, from any provider, and are counted in a note', async () => {
    const fake = createFakeProvider('localseodata', {
      prospects: [
        prospect('localhost', ['a.com']),
        prospect('192.168.0.10', ['a.com', 'b.com']),
        prospect('=1+2', ['a.com']),
        prospect('austinchamber.org', ['a.com', 'b.com'], { authority: 60 }),
        prospect('joe.wordpress.com', ['a.com'], { authority: 20 }),
      ],
    });
    runtime = testRuntime({}, { localseodata: fake });
    const gap = await gapOf(runtime.service.gap({ your_domain: 'me.com', competitor_domains: COMPETITORS, include_platforms: true }));
    expect(gap.top.map((row) => row.domain).sort()).toEqual(['austinchamber.org', 'joe.wordpress.com']);
    expect(gap.total_prospects).toBe(2);
    expect(gap.notes).toContain('3 non-public referrers dropped (localhost, IP addresses or names without a public suffix).');
    const listed = await runtime.service.prospects({ run_id: gap.run_id, include_platforms: true });
    expect(listed.data.map((row) => row.domain).sort()).toEqual(['austinchamber.org', 'joe.wordpress.com']);
  });
});
