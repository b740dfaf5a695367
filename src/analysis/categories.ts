// Outreach category of a referring domain, guessed from its name, its suffix and (failing those) page titles.

import { domainToUnicode } from 'node:url';
import { parse } from 'tldts';
import type { Category } from '../domain.js';
import { hostOf } from '../hosts.js';

/** A known spam score at or above this marks the site suspect_spam whatever its name says. */
export const SPAM_SCORE_THRESHOLD = 60;

/**
 * The order in which categories win when several match, highest first. Name-based spam is split:
 * unmistakable words (casino, viagra, link-farm…) rank just below education, so "best-casino-directory"
 * is spam rather than a directory; weak shapes (a "bet" token, "loans", many hyphens or digits) rank
 * just above other, so "better-plumbing-pros-4u" stays an industry site.
 */
export const CATEGORY_PRECEDENCE = [
  'suspect_spam (spam score ≥ 60)',
  'platform_or_social',
  'government',
  'education',
  'suspect_spam (unmistakable spam words)',
  'chamber_or_association',
  'news_media',
  'directory',
  'forum_or_community',
  'blog',
  'industry',
  'suspect_spam (weak spam shapes)',
  'other',
] as const;

/** Platforms, social networks, shorteners, archives and CDNs: nobody there answers an outreach email. */
export function isPlatform(category: Category): boolean {
  return category === 'platform_or_social' || category === 'suspect_spam';
}

/** Category by name alone, memoised: a ranking asks it of the same referring domains again and again. */
const byDomain = new Map<string, Category>();
const MEMO_LIMIT = 50_000;

function categoryOfDomain(domain: string): Category {
  let category = byDomain.get(domain);
  if (category === undefined) {
    category = categoryOfName(nameOf(domain));
    if (byDomain.size >= MEMO_LIMIT) byDomain.clear();
    byDomain.set(domain, category);
  }
  return category;
}

/** Outreach category from the domain, its TLD and titles where known; CATEGORY_PRECEDENCE settles ties. */
export function categorize(domain: string, titles?: readonly string[], spamScore?: number): Category {
  if (spamScore !== undefined && Number.isFinite(spamScore) && spamScore >= SPAM_SCORE_THRESHOLD) return 'suspect_spam';
  const fromName = categoryOfDomain(domain);
  if (fromName !== 'other') return fromName;
  // Titles are noisy ("Company news", "Old school tips"), so they only speak when the name says nothing.
  return titles === undefined ? 'other' : categoryOfTitles(titles);
}

interface DomainName {
  /** Lowercase host as given, without www. */
  host: string;
  /** Public suffix, private ones included (blogspot.com, github.io). */
  suffix: string;
  suffixLabels: string[];
  /** The registrable label: "austinchamber" for austinchamber.com. */
  label: string;
  /** The label without hyphens: domain words run together, so most matching is on this. */
  compact: string;
  /** The label cut at hyphens and digits. */
  tokens: string[];
}

function nameOf(domain: string): DomainName {
  // Ranked rows already hold bare lowercase domains; only anything else pays for URL parsing.
  const host = /^[a-z0-9.-]+$/.test(domain) ? domain.replace(/^www\./, '') : (hostOf(domain) ?? domain.trim().toLowerCase());
  const parsed = parse(host, { allowPrivateDomains: true });
  const suffix = parsed.publicSuffix ?? '';
  const label = parsed.domainWithoutSuffix ?? (suffix !== '' && host.endsWith(`.${suffix}`) ? host.slice(0, -suffix.length - 1) : host);
  return {
    host,
    suffix,
    suffixLabels: suffix === '' ? [] : suffix.split('.'),
    label,
    compact: label.replace(/-/g, ''),
    tokens: label.split(/[-0-9]+/).filter((token) => token !== ''),
  };
}

function categoryOfName(name: DomainName): Category {
  // A site on a hosting platform (joe.wordpress.com, joesplumbing.wixsite.com) is its owner's site, a
  // prospect of its own: a blog host's sites are blogs, a site builder's are judged by their own name.
  const hosted = hostedSiteOf(name);
  if (hosted !== undefined) return BLOG_HOSTS.has(hosted.platform) ? 'blog' : categoryOfHostedSite(hosted.label, hosted.platform);
  return categoryByRules(name);
}

