import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SCORE_FORMULA, type ScoreInput, scoreProspect } from '../../src/analysis/score.js';
import { CATEGORIES } from '../../src/domain.js';

const percent = fc.double({ min: 0, max: 100, noNaN: true });
const scoreInput: fc.Arbitrary<ScoreInput> = fc
  .record(
    {
      authority: percent,
      competitor_count: fc.integer({ min: 1, max: 10 }),
      overlapShare: fc.double({ min: 0, max: 1, noNaN: true }),
      dofollow: fc.boolean(),
      spam_score: percent,
      category: fc.constantFrom(...CATEGORIES),
    },
    { requiredKeys: ['competitor_count', 'overlapShare', 'category'] },
  )
  .map(({ overlapShare, ...rest }) => ({ ...rest, competitor_overlap: Math.max(1, Math.round(overlapShare * rest.competitor_count)) }));

describe('scoreProspect', () => {
  it('always returns an integer from 0 to 100 and 2-4 reasons', () => {
    fc.assert(
      fc.property(scoreInput, (input) => {
        const { score, reasons } = scoreProspect(input);
        expect(Number.isInteger(score)).toBe(true);
        expect(score).toBeGreaterThanOrEqual(0);
        expect(score).toBeLessThanOrEqual(100);
        expect(reasons.length).toBeGreaterThanOrEqual(2);
        expect(reasons.length).toBeLessThanOrEqual(4);
      }),
    );
  });

  it('never lowers the score when a known authority rises', () => {
    fc.assert(
      fc.property(scoreInput, percent, percent, (input, first, second) => {
        const [low, high] = first <= second ? [first, second] : [second, first];
        expect(scoreProspect({ ...input, authority: high }).score).toBeGreaterThanOrEqual(scoreProspect({ ...input, authority: low }).score);
      }),
    );
  });

  it('never lowers the score when overlap rises', () => {
    fc.assert(
      fc.property(scoreInput, fc.integer({ min: 0, max: 10 }), (input, extra) => {
        const more = Math.min(input.competitor_count, input.competitor_overlap + extra);
        expect(scoreProspect({ ...input, competitor_overlap: more }).score).toBeGreaterThanOrEqual(scoreProspect(input).score);
      }),
    );
  });

  it('never raises the score when a known spam score rises', () => {
    fc.assert(
      fc.property(scoreInput, percent, percent, (input, first, second) => {
        const [low, high] = first <= second ? [first, second] : [second, first];
        expect(scoreProspect({ ...input, spam_score: high }).score).toBeLessThanOrEqual(scoreProspect({ ...input, spam_score: low }).score);
      }),
    );
  });

  it('ranks a site linking to 4 of 5 competitors above one linking to 1 of 5, all else equal', () => {
    const base = { authority: 40, competitor_count: 5, dofollow: true, category: 'directory' } as const;
    expect(scoreProspect({ ...base, competitor_overlap: 4 }).score).toBeGreaterThan(scoreProspect({ ...base, competitor_overlap: 1 }).score + 15);
  });

  it('scores platforms and suspected spam far below an equal outreach-friendly site', () => {
    const base = { authority: 90, competitor_overlap: 3, competitor_count: 3, dofollow: true } as const;
    const directory = scoreProspect({ ...base, category: 'directory' }).score;
    expect(scoreProspect({ ...base, category: 'platform_or_social' }).score).toBeLessThan(directory / 2);
    expect(scoreProspect({ ...base, category: 'suspect_spam' }).score).toBeLessThan(directory / 4);
  });

  it('follows the documented formula on a worked example', () => {
    // (0.55 × 72 + 35 × (0.75 × 4/5 + 0.25 × 4/4) + 10) × 1 × (1 − 0.8 × 5/100) = 79.35 × 0.96 = 76.18
    const result = scoreProspect({ authority: 72, competitor_overlap: 4, competitor_count: 5, dofollow: true, spam_score: 5, category: 'directory' });
    expect(result.score).toBe(76);
    expect(result.reasons).toEqual(['links to 4/5 competitors', 'authority 72', 'directory', 'dofollow']);
  });

  it('treats unknown authority as 30 and says so', () => {
    const unknown = scoreProspect({ competitor_overlap: 1, competitor_count: 2, category: 'other' });
    const thirty = scoreProspect({ authority: 30, competitor_overlap: 1, competitor_count: 2, category: 'other' });
    expect(unknown.score).toBe(thirty.score);
    expect(unknown.reasons).toContain('authority unknown (scored as 30)');
  });

  it('mentions a notable spam score and all-nofollow links', () => {
    expect(scoreProspect({ authority: 50, competitor_overlap: 2, competitor_count: 2, spam_score: 45, category: 'blog' }).reasons).toContain('spam 45');
    expect(scoreProspect({ authority: 50, competitor_overlap: 2, competitor_count: 2, dofollow: false, category: 'blog' }).reasons).toContain(
      'nofollow only',
    );
  });

  it('documents every weight the code uses', () => {
    for (const fragment of ['0.55', '35', '0.75', '0.25', 'min(overlap, 4)', '10', '5', '0.8', '0.85', '0.35', '0.15', 'unknown: 30']) {
      expect(SCORE_FORMULA).toContain(fragment);
    }
  });
});
