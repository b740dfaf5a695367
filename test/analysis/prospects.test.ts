import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CSV_COLUMNS, prospectsToCsv } from '../../src/analysis/csv.js';
import { filterProspects, pageOf, sortProspects } from '../../src/analysis/prospects.js';
import type { Prospect } from '../../src/domain.js';

function prospect(domain: string, extra: Partial<Prospect> = {}): Prospect {
  return { domain, competitors: ['alpha.com'], competitor_overlap: 1, tier: 'one', category: 'other', score: 50, found_by: ['local'], ...extra };
}

const PROSPECTS: Prospect[] = [
  prospect('yelp.com', { authority: 90, spam_score: 5, dofollow: true, category: 'directory', score: 80, backlinks: 10, competitors: ['alpha.com', 'beta.com'], competitor_overlap: 2 }),
  prospect('kxan.com', { authority: 70, dofollow: false, category: 'news_media', score: 70, backlinks: 3 }),
  prospect('unknown.com', { score: 40, referring_domains: 12 }),
  prospect('facebook.com', { authority: 100, category: 'platform_or_social', score: 30, competitors: ['beta.com'] }),
  prospect('casino-links.xyz', { authority: 10, spam_score: 90, category: 'suspect_spam', score: 2 }),
];
const domains = (list: readonly Prospect[]) => list.map((item) => item.domain);

describe('filterProspects', () => {
  it('drops platforms and suspected spam by default and keeps them when asked', () => {
    expect(domains(filterProspects(PROSPECTS, {}))).toEqual(['yelp.com', 'kxan.com', 'unknown.com']);
    expect(filterProspects(PROSPECTS, { include_platforms: true })).toHaveLength(5);
  });

  it('lets unknown authority fail min_authority but unknown spam pass max_spam', () => {
    expect(domains(filterProspects(PROSPECTS, { min_authority: 70, include_platforms: true }))).toEqual(['yelp.com', 'kxan.com', 'facebook.com']);
    expect(domains(filterProspects(PROSPECTS, { max_spam: 10, include_platforms: true }))).toEqual(['yelp.com', 'kxan.com', 'unknown.com', 'facebook.com']);
  });

  it('matches dofollow only when known', () => {
    expect(domains(filterProspects(PROSPECTS, { dofollow: true }))).toEqual(['yelp.com']);
    expect(domains(filterProspects(PROSPECTS, { dofollow: false }))).toEqual(['kxan.com']);
  });

  it('keeps prospects linking to the competitor, and finds q in the domain or the category, any case', () => {
    expect(domains(filterProspects(PROSPECTS, { competitor: 'Beta.com', include_platforms: true }))).toEqual(['yelp.com', 'facebook.com']);
    expect(domains(filterProspects(PROSPECTS, { q: 'KXAN' }))).toEqual(['kxan.com']);
    expect(domains(filterProspects(PROSPECTS, { q: 'news' }))).toEqual(['kxan.com']);
    expect(domains(filterProspects(PROSPECTS, { q: 'news media' }))).toEqual(['kxan.com']);
  });
});

