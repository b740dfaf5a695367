// The export layouts the local provider recognises, as data: each kind is told apart by its header
// (never its file name), and names which columns hold which field. Header names are compared after
// `headerKey` (lowercase, letters and digits only), so "Referring page URL", "referring_page_url"
// and "ReferringPageURL" are one name. Facts and their sources: shared/exports.md; kinds marked
// `verified: false` follow a layout no primary source confirmed, so answers say it was assumed.

/** The fields a row may carry. `links` kinds need source and target; `domains` kinds need domain. */
export type ExportField =
  | 'source'
  | 'target'
  | 'anchor'
  | 'title'
  | 'nofollow'
  | 'ugc'
  | 'sponsored'
  | 'link_type'
  | 'first_seen'
  | 'last_seen'
  | 'lost'
  | 'domain'
  | 'links'
  | 'dofollow_links'
  | 'spam_score'
  | 'authority'
  | 'backlinks'
  | 'referring_domains';

export type Vendor = 'ahrefs' | 'semrush' | 'majestic' | 'moz' | 'gsc' | 'project';

/**
 * - `links`: one link per row (source page → target page).
 * - `domains`: one referring domain per row; the target is not in the file, so it comes from the
 *   file name (Ahrefs and Semrush name these exports after the domain).
 * - `figures`: per-domain figures with no links (the project's domains.csv).
 * - `owner_sites` / `owner_links`: Search Console, who links to *your* site (a domain or a page per row).
 * - `owner_pages`: Search Console's pages of your site, which name your domain.
 * - `ignored`: recognised, holds nothing a gap uses (Search Console's linking text).
 */
export type ExportShape = 'links' | 'domains' | 'figures' | 'owner_sites' | 'owner_links' | 'owner_pages' | 'ignored';

/** A vendor figure kept per referring domain. `authority` ones (0-100) feed the normalised authority. */
export interface ExportMetric {
  /** Key under which the figure is kept, e.g. `ahrefs_dr`. */
  key: string;
  /** Name and range for answers, e.g. "Ahrefs DR 0-100". */
  label: string;
  columns: string[];
  /** Whether the figure is on a 0-100 scale and so may stand for `authority`. */
  authority: boolean;
  /** A figure of the linking page rather than its domain: used for authority only when no domain figure exists. */
  page_level?: boolean;
}

export interface ExportKind {
  id: string;
  vendor: Vendor;
  /** For answers, e.g. "Ahrefs backlinks". */
  title: string;
  shape: ExportShape;
  /** Header keys that must all be present. */
  requires: string[];
  /** Per field, the header keys that may hold it, the first present winning. */
  columns: Partial<Record<ExportField, string[]>>;
  metrics?: ExportMetric[];
  verified: boolean;
}

/** Row counts at which vendors cut an export by plan; a file ending exactly at one is probably cut. */
export const ROW_CAPS = [1_000, 2_000, 5_000, 10_000, 25_000, 30_000, 50_000, 100_000, 200_000, 250_000, 500_000, 1_000_000];

/** An export older than this many days is called stale in answers. */
export const STALE_DAYS = 90;

export function headerKey(name: string): string {
  return name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
}

const DATES = { first_seen: ['firstseen', 'found', 'firstindexeddate', 'datefirstseen', 'firstcrawled'], last_seen: ['lastseen', 'lastseendate', 'datelastseen', 'lastcrawled'] };

