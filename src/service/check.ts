// check_prospects: fetch linking pages over the public web (free of provider cost) and say whether
// they still link to each competitor (rel, anchor, text around it), whether they link to you, and
// how to reach the site; results cached 7 days and stored into the run they came from.

import { extractPage, type ExtractedPage, linksTo, redirectCandidates } from '../analysis/page-links.js';
import type { Cache } from '../cache/cache.js';
import { cacheKey } from '../cache/key.js';
import type { Config } from '../config.js';
import type { GapRun, LiveLink, PageCheck, Prospect, ProspectCheck, ProspectContact } from '../domain.js';
import { UsageError, invalidInput } from '../errors.js';
import { hostOf, normalizeDomain, normalizeDomainList, sourceDomainOf } from '../hosts.js';
import type { WebFetcher, WebOutcome } from '../http/web.js';
import type { Logger } from '../log.js';
import { recordChecks, type RunStore } from '../runs.js';
import type { CallOptions, NextCall } from './types.js';

export interface CheckInput {
  run_id?: string;
  /** Prospect domains of the run; default: its top prospects by score. */
  domains?: string[];
  /** Linking pages to check (instead of a run). */
  urls?: string[];
  competitor_domains?: string[];
  your_domain?: string;
  /** Fetch again, ignoring results cached within the last 7 days. */
  fresh?: boolean;
}

export interface CheckOutcome {
  run_id?: string;
  your_domain?: string;
  competitor_domains: string[];
  prospects: ProspectCheck[];
  /** Pages fetched live by this call, and pages answered from the cache. */
  fetched: number;
  from_cache: number;
  /** Prospects of the run that now carry these results. */
  stored?: number;
  notes: string[];
  next_call?: NextCall;
}

export interface CheckDependencies {
  config: Config;
  cache: Cache;
  runs: RunStore;
  logger: Logger;
  web: WebFetcher;
  now: () => number;
  /** Run lookup with the service's unknown-run message. */
  loadRun: (runId: string) => Promise<GapRun>;
}

export const CHECK_TTL_SECONDS = 7 * 86_400;
export const CHECK_LIMITS = { domains: 25, urls: 50, defaultDomains: 10, pagesPerProspect: 3 } as const;
const PAGE_TIMEOUT_MS = 15_000;
/** Time kept back from the call's deadline to assemble and store the answer. */
const ANSWER_MARGIN_MS = 750;
const REDIRECT_PROBES = 3;
/** Failures that say nothing lasting about the page: not cached. */
const TRANSIENT = new Set<PageCheck['outcome']>(['timeout', 'network', 'dns']);

interface PageFacts {
  check: PageCheck;
  contact: ProspectContact;
  checked_at: string;
}

interface SiteContact {
  contact: ProspectContact;
  checked_at: string;
}

