// Gap, link intersect and backlinks over a loaded LocalDataset. Each query walks only the posting
// lists of the targets it names, using per-dataset scratch arrays stamped by query (no clearing).

import type {
  Backlink,
  BacklinkMetrics,
  BacklinksQuery,
  BacklinksSummary,
  CompetitorLinks,
  GapQuery,
  IntersectQuery,
  IntersectRow,
  LinkingPage,
  ProspectCore,
  ProviderMetrics,
  Scope,
} from '../../domain.js';
import { invalidInput } from '../../errors.js';
import { hostOf, sourceDomainOf } from '../../hosts.js';
import { type LocalDataset, looseUrlKey } from '../local-dataset.js';
import { SUMMARY_ANCHORS, SUMMARY_DOMAINS } from '../../analysis/backlinks-summary.js';
import { decodePageToken, encodePageToken, queryHash, selectTop } from './select.js';

const LINKS_TO_YOU = 2;
const DOFOLLOW = 1;
const NEGATIVE = 0x80000000;
const EXAMPLE_PAGES = 3;
const MAX_MASK_TARGETS = 31;

/** Reused per-dataset working memory. Queries run synchronously, so one set serves them all. */
export class Scratch {
  private epoch = 0;
  readonly domainStamp: Uint32Array;
  readonly domainStamp2: Uint32Array;
  /** Per domain, interleaved so one query touches one cache line per domain: stamp, mask, links, flags. */
  readonly domainState: Int32Array;
  readonly domainBest: Int32Array;
  readonly examples: Int32Array;
  readonly exampleCount: Uint8Array;
  /** 0 not yet classified, 1 neither, 2 education, 3 government. */
  readonly domainKind: Uint8Array;
  private pagePairs?: Int32Array;
  private listBuffer?: Uint32Array;
  private domainPairs?: Int32Array;
  private anchorGroups?: { group: Int32Array; ids: Map<string, number>; stamp: Uint32Array; best: Int32Array };
  private anchorMatches?: { stamp: Uint32Array; match: Uint8Array };
  private anchorTallies?: { stamp: Uint32Array; count: Int32Array; link: Int32Array };

  constructor(private readonly data: LocalDataset) {
    const domains = data.domainCount;
    this.domainStamp = new Uint32Array(domains);
    this.domainStamp2 = new Uint32Array(domains);
    this.domainState = new Int32Array(domains * 4);
    this.domainBest = new Int32Array(domains);
    this.examples = new Int32Array(domains * EXAMPLE_PAGES);
    this.exampleCount = new Uint8Array(domains);
    this.domainKind = new Uint8Array(domains);
  }

  next(): number {
    // Stamps live in Int32Array slots too, so the epoch stays below 2^31.
    this.epoch++;
    if (this.epoch >= 0x7fffffff) {
      this.domainStamp.fill(0);
      this.domainStamp2.fill(0);
      this.domainState.fill(0);
      this.pagePairs?.fill(0);
      this.domainPairs?.fill(0);
      this.anchorGroups?.stamp.fill(0);
      this.anchorMatches?.stamp.fill(0);
      this.anchorTallies?.stamp.fill(0);
      this.epoch = 1;
    }
    return this.epoch;
  }

  /** A reusable id list of at least `size` slots (JS array pushes were the hot spot at 1M links). */
  list(size: number): Uint32Array {
    if (this.listBuffer === undefined || this.listBuffer.length < size) this.listBuffer = new Uint32Array(size);
    return this.listBuffer;
  }

  /** Per source unit (page or domain), interleaved (stamp, mask) pairs for intersect. */
  pairs(byDomain: boolean): Int32Array {
    if (byDomain) {
      this.domainPairs ??= new Int32Array(this.data.domainCount * 2);
      return this.domainPairs;
    }
    this.pagePairs ??= new Int32Array(this.data.sourcePageIdLimit * 2);
    return this.pagePairs;
  }