function categoryByRules(name: DomainName): Category {
  if (isPlatformName(name)) return 'platform_or_social';
  if (isGovernmentName(name)) return 'government';
  if (isEducationName(name)) return 'education';
  if (hasStrongSpamName(name)) return 'suspect_spam';
  if (isAssociationName(name)) return 'chamber_or_association';
  if (isNewsName(name)) return 'news_media';
  if (isDirectoryName(name)) return 'directory';
  if (isForumName(name)) return 'forum_or_community';
  if (name.compact.includes('blog')) return 'blog';
  if (isIndustryName(name)) return 'industry';
  if (hasWeakSpamShape(name)) return 'suspect_spam';
  return 'other';
}

// ---- word matching -----------------------------------------------------------------------------

/** Longer words that contain a matched word without meaning it (a reunion is no union, a stalk no talk). */
const SHADOWING_WORDS: Readonly<Record<string, readonly string[]>> = {
  union: ['reunion'],
  chamber: ['chamberlain'],
  school: ['oldschool'],
  times: ['sometimes'],
  radio: ['radiolog'],
  talk: ['stalk'],
  trade: ['trademark'],
};

/** A word matched anywhere in the compact label, except inside the longer words that shadow it. */
function containsWord(compact: string, word: string): boolean {
  const unless = SHADOWING_WORDS[word] ?? [];
  let from = 0;
  for (;;) {
    const index = compact.indexOf(word, from);
    if (index === -1) return false;
    const shadowed = unless.some((longer) => {
      const offset = longer.indexOf(word);
      return offset !== -1 && index >= offset && compact.startsWith(longer, index - offset);
    });
    if (!shadowed) return true;
    from = index + 1;
  }
}

/** A short word that only counts at the end of the label or as a hyphen-separated token ("huffpost", "austin-mag"). */
function endsWithWord(name: DomainName, word: string, unless: readonly string[] = []): boolean {
  if (name.label.split('-').includes(word)) return true;
  return name.compact.endsWith(word) && !unless.some((longer) => name.compact.endsWith(longer));
}

// ---- platform_or_social ------------------------------------------------------------------------

/** Brands recognised under any suffix (pinterest.co.uk, facebook.de). */
const PLATFORM_LABELS = new Set([
  'facebook',
  'instagram',
  'twitter',
  'linkedin',
  'youtube',
  'tiktok',
  'pinterest',
  'wikipedia',
  'wikimedia',
  'jsdelivr',
  'vimeo',
  'flickr',
  'imgur',
  'dropbox',
  'issuu',
  'scribd',
  'slideshare',
  'spotify',
  'soundcloud',
  'eventbrite',
  'amazon',
  'ebay',
  'etsy',
  'wix',
  'squarespace',
  'shopify',
]);

/** Exact registrable domains: short brands, shorteners, archives, CDNs. */
const PLATFORM_DOMAINS = [
  'x.com',
  'fb.com',
  'fb.me',
  'threads.net',
  'youtu.be',
  'google.com',
  'googleusercontent.com',
  'amazonaws.com',
  'cloudfront.net',
  't.co',
  'bit.ly',
  'tinyurl.com',
  'goo.gl',
  'ow.ly',
  'buff.ly',
  'rebrand.ly',
  'is.gd',
  'lnkd.in',
  'cutt.ly',
  'shorturl.at',
  'archive.org',
  'archive.today',
  'archive.ph',
  'archive.is',
  'archive.li',
  'archive.md',
];

/** Hosts whose subdomains are anyone's free site: the registrable domain (or its parent) says nothing about the author. */
const HOSTING_SUFFIXES = [
  'wordpress.com',
  'blogspot.com',
  'tumblr.com',
  'medium.com',
  'substack.com',
  'wixsite.com',
  'weebly.com',
  'github.io',
  'netlify.app',
  'vercel.app',
  'pages.dev',
  'herokuapp.com',
  'webflow.io',
  'godaddysites.com',
  'myshopify.com',
  'business.site',
];

/** Hosting platforms whose sites are blogs. */
const BLOG_HOSTS: ReadonlySet<string> = new Set(['wordpress.com', 'blogspot.com', 'tumblr.com', 'medium.com', 'substack.com']);