/** In precedence order: the first kind whose `requires` are all in a header is the file's kind. */
export const EXPORT_KINDS: ExportKind[] = [
  {
    id: 'ahrefs-backlinks',
    vendor: 'ahrefs',
    title: 'Ahrefs backlinks',
    shape: 'links',
    requires: ['referringpageurl', 'targeturl'],
    columns: {
      source: ['referringpageurl'],
      target: ['targeturl'],
      anchor: ['anchor'],
      title: ['referringpagetitle'],
      nofollow: ['nofollow'],
      ugc: ['ugc'],
      sponsored: ['sponsored'],
      link_type: ['type'],
      ...DATES,
      lost: ['lost'],
    },
    metrics: [{ key: 'ahrefs_dr', label: 'Ahrefs DR 0-100', columns: ['domainrating', 'dr'], authority: true }],
    verified: true,
  },
  {
    id: 'ahrefs-backlinks-v2',
    vendor: 'ahrefs',
    title: 'Ahrefs backlinks (older layout)',
    shape: 'links',
    requires: ['referringpageurl', 'linkurl'],
    columns: {
      source: ['referringpageurl'],
      target: ['linkurl'],
      anchor: ['linkanchor', 'anchor'],
      title: ['referringpagetitle'],
      link_type: ['type'],
      ...DATES,
    },
    metrics: [{ key: 'ahrefs_dr', label: 'Ahrefs DR 0-100', columns: ['domainrating', 'dr'], authority: true }],
    verified: true,
  },
  {
    id: 'semrush-backlinks',
    vendor: 'semrush',
    title: 'Semrush backlinks',
    shape: 'links',
    requires: ['sourceurl', 'targeturl', 'pageascore'],
    columns: {
      source: ['sourceurl'],
      target: ['targeturl'],
      anchor: ['anchor'],
      title: ['sourcetitle'],
      nofollow: ['nofollow'],
      ugc: ['ugc'],
      sponsored: ['sponsored'],
      ...DATES,
      lost: ['lostlink'],
    },
    metrics: [{ key: 'semrush_page_as', label: 'Semrush page Authority Score 0-100', columns: ['pageascore'], authority: true, page_level: true }],
    verified: true,
  },
  {
    id: 'majestic-backlinks',
    vendor: 'majestic',
    title: 'Majestic backlinks',
    shape: 'links',
    requires: ['sourceurl', 'targeturl', 'flagnofollow'],
    columns: {
      source: ['sourceurl'],
      target: ['targeturl'],
      anchor: ['anchortext'],
      nofollow: ['flagnofollow'],
      ...DATES,
      lost: ['datelost', 'flagdeleted'],
    },
    metrics: [
      { key: 'majestic_tf', label: 'Majestic Trust Flow 0-100', columns: ['sourcetrustflow'], authority: true, page_level: true },
      { key: 'majestic_cf', label: 'Majestic Citation Flow 0-100', columns: ['sourcecitationflow'], authority: false, page_level: true },
    ],
    verified: true,
  },
  {
    id: 'moz-links',
    vendor: 'moz',
    title: 'Moz inbound links',
    shape: 'links',
    requires: ['targeturl', 'domainauthority'],
    columns: {
      source: ['sourceurl', 'url', 'linkingpage', 'linkingurl', 'sourcepage'],
      target: ['targeturl'],
      anchor: ['anchortext', 'anchor'],
      title: ['title', 'sourcetitle'],
      nofollow: ['nofollow'],
      link_type: ['linktype', 'type'],
      spam_score: ['spamscore'],
      ...DATES,
    },
    metrics: [{ key: 'moz_da', label: 'Moz DA 1-100', columns: ['domainauthority'], authority: true }],
    verified: false,
  },
  {
    id: 'project-links',
    vendor: 'project',
    title: 'links file',
    shape: 'links',
    requires: ['sourceurl', 'targeturl', 'nofollow'],
    columns: { source: ['sourceurl'], target: ['targeturl'], anchor: ['anchor'], nofollow: ['nofollow'], ...DATES },
    verified: true,
  },
  {
    id: 'ahrefs-refdomains',
    vendor: 'ahrefs',
    title: 'Ahrefs referring domains',
    shape: 'domains',
    requires: ['domainrating'],
    columns: {
      domain: ['domain', 'referringdomain', 'refdomain'],
      links: ['linkstotarget', 'backlinks', 'links'],
      dofollow_links: ['dofollowlinks', 'dofollowbacklinks'],
      ...DATES,
    },
    metrics: [{ key: 'ahrefs_dr', label: 'Ahrefs DR 0-100', columns: ['domainrating', 'dr'], authority: true }],
    verified: false,
  },
  {
    id: 'semrush-refdomains',
    vendor: 'semrush',
    title: 'Semrush referring domains',
    shape: 'domains',
    requires: ['domainascore'],
    columns: { domain: ['domain', 'rootdomain', 'referringdomain'], links: ['backlinks', 'links'], ...DATES },
    metrics: [{ key: 'semrush_as', label: 'Semrush Authority Score 0-100', columns: ['domainascore'], authority: true }],
    verified: false,
  },
  {
    id: 'moz-domains',
    vendor: 'moz',
    title: 'Moz linking domains',
    shape: 'domains',
    requires: ['rootdomain', 'domainauthority'],
    columns: { domain: ['rootdomain'], links: ['externallinks', 'linkstotarget'], spam_score: ['spamscore'], ...DATES },
    metrics: [{ key: 'moz_da', label: 'Moz DA 1-100', columns: ['domainauthority'], authority: true }],
    verified: false,
  },
  {
    id: 'project-domains',
    vendor: 'project',
    title: 'domains file',
    shape: 'figures',
    requires: ['domain', 'authority', 'spamscore'],
    columns: {
      domain: ['domain'],
      authority: ['authority'],
      spam_score: ['spamscore'],
      backlinks: ['backlinks'],
      referring_domains: ['referringdomains'],
    },
    verified: true,
  },
  {
    id: 'gsc-sites',
    vendor: 'gsc',
    title: 'Search Console top linking sites',
    shape: 'owner_sites',
    requires: ['site', 'linkingpages'],
    columns: { domain: ['site'] },
    verified: true,
  },
  {
    id: 'gsc-links',
    vendor: 'gsc',
    title: 'Search Console latest links',
    shape: 'owner_links',
    requires: ['linkingpage', 'lastcrawled'],
    columns: { source: ['linkingpage'], last_seen: ['lastcrawled'] },
    verified: true,
  },
  {
    id: 'gsc-pages',
    vendor: 'gsc',
    title: 'Search Console top linked pages',
    shape: 'owner_pages',
    requires: ['targetpage', 'incominglinks'],
    columns: { target: ['targetpage'] },
    verified: true,
  },
  {
    id: 'gsc-text',
    vendor: 'gsc',
    title: 'Search Console top linking text',
    shape: 'ignored',
    requires: ['linkingtext'],
    columns: {},
    verified: true,
  },
];

/** The kind of a header (its cells as given), or undefined when no kind matches. */
export function kindOfHeader(cells: readonly string[]): ExportKind | undefined {
  const keys = new Set(cells.map(headerKey));
  return EXPORT_KINDS.find((kind) => kind.requires.every((key) => keys.has(key)));
}
