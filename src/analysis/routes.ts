// Acquisition route of a prospect (how such a link is usually obtained), decided from its linking
// pages, its category and its domain by the rules in route-rules.ts, with the evidence kept.

import { parse } from 'tldts';
import type { Category, CompetitorLinks, LinkRel, ProspectCore, Route } from '../domain.js';
import { MIN_POINTS, NO_ROUTE_CATEGORIES, ROUTE_INFO, ROUTE_PRECEDENCE, ROUTE_RULES, type RouteRule } from './route-rules.js';

/** One linking page as far as it is known: a URL, a title, or both. */
export interface PageEvidence {
  url?: string;
  title?: string;
  anchor?: string;
  rel?: LinkRel;
}

export interface RouteInput {
  domain: string;
  category: Category;
  pages: readonly PageEvidence[];
}

export interface RouteDecision {
  route: Route;
  /** Short strings, strongest first: `path /members/home-services`, `domain yelp.com`. */
  evidence: string[];
  /** Points per route that scored, for the benchmark and for tests. */
  points: Partial<Record<Route, number>>;
}

/** One line: how this kind of link is usually obtained. */
export function routeHowTo(route: Route): string {
  return ROUTE_INFO[route].how;
}

/** The noun a reason uses for the route: "membership directory", "review profile". */
export function routeLabel(route: Route): string {
  return ROUTE_INFO[route].label;
}

// ---- phrases -------------------------------------------------------------------------------------

type Token = string;
type Phrase = readonly Token[];

const YEAR = /^(199[5-9]|20[0-3]\d)$/;

function wordsOf(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word !== '');
}

function tokenMatches(pattern: Token, word: string): boolean {
  if (pattern === '{year}') return YEAR.test(word);
  if (pattern.endsWith('*')) return word.startsWith(pattern.slice(0, -1));
  return pattern === word;
}

function phraseAt(phrase: Phrase, words: readonly string[]): boolean {
  for (let start = 0; start + phrase.length <= words.length; start++) {
    let all = true;
    for (let offset = 0; offset < phrase.length; offset++) {
      if (!tokenMatches(phrase[offset]!, words[start + offset]!)) {
        all = false;
        break;
      }
    }
    if (all) return true;
  }
  return false;
}

/** Rules with their phrases cut into words once. */
interface CompiledRule {
  rule: RouteRule;
  domains?: ReadonlySet<string>;
  suffixes?: ReadonlySet<string>;
  categories?: ReadonlySet<Category>;
  host?: Phrase[];
  path?: Phrase[];
  title?: Phrase[];
  anchor?: Phrase[];
}

/** Rule phrases are words separated by spaces, each letters and digits, `*`-ended or `{year}` (a test checks the data). */
const phrases = (values: readonly string[] | undefined): Phrase[] | undefined => values?.map((value) => value.toLowerCase().split(/\s+/).filter((word) => word !== ''));

const COMPILED: readonly CompiledRule[] = ROUTE_RULES.map((rule) => ({
  rule,
  ...(rule.domains && { domains: new Set(rule.domains) }),
  ...(rule.suffixes && { suffixes: new Set(rule.suffixes) }),
  ...(rule.categories && { categories: new Set(rule.categories) }),
  ...(rule.host && { host: phrases(rule.host) }),
  ...(rule.path && { path: phrases(rule.path) }),
  ...(rule.title && { title: phrases(rule.title) }),
  ...(rule.anchor && { anchor: phrases(rule.anchor) }),
}));

// ---- pages ---------------------------------------------------------------------------------------

interface PreparedPage {
  path?: string;
  pathWords: string[];
  hostWords: string[];
  title?: string;
  titleWords: string[];
  anchor?: string;
  anchorWords: string[];
  rel?: LinkRel;
}