/** The owner's label and the platform of a site on a hosting platform; undefined for anything else. */
function hostedSiteOf(name: DomainName): { label: string; platform: string } | undefined {
  const labels = name.host.split('.');
  const blogspot = labels.indexOf('blogspot');
  if (blogspot > 0) return { label: labels[blogspot - 1]!, platform: 'blogspot.com' };
  const platform = HOSTING_SUFFIXES.find((suffix) => name.host.endsWith(`.${suffix}`));
  if (platform === undefined) return undefined;
  const below = name.host.slice(0, -platform.length - 1);
  return { label: below.slice(below.lastIndexOf('.') + 1), platform };
}

function categoryOfHostedSite(label: string, platform: string): Category {
  const category = categoryByRules({ host: label, suffix: platform, suffixLabels: platform.split('.'), label, compact: label.replace(/-/g, ''), tokens: label.split(/[-0-9]+/).filter((token) => token !== '') });
  return category === 'platform_or_social' ? 'other' : category;
}

const PLATFORM_HOST_TAILS = PLATFORM_DOMAINS;

function isPlatformName(name: DomainName): boolean {
  if (PLATFORM_LABELS.has(name.label)) return true;
  // The hosting platforms themselves (wordpress.com, github.io); their sites are judged in categoryOfName.
  if (HOSTING_SUFFIXES.includes(name.host)) return true;
  // Matched on the host's tail: web.archive.org and d111.cloudfront.net (a private suffix) count.
  if (PLATFORM_HOST_TAILS.some((suffix) => name.host === suffix || name.host.endsWith(`.${suffix}`))) return true;
  // blogspot has country variants (blogspot.co.uk, blogspot.de) that the suffix list no longer carries.
  if (name.host.split('.').includes('blogspot')) return true;
  return name.compact.includes('cdn') || name.label.startsWith('akamai');
}

// ---- government and education (mostly by suffix) -----------------------------------------------

const GOVERNMENT_SUFFIX_LABELS = new Set(['gov', 'mil', 'gouv', 'gob', 'govt', 'fed']);

function isGovernmentName(name: DomainName): boolean {
  const labels = name.suffixLabels;
  if (labels.some((label) => GOVERNMENT_SUFFIX_LABELS.has(label))) return true;
  if (name.suffix === 'gc.ca' || name.suffix === 'gv.at') return true;
  // go.jp, go.kr, go.id: "go" as a second-level label; a lone .go is no government.
  if (labels.length >= 2 && labels[0] === 'go') return true;
  // Locality domains under a US state (austin.tx.us, ci.austin.tx.us, state.tx.us); k12/cc/lib ones have longer suffixes.
  if (/^[a-z]{2}\.us$/.test(name.suffix)) return true;
  return /^(cityof|townof|countyof|villageof)/.test(name.compact);
}

const EDUCATION_WORDS = ['university', 'college', 'school', 'academy', 'k12'];

function isEducationName(name: DomainName): boolean {
  const labels = name.suffixLabels;
  if (labels.includes('edu') || labels.includes('k12') || labels.includes('sch') || labels.includes('school')) return true;
  // ac.uk, ac.jp; a bare .ac is Ascension Island, not academia.
  if (labels.length >= 2 && labels[0] === 'ac') return true;
  // Community colleges under a US state: austincc.cc.tx.us.
  if (labels.length >= 3 && labels[0] === 'cc' && labels[labels.length - 1] === 'us') return true;
  if (EDUCATION_WORDS.some((word) => containsWord(name.compact, word))) return true;
  // Texas-style independent school districts: austinisd.org, roundrockisd.org.
  return name.compact.length > 3 && name.compact.endsWith('isd');
}

// ---- spam by name ------------------------------------------------------------------------------

const STRONG_SPAM_WORDS = ['casino', 'poker', 'viagra', 'cialis', 'porn', 'xxx', 'payday', 'seolinks', 'linkfarm', 'backlinks', 'freelinks', 'buylinks'];
/** Real TLDs that exist for the trades the spam words name. */
const SPAM_SUFFIXES = new Set(['casino', 'bet', 'poker', 'porn', 'sex', 'xxx', 'adult', 'loan']);

