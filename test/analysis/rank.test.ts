import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { facetsOf } from '../../src/analysis/facets.js';
import { droppedReferrersNote, enrichPublicProspects, rankProspects, rankPublicProspects, tierOf } from '../../src/analysis/rank.js';
import type { ProspectCore } from '../../src/domain.js';
import { isPublicSite } from '../../src/hosts.js';

const COMPETITORS = ['alpha.com', 'beta.com', 'gamma.com'];

function core(domain: string, competitors: string[], extra: Partial<ProspectCore> = {}): ProspectCore {
  return { domain, competitors, found_by: ['local'], ...extra };
}

describe('tierOf', () => {
  it('says all when the site links to every competitor, several for two or more, one otherwise', () => {
    expect(tierOf(3, 3)).toBe('all');
    expect(tierOf(2, 3)).toBe('several');
    expect(tierOf(1, 3)).toBe('one');
    expect(tierOf(2, 2)).toBe('all');
    expect(tierOf(1, 2)).toBe('one');
    expect(tierOf(4, 5)).toBe('several');
  });

  it('puts every prospect of a single-competitor run in all', () => {
    expect(tierOf(1, 1)).toBe('all');
  });
});

describe('rankProspects', () => {
  it('orders by score, then overlap, then authority with unknown last, then domain', () => {
    const ranked = rankProspects(
      [
        core('zeta-one.com', ['alpha.com'], { authority: 20 }),
        core('austinchamber.com', ['gamma.com', 'alpha.com', 'beta.com'], { authority: 60, dofollow: true }),
        core('b-unknown.com', ['beta.com']),
        core('a-unknown.com', ['beta.com']),
        core('yelp.com', ['alpha.com', 'beta.com'], { authority: 90 }),
      ],
      COMPETITORS,
    );
    expect(ranked.map((prospect) => prospect.domain)).toEqual(['austinchamber.com', 'yelp.com', 'a-unknown.com', 'b-unknown.com', 'zeta-one.com']);
    for (let index = 1; index < ranked.length; index += 1) expect(ranked[index - 1]!.score).toBeGreaterThanOrEqual(ranked[index]!.score);
  });

  it('returns every public input once, ordered by score descending, whatever the input', () => {
    const arbitraryCore = fc.record(
      {
        domain: fc.domain(),
        authority: fc.integer({ min: 0, max: 100 }),
        competitors: fc.subarray(COMPETITORS, { minLength: 1 }),
        dofollow: fc.boolean(),
        spam_score: fc.integer({ min: 0, max: 100 }),
        found_by: fc.constant<ProspectCore['found_by']>(['local']),
      },
      { requiredKeys: ['domain', 'competitors', 'found_by'] },
    );
    fc.assert(
      fc.property(fc.uniqueArray(arbitraryCore, { selector: (item) => item.domain, maxLength: 30 }), (cores) => {
        const { prospects: ranked, dropped } = rankPublicProspects(cores, COMPETITORS);
        const publicCores = cores.filter((item) => isPublicSite(item.domain));
        expect(ranked.map((prospect) => prospect.domain).sort()).toEqual(publicCores.map((item) => item.domain).sort());
        expect(dropped).toBe(cores.length - publicCores.length);
        for (let index = 1; index < ranked.length; index += 1) expect(ranked[index - 1]!.score).toBeGreaterThanOrEqual(ranked[index]!.score);
      }),
    );
  });

  it('never ranks a referrer that is not a public site, and counts what it dropped', () => {
    const cores = [
      core('localhost', ['alpha.com'], { authority: 99 }),
      core('192.168.1.20', ['alpha.com', 'beta.com']),
      core('=1+2', ['alpha.com']),
      core('intranet', ['alpha.com']),
      core('austinchamber.org', ['alpha.com']),
      core('joe.wordpress.com', ['beta.com']),
    ];
    const { prospects, dropped } = rankPublicProspects(cores, COMPETITORS);
    expect(prospects.map((prospect) => prospect.domain).sort()).toEqual(['austinchamber.org', 'joe.wordpress.com']);
    expect(dropped).toBe(4);
    expect(rankProspects(cores, COMPETITORS)).toEqual(prospects);
    expect(droppedReferrersNote(dropped)).toMatch(/^4 non-public referrers dropped/);
    expect(droppedReferrersNote(0)).toBeUndefined();
  });

  it('keeps the order given when enriching a provider page, dropping the same referrers', () => {
    const cores = [core('zeta.com', ['alpha.com'], { authority: 5 }), core('127.0.0.1', ['alpha.com']), core('alpha-news.com', ['alpha.com', 'beta.com'], { authority: 80 })];
    const { prospects, dropped } = enrichPublicProspects(cores, COMPETITORS);
    expect(prospects.map((prospect) => prospect.domain)).toEqual(['zeta.com', 'alpha-news.com']);
    expect(dropped).toBe(1);
  });

  it('breaks equal scores by overlap, then authority (unknown last), then domain', () => {
    // Same score by construction: identical figures, different names.
    const ranked = rankProspects([core('b.com', ['alpha.com'], { authority: 40 }), core('a.com', ['alpha.com'], { authority: 40 })], COMPETITORS);
    expect(ranked.map((prospect) => prospect.domain)).toEqual(['a.com', 'b.com']);
  });

  it('fills overlap, tier, category, score, route and reasons, and orders competitors as the run gave them', () => {
    const [prospect] = rankProspects([core('kxan.com', ['gamma.com', 'alpha.com'], { authority: 70, dofollow: true })], COMPETITORS);
    expect(prospect).toMatchObject({
      domain: 'kxan.com',
      competitors: ['alpha.com', 'gamma.com'],
      competitor_overlap: 2,
      tier: 'several',
      category: 'news_media',
      found_by: ['local'],
    });
    expect(prospect!.score).toBeGreaterThan(0);
    // Outreach reasons, not the score's: where it links and what kind of page, then the follow.
    expect(prospect!.reasons).toEqual(['mentions 2 of 3 competitors on kxan.com: article', 'dofollow']);
    expect(prospect).toMatchObject({ route: 'editorial', route_evidence: ['category news_media'] });
  });

  it('counts only competitors of the run towards overlap', () => {
    const [prospect] = rankProspects([core('example.org', ['alpha.com', 'unrelated.com'])], COMPETITORS);
    expect(prospect!.competitor_overlap).toBe(1);
    expect(prospect!.competitors).toEqual(['alpha.com', 'unrelated.com']);
  });

  it('categorises a spam score of 60 or more as suspect_spam and ranks it below a clean twin', () => {
    const ranked = rankProspects(
      [core('spammy.com', ['alpha.com'], { authority: 50, spam_score: 70 }), core('clean.com', ['alpha.com'], { authority: 50, spam_score: 1 })],
      COMPETITORS,
    );
    expect(ranked.map((prospect) => [prospect.domain, prospect.category])).toEqual([
      ['clean.com', 'other'],
      ['spammy.com', 'suspect_spam'],
    ]);
  });
});

describe('facetsOf', () => {
  it('counts tiers, categories, routes, authority bands and competitors', () => {
    const ranked = rankProspects(
      [
        core('austinchamber.com', COMPETITORS, { authority: 85 }),
        core('yelp.com', ['alpha.com', 'beta.com'], { authority: 19.5 }),
        core('bbb.org', ['beta.com'], { authority: 40 }),
        core('unknown-site.com', ['beta.com']),
      ],
      COMPETITORS,
    );
    expect(facetsOf(ranked, [...COMPETITORS, 'delta.com'])).toEqual({
      tier: { all: 1, several: 1, one: 2 },
      category: { chamber_or_association: 1, directory: 2, other: 1 },
      route: { membership: 1, review_platform: 2, unknown: 1 },
      authority: { '0-19': 1, '20-39': 0, '40-59': 1, '60-79': 0, '80-100': 1, unknown: 1 },
      competitor: { 'alpha.com': 2, 'beta.com': 4, 'gamma.com': 1, 'delta.com': 0 },
    });
  });
});