describe('filterProspects by category and route', () => {
  const ROUTED: Prospect[] = [
    prospect('homeadvisor.com', { category: 'directory', route: 'paid_listing' }),
    prospect('yelp.com', { category: 'directory', route: 'review_platform' }),
    prospect('austinchamber.org', { category: 'chamber_or_association', route: 'membership' }),
    prospect('kxan.com', { category: 'news_media', route: 'editorial' }),
    prospect('old-run.com', { category: 'other' }),
    prospect('facebook.com', { category: 'platform_or_social', route: 'community_profile' }),
  ];

  it('drops paid listings in one call, and keeps only the routes asked for', () => {
    expect(domains(filterProspects(ROUTED, { exclude_route: ['paid_listing'] }))).toEqual(['yelp.com', 'austinchamber.org', 'kxan.com', 'old-run.com']);
    expect(domains(filterProspects(ROUTED, { route: ['membership', 'editorial'] }))).toEqual(['austinchamber.org', 'kxan.com']);
  });

  it('counts a prospect stored without a route (a run from before routes) as unknown', () => {
    expect(domains(filterProspects(ROUTED, { route: ['unknown'] }))).toEqual(['old-run.com']);
    expect(domains(filterProspects(ROUTED, { exclude_route: ['unknown'] }))).not.toContain('old-run.com');
  });

  it('keeps or drops categories, and shows a platform category when it is asked for by name', () => {
    expect(domains(filterProspects(ROUTED, { category: ['directory'] }))).toEqual(['homeadvisor.com', 'yelp.com']);
    expect(domains(filterProspects(ROUTED, { exclude_category: ['directory', 'news_media'] }))).toEqual(['austinchamber.org', 'old-run.com']);
    expect(domains(filterProspects(ROUTED, { category: ['platform_or_social'] }))).toEqual(['facebook.com']);
    expect(domains(filterProspects(ROUTED, { route: ['community_profile'] }))).toEqual([]);
    expect(domains(filterProspects(ROUTED, { route: ['community_profile'], include_platforms: true }))).toEqual(['facebook.com']);
  });

  it('treats empty lists as no filter', () => {
    expect(filterProspects(ROUTED, { category: [], exclude_category: [], route: [], exclude_route: [] })).toHaveLength(5);
  });
});

describe('sortProspects', () => {
  it('sorts by authority with unknown last in both orders', () => {
    expect(domains(sortProspects(PROSPECTS, 'rank', 'desc'))).toEqual(['facebook.com', 'yelp.com', 'kxan.com', 'casino-links.xyz', 'unknown.com']);
    expect(domains(sortProspects(PROSPECTS, 'rank', 'asc'))).toEqual(['casino-links.xyz', 'kxan.com', 'yelp.com', 'facebook.com', 'unknown.com']);
  });

  it('sorts by score, backlinks, referring domains and overlap, ties by domain ascending', () => {
    expect(domains(sortProspects(PROSPECTS, 'score', 'asc'))).toEqual(['casino-links.xyz', 'facebook.com', 'unknown.com', 'kxan.com', 'yelp.com']);
    expect(domains(sortProspects(PROSPECTS, 'backlinks', 'desc')).slice(0, 2)).toEqual(['yelp.com', 'kxan.com']);
    expect(domains(sortProspects(PROSPECTS, 'referring_domains', 'desc'))[0]).toBe('unknown.com');
    expect(domains(sortProspects(PROSPECTS, 'overlap', 'desc'))).toEqual(['yelp.com', 'casino-links.xyz', 'facebook.com', 'kxan.com', 'unknown.com']);
  });

  it('does not reorder its input', () => {
    const before = domains(PROSPECTS);
    sortProspects(PROSPECTS, 'rank', 'asc');
    expect(domains(PROSPECTS)).toEqual(before);
  });
});

describe('pageOf', () => {
  const items = Array.from({ length: 23 }, (_, index) => index);

  it('returns the requested 1-based page with totals', () => {
    expect(pageOf(items, 3, 10)).toEqual({ data: [20, 21, 22], meta: { page: 3, per_page: 10, total: 23, total_pages: 3, offset: 20 } });
  });

  it('splits any list into pages that put it back together', () => {
    fc.assert(
      fc.property(fc.array(fc.integer(), { maxLength: 60 }), fc.integer({ min: 1, max: 25 }), (list, perPage) => {
        const first = pageOf(list, 1, perPage);
        const pages = Array.from({ length: first.meta.total_pages }, (_, index) => pageOf(list, index + 1, perPage).data);
        expect(pages.flat()).toEqual(list);
        expect(first.meta.total).toBe(list.length);
      }),
    );
  });

  it('returns an empty page past the end and zero pages for nothing', () => {
    expect(pageOf(items, 4, 10).data).toEqual([]);
    expect(pageOf([], 1, 10).meta).toEqual({ page: 1, per_page: 10, total: 0, total_pages: 0, offset: 0 });
    expect(pageOf(items, 1, 10, 13)).toEqual({ data: [13, 14, 15, 16, 17, 18, 19, 20, 21, 22], meta: { page: 2, per_page: 10, total: 23, total_pages: 3, offset: 13 } });
  });
});