function hasStrongSpamName(name: DomainName): boolean {
  if (SPAM_SUFFIXES.has(name.suffixLabels[name.suffixLabels.length - 1] ?? '')) return true;
  return STRONG_SPAM_WORDS.some((word) => name.compact.includes(word));
}

function hasWeakSpamShape(name: DomainName): boolean {
  // "bet" only as its own token or before digits: alphabet, better and bethesda are fine, bet365 is not.
  if (name.tokens.includes('bet') || name.tokens.includes('bets') || /(^|-)bet\d/.test(name.label)) return true;
  if (name.compact.includes('loan')) return true;
  // The shape of the name as written: punycode's own hyphens (xn--bcher-kva is bücher) are not the site's.
  const label = name.label.startsWith('xn--') ? domainToUnicode(name.label) || name.label : name.label;
  const hyphens = (label.match(/-/g) ?? []).length;
  const digits = (label.match(/[0-9]/g) ?? []).length;
  const letters = (label.match(/\p{L}/gu) ?? []).length;
  if (hyphens >= 3) return true;
  if (hyphens >= 2 && digits > 0) return true;
  return digits >= 4 && letters > 0;
}

// ---- chamber_or_association, news_media, directory, forum_or_community, industry ----------------

const ASSOCIATION_WORDS = ['chamber', 'association', 'assoc', 'assn', 'guild', 'council', 'federation', 'society', 'alliance', 'union'];

function isAssociationName(name: DomainName): boolean {
  return ASSOCIATION_WORDS.some((word) => containsWord(name.compact, word));
}

const NEWS_WORDS = [
  'news',
  'tribune',
  'herald',
  'gazette',
  'journal',
  'chronicle',
  'monthly',
  'weekly',
  'magazine',
  'radio',
  'times',
  'statesman',
  'inquirer',
  'observer',
];
/** Call-sign look-alikes that are ordinary words (knit.com, whey.com). */
const CALL_SIGN_WORDS = new Set(['knit', 'knot', 'knob', 'knee', 'knew', 'know', 'what', 'when', 'whom', 'whip', 'whey', 'whiz', 'wrap', 'wren', 'writ', 'wigwam']);
const CALL_SIGN_SUFFIXES = new Set(['com', 'net', 'org', 'tv', 'fm', 'us']);

/** News brands whose names carry no news word, matched on the whole label. */
const NEWS_BRANDS = new Set([
  'patch',
  'cnn',
  'bbc',
  'npr',
  'pbs',
  'abc',
  'nbc',
  'cbs',
  'wsj',
  'usatoday',
  'reuters',
  'apnews',
  'bloomberg',
  'axios',
  'politico',
  'theguardian',
  'forbes',
  'businessinsider',
  'theatlantic',
  'techcrunch',
  'theverge',
  'engadget',
  'mashable',
  'wired',
  'buzzfeed',
  'vox',
  'culturemap',
  'austin360',
]);

function isNewsName(name: DomainName): boolean {
  if (NEWS_BRANDS.has(name.label)) return true;
  if (NEWS_WORDS.some((word) => containsWord(name.compact, word))) return true;
  if (endsWithWord(name, 'post', ['compost', 'signpost', 'outpost', 'lamppost', 'goalpost', 'bedpost', 'guidepost', 'fencepost'])) return true;
  // Press-release wires (prnewswire, businesswire, einpresswire) place stories on news sites.
  if (['mag', 'tv', 'fm', 'wire'].some((word) => endsWithWord(name, word))) return true;
  return isCallSign(name);
}

/** US broadcast call signs: K or W and three letters (kxan, wfaa), optionally with tv/fm/am or a channel number (kens5, wsbtv). */
function isCallSign(name: DomainName): boolean {
  if (!CALL_SIGN_SUFFIXES.has(name.suffix)) return false;
  const label = name.label;
  if (/^[kw][a-z]{2,3}(tv|fm|am)\d{0,2}$/.test(label) || /^[kw][a-z]{3}\d{1,2}$/.test(label)) return true;
  // A bare four-letter sign: a consonant second letter rules out kids, king, wiki, word, west.
  return /^[kw][b-df-hj-np-tv-z][a-z]{2}$/.test(label) && !CALL_SIGN_WORDS.has(label);
}