export function createCheck(deps: CheckDependencies): (input: CheckInput, options?: CallOptions) => Promise<CheckOutcome> {
  const { cache, runs, web, now } = deps;

  return async function check(input: CheckInput, options?: CallOptions): Promise<CheckOutcome> {
    const plan = await planOf(input);
    const deadline = Date.now() + deps.config.deadlineMs - ANSWER_MARGIN_MS;
    const signal = options?.signal;
    const counts = { fetched: 0, from_cache: 0 };
    let done = 0;
    options?.progress?.(0, plan.sites.length, `checking ${plan.sites.length} sites live`);
    const context: SiteContext = { competitors: plan.competitors, ...(plan.you !== undefined && { you: plan.you }), deadline, fresh: input.fresh === true, counts, ...(signal && { signal }) };
    const prospects = await Promise.all(
      plan.sites.map(async (site) => {
        const result = await checkSite(site, context);
        done += 1;
        options?.progress?.(done, plan.sites.length, `checked ${site.domain}`);
        return result;
      }),
    );
    const notes: string[] = [];
    const unknown = prospects.filter((prospect) => !prospect.pages_known).map((prospect) => prospect.domain);
    if (unknown.length > 0) {
      notes.push(
        `Linking pages unknown for ${unknown.join(', ')}: their home pages were checked instead. get_backlinks on a competitor (mode one_per_domain) finds the pages; it may cost provider credits (dry_run says how much).`,
      );
    }
    if (plan.run?.synthetic) {
      notes.push('This run is the synthetic sample: its sites and pages are made up, so a live check of them says little about real links.');
    }
    let stored: number | undefined;
    if (plan.run !== undefined) {
      stored = await recordChecks(runs, plan.run.run_id, prospects).catch((error: unknown) => {
        deps.logger.warn('could not store check results into the run', { run_id: plan.run?.run_id, error: String(error) });
        return 0;
      });
    }
    return {
      ...(plan.run !== undefined && { run_id: plan.run.run_id }),
      ...(plan.you !== undefined && { your_domain: plan.you }),
      competitor_domains: plan.competitors,
      prospects,
      fetched: counts.fetched,
      from_cache: counts.from_cache,
      ...(stored !== undefined && { stored }),
      notes,
      ...(plan.run !== undefined && {
        next_call: { tool: 'list_prospects', arguments: { run_id: plan.run.run_id, page: 1 } },
      }),
    };
  };

  interface Site {
    domain: string;
    pages: string[];
    pages_known: boolean;
  }

  interface SiteContext {
    competitors: string[];
    you?: string;
    deadline: number;
    fresh: boolean;
    signal?: AbortSignal;
    counts: { fetched: number; from_cache: number };
  }

  async function planOf(input: CheckInput): Promise<{ run?: GapRun; competitors: string[]; you?: string; sites: Site[] }> {
    if (input.run_id !== undefined && input.urls !== undefined) {
      throw invalidInput('urls', input.urls, 'give run_id (with domains) or urls (with competitor_domains), not both');
    }
    if (input.run_id !== undefined) {
      const run = await deps.loadRun(input.run_id);
      const chosen = chooseProspects(run, input.domains);
      return {
        run,
        competitors: run.competitor_domains,
        you: run.your_domain,
        sites: chosen.map((prospect) => {
          const pages = linkingPagesOf(prospect, run.competitor_domains);
          return pages.length > 0
            ? { domain: prospect.domain, pages, pages_known: true }
            : { domain: prospect.domain, pages: [`https://${prospect.domain}/`], pages_known: false };
        }),
      };
    }
    if (input.urls === undefined || input.urls.length === 0) {
      throw invalidInput('urls', input.urls, 'give run_id (from backlink_gap) or urls of linking pages with competitor_domains');
    }
    if (input.domains !== undefined) throw invalidInput('domains', input.domains, 'domains pick prospects of a run; give run_id too, or leave domains out');
    if (input.urls.length > CHECK_LIMITS.urls) throw invalidInput('urls', `${input.urls.length} URLs`, `at most ${CHECK_LIMITS.urls} pages a call`);
    if (input.competitor_domains === undefined || input.competitor_domains.length === 0) {
      throw invalidInput('competitor_domains', input.competitor_domains, 'say which competitors the pages should link to');
    }
    const competitors = normalizeDomainList(input.competitor_domains, 'competitor_domains');
    const you = input.your_domain === undefined ? undefined : normalizeDomain(input.your_domain, 'your_domain');
    const bySite = new Map<string, string[]>();
    input.urls.forEach((value, index) => {
      const url = pageUrlOf(value, `urls[${index}]`);
      const domain = sourceDomainOf(url);
      const pages = bySite.get(domain) ?? [];
      if (!pages.includes(url)) pages.push(url);
      bySite.set(domain, pages);
    });
    return {
      competitors,
      ...(you !== undefined && { you }),
      sites: [...bySite].map(([domain, pages]) => ({ domain, pages, pages_known: true })),
    };
  }

  async function checkSite(site: Site, context: SiteContext): Promise<ProspectCheck> {
    // The site's own contact pages are looked up as soon as one page is read, alongside the others.
    let siteContact: Promise<ProspectContact | undefined> | undefined;
    const facts = await Promise.all(
      site.pages.map(async (url) => {
        const fact = await pageFacts(url, context);
        if (siteContact === undefined && fact.check.outcome === 'ok' && (!hasPages(fact.contact) || !hasEmails(fact.contact))) {
          const at = fact.check.final_url ?? fact.check.url;
          siteContact = siteContactOf(new URL(at).origin, fact.contact, isHome(at), context);
        }
        return fact;
      }),
    );
    const pages = facts.map((fact) => fact.check);
    const read = pages.filter((page) => page.outcome === 'ok');
    const contact = mergeContacts([...facts.map((fact) => fact.contact), (await siteContact) ?? {}]);
    const linkLive = read.length === 0 ? undefined : read.some((page) => page.links?.some((link) => link.live));
    const linksToYou = context.you === undefined || read.length === 0 ? undefined : read.some((page) => page.you?.live === true);
    const oldest = facts.map((fact) => fact.checked_at).sort()[0] ?? new Date(now()).toISOString();
    return {
      domain: site.domain,
      pages_known: site.pages_known,
      pages,
      ...(linkLive !== undefined && { link_live: linkLive }),
      ...(linksToYou !== undefined && { links_to_you: linksToYou }),
      contact,
      checked_at: oldest,
    };
  }

  function pageKey(url: string, context: SiteContext): string {
    return cacheKey({
      provider: 'web',
      operation: 'check_page',
      account: '',
      params: { url, competitors: [...context.competitors].sort(), you: context.you },
    });
  }

  async function pageFacts(url: string, context: SiteContext): Promise<PageFacts> {
    const key = pageKey(url, context);
    if (!context.fresh) {
      const hit = await cache.get<PageFacts>(key);
      if (hit !== undefined) {
        context.counts.from_cache += 1;
        return hit.value;
      }
    }
    const outcome = await web.fetch(url, fetchOptions(context));
    context.counts.fetched += 1;
    const checkedAt = new Date(now()).toISOString();
    if (!outcome.ok) {
      const facts: PageFacts = { check: failedCheck(outcome), contact: {}, checked_at: checkedAt };
      if (!TRANSIENT.has(outcome.reason)) await store(key, facts);
      return facts;
    }
    const page = extractPage(outcome.body, outcome.final_url);
    const links = await Promise.all(context.competitors.map((domain) => liveLinkOf(page, outcome.final_url, domain, context)));
    const you = context.you === undefined ? undefined : await liveLinkOf(page, outcome.final_url, context.you, context);
    const facts: PageFacts = {
      check: {
        url,
        ...(outcome.final_url !== url && { final_url: outcome.final_url }),
        status: outcome.status,
        ...(page.title !== undefined && { title: page.title }),
        outcome: 'ok',
        links,
        ...(you !== undefined && { you }),
        ...(outcome.truncated && { truncated: true }),
      },
      contact: contactOf(page),
      checked_at: checkedAt,
    };
    await store(key, facts);
    return facts;
  }

  async function store(key: string, value: unknown): Promise<void> {
    await cache.set(key, value, { ttlSeconds: CHECK_TTL_SECONDS }).catch((error: unknown) => deps.logger.warn('could not cache a page check', { error: String(error) }));
  }

  function fetchOptions(context: SiteContext) {
    return { deadline: Math.min(context.deadline, Date.now() + PAGE_TIMEOUT_MS), ...(context.signal && { signal: context.signal }) };
  }

  /** The link from `page` to `domain`: dofollow and direct first; else through one of the page's own
   *  outbound redirects (/go/…), followed without reading bodies. */
  async function liveLinkOf(page: ExtractedPage, pageUrl: string, domain: string, context: SiteContext): Promise<LiveLink> {
    const links = linksTo(page, domain);
    const best = links.find((link) => link.via === undefined && !link.rel.nofollow && !link.rel.sponsored && !link.rel.ugc) ?? links[0];
    if (best !== undefined) {
      return { domain, live: true, href: best.href, ...(hasRel(best.rel) && { rel: best.rel }), ...(best.anchor !== '' && { anchor: best.anchor }), ...(best.context !== '' && { context: best.context }), ...(best.via && { via: best.via }) };
    }
    for (const candidate of redirectCandidates(page, pageUrl).slice(0, REDIRECT_PROBES)) {
      const landed = await web.fetch(candidate.href, { ...fetchOptions(context), redirectsOnly: true, stopAt: (url) => sourceDomainOf(url.href) === domain });
      if (landed.ok && sourceDomainOf(landed.final_url) === domain) {
        return { domain, live: true, href: candidate.href, ...(hasRel(candidate.rel) && { rel: candidate.rel }), ...(candidate.anchor !== '' && { anchor: candidate.anchor }), ...(candidate.context !== '' && { context: candidate.context }), via: 'redirect' };
      }
    }
    return { domain, live: false };
  }

  /** Contacts from the site's home page and, when it has one and no address was found yet, its contact page. */
  async function siteContactOf(origin: string, known: ProspectContact, homeChecked: boolean, context: SiteContext): Promise<ProspectContact | undefined> {
    const key = cacheKey({ provider: 'web', operation: 'site_contact', account: '', params: { origin } });
    if (!context.fresh) {
      const hit = await cache.get<SiteContact>(key);
      if (hit !== undefined) return hit.value.contact;
    }
    let contact = known;
    let transient = false;
    const read = async (url: string) => {
      const outcome = await web.fetch(url, fetchOptions(context));
      context.counts.fetched += 1;
      if (!outcome.ok) {
        if (TRANSIENT.has(outcome.reason)) transient = true;
        return;
      }
      contact = mergeContacts([contact, contactOf(extractPage(outcome.body, outcome.final_url))]);
    };
    if (!homeChecked && !hasPages(contact)) await read(`${origin}/`);
    const contactPage = contact.pages?.find((page) => page.kind === 'contact') ?? contact.pages?.[0];
    if (!hasEmails(contact) && contactPage !== undefined) await read(contactPage.url);
    if (!transient) await store(key, { contact, checked_at: new Date(now()).toISOString() } satisfies SiteContact);
    return contact;
  }
}

