// The service: input checks, provider choice, cache reuse, budget, runs, paging, merge, pending runs.

import { afterEach, describe, expect, it } from 'vitest';
import { UsageError } from '../src/errors.js';
import { type GapOutcome, isDryRun } from '../src/service/index.js';
import { backlinkRows, createFakeProvider, prospect, type FakeProvider } from './helpers/fake-provider.js';
import { type TestRuntime, testRuntime } from './helpers/runtime.js';

const COMPETITORS = ['a.com', 'b.com', 'c.com'];
const PROSPECTS = [
  prospect('chamber.org', ['a.com', 'b.com', 'c.com'], { authority: 60, dofollow: true, spam_score: 1 }),
  prospect('news-daily.com', ['a.com', 'b.com'], { authority: 70, dofollow: true, spam_score: 2 }),
  prospect('someblog.net', ['a.com'], { authority: 20, dofollow: false, spam_score: 5 }),
  prospect('facebook.com', ['a.com', 'b.com', 'c.com'], { authority: 100, dofollow: false }),
  ...Array.from({ length: 60 }, (_, i) => prospect(`directory${i}.com`, ['b.com'], { authority: i % 90, dofollow: true })),
];

let runtime: TestRuntime | undefined;
afterEach(async () => {
  await runtime?.dispose();
  runtime = undefined;
});

function setup(env: Record<string, string> = {}, fakes: FakeProvider[] = [createFakeProvider('localseodata', { prospects: PROSPECTS })]) {
  const overrides = Object.fromEntries(fakes.map((fake) => [fake.name, fake]));
  runtime = testRuntime(env, overrides);
  return { service: runtime.service, fakes, fake: fakes[0]! };
}

async function gapOf(promise: Promise<unknown>): Promise<GapOutcome> {
  const outcome = await promise;
  if (isDryRun(outcome)) throw new Error('unexpected dry run');
  return outcome as GapOutcome;
}

describe('backlink_gap input', () => {
  it('names the field and the value of a bad domain', async () => {
    const { service } = setup();
    await expect(service.gap({ your_domain: 'not a domain!', competitor_domains: ['a.com'] })).rejects.toThrow(/your_domain.*not a domain!/);
    await expect(service.gap({ your_domain: 'me.com', competitor_domains: ['a.com', 'javascript:alert(1)'] })).rejects.toThrow(
      /competitor_domains\[1\]/,
    );
  });

  it('refuses your own domain among the competitors, in any spelling', async () => {
    const { service, fake } = setup();
    await expect(service.gap({ your_domain: 'me.com', competitor_domains: ['a.com', 'https://WWW.me.com/about'] })).rejects.toThrow(
      /your own domain me\.com/,
    );
    expect(fake.calls.gap).toHaveLength(0);
  });

  it('refuses an empty competitor list and min_competitors above the count', async () => {
    const { service } = setup();
    await expect(service.gap({ your_domain: 'me.com', competitor_domains: [] })).rejects.toThrow(/competitor_domains/);
    await expect(service.gap({ your_domain: 'me.com', competitor_domains: COMPETITORS, min_competitors: 4 })).rejects.toThrow(
      /min_competitors.*cannot exceed the number of competitors \(3\)/,
    );
  });

  it('says which variables configure a provider that is not configured', async () => {
    const { service } = setup();
    await expect(service.gap({ your_domain: 'me.com', competitor_domains: COMPETITORS, provider: 'dataforseo' })).rejects.toThrow(
      /DATAFORSEO_LOGIN and DATAFORSEO_PASSWORD/,
    );
  });
});