/** Local listing sites whose names are ordinary words or short: matched on the whole label only. */
const DIRECTORY_BRANDS = new Set([
  'yelp',
  'bbb',
  'angi',
  'manta',
  'porch',
  'houzz',
  'cybo',
  'n49',
  'expertise',
  'mapquest',
  'alignable',
  'bizapedia',
  'buildzoom',
  'ezlocal',
  'brownbook',
  'tripadvisor',
  'trustpilot',
  'sitejabber',
  'craigslist',
  'crunchbase',
  'zoominfo',
  'dnb',
  'homeguide',
  'fixr',
  'improvenet',
  'networx',
  'birdeye',
  'yellowbot',
]);
/** Distinctive listing brands, matched as a prefix too (cylex-usa, yellowpages-austin). */
const DIRECTORY_BRAND_PREFIXES = [
  'yellowpages',
  'angieslist',
  'homeadvisor',
  'thumbtack',
  'foursquare',
  'superpages',
  'citysearch',
  'hotfrog',
  'cylex',
  'merchantcircle',
  'showmelocal',
  'yellowbook',
  'whitepages',
  'dexknows',
  'threebestrated',
];
const DIRECTORY_WORDS = ['directory', 'listing', 'local', 'pages', 'nearme', 'bestof'];

function isDirectoryName(name: DomainName): boolean {
  if (DIRECTORY_BRANDS.has(name.label) || DIRECTORY_BRAND_PREFIXES.some((brand) => name.compact.startsWith(brand))) return true;
  if (DIRECTORY_WORDS.some((word) => name.compact.includes(word))) return true;
  return name.compact.startsWith('find');
}

const FORUM_WORDS = ['forum', 'community', 'communities', 'reddit', 'nextdoor', 'quora', 'stackexchange', 'stackoverflow', 'discourse', 'boards', 'messageboard', 'chatroom', 'talk', 'meetup'];

function isForumName(name: DomainName): boolean {
  if (FORUM_WORDS.some((word) => containsWord(name.compact, word))) return true;
  // "board" alone is too common a word ending (keyboard, dashboard, billboard) to match anywhere but as a token.
  return name.label.split('-').includes('board');
}

const INDUSTRY_WORDS = [
  'plumb',
  'pipe',
  'hvac',
  'contractor',
  'supply',
  'supplies',
  'builder',
  'construction',
  'remodel',
  'renovation',
  'homeimprovement',
  'roofing',
  'roofer',
  'electrician',
  'handyman',
  'heating',
  'cooling',
  'airconditioning',
  'drain',
  'sewer',
  'waterheater',
  'mechanical',
  'lumber',
  'hardware',
  'trade',
];

function isIndustryName(name: DomainName): boolean {
  if (INDUSTRY_WORDS.some((word) => containsWord(name.compact, word))) return true;
  return endsWithWord(name, 'pro') || endsWithWord(name, 'pros');
}

// ---- titles ------------------------------------------------------------------------------------

/** Title patterns in the same precedence as names; word boundaries work here because titles have spaces. */
const TITLE_RULES: ReadonlyArray<readonly [Category, RegExp]> = [
  ['suspect_spam', /\b(casino|poker|viagra|cialis|porn|xxx|payday loans?)\b/i],
  ['education', /\b(university|community college|school district|isd)\b/i],
  ['chamber_or_association', /\b(chamber of commerce|chamber|association|guild|council|federation|society)\b/i],
  ['news_media', /\b(news|newspaper|magazine|gazette|tribune|herald|journal|chronicle|radio)\b/i],
  ['directory', /\b(directory|listings?|yellow pages|near me|best of|top \d+)\b/i],
  ['forum_or_community', /\b(forums?|community|message board|discussion)\b/i],
  ['blog', /\bblog\b/i],
  [
    'industry',
    /\b(plumb\w*|pipes?|hvac|contractors?|suppl(y|ies)|builders?|construction|remodel\w*|home improvement|trades?|roofing|electricians?|handyman|heating|cooling|drain\w*|sewer|water heaters?)\b/i,
  ],
];

function categoryOfTitles(titles: readonly string[]): Category {
  for (const [category, pattern] of TITLE_RULES) {
    if (titles.some((title) => pattern.test(title))) return category;
  }
  return 'other';
}
