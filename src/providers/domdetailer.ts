// DomDetailer adapter: a ≤5,000-row backlink sample per domain (key in the query string); gap and
// intersect are computed here from the samples of each domain.

import { z } from 'zod';
import type { DomDetailerSettings } from '../config.js';
import type {
  Backlink,
  BacklinkMetrics,
  BacklinksQuery,
  BacklinksResult,
  CompetitorLinks,
  Cost,
  GapQuery,
  GapResult,
  IntersectQuery,
  IntersectResult,
  IntersectRow,
  LinkingPage,
  ProspectCore,
} from '../domain.js';
import { PROVIDER_TITLES } from '../domain.js';
import { invalidInput, ProviderError } from '../errors.js';
import { domainOfHost, hostOf, matchesScope, registrableDomain, sourceDomainOf, stripUrl } from '../hosts.js';
import type { Billing, HttpRequest } from '../http/client.js';
import { upstreamDetail } from '../http/failures.js';
import { type AdapterDependencies, accountHash, adapterHttpClient, billed, notConfigured, parseResponse } from './adapter.js';
import { type Balance, type CallContext, type Operation, type Provider, type ProviderDescription, piece } from './provider.js';

const NAME = 'domdetailer';
const TITLE = PROVIDER_TITLES[NAME];
const CREDITS_PER_CALL = 3;
/** The 429 threshold is undocumented (one published integration keeps 3 in flight). 6 lets a gap over
 *  5 competitors fetch every domain in one round instead of two; a 429 is still retried with backoff. */
const CONCURRENCY = 6;
const SAMPLE_ROWS = 5_000;
const SAMPLE_NOTE = `${TITLE} returns a sample of at most 5,000 backlink rows per domain, so large profiles are incomplete.`;
const EXAMPLES_KEPT = 3;

/** Numbers sometimes arrive as strings from this API; anything unreadable is treated as absent. */
const count = z.unknown().optional().transform((value): number | undefined => {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof number === 'number' && Number.isFinite(number) ? number : undefined;
});

const rowSchema = z.object({
  anchor: z.string().nullish(),
  title: z.string().nullish(),
  nf: z.union([z.number(), z.string(), z.boolean()]).nullish(),
  source: z.string(),
  target: z.string().nullish(),
});

const backlinksSchema = z.object({
  metrics: z
    .object({
      links_in: count,
      ref_domains: count,
      backlinks_follow: count,
      backlinks_nofollow: count,
      links_from_edu: count,
      links_from_gov: count,
      page_count: count,
      links_out: count,
      nofollow_ratio: count,
    })
    .nullish(),
  // Required: an answer without the rows array is not an empty sample (an error page, a changed API).
  backlinks: z.array(rowSchema),
});

interface Row {
  source: string;
  sourceDomain: string;
  target: string;
  /** The anchor, or the page title when the anchor is empty (as the seed advises). */
  anchor: string;
  /** The anchor as sent, when not empty. */
  anchorText?: string;
  title?: string;
  dofollow: boolean;
}

interface Sample {
  metrics: BacklinkMetrics;
  /** Sorted by source URL, then target, then anchor: the API's order is not stable. */
  rows: Row[];
}

const errorBodySchema = z.object({ error: z.string().optional(), message: z.string().optional() });

function isAccountNotFound(body: unknown): boolean {
  return typeof body === 'string' && /account not found/i.test(body);
}

function compareRows(a: Row, b: Row): number {
  return compareText(a.source, b.source) || compareText(a.target, b.target) || compareText(a.anchor, b.anchor);
}