  /** Case-insensitive anchor group of an anchor id, computed once per anchor and kept. */
  anchors(): { group: Int32Array; ids: Map<string, number>; stamp: Uint32Array; best: Int32Array } {
    this.anchorGroups ??= {
      group: new Int32Array(this.data.anchorCount).fill(-1),
      ids: new Map(),
      stamp: new Uint32Array(this.data.anchorCount),
      best: new Int32Array(this.data.anchorCount),
    };
    return this.anchorGroups;
  }

  anchorGroup(anchor: number): number {
    const groups = this.anchors();
    let group = groups.group[anchor]!;
    if (group === -1) {
      const key = this.data.anchor(anchor).toLowerCase();
      group = groups.ids.get(key) ?? groups.ids.size;
      groups.ids.set(key, group);
      groups.group[anchor] = group;
    }
    return group;
  }

  /** Per anchor group: links counted for a backlinks summary, and one link carrying it. */
  tallies(): { stamp: Uint32Array; count: Int32Array; link: Int32Array } {
    this.anchorTallies ??= {
      stamp: new Uint32Array(this.data.anchorCount),
      count: new Int32Array(this.data.anchorCount),
      link: new Int32Array(this.data.anchorCount),
    };
    return this.anchorTallies;
  }

  matches(): { stamp: Uint32Array; match: Uint8Array } {
    this.anchorMatches ??= {
      stamp: new Uint32Array(this.data.anchorCount),
      match: new Uint8Array(this.data.anchorCount),
    };
    return this.anchorMatches;
  }

  kindOf(domain: number): number {
    let kind = this.domainKind[domain]!;
    if (kind === 0) {
      const name = `.${this.data.domainName(domain)}`;
      if (/\.edu$|\.(ac|edu)\.[a-z]{2}$/.test(name)) kind = 2;
      else if (/\.gov$|\.gov\.[a-z]{2}$/.test(name)) kind = 3;
      else kind = 1;
      this.domainKind[domain] = kind;
    }
    return kind;
  }
}