describe('backlink_gap through the cache', () => {
  it('ranks, keeps a run, and answers a repeat (any competitor order) from the cache for free', async () => {
    const { service, fake } = setup();
    const first = await gapOf(service.gap({ your_domain: 'me.com', competitor_domains: COMPETITORS }));
    expect(first.cached).toBe(false);
    expect(first.cost).toEqual({ amount: 10, unit: 'credits', provider: 'localseodata' });
    expect(first.total_prospects).toBe(64);
    expect(first.top[0]!.domain).toBe('chamber.org');
    expect(first.top.map((p) => p.domain)).not.toContain('facebook.com');
    expect(first.left_out.platform_or_social).toBe(1);
    const again = await gapOf(service.gap({ your_domain: 'https://www.ME.com', competitor_domains: ['c.com', 'b.com', 'a.com', 'a.com'] }));
    expect(fake.calls.gap).toHaveLength(1);
    expect(again.cached).toBe(true);
    expect(again.cost?.amount).toBe(0);
    expect(again.run_id).toBe(first.run_id);
  });

  it('serves a smaller limit from a larger cached answer, and refetches for a larger one', async () => {
    const { service, fake } = setup();
    await service.gap({ your_domain: 'me.com', competitor_domains: COMPETITORS, limit: 50 });
    const smaller = await gapOf(service.gap({ your_domain: 'me.com', competitor_domains: COMPETITORS, limit: 10 }));
    expect(fake.calls.gap).toHaveLength(1);
    expect(smaller.kept).toBe(10);
    await service.gap({ your_domain: 'me.com', competitor_domains: COMPETITORS, limit: 200 });
    expect(fake.calls.gap).toHaveLength(2);
  });

  it('fresh bypasses the cache; dry_run calls nothing and knows what is cached', async () => {
    const { service, fake } = setup();
    const dry = await service.gap({ your_domain: 'me.com', competitor_domains: COMPETITORS, dry_run: true });
    expect(isDryRun(dry) && dry.estimates[0]).toMatchObject({ provider: 'localseodata', cached: false, estimate: { amount: 10 } });
    expect(fake.calls.gap).toHaveLength(0);
    await service.gap({ your_domain: 'me.com', competitor_domains: COMPETITORS });
    const dryAgain = await service.gap({ your_domain: 'me.com', competitor_domains: COMPETITORS, dry_run: true });
    expect(isDryRun(dryAgain) && dryAgain.estimates[0]!.cached).toBe(true);
    await service.gap({ your_domain: 'me.com', competitor_domains: COMPETITORS, fresh: true });
    expect(fake.calls.gap).toHaveLength(2);
  });

  it('refuses a call over the daily budget before any request leaves, naming the variable', async () => {
    const { service, fake } = setup({ LOCALSEODATA_DAILY_BUDGET: '15' });
    await service.gap({ your_domain: 'me.com', competitor_domains: COMPETITORS });
    const refused = service.gap({ your_domain: 'me.com', competitor_domains: ['a.com'] });
    await expect(refused).rejects.toBeInstanceOf(UsageError);
    await expect(refused).rejects.toThrow(/LOCALSEODATA_DAILY_BUDGET/);
    expect(fake.calls.gap).toHaveLength(1);
    // A cached answer still costs nothing and is still served.
    const cached = await gapOf(service.gap({ your_domain: 'me.com', competitor_domains: COMPETITORS }));
    expect(cached.cached).toBe(true);
  });

  it('merges every configured provider with provider "all"', async () => {
    const first = createFakeProvider('localseodata', { prospects: [prospect('shared.org', ['a.com'], { authority: 40 }), prospect('only-one.org', ['b.com'])] });
    const second = createFakeProvider('dataforseo', {
      unit: 'usd',
      costPerCall: 0.02,
      prospects: [prospect('shared.org', ['b.com'], { authority: 60 }), prospect('only-two.org', ['a.com'])],
    });
    const { service } = setup({}, [first, second]);
    const merged = await gapOf(service.gap({ your_domain: 'me.com', competitor_domains: ['a.com', 'b.com'], provider: 'all', include_platforms: true }));
    expect(merged.provider).toBe('all');
    const shared = merged.top.find((p) => p.domain === 'shared.org')!;
    expect(shared.found_by).toEqual(['localseodata', 'dataforseo']);
    expect(shared.competitors).toEqual(['a.com', 'b.com']);
    expect(shared.authority).toBe(50);
    expect(merged.top.map((p) => p.domain).sort()).toEqual(['only-one.org', 'only-two.org', 'shared.org']);
    expect(merged.costs?.map((c) => c.provider)).toEqual(['localseodata', 'dataforseo']);
  });

  it('keeps going when one provider of "all" fails, and says which', async () => {
    const good = createFakeProvider('localseodata', { prospects: [prospect('shared.org', ['a.com'])] });
    const bad = createFakeProvider('dataforseo');
    bad.gapAnswer = async () => {
      throw new UsageError('invalid_input', 'boom');
    };
    const { service } = setup({}, [good, bad]);
    const merged = await gapOf(service.gap({ your_domain: 'me.com', competitor_domains: ['a.com'], provider: 'all' }));
    expect(merged.providers).toEqual([
      { provider: 'localseodata', status: 'ok', prospects: 1 },
      { provider: 'dataforseo', status: 'error', error: 'invalid_input: boom' },
    ]);
  });

  it('resumes a pending provider run instead of creating (and paying for) another', async () => {
    const fake = createFakeProvider('oneclickseo', { prospects: PROSPECTS });
    const normal = fake.gapAnswer;
    let first = true;
    fake.gapAnswer = async (query, context) => {
      if (first) {
        first = false;
        return { prospects: [], total_prospects: 0, status: 'pending', provider_run_id: 'run_upstream1', cost: { amount: 7, unit: 'credits', provider: 'oneclickseo' } };
      }
      return { ...(await normal(query, context)), provider_run_id: 'run_upstream1', cost: { amount: 0, unit: 'credits', provider: 'oneclickseo' } };
    };
    const { service } = setup({}, [fake]);
    const pending = await gapOf(service.gap({ your_domain: 'me.com', competitor_domains: COMPETITORS }));
    expect(pending.status).toBe('pending');
    expect(pending.notes[0]).toMatch(/list_prospects.*run_id/);
    const done = await gapOf(service.gap({ your_domain: 'me.com', competitor_domains: COMPETITORS }));
    expect(fake.calls.gap).toHaveLength(2);
    expect(fake.calls.gap[1]!.resume_provider_run_id).toBe('run_upstream1');
    expect(done.status).toBe('complete');
    expect(done.total_prospects).toBe(64);
  });
});

