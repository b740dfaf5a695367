// The local provider over a hand-made fixture (test/fixtures/local/basic): expectations worked out
// by hand from links.csv and domains.csv there.

import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BacklinksQuery, IntersectQuery } from '../../src/domain.js';
import { UsageError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { createLocalProvider } from '../../src/providers/local.js';
import type { Provider } from '../../src/providers/provider.js';

const basic = fileURLToPath(new URL('../fixtures/local/basic/', import.meta.url));
const noContext = {};

function provider(dataPath = basic): Provider {
  return createLocalProvider({ dataPath, logger: silentLogger });
}

describe('local provider: describe()', () => {
  it('serves gap, backlinks and intersect at no cost, with a short account hash of the path, without loading', () => {
    const description = provider(join(basic, 'does-not-exist')).describe();
    expect(description.name).toBe('local');
    expect(description.capabilities).toEqual(['gap', 'backlinks', 'intersect']);
    expect(description.configured).toBe(true);
    expect(description.unit).toBe('none');
    expect(description.account).toMatch(/^[0-9a-f]{12}$/);
    expect(description.account).not.toBe(provider().describe().account);
    expect(description.title).toBe('Local dataset');
  });
});

describe('local provider: gap', () => {
  const query = { your_domain: 'me.com', competitor_domains: ['a.com', 'b.com', 'c.com'], limit: 100, min_competitors: 1 };

  it('finds domains linking to competitors but not to you, ranked by overlap, authority (unknown last), backlinks, domain', async () => {
    const result = await provider().gap!(query, noContext);
    expect(result.prospects.map((prospect) => [prospect.domain, prospect.competitors, prospect.authority])).toEqual([
      ['hub.org', ['a.com', 'b.com', 'c.com'], 60],
      ['news.net', ['a.com', 'b.com'], 45],
      ['forum.org', ['b.com', 'c.com'], 35],
      ['college.edu', ['a.com'], 70],
      ['example.co.uk', ['a.com'], 30],
      ['council.gov.uk', ['a.com'], undefined],
      ['unknown.io', ['c.com'], undefined],
    ]);
    expect(result.total_prospects).toBe(7);
    expect(result.cost).toEqual({ amount: 0, unit: 'none', provider: 'local' });
    expect(result.synthetic).toBeUndefined();
  });

  it('leaves out knows.me (links to you), a.com (a competitor) and internal links', async () => {
    const domains = (await provider().gap!(query, noContext)).prospects.map((prospect) => prospect.domain);
    expect(domains).not.toContain('knows.me');
    expect(domains).not.toContain('a.com');
    expect(domains).not.toContain('me.com');
  });

  it('fills backlinks, dofollow, figures, example pages and provider metrics; unknown figures stay absent', async () => {
    const result = await provider().gap!(query, noContext);
    const hub = result.prospects.find((prospect) => prospect.domain === 'hub.org')!;
    expect(hub).toMatchObject({ backlinks: 5, dofollow_links: 3, dofollow: true, spam_score: 1, referring_domains: 1200, found_by: ['local'] });
    // Per competitor: links, dofollow links, and the best page (dofollow first, then the newest).
    expect(hub.by_competitor).toEqual({
      'a.com': {
        links: 3,
        dofollow_links: 2,
        page: { url: 'https://hub.org/another', anchor: 'a co', rel: { nofollow: false }, first_seen: '2025-01-01', last_seen: '2025-09-01' },
      },
      'b.com': {
        links: 1,
        dofollow_links: 0,
        page: { url: 'https://hub.org/members', anchor: 'B Co', rel: { nofollow: true }, first_seen: '2025-01-02', last_seen: '2025-07-01' },
      },
      'c.com': {
        links: 1,
        dofollow_links: 1,
        page: { url: 'https://hub.org/list', anchor: 'C', rel: { nofollow: false }, first_seen: '2025-01-03', last_seen: '2025-07-02' },
      },
    });
    expect(hub.source_pages).toEqual(['https://www.hub.org/members', 'https://hub.org/old-page', 'https://hub.org/another']);
    expect(hub.provider_metrics?.local).toEqual({
      authority: 60,
      authority_raw: 60,
      authority_scale: 'authority 0-100',
      spam_score: 1,
      backlinks: 5,
      referring_domains: 1200,
      dofollow: true,
    });
    const unknown = result.prospects.find((prospect) => prospect.domain === 'unknown.io')!;
    expect(unknown).toEqual({
      domain: 'unknown.io',
      competitors: ['c.com'],
      backlinks: 1,
      dofollow_links: 0,
      dofollow: false,
      source_pages: ['https://unknown.io/p'],
      by_competitor: { 'c.com': { links: 1, dofollow_links: 0, page: { url: 'https://unknown.io/p', anchor: 'C', rel: { nofollow: true }, first_seen: '2025-05-01' } } },
      provider_metrics: { local: { backlinks: 1, dofollow: false } },
      found_by: ['local'],
    });
    expect('authority' in unknown).toBe(false);
  });

  it('applies min_competitors and limit, keeping total_prospects as the full count', async () => {
    const result = await provider().gap!({ ...query, min_competitors: 2, limit: 2 }, noContext);
    expect(result.prospects.map((prospect) => prospect.domain)).toEqual(['hub.org', 'news.net']);
    expect(result.total_prospects).toBe(3);
  });

  it('names competitors in the order given', async () => {
    const result = await provider().gap!({ ...query, competitor_domains: ['c.com', 'a.com', 'b.com'] }, noContext);
    expect(result.prospects[0]!.competitors).toEqual(['c.com', 'a.com', 'b.com']);
  });

  it('treats domains absent from the dataset as a valid empty answer, with a note', async () => {
    const result = await provider().gap!({ ...query, your_domain: 'nobody.com', competitor_domains: ['nowhere.com'] }, noContext);
    expect(result.prospects).toEqual([]);
    expect(result.total_prospects).toBe(0);
    expect(result.notes?.join(' ')).toContain('nowhere.com has no backlinks');
  });
});

describe('local provider: intersect', () => {
  const base: IntersectQuery = {
    positive_targets: [
      { target: 'a.com', scope: 'root_domain' },
      { target: 'b.com', scope: 'root_domain' },
    ],
    negative_targets: [{ target: 'me.com', scope: 'root_domain' }],
    min_matching_targets: 1,
    source_scope: 'root_domain',
    sort: 'matching_target_count',
    limit: 50,
  };

  it('root_domain sources: positives matched, negatives excluded, one linking page per matching target', async () => {
    const result = await provider().intersect!(base, noContext);
    expect(result.results.map((row) => [row.source, row.matching_targets])).toEqual([
      ['hub.org', ['a.com', 'b.com']],
      ['news.net', ['a.com', 'b.com']],
      // Ties on matching count: stronger sources first, unknown authority last.
      ['college.edu', ['a.com']],
      ['forum.org', ['b.com']],
      ['example.co.uk', ['a.com']],
      ['a.com', ['b.com']],
      ['council.gov.uk', ['a.com']],
    ]);
    expect(result.total).toBe(7);
    const hub = result.results[0]!;
    expect(hub).toMatchObject({ source_domain: 'hub.org', domain_authority: 60, spam_score: 1 });
    // hub.org links to a.com from three pages: the dofollow one seen most recently represents it.
    expect(hub.matching_source_pages).toEqual([
      { target: 'a.com', page: 'https://hub.org/another' },
      { target: 'b.com', page: 'https://hub.org/members' },
    ]);
  });

  it('min_matching_targets and sort by authority (unknown last)', async () => {
    const byCount = await provider().intersect!({ ...base, min_matching_targets: 2 }, noContext);
    expect(byCount.results.map((row) => row.source)).toEqual(['hub.org', 'news.net']);
    const byAuthority = await provider().intersect!({ ...base, sort: 'source_domain_authority' }, noContext);
    expect(byAuthority.results.map((row) => row.source)).toEqual([
      'college.edu',
      'hub.org',
      'news.net',
      'forum.org',
      'example.co.uk',
      'a.com',
      'council.gov.uk',
    ]);
  });

  it('subdomain and page scopes narrow the matching links', async () => {
    const subdomain = await provider().intersect!(
      { ...base, positive_targets: [{ target: 'blog.b.com', scope: 'subdomain' }], negative_targets: [] },
      noContext,
    );
    expect(subdomain.results.map((row) => row.source)).toEqual(['forum.org']);
    // Compared loosely: scheme, www and the trailing slash do not matter.
    const page = await provider().intersect!(
      { ...base, positive_targets: [{ target: 'http://www.b.com/services/', scope: 'page' }], negative_targets: [] },
      noContext,
    );
    expect(page.results.map((row) => row.source)).toEqual(['hub.org']);
  });

  it('page source scope: rows are pages, and a negative excludes only the page that links to it', async () => {
    const result = await provider().intersect!({ ...base, source_scope: 'page' }, noContext);
    expect(result.results[0]).toMatchObject({ source: 'https://news.net/story', matching_targets: ['a.com', 'b.com'] });
    expect(result.results.map((row) => row.source)).toContain('https://knows.me/x');
    expect(result.results.every((row) => row.matching_source_pages === undefined)).toBe(true);
    // 8 pages link to a.com and 4 to b.com; news.net/story links to both: 11 pages.
    expect(result.total).toBe(11);
  });

  it('a negative page-scope source excludes that page', async () => {
    const result = await provider().intersect!(
      {
        ...base,
        source_scope: 'page',
        positive_targets: [{ target: 'me.com', scope: 'root_domain' }],
        negative_targets: [{ target: 'b.com', scope: 'root_domain' }],
      },
      noContext,
    );
    expect(result.results.map((row) => row.source)).toEqual(['https://knows.me/y']);
  });

  it('pages with next_token: the next page has the next rows, the last page has no token', async () => {
    const local = provider();
    const first = await local.intersect!({ ...base, limit: 3 }, noContext);
    expect(first.results.map((row) => row.source)).toEqual(['hub.org', 'news.net', 'college.edu']);
    expect(first.next_token).toBeDefined();
    const second = await local.intersect!({ ...base, limit: 3, next_token: first.next_token! }, noContext);
    expect(second.results.map((row) => row.source)).toEqual(['forum.org', 'example.co.uk', 'a.com']);
    const third = await local.intersect!({ ...base, limit: 3, next_token: second.next_token! }, noContext);
    expect(third.results.map((row) => row.source)).toEqual(['council.gov.uk']);
    expect(third.next_token).toBeUndefined();
    expect(third.total).toBe(7);
  });

  it('rejects a token from another query, saying to drop it', async () => {
    const local = provider();
    const first = await local.intersect!({ ...base, limit: 3 }, noContext);
    const error = await local.intersect!({ ...base, sort: 'source_spam_score', next_token: first.next_token! }, noContext).catch((caught) => caught);
    expect(error).toBeInstanceOf(UsageError);
    expect(error.code).toBe('invalid_input');
    expect(error.message).toContain('drop next_token');
    const garbage = await local.intersect!({ ...base, next_token: 'not-a-token' }, noContext).catch((caught) => caught);
    expect(garbage).toBeInstanceOf(UsageError);
  });
});

describe('local provider: backlinks', () => {
  const base: BacklinksQuery = { target: 'a.com', target_kind: 'domain', mode: 'as_is', limit: 100 };
  const sources = (result: { backlinks: { source_url: string }[] }) => result.backlinks.map((row) => row.source_url);

  it('as_is: every link to the domain, authority first (unknown last) then source URL; internal links left out', async () => {
    const result = await provider().backlinks!(base, noContext);
    expect(sources(result)).toEqual([
      'https://www.college.edu/resources',
      'https://hub.org/another',
      'https://hub.org/old-page',
      'https://www.hub.org/members',
      'https://news.net/story',
      'https://blog.example.co.uk/post',
      'https://knows.me/x',
      'https://www.council.gov.uk/contractors',
    ]);
    expect(result.total).toBe(8);
    expect(result.backlinks[1]).toEqual({
      source_url: 'https://hub.org/another',
      source_domain: 'hub.org',
      target_url: 'https://a.com/x',
      anchor: 'a co',
      dofollow: true,
      authority: 60,
      spam_score: 1,
      first_seen: '2025-01-01',
      last_seen: '2025-09-01',
    });
    expect(result.backlinks[7]).toEqual({
      source_url: 'https://www.council.gov.uk/contractors',
      source_domain: 'council.gov.uk',
      target_url: 'https://www.a.com/',
      anchor: 'a.com',
      dofollow: false,
      first_seen: '2025-01-01',
      last_seen: '2025-02-01',
    });
  });

  it('metrics count every link to the target before filters', async () => {
    const result = await provider().backlinks!({ ...base, dofollow: true, min_authority: 50 }, noContext);
    expect(result.metrics).toEqual({ links_in: 8, ref_domains: 6, dofollow: 5, nofollow: 3, edu_links: 1, gov_links: 1 });
  });

  it('one_per_domain keeps the best link of each domain: dofollow, then seen most recently', async () => {
    const result = await provider().backlinks!({ ...base, mode: 'one_per_domain' }, noContext);
    expect(sources(result)).toEqual([
      'https://www.college.edu/resources',
      'https://hub.org/another',
      'https://news.net/story',
      'https://blog.example.co.uk/post',
      'https://knows.me/x',
      'https://www.council.gov.uk/contractors',
    ]);
    expect(result.total).toBe(6);
  });

  it('one_per_anchor keeps one link per anchor, case-insensitive', async () => {
    const result = await provider().backlinks!({ ...base, mode: 'one_per_anchor' }, noContext);
    expect(result.backlinks.map((row) => row.anchor)).toEqual(['A Co', 'Old anchor', 'Plumbers, Austin', 'a.com', 'A']);
    expect(result.total).toBe(5);
  });

  it('filters: dofollow, anchor contains (any case), min_authority (unknown authority fails it)', async () => {
    const local = provider();
    expect((await local.backlinks!({ ...base, dofollow: false }, noContext)).total).toBe(3);
    expect(sources(await local.backlinks!({ ...base, anchor: 'A CO' }, noContext))).toEqual([
      'https://www.college.edu/resources',
      'https://hub.org/another',
      'https://www.hub.org/members',
    ]);
    const strong = await local.backlinks!({ ...base, min_authority: 40 }, noContext);
    expect(strong.total).toBe(5);
    expect(sources(strong)).not.toContain('https://www.council.gov.uk/contractors');
  });

  it('subdomain and page targets', async () => {
    const local = provider();
    const subdomain = await local.backlinks!({ ...base, target: 'blog.b.com', target_kind: 'subdomain' }, noContext);
    expect(sources(subdomain)).toEqual(['https://forum.org/t/1']);
    expect(subdomain.backlinks[0]!.anchor).toBe('Forum\nthread');
    const page = await local.backlinks!({ ...base, target: 'http://www.a.com/', target_kind: 'page' }, noContext);
    expect(page.total).toBe(6);
    const inner = await local.backlinks!({ ...base, target: 'https://a.com/page', target_kind: 'page' }, noContext);
    expect(sources(inner)).toEqual(['https://blog.example.co.uk/post']);
  });

  it('pages with cursor, and refuses a cursor from other filters', async () => {
    const local = provider();
    const first = await local.backlinks!({ ...base, limit: 3 }, noContext);
    expect(sources(first)).toEqual(['https://www.college.edu/resources', 'https://hub.org/another', 'https://hub.org/old-page']);
    const second = await local.backlinks!({ ...base, limit: 3, cursor: first.next_cursor! }, noContext);
    expect(sources(second)).toEqual(['https://www.hub.org/members', 'https://news.net/story', 'https://blog.example.co.uk/post']);
    const third = await local.backlinks!({ ...base, limit: 3, cursor: second.next_cursor! }, noContext);
    expect(sources(third)).toEqual(['https://knows.me/x', 'https://www.council.gov.uk/contractors']);
    expect(third.next_cursor).toBeUndefined();
    const error = await local.backlinks!({ ...base, dofollow: true, cursor: first.next_cursor! }, noContext).catch((caught) => caught);
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toContain('drop cursor');
  });

  it('an unknown target is an empty answer, not an error', async () => {
    const result = await provider().backlinks!({ ...base, target: 'nobody.com' }, noContext);
    expect(result).toMatchObject({ target: 'nobody.com', backlinks: [], total: 0 });
    expect(result.metrics.links_in).toBe(0);
  });
});

describe('local provider: loading', () => {
  let scratch: string;
  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'local-provider-test-'));
  });
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it('concurrent first calls share one load', async () => {
    const logged: string[] = [];
    const logger = { ...silentLogger, info: (message: string) => logged.push(message) };
    const local = createLocalProvider({ dataPath: basic, logger });
    const query = { your_domain: 'me.com', competitor_domains: ['a.com'], limit: 10, min_competitors: 1 };
    await Promise.all([local.gap!(query, noContext), local.gap!(query, noContext), local.backlinks!({ target: 'a.com', target_kind: 'domain', mode: 'as_is', limit: 5 }, noContext)]);
    expect(logged.filter((message) => message === 'local dataset loaded')).toHaveLength(1);
  });

  it('a failed load rejects with the dataset error, and the next call tries again', async () => {
    const folder = join(scratch, 'later');
    await mkdir(folder);
    await writeFile(join(folder, 'links.csv'), 'source_url,target_url,anchor,nofollow\nhttps://s.com/,https://t.com/,a,perhaps\n');
    const local = createLocalProvider({ dataPath: folder, logger: silentLogger });
    const query = { your_domain: 'me.com', competitor_domains: ['t.com'], limit: 10, min_competitors: 1 };
    const error = await local.gap!(query, noContext).catch((caught) => caught);
    expect(error).toBeInstanceOf(UsageError);
    expect(error.code).toBe('dataset_error');
    expect(error.message).toMatch(/links\.csv:2: nofollow/);
    await copyFile(join(basic, 'links.csv'), join(folder, 'links.csv'));
    const result = await local.gap!({ ...query, competitor_domains: ['a.com'] }, noContext);
    expect(result.total_prospects).toBeGreaterThan(0);
  });

  it('a missing BACKLINK_GAP_DATA path fails the call with a message naming it', async () => {
    const missing = join(scratch, 'absent');
    const error = await provider(missing).gap!({ your_domain: 'me.com', competitor_domains: ['a.com'], limit: 1, min_competitors: 1 }, noContext).catch((caught) => caught);
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toContain(missing);
    expect(error.message).toContain('BACKLINK_GAP_DATA');
  });

  it('a cancelled call rejects instead of answering', async () => {
    const controller = new AbortController();
    controller.abort();
    const result = provider().gap!({ your_domain: 'me.com', competitor_domains: ['a.com'], limit: 1, min_competitors: 1 }, { signal: controller.signal });
    await expect(result).rejects.toThrow();
  });
});