function preparePage(page: PageEvidence): PreparedPage {
  let path: string | undefined;
  let hostWords: string[] = [];
  if (page.url !== undefined) {
    try {
      const url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(page.url) ? page.url : `http://${page.url}`);
      path = decodeSafely(url.pathname);
      const host = url.hostname.toLowerCase().replace(/^www\./, '');
      const sub = parse(host, { allowPrivateDomains: true }).subdomain ?? '';
      hostWords = wordsOf(sub);
    } catch {
      path = undefined;
    }
  }
  const title = page.title?.trim() || undefined;
  const anchor = page.anchor?.trim() || undefined;
  return {
    ...(path !== undefined && { path }),
    // Words of the path with a file extension dropped (links.html stays "links html" for rules that want it).
    pathWords: path === undefined ? [] : wordsOf(path),
    hostWords,
    ...(title !== undefined && { title }),
    titleWords: title === undefined ? [] : wordsOf(title),
    ...(anchor !== undefined && { anchor }),
    anchorWords: anchor === undefined ? [] : wordsOf(anchor),
    ...(page.rel !== undefined && { rel: page.rel }),
  };
}

function decodeSafely(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

// ---- deciding ------------------------------------------------------------------------------------

interface DomainFacts {
  domain: string;
  /** The registrable label without hyphens. */
  label: string;
  suffixLabels: string[];
  category: Category;
}

/** Evidence of one matched rule on one page, or undefined when the rule does not match it. */
function matchRule(compiled: CompiledRule, facts: DomainFacts, page: PreparedPage | undefined): string | undefined {
  const parts: string[] = [];
  const site: string[] = [];
  const { rule } = compiled;
  if (compiled.domains) {
    if (!compiled.domains.has(facts.domain)) return undefined;
    site.push(`domain ${facts.domain}`);
  }
  if (rule.label) {
    const word = rule.label.find((text) => facts.label.includes(text));
    if (word === undefined) return undefined;
    site.push(`name ${facts.domain} (${word})`);
  }
  if (compiled.suffixes) {
    const label = facts.suffixLabels.find((suffix) => compiled.suffixes!.has(suffix));
    if (label === undefined) return undefined;
    site.push(`.${label} site`);
  }
  if (compiled.categories) {
    if (!compiled.categories.has(facts.category)) return undefined;
    site.push(`category ${facts.category}`);
  }
  const pageWanted = compiled.host || compiled.path || compiled.title || compiled.anchor || rule.rel;
  if (pageWanted) {
    if (page === undefined) return undefined;
    if (compiled.host) {
      if (!compiled.host.some((phrase) => phraseAt(phrase, page.hostWords))) return undefined;
      parts.push(`host ${page.hostWords.join('.')}.`);
    }
    if (compiled.path) {
      if (page.path === undefined || !compiled.path.some((phrase) => phraseAt(phrase, page.pathWords))) return undefined;
      parts.push(`path ${shortPath(page.path)}`);
    }
    if (compiled.title) {
      if (page.title === undefined || !compiled.title.some((phrase) => phraseAt(phrase, page.titleWords))) return undefined;
      parts.push(`title "${clip(page.title, 50)}"`);
    }
    if (compiled.anchor) {
      if (page.anchor === undefined || !compiled.anchor.some((phrase) => phraseAt(phrase, page.anchorWords))) return undefined;
      parts.push(`anchor "${clip(page.anchor, 30)}"`);
    }
    if (rule.rel) {
      if (page.rel?.[rule.rel] !== true) return undefined;
      parts.push(`rel ${rule.rel}`);
    }
  }
  // What the page says comes first; the site facts that qualify it follow.
  if (parts.length === 0) return site.join(' + ');
  return site.length === 0 ? parts.join(' + ') : `${parts.join(' + ')} (${site.join(', ')})`;
}

/** The kind of evidence a rule reads: the site itself, the URL, the title, the anchor or the rel. */
function kindOf(rule: RouteRule): 'url' | 'title' | 'anchor' | 'rel' | 'site' {
  if (rule.path || rule.host) return 'url';
  if (rule.title) return 'title';
  if (rule.anchor) return 'anchor';
  if (rule.rel) return 'rel';
  return 'site';
}

/** Decide the route from everything known about the prospect's linking pages. */
export function decideRoute(input: RouteInput): RouteDecision {
  if (NO_ROUTE_CATEGORIES.includes(input.category)) return { route: 'unknown', evidence: [`category ${input.category}: no outreach route`], points: {} };
  const parsed = parse(input.domain, { allowPrivateDomains: true });
  const facts: DomainFacts = {
    domain: (parsed.domain ?? input.domain).toLowerCase(),
    label: (parsed.domainWithoutSuffix ?? input.domain).toLowerCase().replace(/-/g, ''),
    suffixLabels: (parsed.publicSuffix ?? '').split('.').filter((label) => label !== ''),
    category: input.category,
  };
  const pages = input.pages.map(preparePage);
  // Per route and kind of evidence, only the strongest rule counts: rules of one kind are correlated
  // (a listing path, a listing title and a directory name say much the same thing).
  const strongest = new Map<string, { route: Route; points: number; text: string }>();
  for (const compiled of COMPILED) {
    const needsPage = compiled.host || compiled.path || compiled.title || compiled.anchor || compiled.rule.rel;
    let found: string | undefined;
    if (needsPage) {
      for (const page of pages) {
        found = matchRule(compiled, facts, page);
        if (found !== undefined) break;
      }
    } else {
      found = matchRule(compiled, facts, undefined);
    }
    if (found === undefined) continue;
    const route = compiled.rule.route;
    const key = `${route} ${kindOf(compiled.rule)}`;
    const held = strongest.get(key);
    if (held === undefined || held.points < compiled.rule.points) strongest.set(key, { route, points: compiled.rule.points, text: found });
  }
  const points: Partial<Record<Route, number>> = {};
  const evidence: Partial<Record<Route, Array<{ points: number; text: string }>>> = {};
  for (const { route, points: rulePoints, text } of strongest.values()) {
    points[route] = (points[route] ?? 0) + rulePoints;
    const list = evidence[route] ?? [];
    list.push({ points: rulePoints, text });
    evidence[route] = list;
  }
  let best: Route = 'unknown';
  let bestPoints = 0;
  for (const route of ROUTE_PRECEDENCE) {
    const total = points[route] ?? 0;
    if (total > bestPoints) {
      best = route;
      bestPoints = total;
    }
  }
  if (bestPoints < MIN_POINTS) return { route: 'unknown', evidence: [], points };
  const kept = (evidence[best] ?? [])
    .sort((left, right) => right.points - left.points)
    .map((item) => item.text)
    // A site fact already named inside a stronger piece of evidence is not repeated.
    .filter((text, index, all) => !all.slice(0, index).some((earlier) => earlier.includes(text)))
    .slice(0, 3);
  return { route: best, evidence: kept, points };
}

/** The pages a prospect carries: each competitor's best linking page, then example pages and titles. */
export function pagesOf(core: Pick<ProspectCore, 'by_competitor' | 'source_pages' | 'titles'>): PageEvidence[] {
  const pages: PageEvidence[] = [];
  const seen = new Set<string>();
  for (const links of Object.values(core.by_competitor ?? {})) {
    const page = (links as CompetitorLinks).page;
    if (page === undefined) continue;
    seen.add(page.url);
    pages.push({
      url: page.url,
      ...(page.title !== undefined && { title: page.title }),
      ...(page.anchor !== undefined && { anchor: page.anchor }),
      ...(page.rel !== undefined && { rel: page.rel }),
    });
  }
  for (const url of core.source_pages ?? []) {
    if (seen.has(url)) continue;
    seen.add(url);
    pages.push({ url });
  }
  for (const title of core.titles ?? []) pages.push({ title });
  return pages;
}

/** Route of a categorised prospect. */
export function routeOf(core: ProspectCore, category: Category): RouteDecision {
  return decideRoute({ domain: core.domain, category, pages: pagesOf(core) });
}

// ---- outreach reasons ----------------------------------------------------------------------------

export interface ReasonInput {
  core: ProspectCore;
  /** Competitors of the run this prospect links to, in the run's order. */
  linked: readonly string[];
  competitorCount: number;
  category: Category;
  decision: RouteDecision;
}

/**
 * Outreach reasons built from the evidence: where the prospect links to the competitors and what kind
 * of page that is ("lists 4 of 5 competitors on /members/home-services: membership directory"), what
 * the links are worth (follow), and what to check first (spam, platform).
 */
export function outreachReasons(input: ReasonInput): string[] {
  const { core, linked, competitorCount, decision } = input;
  const info = ROUTE_INFO[decision.route];
  const who =
    competitorCount <= 1 || linked.length === 0
      ? 'the competitor'
      : linked.length === 1
        ? linked[0]!
        : linked.length >= competitorCount
          ? `all ${competitorCount} competitors`
          : `${linked.length} of ${competitorCount} competitors`;
  const where = placeOf(core, linked);
  const reasons = [decision.route === 'unknown' ? `links to ${who} ${where}` : `${info.verb} ${who} ${where}: ${info.label}`];
  // Evidence the first reason does not already show (a title, an anchor, a rel, a .gov suffix).
  const extra = decision.evidence.find((text) => !text.startsWith('domain ') && !text.startsWith('category ') && !(text.startsWith('path ') && where.includes(text.slice(5).split(' (')[0]!)));
  if (extra !== undefined && decision.route !== 'unknown') reasons.push(`seen: ${extra}`);
  const follow = followReason(core);
  if (follow !== undefined) reasons.push(follow);
  if (input.category === 'suspect_spam') reasons.push('suspected spam: a link from it can hurt; skip it');
  else if (core.spam_score !== undefined && core.spam_score >= 30) reasons.push(`spam score ${Math.round(core.spam_score)}: check the site before asking`);
  else if (input.category === 'platform_or_social') reasons.push('a platform: profile links rarely pass ranking value');
  return reasons;
}

/** "on /members/home-services" when the competitors share a page or a section, else "on domain". */
function placeOf(core: ProspectCore, linked: readonly string[]): string {
  const paths: string[] = [];
  for (const competitor of linked) {
    const url = core.by_competitor?.[competitor]?.page?.url;
    const path = url === undefined ? undefined : pathOf(url);
    if (path !== undefined) paths.push(path);
  }
  if (paths.length === 0) for (const url of core.source_pages ?? []) {
    const path = pathOf(url);
    if (path !== undefined) paths.push(path);
  }
  if (paths.length === 0) return `on ${core.domain}`;
  if (paths.every((path) => path === paths[0])) return `on ${shortPath(paths[0]!)}`;
  const section = commonSection(paths);
  return section === undefined ? `on ${core.domain} (${paths.length} pages)` : `under ${shortPath(section)}`;
}

function followReason(core: ProspectCore): string | undefined {
  if (core.dofollow_links !== undefined && core.backlinks !== undefined && core.backlinks > 0) {
    if (core.dofollow_links === 0) return `nofollow only (${core.backlinks} links): referral and citation value`;
    return `dofollow ${core.dofollow_links} of ${core.backlinks} links`;
  }
  if (core.dofollow === true) return 'dofollow';
  if (core.dofollow === false) return 'nofollow only: referral and citation value';
  return undefined;
}

function pathOf(url: string): string | undefined {
  try {
    return decodeSafely(new URL(url).pathname);
  } catch {
    return undefined;
  }
}

/** The longest leading run of path segments every path shares, as "/members/", or undefined. */
function commonSection(paths: readonly string[]): string | undefined {
  const split = paths.map((path) => path.split('/').filter((segment) => segment !== ''));
  const first = split[0]!;
  let shared = 0;
  while (shared < first.length - 1 && split.every((segments) => segments.length > shared + 1 && segments[shared] === first[shared])) shared++;
  return shared === 0 ? undefined : `/${first.slice(0, shared).join('/')}/`;
}

function shortPath(path: string): string {
  return clip(path, 60);
}

function clip(text: string, length: number): string {
  return text.length <= length ? text : `${text.slice(0, length - 1)}…`;
}
