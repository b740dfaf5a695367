// The shared vocabulary: what every provider maps into and every tool speaks.

export const PROVIDER_NAMES = ['local', 'localseodata', 'oneclickseo', 'moz', 'domdetailer', 'dataforseo', 'commoncrawl'] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

/** Names people know the providers by, for messages. */
export const PROVIDER_TITLES: Record<ProviderName, string> = {
  local: 'Local dataset',
  localseodata: 'LocalSEOData',
  oneclickseo: 'OneClickSEO',
  moz: 'Moz Links API v2',
  domdetailer: 'DomDetailer',
  dataforseo: 'DataForSEO',
  commoncrawl: 'Common Crawl web graph',
};

export type Scope = 'page' | 'subdomain' | 'root_domain';
export interface Target {
  target: string;
  scope: Scope;
}

/** What a call cost, in the provider's own unit. A cache hit costs 0. */
export type CostUnit = 'credits' | 'rows' | 'usd' | 'none';
export interface Cost {
  amount: number;
  unit: CostUnit;
  provider: ProviderName;
  /** On an estimate: the amount is the most the call can cost (billed per row returned, fewer rows cost less). */
  up_to?: true;
}

/** The metrics one provider reported for a referring domain, kept beside the normalised figures. */
export interface ProviderMetrics {
  /** Normalised authority, 0-100. */
  authority?: number;
  /** The provider's own authority figure, as it sent it. */
  authority_raw?: number;
  /** Name and range of the provider's figure, e.g. "domain_rank 0-1000". */
  authority_scale?: string;
  spam_score?: number;
  backlinks?: number;
  referring_domains?: number;
  dofollow?: boolean;
  /** Figures from vendor exports read by the local provider, e.g. { ahrefs_dr: 61, majestic_tf: 22 }. */
  vendor_metrics?: Record<string, number>;
}

export type Tier = 'all' | 'several' | 'one';
export const CATEGORIES = [
  'chamber_or_association',
  'directory',
  'news_media',
  'education',
  'government',
  'blog',
  'forum_or_community',
  'industry',
  'platform_or_social',
  'suspect_spam',
  'other',
] as const;
export type Category = (typeof CATEGORIES)[number];

/** rel flags of one link, where the provider says. */
export interface LinkRel {
  nofollow?: boolean;
  sponsored?: boolean;
  ugc?: boolean;
}

/** One page of a prospect that links to a competitor, as a provider reported it. */
export interface LinkingPage {
  /** Absolute URL of the linking page. */
  url: string;
  title?: string;
  anchor?: string;
  /** Absent when the provider does not say. */
  rel?: LinkRel;
  first_seen?: string;
  last_seen?: string;
}

/** What a prospect has toward one competitor, where the provider says. */
export interface CompetitorLinks {
  /** Links from the prospect to this competitor. */
  links?: number;
  /** Of those, dofollow. */
  dofollow_links?: number;
  /** The best linking page to this competitor (highest authority / dofollow first / newest). */
  page?: LinkingPage;
}

/** How a link from a prospect is usually obtained (analysis/routes.ts decides it from evidence). */
export const ROUTES = [
  'membership',
  'paid_listing',
  'free_listing',
  'editorial',
  'resource_page',
  'sponsorship_or_event',
  'partner_or_supplier',
  'institutional_list',
  'community_profile',
  'review_platform',
  'unknown',
] as const;
export type Route = (typeof ROUTES)[number];

/** A referring domain that links to at least one competitor and not to you, as a provider found it. */
export interface ProspectCore {
  /** Registrable referring domain, lowercase, punycode. */
  domain: string;
  /** Normalised 0-100; absent when unknown (never 0 for unknown). */
  authority?: number;
  /** Competitor domains this source links to, in the order the competitors were given. */
  competitors: string[];
  /** Links from this source to the competitors, summed, where known. */
  backlinks?: number;
  /** Of `backlinks`, how many are dofollow, where known ("df 4/12"). */
  dofollow_links?: number;
  /** Referring domains of the prospect itself (its own popularity), where known. */
  referring_domains?: number;
  /** True when at least one link to a competitor is dofollow; absent when unknown. */
  dofollow?: boolean;
  /** 0-100, higher is spammier; absent when unknown. */
  spam_score?: number;
  /** Titles of linking pages, where known (used for categories). */
  titles?: string[];
  /** A few example linking pages, where known. */
  source_pages?: string[];
  /** Per competitor domain (keys are competitor domains): link counts and the best linking page, where known. */
  by_competitor?: Record<string, CompetitorLinks>;
  /** Per-provider figures, keyed by provider. */
  provider_metrics?: Partial<Record<ProviderName, ProviderMetrics>>;
  found_by: ProviderName[];
}