function popcount(value: number): number {
  let bits = value - ((value >>> 1) & 0x55555555);
  bits = (bits & 0x33333333) + ((bits >>> 2) & 0x33333333);
  return (((bits + (bits >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

function compareText(left: string, right: string): number {
  return left < right ? -1 : left > right ? 1 : 0;
}

/** Domain figures as optional members (absent when unknown). */
function domainFigures(data: LocalDataset, domain: number): { authority?: number; spam_score?: number } {
  const authority = data.domainAuthority[domain]!;
  const spam = data.domainSpam[domain]!;
  return {
    ...(!Number.isNaN(authority) && { authority }),
    ...(spam >= 0 && { spam_score: spam }),
  };
}

// ---- gap ------------------------------------------------------------------------------------------

export interface GapAnswer {
  prospects: ProspectCore[];
  total_prospects: number;
  notes: string[];
}

export function gapQuery(data: LocalDataset, scratch: Scratch, query: GapQuery): GapAnswer {
  const competitors = query.competitor_domains;
  if (competitors.length > MAX_MASK_TARGETS) {
    throw invalidInput('competitor_domains', competitors.length, `the local provider compares at most ${MAX_MASK_TARGETS} competitors`);
  }
  const epoch = scratch.next();
  const { domainState: state, examples, exampleCount } = scratch;
  const { postings, postingOffsets, linkSourceDomain, linkNofollow, linkSourcePage } = data;
  const touched = scratch.list(data.domainCount);
  let touchedCount = 0;
  const notes: string[] = [];
  const excluded = new Set<number>();
  const ranges: Array<[start: number, end: number]> = [];

  competitors.forEach((competitor, bit) => {
    const target = data.domainId(competitor);
    if (target !== -1) excluded.add(target);
    const start = target === -1 ? 0 : postingOffsets[target]!;
    const end = target === -1 ? 0 : postingOffsets[target + 1]!;
    ranges.push([start, end]);
    if (start === end) {
      notes.push(`${competitor} has no backlinks in the local dataset.`);
      return;
    }
    const flag = 1 << bit;
    for (let position = start; position < end; position++) {
      const link = postings[position]!;
      const slot = linkSourceDomain[link]! << 2;
      const dofollow = linkNofollow[link] === 0 ? DOFOLLOW : 0;
      if (state[slot] !== epoch) {
        state[slot] = epoch;
        state[slot + 1] = flag;
        state[slot + 2] = 1;
        state[slot + 3] = dofollow;
        touched[touchedCount++] = slot >> 2;
      } else {
        state[slot + 1]! |= flag;
        state[slot + 2]!++;
        state[slot + 3]! |= dofollow;
      }
    }
  });

  const you = data.domainId(query.your_domain);
  // Search Console's links export says who links to you even when no backlinks export of your site exists.
  const owners = data.ownerSources(query.your_domain);
  for (const source of owners) {
    const slot = source << 2;
    if (state[slot] === epoch) state[slot + 3]! |= LINKS_TO_YOU;
  }
  if (you !== -1) {
    excluded.add(you);
    for (let position = data.postingOffsets[you]!; position < data.postingOffsets[you + 1]!; position++) {
      const slot = linkSourceDomain[postings[position]!]! << 2;
      if (state[slot] === epoch) state[slot + 3]! |= LINKS_TO_YOU;
    }
  } else if (owners.length === 0) {
    notes.push(`${query.your_domain} has no backlinks in the local dataset, so no prospect is excluded as already linking to you.`);
  }

  const mask = (source: number) => state[(source << 2) + 1]!;
  const links = (source: number) => state[(source << 2) + 2]!;
  const flags = (source: number) => state[(source << 2) + 3]!;
  // Qualifying sources are compacted in place at the front of the same list.
  const candidates = touched;
  let count = 0;
  for (let index = 0; index < touchedCount; index++) {
    const source = touched[index]!;
    if ((flags(source) & LINKS_TO_YOU) !== 0 || excluded.has(source)) continue;
    if (popcount(mask(source)) >= query.min_competitors) candidates[count++] = source;
  }
  const rank = data.domainAuthorityRank;
  const order = (left: number, right: number) =>
    popcount(mask(right)) - popcount(mask(left)) ||
    rank[right]! - rank[left]! ||
    links(right) - links(left) ||
    compareText(data.domainName(left), data.domainName(right));
  const top = selectTop(candidates, count, query.limit, order);

  // Example pages, per-competitor link counts and the best page per competitor, only for the
  // prospects returned: a second pass over the same postings.
  const selected = scratch.domainStamp2;
  const rowOf = scratch.domainBest;
  const width = competitors.length;
  // Per (row, competitor): links, dofollow links, best link + 1 (0: none yet).
  const perCompetitor = new Int32Array(top.length * width * 3);
  top.forEach((source, row) => {
    selected[source] = epoch;
    exampleCount[source] = 0;
    rowOf[source] = row;
  });
  ranges.forEach(([start, end], bit) => {
    for (let position = start; position < end; position++) {
      const link = postings[position]!;
      const source = linkSourceDomain[link]!;
      if (selected[source] !== epoch) continue;
      const slot = (rowOf[source]! * width + bit) * 3;
      perCompetitor[slot]!++;
      if (linkNofollow[link] === 0) perCompetitor[slot + 1]!++;
      const best = perCompetitor[slot + 2]! - 1;
      if (best === -1 || betterLink(data, link, best)) perCompetitor[slot + 2] = link + 1;
      const shown = exampleCount[source]!;
      if (shown === EXAMPLE_PAGES) continue;
      const page = linkSourcePage[link]!;
      let seen = false;
      for (let example = 0; example < shown; example++) if (examples[source * EXAMPLE_PAGES + example] === page) seen = true;
      if (!seen) {
        examples[source * EXAMPLE_PAGES + shown] = page;
        exampleCount[source] = shown + 1;
      }
    }
  });

  const prospects = top.map((source, row): ProspectCore => {
    const figures = data.figures(source);
    const names = competitors.filter((_, bit) => (mask(source) & (1 << bit)) !== 0);
    const byCompetitor: Record<string, CompetitorLinks> = {};
    let dofollowLinks = 0;
    competitors.forEach((competitor, bit) => {
      const slot = (row * width + bit) * 3;
      if (perCompetitor[slot] === 0) return;
      dofollowLinks += perCompetitor[slot + 1]!;
      byCompetitor[competitor] = {
        links: perCompetitor[slot]!,
        dofollow_links: perCompetitor[slot + 1]!,
        page: linkingPage(data, perCompetitor[slot + 2]! - 1),
      };
    });
    const pages: string[] = [];
    for (let slot = 0; slot < exampleCount[source]!; slot++) pages.push(data.sourceUrl(examples[source * EXAMPLE_PAGES + slot]!));
    const vendor = data.vendorFigures(source);
    const titles = data.titlesOf(source);
    const metrics: ProviderMetrics = {
      ...(figures.authority !== undefined && {
        authority: figures.authority,
        ...(vendor === undefined ? { authority_raw: figures.authority } : vendor.raw !== undefined && { authority_raw: vendor.raw }),
        authority_scale: vendor?.scale ?? 'authority 0-100',
      }),
      ...(vendor !== undefined && Object.keys(vendor.metrics).length > 0 && { vendor_metrics: vendor.metrics }),
      ...(figures.spam_score !== undefined && { spam_score: figures.spam_score }),
      backlinks: links(source),
      ...(figures.referring_domains !== undefined && { referring_domains: figures.referring_domains }),
      dofollow: (flags(source) & DOFOLLOW) !== 0,
    };
    return {
      domain: data.domainName(source),
      ...(figures.authority !== undefined && { authority: figures.authority }),
      competitors: names,
      backlinks: links(source),
      dofollow_links: dofollowLinks,
      ...(figures.referring_domains !== undefined && { referring_domains: figures.referring_domains }),
      dofollow: (flags(source) & DOFOLLOW) !== 0,
      ...(figures.spam_score !== undefined && { spam_score: figures.spam_score }),
      ...(titles !== undefined && { titles }),
      source_pages: pages,
      by_competitor: byCompetitor,
      provider_metrics: { local: metrics },
      found_by: ['local'],
    };
  });
  return { prospects, total_prospects: count, notes };
}

/** One link as the page a prospect links from: URL, anchor, rel and dates as the dataset has them. */
function linkingPage(data: LocalDataset, link: number): LinkingPage {
  const anchor = data.anchor(data.linkAnchor[link]!);
  const first = data.linkFirstSeen[link]!;
  const last = data.linkLastSeen[link]!;
  return {
    url: data.sourceUrl(data.linkSourcePage[link]!),
    ...(anchor !== '' && { anchor }),
    rel: { nofollow: data.linkNofollow[link] !== 0 },
    ...(first !== 0 && { first_seen: data.date(first) }),
    ...(last !== 0 && { last_seen: data.date(last) }),
  };
}

// ---- target matching ------------------------------------------------------------------------------

/** A target resolved to a posting list and, below root_domain scope, a host or page filter. */
interface ResolvedTarget {
  domain: number;
  host: number;
  loose: number;
  /** False when the target cannot match anything in this dataset. */
  present: boolean;
}

function resolveTarget(data: LocalDataset, target: string, scope: Scope): ResolvedTarget {
  const absent = { domain: -1, host: -1, loose: -1, present: false };
  const host = hostOf(target);
  if (host === undefined) return absent;
  const domain = data.domainId(sourceDomainOf(host));
  if (domain === -1) return absent;
  if (scope === 'root_domain') return { domain, host: -1, loose: -1, present: true };
  if (scope === 'subdomain') {
    const hostId = data.targetHostId(host);
    return hostId === -1 ? absent : { domain, host: hostId, loose: -1, present: true };
  }
  const url = /^https?:\/\//i.test(target.trim()) ? target.trim() : `http://${target.trim()}`;
  const loose = data.targetLooseId(looseUrlKey(url));
  return loose === -1 ? absent : { domain, host: -1, loose, present: true };
}

/** Links (internal ones excluded) pointing into `target`: the posting list itself at root_domain
 *  scope, else a filtered copy. Loops over the result stay monomorphic, unlike a visitor callback. */
function matchingLinks(data: LocalDataset, target: ResolvedTarget): Uint32Array {
  if (!target.present) return new Uint32Array(0);
  const all = data.postings.subarray(data.postingOffsets[target.domain]!, data.postingOffsets[target.domain + 1]!);
  if (target.host === -1 && target.loose === -1) return all;
  const { linkTargetUrl, targetUrlHost, targetUrlLoose } = data;
  const kept = new Uint32Array(all.length);
  let count = 0;
  for (let index = 0; index < all.length; index++) {
    const link = all[index]!;
    const url = linkTargetUrl[link]!;
    if (target.host !== -1 && targetUrlHost[url] !== target.host) continue;
    if (target.loose !== -1 && targetUrlLoose[url] !== target.loose) continue;
    kept[count++] = link;
  }
  return kept.subarray(0, count);
}

/** One link preferred over another as a domain's representative: dofollow, then seen last, then URL. */
function betterLink(data: LocalDataset, left: number, right: number): boolean {
  const nofollow = data.linkNofollow[left]! - data.linkNofollow[right]!;
  if (nofollow !== 0) return nofollow < 0;
  const seen = data.dateRank[data.linkLastSeen[right]!]! - data.dateRank[data.linkLastSeen[left]!]!;
  if (seen !== 0) return seen < 0;
  const url = data.compareSourceUrls(data.linkSourcePage[left]!, data.linkSourcePage[right]!);
  if (url !== 0) return url < 0;
  return left < right;
}

// ---- intersect ------------------------------------------------------------------------------------

export interface IntersectAnswer {
  results: IntersectRow[];
  total: number;
  next_token?: string;
}

export function intersectQuery(data: LocalDataset, scratch: Scratch, query: IntersectQuery): IntersectAnswer {
  const positives = query.positive_targets;
  if (positives.length > MAX_MASK_TARGETS) {
    throw invalidInput('positive_targets', positives.length, `the local provider takes at most ${MAX_MASK_TARGETS} positive targets`);
  }
  const hash = queryHash([
    'intersect',
    positives,
    query.negative_targets,
    query.min_matching_targets,
    query.source_scope,
    query.sort,
  ]);
  const offset = decodePageToken(query.next_token, hash, 'next_token');
  const byDomain = query.source_scope === 'root_domain';
  const epoch = scratch.next();
  const pairs = scratch.pairs(byDomain);
  const touched = scratch.list(byDomain ? data.domainCount : data.sourcePageIdLimit);
  let touchedCount = 0;
  const unitOf = byDomain ? data.linkSourceDomain : data.linkSourcePage;

  const positiveLinks = positives.map((target) => matchingLinks(data, resolveTarget(data, target.target, target.scope)));
  positiveLinks.forEach((links, bit) => {
    const flag = 1 << bit;
    for (let index = 0; index < links.length; index++) {
      const slot = unitOf[links[index]!]! << 1;
      if (pairs[slot] !== epoch) {
        pairs[slot] = epoch;
        pairs[slot + 1] = flag;
        touched[touchedCount++] = slot >> 1;
      } else {
        pairs[slot + 1]! |= flag;
      }
    }
  });
  for (const target of query.negative_targets) {
    const links = matchingLinks(data, resolveTarget(data, target.target, target.scope));
    for (let index = 0; index < links.length; index++) {
      const slot = unitOf[links[index]!]! << 1;
      if (pairs[slot] === epoch) pairs[slot + 1]! |= NEGATIVE;
    }
  }

  const mask = (unit: number) => pairs[(unit << 1) + 1]!;
  const candidates = touched;
  let count = 0;
  for (let index = 0; index < touchedCount; index++) {
    const unit = touched[index]!;
    const bits = mask(unit);
    if ((bits & NEGATIVE) === 0 && popcount(bits) >= query.min_matching_targets) candidates[count++] = unit;
  }

  const domainOf = byDomain ? (unit: number) => unit : (unit: number) => data.linkSourceDomain[unit]!;
  const rank = data.domainAuthorityRank;
  const spam = data.domainSpam;
  const primary =
    query.sort === 'source_domain_authority'
      ? (left: number, right: number) => rank[domainOf(right)]! - rank[domainOf(left)]!
      : query.sort === 'source_spam_score'
        ? (left: number, right: number) => spam[domainOf(right)]! - spam[domainOf(left)]!
        : (left: number, right: number) => popcount(mask(right) & ~NEGATIVE) - popcount(mask(left) & ~NEGATIVE);
  const order = (left: number, right: number) => {
    const first = primary(left, right);
    if (first !== 0) return first;
    // Among equals, the stronger source first: it is the one worth an email.
    const stronger = rank[domainOf(right)]! - rank[domainOf(left)]!;
    if (stronger !== 0) return stronger;
    const leftDomain = domainOf(left);
    const rightDomain = domainOf(right);
    if (leftDomain !== rightDomain) return compareText(data.domainName(leftDomain), data.domainName(rightDomain));
    return byDomain ? 0 : data.compareSourceUrls(left, right);
  };
  const top = selectTop(candidates, count, offset + query.limit, order).slice(offset);

  // At root_domain scope each row names its best linking page per matching target. Only the rows
  // on this page need one, so they are found in a second pass rather than kept for every source.
  const pages = byDomain ? bestPages(data, scratch, top, positiveLinks, epoch) : undefined;
  const results = top.map((unit, row): IntersectRow => {
    const domain = domainOf(unit);
    const figures = domainFigures(data, domain);
    const matching: string[] = [];
    const sourcePages: { target: string; page: string }[] = [];
    positives.forEach((target, bit) => {
      if ((mask(unit) & (1 << bit)) === 0) return;
      matching.push(target.target);
      if (pages !== undefined) {
        sourcePages.push({ target: target.target, page: data.sourceUrl(data.linkSourcePage[pages[row * positives.length + bit]!]!) });
      }
    });
    return {
      source: byDomain ? data.domainName(unit) : data.sourceUrl(unit),
      source_domain: data.domainName(domain),
      ...(figures.authority !== undefined && { domain_authority: figures.authority }),
      ...(figures.spam_score !== undefined && { spam_score: figures.spam_score }),
      matching_targets: matching,
      ...(pages !== undefined && { matching_source_pages: sourcePages }),
    };
  });
  const end = offset + results.length;
  return {
    results,
    total: count,
    ...(end < count && results.length > 0 && { next_token: encodePageToken(end, hash) }),
  };
}

/** For each row domain and positive target, the link that best represents it (row-major). */
function bestPages(data: LocalDataset, scratch: Scratch, rows: number[], positiveLinks: Uint32Array[], epoch: number): Int32Array {
  const targets = positiveLinks.length;
  const best = new Int32Array(rows.length * targets).fill(-1);
  const rowOf = scratch.domainBest;
  const selected = scratch.domainStamp2;
  rows.forEach((domain, row) => {
    selected[domain] = epoch;
    rowOf[domain] = row;
  });
  const sourceDomain = data.linkSourceDomain;
  positiveLinks.forEach((links, bit) => {
    for (let index = 0; index < links.length; index++) {
      const link = links[index]!;
      const domain = sourceDomain[link]!;
      if (selected[domain] !== epoch) continue;
      const slot = rowOf[domain]! * targets + bit;
      const current = best[slot]!;
      if (current === -1 || betterLink(data, link, current)) best[slot] = link;
    }
  });
  return best;
}

// ---- backlinks ------------------------------------------------------------------------------------

export interface BacklinksAnswer {
  metrics: BacklinkMetrics;
  summary: BacklinksSummary;
  backlinks: Backlink[];
  total: number;
  next_cursor?: string;
}

export function backlinksQuery(data: LocalDataset, scratch: Scratch, query: BacklinksQuery): BacklinksAnswer {
  const hash = queryHash([
    'backlinks',
    query.target,
    query.target_kind,
    query.mode,
    query.dofollow ?? null,
    query.anchor ?? null,
    query.min_authority ?? null,
  ]);
  const offset = decodePageToken(query.cursor, hash, 'cursor');
  const scope: Scope = query.target_kind === 'domain' ? 'root_domain' : query.target_kind;
  const target = resolveTarget(data, query.target, scope);
  const epoch = scratch.next();
  const { domainStamp: seenDomain, domainStamp2: bestStamp, domainBest: bestOfDomain } = scratch;
  const { linkSourceDomain, linkNofollow, linkAnchor, domainAuthority } = data;
  const anchorNeedle = query.anchor?.toLowerCase();
  const anchorMatches = anchorNeedle === undefined ? undefined : scratch.matches();
  const anchorGroups = query.mode === 'one_per_anchor' ? scratch.anchors() : undefined;
  const minAuthority = query.min_authority;
  // The summary counts every link that passes the filters, not only the rows of this page.
  const { domainState: tally } = scratch;
  const anchorTally = scratch.tallies();
  const summaryDomains: number[] = [];
  const summaryAnchors: number[] = [];
  let covered = 0;

  const metrics = { links_in: 0, ref_domains: 0, dofollow: 0, nofollow: 0, edu_links: 0, gov_links: 0 };
  const links = matchingLinks(data, target);
  // One list serves every mode: source domains, anchor groups or links, replaced by links below.
  const candidates = scratch.list(links.length);
  let count = 0;
  const rank = data.domainAuthorityRank;
  const outputOrder = (left: number, right: number) =>
    rank[linkSourceDomain[right]!]! - rank[linkSourceDomain[left]!]! ||
    data.compareSourceUrls(data.linkSourcePage[left]!, data.linkSourcePage[right]!) ||
    left - right;

  const { domainKind } = scratch;
  const { linkLastSeen, dateRank } = data;
  for (let index = 0; index < links.length; index++) {
    const link = links[index]!;
    const source = linkSourceDomain[link]!;
    metrics.links_in++;
    if (linkNofollow[link] === 0) metrics.dofollow++;
    else metrics.nofollow++;
    if (seenDomain[source] !== epoch) {
      seenDomain[source] = epoch;
      metrics.ref_domains++;
    }
    let kind = domainKind[source]!;
    if (kind === 0) kind = scratch.kindOf(source);
    if (kind === 2) metrics.edu_links++;
    else if (kind === 3) metrics.gov_links++;

    if (query.dofollow !== undefined && (linkNofollow[link] === 0) !== query.dofollow) continue;
    if (minAuthority !== undefined) {
      const authority = domainAuthority[source]!;
      if (Number.isNaN(authority) || authority < minAuthority) continue;
    }
    if (anchorMatches !== undefined && anchorNeedle !== undefined) {
      const anchor = linkAnchor[link]!;
      if (anchorMatches.stamp[anchor] !== epoch) {
        anchorMatches.stamp[anchor] = epoch;
        anchorMatches.match[anchor] = data.anchor(anchor).toLowerCase().includes(anchorNeedle) ? 1 : 0;
      }
      if (anchorMatches.match[anchor] === 0) continue;
    }
    covered++;
    const slot = source << 2;
    if (tally[slot] !== epoch) {
      tally[slot] = epoch;
      tally[slot + 1] = 1;
      tally[slot + 2] = linkNofollow[link] === 0 ? 1 : 0;
      tally[slot + 3] = link;
      summaryDomains.push(source);
    } else {
      tally[slot + 1]!++;
      if (linkNofollow[link] === 0) tally[slot + 2]!++;
      if (betterLink(data, link, tally[slot + 3]!)) tally[slot + 3] = link;
    }
    const group = scratch.anchorGroup(linkAnchor[link]!);
    if (anchorTally.stamp[group] !== epoch) {
      anchorTally.stamp[group] = epoch;
      anchorTally.count[group] = 1;
      anchorTally.link[group] = link;
      summaryAnchors.push(group);
    } else {
      anchorTally.count[group]!++;
    }
    if (query.mode === 'one_per_domain') {
      if (bestStamp[source] !== epoch) {
        bestStamp[source] = epoch;
        bestOfDomain[source] = link;
        candidates[count++] = source;
        continue;
      }
      // Inline of betterLink's first two keys, the common decisions; ties go to the full rule.
      const current = bestOfDomain[source]!;
      const nofollow = linkNofollow[link]! - linkNofollow[current]!;
      if (nofollow < 0) bestOfDomain[source] = link;
      else if (nofollow === 0) {
        const seen = dateRank[linkLastSeen[link]!]! - dateRank[linkLastSeen[current]!]!;
        if (seen > 0 || (seen === 0 && betterLink(data, link, current))) bestOfDomain[source] = link;
      }
    } else if (anchorGroups !== undefined) {
      const group = scratch.anchorGroup(linkAnchor[link]!);
      if (anchorGroups.stamp[group] !== epoch) {
        anchorGroups.stamp[group] = epoch;
        anchorGroups.best[group] = link;
        candidates[count++] = group;
      } else if (outputOrder(link, anchorGroups.best[group]!) < 0) {
        anchorGroups.best[group] = link;
      }
    } else {
      candidates[count++] = link;
    }
  }

  if (query.mode === 'one_per_domain') {
    for (let index = 0; index < count; index++) candidates[index] = bestOfDomain[candidates[index]!]!;
  } else if (anchorGroups !== undefined) {
    for (let index = 0; index < count; index++) candidates[index] = anchorGroups.best[candidates[index]!]!;
  }
  const total = count;
  const top = selectTop(candidates, total, offset + query.limit, outputOrder).slice(offset);

  const backlinks = top.map((link): Backlink => {
    const source = linkSourceDomain[link]!;
    const first = data.linkFirstSeen[link]!;
    const last = data.linkLastSeen[link]!;
    return {
      source_url: data.sourceUrl(data.linkSourcePage[link]!),
      source_domain: data.domainName(source),
      target_url: data.targetUrl(data.linkTargetUrl[link]!),
      anchor: data.anchor(linkAnchor[link]!),
      dofollow: linkNofollow[link] === 0,
      ...domainFigures(data, source),
      ...(first !== 0 && { first_seen: data.date(first) }),
      ...(last !== 0 && { last_seen: data.date(last) }),
    };
  });
  const end = offset + backlinks.length;
  return {
    metrics,
    summary: backlinksSummary(data, tally, anchorTally, summaryDomains, summaryAnchors, covered),
    backlinks,
    total,
    ...(end < total && backlinks.length > 0 && { next_cursor: encodePageToken(end, hash) }),
  };
}

/** Referring domains (by links, then authority) and anchors (by links) over the counted links. */
function backlinksSummary(
  data: LocalDataset,
  tally: Int32Array,
  anchors: { count: Int32Array; link: Int32Array },
  domains: number[],
  groups: number[],
  covered: number,
): BacklinksSummary {
  const rank = data.domainAuthorityRank;
  const links = (domain: number) => tally[(domain << 2) + 1]!;
  // Only the top few are shown: selected, not every referring domain and anchor sorted (that full
  // sort, with a string made per comparison, was most of a large target's get_backlinks).
  const topDomains = selectTop(domains, domains.length, SUMMARY_DOMAINS, (left, right) =>
    links(right) - links(left) || rank[right]! - rank[left]! || compareText(data.domainName(left), data.domainName(right)),
  ).map((domain) => {
      const anchor = data.anchor(data.linkAnchor[tally[(domain << 2) + 3]!]!).trim();
      const { authority } = domainFigures(data, domain);
      return {
        domain: data.domainName(domain),
        links: links(domain),
        dofollow: tally[(domain << 2) + 2]!,
        ...(authority !== undefined && { authority }),
        ...(anchor !== '' && { anchor }),
      };
    });
  const anchorText = (group: number) => data.anchor(data.linkAnchor[anchors.link[group]!]!).trim().toLowerCase();
  const topAnchors = selectTop(groups, groups.length, SUMMARY_ANCHORS, (left, right) => anchors.count[right]! - anchors.count[left]! || compareText(anchorText(left), anchorText(right))).map(
    (group) => ({ anchor: anchorText(group), links: anchors.count[group]! }),
  );
  return {
    covered_links: covered,
    covers: 'matching',
    referring_domain_count: domains.length,
    referring_domains: topDomains,
    anchor_count: groups.length,
    anchors: topAnchors,
  };
}
