import { describe, expect, it } from 'vitest';
import { mergeProspects } from '../../src/analysis/merge.js';
import type { ProspectCore } from '../../src/domain.js';

const COMPETITORS = ['alpha.com', 'beta.com', 'gamma.com'];

describe('mergeProspects', () => {
  const moz: ProspectCore[] = [
    {
      domain: 'yelp.com',
      authority: 90,
      competitors: ['beta.com'],
      backlinks: 12,
      dofollow: false,
      spam_score: 2,
      titles: ['Plumbers in Austin'],
      source_pages: ['https://yelp.com/a', 'https://yelp.com/b'],
      found_by: ['moz'],
      provider_metrics: { moz: { authority: 90, authority_raw: 90, authority_scale: 'domain_authority 0-100', spam_score: 2 } },
    },
    { domain: 'only-moz.com', authority: 30, competitors: ['alpha.com'], found_by: ['moz'] },
  ];
  const dataForSeo: ProspectCore[] = [
    {
      domain: 'YELP.com',
      authority: 70,
      competitors: ['alpha.com', 'beta.com'],
      backlinks: 40,
      referring_domains: 5000,
      dofollow: true,
      spam_score: 10,
      titles: ['Plumbers in Austin', 'Best Plumbers Near Me'],
      source_pages: ['https://yelp.com/b', 'https://yelp.com/c', 'https://yelp.com/d'],
      found_by: ['dataforseo'],
    },
    { domain: 'only-dfs.com', competitors: ['gamma.com'], found_by: ['dataforseo'] },
  ];

  const merged = mergeProspects(
    [
      { provider: 'moz', prospects: moz },
      { provider: 'dataforseo', prospects: dataForSeo },
    ],
    COMPETITORS,
  );
  const byDomain = new Map(merged.map((prospect) => [prospect.domain, prospect]));

  it('gives one row per referring domain, overlapping and disjoint alike', () => {
    expect(merged.map((prospect) => prospect.domain)).toEqual(['yelp.com', 'only-moz.com', 'only-dfs.com']);
  });

  it('merges an overlapping row: found_by in input order, median authority and spam, union of competitors in run order', () => {
    expect(byDomain.get('yelp.com')).toEqual({
      domain: 'yelp.com',
      authority: 80,
      competitors: ['alpha.com', 'beta.com'],
      backlinks: 40,
      referring_domains: 5000,
      dofollow: true,
      spam_score: 6,
      titles: ['Plumbers in Austin', 'Best Plumbers Near Me'],
      source_pages: ['https://yelp.com/a', 'https://yelp.com/b', 'https://yelp.com/c'],
      provider_metrics: {
        moz: { authority: 90, authority_raw: 90, authority_scale: 'domain_authority 0-100', spam_score: 2 },
        dataforseo: { authority: 70, spam_score: 10, backlinks: 40, referring_domains: 5000, dofollow: true },
      },
      found_by: ['moz', 'dataforseo'],
    });
  });

  it('keeps disjoint rows as they were, with the provider recorded', () => {
    expect(byDomain.get('only-moz.com')).toEqual({
      domain: 'only-moz.com',
      authority: 30,
      competitors: ['alpha.com'],
      provider_metrics: { moz: { authority: 30 } },
      found_by: ['moz'],
    });
    expect(byDomain.get('only-dfs.com')).toEqual({ domain: 'only-dfs.com', competitors: ['gamma.com'], found_by: ['dataforseo'] });
  });

  it('takes the middle of three authorities and leaves dofollow absent when nobody knows it', () => {
    const [row] = mergeProspects(
      [
        { provider: 'moz', prospects: [{ domain: 'a.com', authority: 10, competitors: ['alpha.com'], found_by: ['moz'] }] },
        { provider: 'dataforseo', prospects: [{ domain: 'a.com', authority: 50, competitors: ['alpha.com'], found_by: ['dataforseo'] }] },
        { provider: 'local', prospects: [{ domain: 'a.com', authority: 20, competitors: ['gamma.com'], found_by: ['local'] }] },
      ],
      COMPETITORS,
    );
    expect(row!.authority).toBe(20);
    expect(row!.competitors).toEqual(['alpha.com', 'gamma.com']);
    expect(row!.found_by).toEqual(['moz', 'dataforseo', 'local']);
    expect(row).not.toHaveProperty('dofollow');
    expect(row).not.toHaveProperty('spam_score');
  });

  it('says nofollow only when every provider that knows says so', () => {
    const [row] = mergeProspects(
      [
        { provider: 'moz', prospects: [{ domain: 'a.com', dofollow: false, competitors: ['alpha.com'], found_by: ['moz'] }] },
        { provider: 'local', prospects: [{ domain: 'a.com', competitors: ['alpha.com'], found_by: ['local'] }] },
      ],
      COMPETITORS,
    );
    expect(row!.dofollow).toBe(false);
  });

  it('keeps per-competitor counts, dofollow counts and linking pages: the largest count, the first dofollow page', () => {
    const rows = mergeProspects(
      [
        {
          provider: 'localseodata',
          prospects: [{ domain: 'bbb.org', competitors: ['alpha.com', 'beta.com'], backlinks: 9, by_competitor: { 'alpha.com': { links: 7 }, 'beta.com': { links: 2 } }, found_by: ['localseodata'] }],
        },
        {
          provider: 'dataforseo',
          prospects: [
            {
              domain: 'bbb.org',
              competitors: ['alpha.com'],
              backlinks: 12,
              dofollow_links: 4,
              by_competitor: {
                'Alpha.com': { links: 12, dofollow_links: 4, page: { url: 'https://bbb.org/us/tx/austin/alpha', rel: {} } },
              },
              found_by: ['dataforseo'],
            },
          ],
        },
        {
          provider: 'moz',
          prospects: [
            { domain: 'bbb.org', competitors: ['alpha.com'], by_competitor: { 'alpha.com': { page: { url: 'https://bbb.org/nofollowed', rel: { nofollow: true } } } }, found_by: ['moz'] },
          ],
        },
      ],
      COMPETITORS,
    );
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(row.backlinks).toBe(12);
    expect(row.dofollow_links).toBe(4);
    expect(row.by_competitor).toEqual({
      'alpha.com': { links: 12, dofollow_links: 4, page: { url: 'https://bbb.org/us/tx/austin/alpha', rel: {} } },
      'beta.com': { links: 2 },
    });
  });

  it('leaves by_competitor and dofollow_links absent when no provider gave them', () => {
    expect(byDomain.get('only-moz.com')?.by_competitor).toBeUndefined();
    expect(byDomain.get('yelp.com')?.dofollow_links).toBeUndefined();
  });
});