/** A prospect after ranking. */
export interface Prospect extends ProspectCore {
  competitor_overlap: number;
  tier: Tier;
  category: Category;
  score: number;
  /** Short reasons behind the score, for detailed output. */
  reasons?: string[];
  /** How such a link is usually obtained, with the evidence that decided it. */
  route?: Route;
  route_evidence?: string[];
  /** check_prospects: when its pages were last fetched live (ISO date-time). */
  verified?: string;
  /** check_prospects: true when a checked page still links to at least one competitor, false when none does. */
  link_live?: boolean;
  /** check_prospects: true when a checked page already links to your domain. */
  links_to_you?: boolean;
  /** check_prospects: ways to ask this site for a link, found on its pages. */
  contact?: ProspectContact;
}

/** How to reach a site about a link, as check_prospects found it on its pages. */
export interface ProspectContact {
  /** Addresses from mailto: links. */
  emails?: string[];
  /** Contact, write-for-us, advertise, submit-a-listing, membership or sponsorship pages. */
  pages?: Array<{ kind: ContactKind; url: string }>;
}

export type ContactKind = 'write_for_us' | 'submit_listing' | 'membership' | 'sponsorship' | 'advertise' | 'contact';

/** One link check_prospects found on a live page toward a competitor (or toward you). */
export interface LiveLink {
  /** The competitor (or your) domain this is about. */
  domain: string;
  /** false: the page no longer links to it. */
  live: boolean;
  href?: string;
  rel?: LinkRel;
  anchor?: string;
  /** Text around the link on the page. */
  context?: string;
  /** How the href reaches the domain when not directly: through a redirect, or a URL in a query parameter. */
  via?: 'redirect' | 'parameter';
}

/** What check_prospects found on one page. */
export interface PageCheck {
  url: string;
  /** Where redirects ended, when elsewhere. */
  final_url?: string;
  status?: number;
  title?: string;
  /** "ok" when the page was read; otherwise why not (robots, refused_address, http_status, timeout...). */
  outcome: 'ok' | 'invalid_url' | 'refused_address' | 'dns' | 'robots' | 'not_html' | 'http_status' | 'too_many_redirects' | 'timeout' | 'network';
  error?: string;
  /** One per competitor asked (only when the page was read). */
  links?: LiveLink[];
  /** Your domain, when given and the page was read. */
  you?: LiveLink;
  /** The page was larger than the body cap: only its start was read. */
  truncated?: boolean;
}

/** What check_prospects found for one prospect site. */
export interface ProspectCheck {
  domain: string;
  /** false when no linking page was known and the home page was checked instead. */
  pages_known: boolean;
  pages: PageCheck[];
  /** Any checked page still links to a competitor (absent when no page could be read). */
  link_live?: boolean;
  links_to_you?: boolean;
  contact: ProspectContact;
  /** ISO date-time of the fetch (older than now when served from the cache). */
  checked_at: string;
}

export interface GapQuery {
  your_domain: string;
  /** Normalised, deduplicated, never containing your_domain. */
  competitor_domains: string[];
  /** How many prospects the run keeps. */
  limit: number;
  min_competitors: number;
  /** A provider-side run created earlier for these same arguments (OneClickSEO): poll and read it
   *  instead of creating (and paying for) a new one. */
  resume_provider_run_id?: string;
}

export interface GapResult {
  prospects: ProspectCore[];
  /** How many prospects exist upstream (may exceed prospects.length). */
  total_prospects: number;
  /** True when total_prospects counts the provider's prospects before the min_competitors filter
   *  (its answer was cut before the filter could be applied to all of them). */
  total_before_min_competitors?: boolean;
  cost: Cost;
  /** Provider-side run id (OneClickSEO). */
  provider_run_id?: string;
  /** A provider-side run that did not finish before the deadline. */
  status?: 'complete' | 'pending';
  /** True when the data is synthetic (the bundled sample). */
  synthetic?: boolean;
  notes?: string[];
}

export interface GapRun {
  run_id: string;
  provider: ProviderName | 'all';
  your_domain: string;
  competitor_domains: string[];
  min_competitors: number;
  limit: number;
  created_at: string;
  total_prospects: number;
  prospects: Prospect[];
  provider_run_id?: string;
  status?: 'complete' | 'pending';
  synthetic?: boolean;
}

export type ProspectSort = 'score' | 'rank' | 'backlinks' | 'referring_domains' | 'overlap';
export interface ProspectsQuery {
  run_id: string;
  min_authority?: number;
  max_spam?: number;
  dofollow?: boolean;
  competitor?: string;
  q?: string;
  sort: ProspectSort;
  order: 'asc' | 'desc';
  page: number;
  per_page: number;
}
export interface ProspectsPage {
  data: ProspectCore[];
  meta: { page: number; per_page: number; total: number; total_pages: number };
  cost: Cost;
}

export type BacklinksMode = 'as_is' | 'one_per_domain' | 'one_per_anchor';
export interface BacklinksQuery {
  /** Normalised target: a registrable domain, a subdomain host, or an absolute URL. */
  target: string;
  target_kind: 'domain' | 'subdomain' | 'page';
  mode: BacklinksMode;
  limit: number;
  dofollow?: boolean;
  anchor?: string;
  min_authority?: number;
  cursor?: string;
}

