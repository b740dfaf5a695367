// Outreach score of one prospect: a small, explainable formula the README quotes verbatim.

import type { Category } from '../domain.js';

export interface ScoreInput {
  authority?: number;
  competitor_overlap: number;
  competitor_count: number;
  dofollow?: boolean;
  spam_score?: number;
  category: Category;
}

/** Authority assumed when no provider knows it: low-to-middling, so an unknown site neither tops nor sinks the list. */
export const NEUTRAL_AUTHORITY = 30;

const AUTHORITY_WEIGHT = 0.55;
const REACH_POINTS = 35;
const DOFOLLOW_POINTS = { true: 10, unknown: 5, false: 0 } as const;
const SPAM_PENALTY = 0.8;
/** Overlap beyond this many competitors adds nothing more to the absolute part of reach. */
const OVERLAP_SATURATION = 4;

/** Outreach-friendly categories keep the full score; the rest are scaled down. */
export const CATEGORY_FACTORS: Record<Category, number> = {
  chamber_or_association: 1,
  directory: 1,
  news_media: 1,
  education: 1,
  government: 1,
  blog: 1,
  forum_or_community: 1,
  industry: 1,
  other: 0.85,
  platform_or_social: 0.35,
  suspect_spam: 0.15,
};

export const SCORE_FORMULA = [
  'score = round(clamp(0, 100, (0.55 × A + 35 × R + D) × C × (1 − 0.8 × S / 100)))',
  'A = normalised authority, clamped to 0-100 (unknown: 30, said so in the reasons)',
  'R = reach = 0.75 × overlap / competitors + 0.25 × min(overlap, 4) / 4, where overlap = how many of the competitors the site links to',
  'D = 10 if a link to a competitor is dofollow, 5 if unknown, 0 if all are nofollow',
  'C = category factor: 1 for chamber_or_association, directory, news_media, education, government, blog, forum_or_community and industry; 0.85 for other; 0.35 for platform_or_social; 0.15 for suspect_spam',
  'S = spam score, clamped to 0-100 (unknown: 0, no penalty)',
  'Before the factors the points add up to at most 100 (55 + 35 + 10). More authority or overlap never lowers the score; more spam never raises it.',
].join('\n');

const CATEGORY_REASONS: Partial<Record<Category, string>> = {
  chamber_or_association: 'chamber or association',
  directory: 'directory',
  news_media: 'news or media',
  education: 'education',
  government: 'government',
  blog: 'blog',
  forum_or_community: 'forum or community',
  industry: 'industry site',
  platform_or_social: 'platform or social site (scored down)',
  suspect_spam: 'looks like spam (scored down)',
};

/** 0-100 integer. Monotone: more overlap or authority never lowers it; more spam never raises it. */
export function scoreProspect(input: ScoreInput): { score: number; reasons: string[] } {
  const authority = finiteOrUndefined(input.authority);
  const spam = finiteOrUndefined(input.spam_score);
  const overlap = Math.max(0, finiteOrUndefined(input.competitor_overlap) ?? 0);
  // An overlap above the count means the caller passed inconsistent figures; the larger one is the truth.
  const competitorCount = Math.max(1, overlap, finiteOrUndefined(input.competitor_count) ?? 0);

  const authorityValue = authority === undefined ? NEUTRAL_AUTHORITY : clamp(authority, 0, 100);
  const reach = 0.75 * (overlap / competitorCount) + 0.25 * (Math.min(overlap, OVERLAP_SATURATION) / OVERLAP_SATURATION);
  const dofollowPoints =
    input.dofollow === true ? DOFOLLOW_POINTS.true : input.dofollow === false ? DOFOLLOW_POINTS.false : DOFOLLOW_POINTS.unknown;
  const points = AUTHORITY_WEIGHT * authorityValue + REACH_POINTS * reach + dofollowPoints;
  const spamFactor = spam === undefined ? 1 : 1 - (SPAM_PENALTY * clamp(spam, 0, 100)) / 100;
  const score = Math.round(clamp(points * CATEGORY_FACTORS[input.category] * spamFactor, 0, 100));

  const reasons = [overlapReason(overlap, competitorCount), authority === undefined ? `authority unknown (scored as ${NEUTRAL_AUTHORITY})` : `authority ${round1(authorityValue)}`];
  const categoryReason = CATEGORY_REASONS[input.category];
  if (categoryReason !== undefined) reasons.push(categoryReason);
  if (spam !== undefined && spam >= 30) reasons.push(`spam ${round1(clamp(spam, 0, 100))}`);
  else if (input.dofollow === true) reasons.push('dofollow');
  else if (input.dofollow === false) reasons.push('nofollow only');
  return { score, reasons };
}

function overlapReason(overlap: number, competitorCount: number): string {
  if (competitorCount === 1) return overlap >= 1 ? 'links to the competitor' : 'links to no competitor';
  if (overlap === competitorCount) return `links to all ${competitorCount} competitors`;
  return `links to ${overlap}/${competitorCount} competitors`;
}

function finiteOrUndefined(value: number | undefined): number | undefined {
  return value !== undefined && Number.isFinite(value) ? value : undefined;
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