function chooseProspects(run: GapRun, domains: string[] | undefined): Prospect[] {
  if (domains === undefined || domains.length === 0) {
    return [...run.prospects].sort((a, b) => b.score - a.score).slice(0, CHECK_LIMITS.defaultDomains);
  }
  if (domains.length > CHECK_LIMITS.domains) throw invalidInput('domains', `${domains.length} domains`, `at most ${CHECK_LIMITS.domains} prospects a call`);
  // Matched against the run's own prospects, so any host form of them is accepted (www, URL, case).
  const wanted = [...new Set(domains.map((domain) => sourceDomainOf(String(domain))))];
  const byDomain = new Map(run.prospects.map((prospect) => [prospect.domain, prospect]));
  const missing = wanted.filter((domain) => !byDomain.has(domain));
  if (missing.length > 0) {
    throw new UsageError(
      'invalid_input',
      `domains: ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not a prospect of run ${run.run_id}; use domains from list_prospects, or urls with competitor_domains to check any page.`,
    );
  }
  return wanted.map((domain) => byDomain.get(domain)!);
}

/** The known linking pages of a prospect: the best page per competitor, then example source pages. */
function linkingPagesOf(prospect: Prospect, competitors: readonly string[]): string[] {
  const out: string[] = [];
  const add = (url: string | undefined) => {
    if (url === undefined || out.length >= CHECK_LIMITS.pagesPerProspect) return;
    const absolute = /^https?:\/\//i.test(url) ? url : `https://${url.replace(/^\/+/, '')}`;
    if (!out.includes(absolute) && hostOf(absolute) !== undefined) out.push(absolute);
  };
  for (const competitor of competitors) add(prospect.by_competitor?.[competitor]?.page?.url);
  for (const page of prospect.source_pages ?? []) add(page);
  return out;
}