describe('prospectsToCsv', () => {
  it('writes a header, one LF-ended row per prospect, empty cells for unknowns and ;-joined lists', () => {
    const csv = prospectsToCsv([
      prospect('yelp.com', { authority: 90, score: 80, tier: 'several', category: 'directory', competitors: ['alpha.com', 'beta.com'], backlinks: 10, dofollow: true, spam_score: 5, found_by: ['moz', 'dataforseo'] }),
      prospect('unknown.com', { score: 40 }),
    ]);
    expect(csv).toBe(
      [
        CSV_COLUMNS.join(','),
        'yelp.com,90,80,several,directory,alpha.com;beta.com,10,true,5,moz;dataforseo,,,,,,,,,',
        'unknown.com,,40,one,other,alpha.com,,,,local,,,,,,,,,',
        '',
      ].join('\n'),
    );
  });

  it('has the linking page, route, dofollow links and the prospect\'s own totals (OneClickSEO) as columns', () => {
    const csv = prospectsToCsv([
      prospect('bbb.org', {
        backlinks: 12,
        dofollow_links: 4,
        route: 'free_listing',
        provider_metrics: { oneclickseo: { backlinks: 91_000, referring_domains: 4_200 } },
        by_competitor: {
          'alpha.com': { links: 8, dofollow_links: 0, page: { url: 'https://www.bbb.org/profile/a', rel: { nofollow: true } } },
          'beta.com': { links: 4, dofollow_links: 4, page: { url: 'https://www.bbb.org/listing/b,c', rel: { nofollow: false } } },
        },
      }),
    ]);
    const [header, row] = csv.split('\n');
    const columns = header!.split(',');
    for (const column of ['linking_page', 'route', 'dofollow_links', 'backlinks', 'referring_domains', 'own_backlinks']) expect(columns).toContain(column);
    const cells = Object.fromEntries(columns.map((column, index) => [column, row!.replace('"https://www.bbb.org/listing/b,c"', 'PAGE').split(',')[index]]));
    expect(cells).toMatchObject({ backlinks: '12', dofollow_links: '4', referring_domains: '4200', own_backlinks: '91000', route: 'free_listing', linking_page: 'PAGE' });
  });

  it('has what check_prospects found: verified, link_live, links_to_you and contact routes', () => {
    const csv = prospectsToCsv([
      prospect('checked.org', {
        verified: '2026-12-01T08:00:00.000Z',
        link_live: false,
        links_to_you: true,
        contact: { emails: ['ed@checked.org'], pages: [{ kind: 'write_for_us', url: 'https://checked.org/write-for-us' }] },
      }),
    ]);
    const [header, row] = csv.split('\n');
    expect(header!.split(',').slice(-4)).toEqual(['verified', 'link_live', 'links_to_you', 'contact']);
    expect(row!.split(',').slice(-4)).toEqual(['2026-12-01T08:00:00.000Z', 'false', 'true', 'ed@checked.org;write_for_us https://checked.org/write-for-us']);
  });

  it('quotes commas, quotes and line breaks, and neutralises formulas', () => {
    const rows = prospectsToCsv([
      prospect('=HYPERLINK("http://evil.example","click")', { competitors: ['a,b.com'] }),
      prospect('@sum(1+1)', { competitors: ['line\nbreak'] }),
      prospect('+1', { competitors: ['-2'] }),
    ])
      .split('\n')
      .slice(1);
    expect(rows[0]).toBe(`"'=HYPERLINK(""http://evil.example"",""click"")",,50,one,other,"a,b.com",,,,local,,,,,,,,,`);
    expect(rows[1]).toBe(`'@sum(1+1),,50,one,other,"line`);
    expect(rows[2]).toBe(`break",,,,local,,,,,,,,,`);
    expect(rows[3]).toBe(`'+1,,50,one,other,'-2,,,,local,,,,,,,,,`);
  });
});