describe('list_prospects', () => {
  it('pages, filters and sorts a stored run, and exports CSV', async () => {
    const { service } = setup();
    const gap = await gapOf(service.gap({ your_domain: 'me.com', competitor_domains: COMPETITORS }));
    // facebook.com is hidden by default, as in backlink_gap's top list, and counted.
    const page1 = await service.prospects({ run_id: gap.run_id, per_page: 10 });
    expect(page1.meta).toEqual({ page: 1, per_page: 10, total: 63, total_pages: 7, offset: 0 });
    expect(page1.platforms_hidden).toBe(1);
    expect((await service.prospects({ run_id: gap.run_id, include_platforms: true })).meta.total).toBe(64);
    expect(page1.next_call?.arguments).toMatchObject({ run_id: gap.run_id, page: 2, per_page: 10 });
    const strong = await service.prospects({ run_id: gap.run_id, min_authority: 50, dofollow: true, sort: 'rank', order: 'desc' });
    expect(strong.data.every((p) => (p.authority ?? 0) >= 50 && p.dofollow === true)).toBe(true);
    expect(strong.data.map((p) => p.authority)).toEqual([...strong.data.map((p) => p.authority)].sort((a, b) => (b ?? 0) - (a ?? 0)));
    const toC = await service.prospects({ run_id: gap.run_id, competitor: 'https://c.com/', include_platforms: true });
    expect(toC.data.map((p) => p.domain).sort()).toEqual(['chamber.org', 'facebook.com']);
    const csv = await service.prospectsCsv({ run_id: gap.run_id, include_platforms: true });
    expect(csv.rows).toBe(64);
    expect(csv.csv.split('\n')[0]).toMatch(/^domain,authority,score,tier,category,competitors/);
  });

  it('explains how to get a run when the id is unknown, and rejects path-like ids', async () => {
    const { service } = setup();
    await expect(service.prospects({ run_id: 'run_doesnotexist' })).rejects.toThrow(/Call backlink_gap/);
    await expect(service.prospects({ run_id: '../../etc/passwd' })).rejects.toThrow(/run_id: not a run id/);
  });

  it('keeps runs across a restart on the same cache dir', async () => {
    const { service } = setup();
    const gap = await gapOf(service.gap({ your_domain: 'me.com', competitor_domains: COMPETITORS }));
    const dir = runtime!.dir;
    await runtime!.close();
    const fake = createFakeProvider('localseodata', { prospects: PROSPECTS });
    runtime = testRuntime({}, { localseodata: fake }, dir);
    const page = await runtime.service.prospects({ run_id: gap.run_id, include_platforms: true });
    expect(page.meta.total).toBe(64);
    const repeat = await gapOf(runtime.service.gap({ your_domain: 'me.com', competitor_domains: COMPETITORS }));
    expect(repeat.cached).toBe(true);
    expect(fake.calls.gap).toHaveLength(0);
  });
});

describe('get_backlinks paging', () => {
  it('pages with next_cursor, and serves pages of a larger cached answer for free', async () => {
    const fake = createFakeProvider('dataforseo', { backlinks: backlinkRows(250), unit: 'usd', costPerCall: 0.02 });
    const { service } = setup({}, [fake]);
    const big = await service.backlinks({ target: 'a.com', limit: 100 });
    if (isDryRun(big)) throw new Error('dry');
    expect(big.backlinks).toHaveLength(100);
    expect(fake.calls.backlinks).toHaveLength(1);
    const small = await service.backlinks({ target: 'a.com', limit: 30 });
    if (isDryRun(small)) throw new Error('dry');
    expect(fake.calls.backlinks).toHaveLength(1);
    const next = await service.backlinks({ target: 'a.com', limit: 30, cursor: small.next_cursor! });
    if (isDryRun(next)) throw new Error('dry');
    expect(fake.calls.backlinks).toHaveLength(1);
    expect(next.backlinks[0]!.source_url).toBe(big.backlinks[30]!.source_url);
    // A cursor from another query is refused with what to do.
    await expect(service.backlinks({ target: 'b.com', limit: 30, cursor: small.next_cursor! })).rejects.toThrow(/different query/);
  });
});