function pageUrlOf(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw invalidInput(field, value, 'expected a page URL such as "https://example.org/links"');
  const text = value.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:/i.test(text) ? text : `https://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw invalidInput(field, value, 'not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalidInput(field, value, 'only http(s) pages can be checked');
  if (url.username !== '' || url.password !== '') throw invalidInput(field, value, 'URLs with credentials are refused');
  url.hash = '';
  return url.href;
}

function failedCheck(outcome: Extract<WebOutcome, { ok: false }>): PageCheck {
  return {
    url: outcome.url,
    ...(outcome.final_url !== outcome.url && { final_url: outcome.final_url }),
    ...(outcome.status !== undefined && { status: outcome.status }),
    outcome: outcome.reason,
    error: outcome.message,
  };
}

function contactOf(page: ExtractedPage): ProspectContact {
  return {
    ...(page.emails.length > 0 && { emails: page.emails.slice(0, 5) }),
    ...(page.contact_pages.length > 0 && { pages: page.contact_pages }),
  };
}

function mergeContacts(contacts: readonly ProspectContact[]): ProspectContact {
  const emails = [...new Set(contacts.flatMap((contact) => contact.emails ?? []))].slice(0, 5);
  const pages: NonNullable<ProspectContact['pages']> = [];
  for (const page of contacts.flatMap((contact) => contact.pages ?? [])) {
    if (!pages.some((known) => known.kind === page.kind)) pages.push(page);
  }
  return { ...(emails.length > 0 && { emails }), ...(pages.length > 0 && { pages }) };
}

const hasPages = (contact: ProspectContact) => (contact.pages?.length ?? 0) > 0;
const hasEmails = (contact: ProspectContact) => (contact.emails?.length ?? 0) > 0;
const hasRel = (rel: { nofollow?: boolean; sponsored?: boolean; ugc?: boolean }) => rel.nofollow === true || rel.sponsored === true || rel.ugc === true;

function isHome(url: string): boolean {
  try {
    const parsed = new URL(url);
    return (parsed.pathname === '/' || parsed.pathname === '') && parsed.search === '';
  } catch {
    return false;
  }
}