/** Code-point order: locale-independent, so the same sample pages the same way everywhere. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function encodeOffset(offset: number): string {
  return Buffer.from(`offset:${offset}`).toString('base64url');
}

function decodeOffset(token: string | undefined, field: string): number {
  if (token === undefined || token === '') return 0;
  const match = /^offset:(\d{1,9})$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
  if (!match) throw invalidInput(field, token, `not a ${TITLE} page token; pass the value returned by the previous call`);
  return Number(match[1]);
}

export function createDomDetailerProvider(settings: DomDetailerSettings, deps: AdapterDependencies): Provider {
  const apiKey = settings.apiKey;
  const secrets = apiKey === undefined ? [] : [apiKey];
  const http = adapterHttpClient(NAME, settings.baseUrl, secrets, deps, CONCURRENCY);

  const authFailed = (status: number, detail: string | undefined) =>
    new ProviderError({
      code: 'auth_failed',
      provider: NAME,
      status,
      message: `${TITLE} refused the API key (HTTP ${status})${detail ? `: ${detail}` : ''}. Check DOMDETAILER_API_KEY (and DOMDETAILER_APP).`,
    });

  const mapError: HttpRequest['mapError'] = ({ status, body, text }) => {
    const parsed = errorBodySchema.safeParse(body);
    const code = parsed.success ? parsed.data.error : undefined;
    if (status === 401 || code === 'invalid_api_key' || isAccountNotFound(body)) return authFailed(status, upstreamDetail(body, text, secrets));
    return undefined;
  };

  /** GET with the key in the query string; the HTTP layer keeps it out of logs and errors. */
  const get = async (path: string, query: Record<string, string | number>, context: CallContext, billing?: Billing): Promise<unknown> => {
    if (apiKey === undefined) throw notConfigured(NAME);
    const response = await http.requestJson({
      method: 'GET',
      path,
      query: { apikey: apiKey, app: settings.app, ...query },
      mapError,
      ...(billing !== undefined && { billing }),
      ...(context.signal !== undefined && { signal: context.signal }),
      ...(context.deadline !== undefined && { deadline: context.deadline }),
    });
    // An unknown key is answered with HTTP 200 and the bare JSON string "Account Not Found".
    if (isAccountNotFound(response.body)) throw authFailed(response.status, 'Account Not Found');
    if (response.body !== null && typeof response.body === 'object' && !Array.isArray(response.body)) {
      const record = response.body as Record<string, unknown>;
      if (typeof record.error === 'string' && record.backlinks === undefined) {
        if (record.error === 'invalid_api_key') throw authFailed(response.status, upstreamDetail(record, '', secrets));
        // Errors are documented with 4xx statuses; one inside a 200 is not an answer this server can trust.
        throw new ProviderError({
          code: 'invalid_response',
          provider: NAME,
          status: response.status,
          message: `${TITLE} answered HTTP ${response.status} with an error instead of backlinks: ${upstreamDetail(record, '', secrets) ?? record.error}. Nothing was cached; check the domain, try again later, or use another provider.`,
        });
      }
    }
    return response.body;
  };

  const credits = (calls: number): Cost => ({ amount: calls * CREDITS_PER_CALL, unit: 'credits', provider: NAME });

  const fetchSample = async (domain: string, onePerDomain: boolean, context: CallContext): Promise<Sample> => {
    // Every backlinks call costs 3 credits, whatever it returns (the seed documents no refund).
    const body = await get(settings.backlinksPath, { domain, ...(onePerDomain && { onePerDomain: 1 }) }, context, billed(context, credits(1)));
    const parsed = parseResponse(NAME, backlinksSchema, body);
    const rows: Row[] = [];
    for (const row of parsed.backlinks) {
      const source = row.source.trim();
      const host = hostOf(source);
      if (host === undefined) continue;
      const anchor = row.anchor?.trim() ? row.anchor.trim() : (row.title?.trim() ?? '');
      const nofollow = row.nf === 1 || row.nf === '1' || row.nf === true;
      const mapped: Row = { source, sourceDomain: domainOfHost(host), target: row.target?.trim() ?? '', anchor, dofollow: !nofollow };
      if (row.title?.trim()) mapped.title = row.title.trim();
      if (row.anchor?.trim()) mapped.anchorText = row.anchor.trim();
      rows.push(mapped);
    }
    rows.sort(compareRows);
    const metrics: BacklinkMetrics = {};
    const m = parsed.metrics;
    if (m?.links_in !== undefined) metrics.links_in = m.links_in;
    if (m?.ref_domains !== undefined) metrics.ref_domains = m.ref_domains;
    if (m?.backlinks_follow !== undefined) metrics.dofollow = m.backlinks_follow;
    if (m?.backlinks_nofollow !== undefined) metrics.nofollow = m.backlinks_nofollow;
    if (m?.links_from_edu !== undefined) metrics.edu_links = m.links_from_edu;
    if (m?.links_from_gov !== undefined) metrics.gov_links = m.links_from_gov;
    if (m?.page_count !== undefined) metrics.page_count = m.page_count;
    if (m?.links_out !== undefined) metrics.links_out = m.links_out;
    if (m?.nofollow_ratio !== undefined) metrics.nofollow_ratio = m.nofollow_ratio;
    return { metrics, rows };
  };

  /** One call per domain, concurrent within the client's bound, with progress as each lands. */
  /** The samples by domain, and how many calls were bought (the rest were kept from an earlier call). */
  const fetchSamples = async (domains: string[], onePerDomain: boolean, context: CallContext): Promise<{ samples: Map<string, Sample>; bought: number }> => {
    let done = 0;
    context.progress?.(0, domains.length, `${TITLE}: fetching backlinks of ${domains.length} domains`);
    // Every call is waited for, failed or not, so each one bought is kept (CallContext.pieces) before an
    // error leaves: repeating the call then buys only the samples it had not bought yet.
    const settled = await Promise.allSettled(
      domains.map(async (domain) => {
        const key = { path: settings.backlinksPath, domain, onePerDomain };
        const { value, stored } = await piece(context, key, () => fetchSample(domain, onePerDomain, context));
        done += 1;
        context.progress?.(done, domains.length, `${TITLE}: fetched backlinks of ${done} of ${domains.length} domains`);
        return { domain, value, stored };
      }),
    );
    const failed = settled.find((outcome) => outcome.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    const fetched = settled.map((outcome) => (outcome as PromiseFulfilledResult<{ domain: string; value: Sample; stored: boolean }>).value);
    return { samples: new Map(fetched.map(({ domain, value }) => [domain, value])), bought: fetched.filter(({ stored }) => !stored).length };
  };

  async function backlinks(query: BacklinksQuery, context: CallContext): Promise<BacklinksResult> {
    if (apiKey === undefined) throw notConfigured(NAME);
    if (query.min_authority !== undefined) {
      // Rows carry no authority; keeping them all would look like a filter that worked.
      throw invalidInput('min_authority', query.min_authority, `${TITLE} backlink rows carry no authority, so this filter cannot apply; leave it out, or use provider dataforseo`);
    }
    const offset = decodeOffset(query.cursor, 'cursor');
    const domain = query.target_kind === 'domain' ? query.target : (registrableDomain(query.target) ?? sourceDomainOf(query.target));
    const notes = [SAMPLE_NOTE];
    // Upstream de-duplication picks any one link per referring domain, maybe not one to this host or
    // page, so narrower targets take the full sample and de-duplicate here after filtering.
    const upstreamOnePerDomain = query.mode === 'one_per_domain' && query.target_kind === 'domain';
    const sample = await fetchSample(domain, upstreamOnePerDomain, context);

    let rows = sample.rows;
    if (query.target_kind !== 'domain') {
      const scope = query.target_kind === 'page' ? 'page' : 'subdomain';
      rows = rows.filter((row) => row.target !== '' && matchesScope(row.target, query.target, scope));
      notes.push(
        `${TITLE} only answers for a whole domain: fetched ${domain} and kept the rows pointing to ${query.target}; the metrics are those of ${domain}.`,
      );
    }
    if (query.mode === 'one_per_domain' && !upstreamOnePerDomain) rows = firstPer(rows, (row) => row.sourceDomain);
    if (query.mode === 'one_per_anchor') rows = firstPer(rows, (row) => row.anchor.toLowerCase());
    if (query.dofollow !== undefined) rows = rows.filter((row) => row.dofollow === query.dofollow);
    if (query.anchor !== undefined) {
      const wanted = query.anchor.toLowerCase();
      rows = rows.filter((row) => row.anchor.toLowerCase().includes(wanted));
    }

    const page = rows.slice(offset, offset + query.limit);
    const result: BacklinksResult = {
      target: query.target,
      metrics: sample.metrics,
      backlinks: page.map(toBacklink),
      total: rows.length,
      cost: credits(1),
      notes,
    };
    if (offset + query.limit < rows.length) result.next_cursor = encodeOffset(offset + query.limit);
    return result;
  }

  async function gap(query: GapQuery, context: CallContext): Promise<GapResult> {
    if (apiKey === undefined) throw notConfigured(NAME);
    const domains = [query.your_domain, ...query.competitor_domains.filter((domain) => domain !== query.your_domain)];
    // One row per referring domain is all a gap needs, and it lets the 5,000-row sample reach more domains.
    const { samples, bought } = await fetchSamples(domains, true, context);
    const asked = new Set(domains);
    const yours = new Set(samples.get(query.your_domain)?.rows.map((row) => row.sourceDomain));

    interface Found {
      competitors: Set<string>;
      dofollow: boolean;
      titles: string[];
      pages: string[];
      /** The sampled linking page per competitor (onePerDomain: one link per referring domain). */
      byCompetitor: Record<string, CompetitorLinks>;
    }
    const found = new Map<string, Found>();
    for (const competitor of query.competitor_domains) {
      for (const row of samples.get(competitor)?.rows ?? []) {
        if (yours.has(row.sourceDomain) || asked.has(row.sourceDomain)) continue;
        let entry = found.get(row.sourceDomain);
        if (entry === undefined) {
          entry = { competitors: new Set(), dofollow: false, titles: [], pages: [], byCompetitor: {} };
          found.set(row.sourceDomain, entry);
        }
        entry.competitors.add(competitor);
        // Rows are in source order and one per referring domain, so the first is the one sampled. Only
        // nofollow is reported (nf); sponsored and ugc are not, so they stay absent.
        if (entry.byCompetitor[competitor] === undefined) entry.byCompetitor[competitor] = { page: linkingPage(row) };
        if (row.dofollow) entry.dofollow = true;
        if (row.title !== undefined && entry.titles.length < EXAMPLES_KEPT && !entry.titles.includes(row.title)) entry.titles.push(row.title);
        if (entry.pages.length < EXAMPLES_KEPT && !entry.pages.includes(row.source)) entry.pages.push(row.source);
      }
    }

    const kept = [...found.entries()].filter(([, entry]) => entry.competitors.size >= query.min_competitors);
    kept.sort(([a, left], [b, right]) => right.competitors.size - left.competitors.size || compareText(a, b));
    const prospects = kept.slice(0, query.limit).map(([domain, entry]): ProspectCore => {
      const prospect: ProspectCore = {
        domain,
        // Competitors were visited in the order given, so the set keeps that order.
        competitors: [...entry.competitors],
        source_pages: entry.pages,
        by_competitor: entry.byCompetitor,
        found_by: [NAME],
      };
      // Only one link per referring domain is sampled: a nofollow one does not prove there is no dofollow link.
      if (entry.dofollow) prospect.dofollow = true;
      if (entry.titles.length > 0) prospect.titles = entry.titles;
      return prospect;
    });

    return {
      prospects,
      total_prospects: kept.length,
      cost: credits(bought),
      status: 'complete',
      notes: [
        `${TITLE} has no gap endpoint: computed from one backlinks call per domain (${domains.length} calls, ${CREDITS_PER_CALL} credits each).`,
        `${SAMPLE_NOTE} A referring domain missing from your own sample shows up as a gap although it may link to you; there is no authority figure, so rank by other signals.`,
      ],
    };
  }

  async function intersect(query: IntersectQuery, context: CallContext): Promise<IntersectResult> {
    if (apiKey === undefined) throw notConfigured(NAME);
    const offset = decodeOffset(query.next_token, 'next_token');
    const all = [...query.positive_targets, ...query.negative_targets];
    const domainOf = (target: string) => registrableDomain(target) ?? sourceDomainOf(target);
    const domains = [...new Set(all.map((target) => domainOf(target.target)))];
    // Page-level source and target URLs are needed here, so the full sample is fetched.
    const { samples, bought } = await fetchSamples(domains, false, context);

    interface Source {
      source: string;
      sourceDomain: string;
      title?: string;
      positives: Set<number>;
      negative: boolean;
      /** Best (first in source order) page per matching positive target. */
      pages: Map<number, string>;
    }
    const sources = new Map<string, Source>();
    const visit = (target: (typeof all)[number], index: number, positive: boolean) => {
      for (const row of samples.get(domainOf(target.target))?.rows ?? []) {
        if (row.target === '' || !matchesScope(row.target, target.target, target.scope)) continue;
        const key = query.source_scope === 'page' ? stripUrl(row.source) : row.sourceDomain;
        let entry = sources.get(key);
        if (entry === undefined) {
          entry = { source: query.source_scope === 'page' ? row.source : row.sourceDomain, sourceDomain: row.sourceDomain, positives: new Set(), negative: false, pages: new Map() };
          if (query.source_scope === 'page' && row.title !== undefined) entry.title = row.title;
          sources.set(key, entry);
        }
        if (!positive) {
          entry.negative = true;
          continue;
        }
        entry.positives.add(index);
        if (!entry.pages.has(index)) entry.pages.set(index, row.source);
      }
    };
    for (const [index, target] of query.positive_targets.entries()) visit(target, index, true);
    for (const [index, target] of query.negative_targets.entries()) visit(target, index, false);

    const matching = [...sources.values()].filter((entry) => !entry.negative && entry.positives.size >= query.min_matching_targets);
    matching.sort((a, b) => b.positives.size - a.positives.size || compareText(a.source, b.source));
    const rows = matching.slice(offset, offset + query.limit).map((entry): IntersectRow => {
      const indexes = [...entry.positives].sort((a, b) => a - b);
      const row: IntersectRow = {
        source: entry.source,
        source_domain: entry.sourceDomain,
        matching_targets: indexes.map((index) => query.positive_targets[index]!.target),
      };
      if (entry.title !== undefined) row.title = entry.title;
      if (query.source_scope === 'root_domain') {
        row.matching_source_pages = indexes.map((index) => ({ target: query.positive_targets[index]!.target, page: entry.pages.get(index)! }));
      }
      return row;
    });

    const notes = [`${TITLE} has no intersect endpoint: computed from one backlinks call per target domain (${domains.length} calls). ${SAMPLE_NOTE}`];
    if (query.sort !== 'matching_target_count') {
      notes.push(`${TITLE} reports no authority or spam score, so the results are sorted by matching_target_count, then source.`);
    }
    const result: IntersectResult = { results: rows, total: matching.length, cost: credits(bought), notes };
    if (offset + query.limit < matching.length) result.next_token = encodeOffset(offset + query.limit);
    return result;
  }

  async function balance(context: CallContext): Promise<Balance> {
    if (apiKey === undefined) throw notConfigured(NAME);
    const body = await get('/api/checkBalance.php', {}, context);
    // Format known only from third-party clients: an array holding "UnitsLeft" with the number at index 1.
    const amount = Array.isArray(body) ? readNumber(body[1]) : undefined;
    if (amount === undefined) {
      throw new ProviderError({
        code: 'invalid_response',
        provider: NAME,
        message: `${TITLE} sent a balance this server cannot read (expected an array with the units left at index 1). Check the balance at domdetailer.com.`,
      });
    }
    return { amount, unit: 'credits', note: `${TITLE} units left, as checkBalance.php reports them.` };
  }

  return {
    name: NAME,
    describe(): ProviderDescription {
      return {
        name: NAME,
        title: TITLE,
        capabilities: ['gap', 'backlinks', 'intersect'],
        computed: ['gap', 'intersect'],
        configured: apiKey !== undefined,
        unit: 'credits',
        pricing: `backlinks: ${CREDITS_PER_CALL} credits a call (one domain, ≤5,000 rows); gap and intersect: ${CREDITS_PER_CALL} credits per domain fetched`,
        configureWith: 'DOMDETAILER_API_KEY (and optionally DOMDETAILER_APP)',
        account: accountHash(apiKey),
        wholeAnswerRows: SAMPLE_ROWS,
      };
    },
    backlinks,
    gap,
    intersect,
    balance,
    estimate(operation: Operation): Cost {
      if (operation.kind === 'backlinks') return credits(1);
      if (operation.kind === 'gap') {
        const others = operation.query.competitor_domains.filter((domain) => domain !== operation.query.your_domain);
        return credits(1 + others.length);
      }
      const targets = [...operation.query.positive_targets, ...operation.query.negative_targets];
      return credits(new Set(targets.map((target) => registrableDomain(target.target) ?? sourceDomainOf(target.target))).size);
    },
    close: () => http.close(),
  };
}

function toBacklink(row: Row): Backlink {
  const backlink: Backlink = { source_url: row.source, source_domain: row.sourceDomain, target_url: row.target, anchor: row.anchor, dofollow: row.dofollow };
  if (row.title !== undefined) backlink.title = row.title;
  return backlink;
}

function linkingPage(row: Row): LinkingPage {
  const page: LinkingPage = { url: row.source, rel: { nofollow: !row.dofollow } };
  if (row.title !== undefined) page.title = row.title;
  if (row.anchorText !== undefined) page.anchor = row.anchorText;
  return page;
}

/** The first row for each key, in the rows' (sorted) order. */
function firstPer(rows: Row[], key: (row: Row) => string): Row[] {
  const seen = new Set<string>();
  return rows.filter((row) => {
    const value = key(row);
    if (seen.has(value)) return false;
    seen.add(value);
    return true;
  });
}

function readNumber(value: unknown): number | undefined {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value.replace(/,/g, '')) : value;
  return typeof number === 'number' && Number.isFinite(number) ? number : undefined;
}