export interface Backlink {
  source_url: string;
  source_domain: string;
  target_url: string;
  anchor: string;
  /** Absent when the provider cannot tell (the Common Crawl web graph records no rel attributes). */
  dofollow?: boolean;
  /** True when the provider knows the linking site only, not the page or the anchor (the web
   *  graph): source_url and target_url are then the sites' home URLs, not the pages linked. */
  site_only?: true;
  authority?: number;
  spam_score?: number;
  title?: string;
  first_seen?: string;
  last_seen?: string;
}

export interface BacklinkMetrics {
  links_in?: number;
  ref_domains?: number;
  dofollow?: number;
  nofollow?: number;
  edu_links?: number;
  gov_links?: number;
  /** Pages of the target site the provider knows (DomDetailer `page_count`). */
  page_count?: number;
  /** Links out of the target site (DomDetailer `links_out`). */
  links_out?: number;
  /** Percent (0-100) of the target's backlinks that are nofollow, as the provider reports it. */
  nofollow_ratio?: number;
}

/** Referring domains and anchors counted over the links a get_backlinks summary covers. */
export interface BacklinksSummary {
  /** How many links the summary counts. */
  covered_links: number;
  /** 'matching': every link that matches the query, filters included (a provider that can count
   *  them); 'fetched': only the rows fetched for this answer. */
  covers: 'matching' | 'fetched';
  /** What covered_links and referring_domains[].links count: links (absent), or `site_edges`, the
   *  web graph's edges between two sites (it has no individual links). */
  counts?: 'site_edges';
  /** Distinct referring domains among the covered links. */
  referring_domain_count: number;
  /** The referring domains with the most covered links: links, dofollow links, authority where
   *  known (dofollow absent when unknown), and the anchor of its best link (dofollow first, newest). */
  referring_domains: Array<{ domain: string; links: number; dofollow?: number; authority?: number; anchor?: string }>;
  /** Distinct anchors, compared case-insensitively. */
  anchor_count: number;
  /** The most used anchors, lowercase ("" for an empty anchor), with their link counts; `share` of
   *  covered_links is added by the service. */
  anchors: Array<{ anchor: string; links: number; share?: number }>;
}

export interface BacklinksResult {
  target: string;
  metrics: BacklinkMetrics;
  /** Referring domains and anchors over every link matching the query, where the provider counts
   *  them (local); absent otherwise, and then computed over the rows fetched. */
  summary?: BacklinksSummary;
  backlinks: Backlink[];
  /** Rows that match upstream (before limit). */
  total: number;
  next_cursor?: string;
  cost: Cost;
  synthetic?: boolean;
  /** Caveats the provider's data carries (a sample, a filter it cannot apply). */
  notes?: string[];
}

export type SourceScope = 'page' | 'root_domain';
export type IntersectSort = 'source_domain_authority' | 'source_spam_score' | 'matching_target_count';
export interface IntersectQuery {
  positive_targets: Target[];
  negative_targets: Target[];
  min_matching_targets: number;
  source_scope: SourceScope;
  sort: IntersectSort;
  limit: number;
  next_token?: string;
}

export interface IntersectRow {
  /** Source page URL (source_scope page) or root domain (source_scope root_domain). */
  source: string;
  source_domain: string;
  domain_authority?: number;
  spam_score?: number;
  title?: string;
  /** Positive targets this source links to, named by target. */
  matching_targets: string[];
  /** At root_domain scope: the best page linking to each matching target. */
  matching_source_pages?: { target: string; page: string; page_authority?: number }[];
}

export interface IntersectResult {
  results: IntersectRow[];
  /** Total matching sources where known. */
  total?: number;
  next_token?: string;
  cost: Cost;
  synthetic?: boolean;
  /** Caveats the provider's data carries (a sample, a sort it cannot apply). */
  notes?: string[];
}

/** Default tool parameters, shared by the tools (schemas, token budgets) and the service. */
export const DEFAULTS = {
  gapLimit: 100,
  top: 15,
  perPage: 50,
  backlinksLimit: 100,
  intersectLimit: 25,
} as const;

/** The answer of a paid tool called with `dry_run: true`: estimates, nothing called. */
export interface DryRun {
  dry_run: true;
  provider: ProviderName | 'all';
  /** held_today: what calls still running hold against the day's budget, beyond their recorded spend. */
  /** outdated: the cache holds this answer in a shape an older version wrote, so it is not served and would be bought again. */
  estimates: Array<{
    provider: ProviderName;
    estimate: Cost;
    cached: boolean;
    outdated?: true;
    daily_budget?: number;
    spent_today: number;
    held_today?: number;
  }>;
  /** Set when a real call was held back for its cost (BACKLINK_GAP_CONFIRM_ABOVE): `required` (repeat
   *  with confirm: true) or `declined` (the user said no); nothing was called either way. */
  confirmation?: 'required' | 'declined';
  /** The threshold the estimate went over, in each provider's own unit. */
  confirm_above?: number;
}

export function isDryRun(value: unknown): value is DryRun {
  return typeof value === 'object' && value !== null && (value as { dry_run?: unknown }).dry_run === true;
}
