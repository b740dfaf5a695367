// Acquisition-route rules, as data: which evidence on a linking page (its domain, path, title, anchor,
// rel) or in the prospect's category points to which route, and how many points it gives.
// analysis/routes.ts adds the points of every rule that matches and picks the route with the most;
// test/fixtures/routes/pages.json holds the real-world-shaped pages these rules are measured on.
//
// How to read a rule: every condition it names must match (AND); within one condition any listed
// value may match (OR). Phrases are matched on words: a URL path, host, title or anchor is cut into
// lowercase words at every character that is not a letter or digit ("/members/home-services" →
// members, home, services); a phrase matches where its words appear in that order, side by side.
// A word ending in `*` matches any word it begins ("member*" matches members and membership);
// `{year}` matches a year from 1995 to 2039 (dated article paths: /blog/2025/…, /2024/05/…).

import type { Category, Route } from '../domain.js';

/** What each route means, how such a link is usually obtained (README and detailed output), and the
 *  words an outreach reason uses ("lists 4 of 5 competitors on /members/: membership directory"). */
export const ROUTE_INFO: Record<Route, { label: string; verb: string; how: string }> = {
  membership: {
    label: 'membership directory',
    verb: 'lists',
    how: 'Join the chamber or association; members are listed in its directory (ask for the link to your site when you join).',
  },
  paid_listing: {
    label: 'paid placement',
    verb: 'lists',
    how: 'Bought: a paid, featured or lead-generation listing; weigh the price against leads, the link is often nofollow or sponsored.',
  },
  free_listing: {
    label: 'free directory listing',
    verb: 'lists',
    how: 'Claim or submit the free business listing (name, address, phone and website the same as everywhere else).',
  },
  editorial: {
    label: 'article',
    verb: 'mentions',
    how: 'Pitch the author or editor: a tip, data, a quote or a local story that earns a mention in this or the next piece.',
  },
  resource_page: {
    label: 'resources page',
    verb: 'links',
    how: 'Email the page owner with a useful page of yours that fits the list, asking to be added.',
  },
  sponsorship_or_event: {
    label: 'sponsor or event page',
    verb: 'thanks',
    how: 'Sponsor, donate to or take part in the event, team or cause; sponsors are thanked with a link.',
  },
  partner_or_supplier: {
    label: 'partner, dealer or customer list',
    verb: 'lists',
    how: 'Become a certified installer, dealer, customer or partner of the company, then ask to be listed.',
  },
  institutional_list: {
    label: 'official list',
    verb: 'lists',
    how: 'Qualify for the program (licence, registration, apprenticeship or rebate partner) and apply to the office that keeps the list.',
  },
  community_profile: {
    label: 'forum post or profile',
    verb: 'shows',
    how: 'Create a profile or take part helpfully in the discussion; such links are usually nofollow/ugc and earned, not asked for.',
  },
  review_platform: {
    label: 'review profile',
    verb: 'lists',
    how: 'Claim the business profile, complete it with your website, and ask customers for reviews.',
  },
  unknown: {
    label: 'page',
    verb: 'links to',
    how: 'Open the linking page to see why it links (get_backlinks on the competitor shows the pages).',
  },
};

export interface RouteRule {
  route: Route;
  /** Added to the route when the rule matches (once per prospect, however many pages match; of the
   *  rules of one route that read the same thing, the site, the URL, the title, the anchor or the rel,
   *  only the strongest counts). */
  points: number;
  /** Registrable domain of the prospect, exactly. */
  domains?: readonly string[];
  /** Text inside the registrable label, which runs words together (leanderhighboosterclub). */
  label?: readonly string[];
  /** A label of the public suffix: gov, edu, k12, mil, ac. */
  suffixes?: readonly string[];
  categories?: readonly Category[];
  /** Phrases over the subdomain labels (forum.example.com, members.example.org). */
  host?: readonly string[];
  path?: readonly string[];
  title?: readonly string[];
  anchor?: readonly string[];
  /** The link carries this rel, where the provider says. */
  rel?: 'sponsored' | 'ugc';
}

/** With no rule at or above this total, the route is unknown. */
export const MIN_POINTS = 1;

/** Categories with no outreach route: links from suspected spam are not asked for (or bought). */
export const NO_ROUTE_CATEGORIES: readonly Category[] = ['suspect_spam'];

/** When two routes have the same points, the one earlier here wins (the more specific one). */
export const ROUTE_PRECEDENCE: readonly Route[] = [
  'review_platform',
  'paid_listing',
  'institutional_list',
  'membership',
  'sponsorship_or_event',
  'partner_or_supplier',
  'resource_page',
  'community_profile',
  'free_listing',
  'editorial',
  'unknown',
];

// ---- known sites ---------------------------------------------------------------------------------

/** Review sites: a business profile with reviews, claimed by the business. */
export const REVIEW_PLATFORMS = [
  'yelp.com',
  'bbb.org',
  'angi.com',
  'angieslist.com',
  'trustpilot.com',
  'sitejabber.com',
  'consumeraffairs.com',
  'tripadvisor.com',
  'birdeye.com',
  'houzz.com',
  'guildquality.com',
  'reviewsolicitors.co.uk',
  'productreview.com.au',
  'glassdoor.com',
  'g2.com',
  'capterra.com',
  'avvo.com',
  'healthgrades.com',
  'zocdoc.com',
  'vitals.com',
  'ratemds.com',
];

/** Directories and lead platforms where placement is bought (pay per lead, annual fee, paid submission). */
export const PAID_PLATFORMS = [
  'homeadvisor.com',
  'thumbtack.com',
  'porch.com',
  'networx.com',
  'improvenet.com',
  'threebestrated.com',
  'bestprosintown.com',
  'botw.org',
  'upcity.com',
  'bark.com',
  'bestrated.com',
  'mybuilder.com',
  'checkatrade.com',
  'trustatrader.com',
  'ratedpeople.com',
];

/** Free citation directories and business-data sites (basic listing free, upgrades optional). */
export const FREE_DIRECTORIES = [
  'yellowpages.com',
  'superpages.com',
  'manta.com',
  'mapquest.com',
  'hotfrog.com',
  'cylex.us.com',
  'cylex-usa.com',
  'brownbook.net',
  'ezlocal.com',
  'merchantcircle.com',
  'showmelocal.com',
  'citysquares.com',
  'chamberofcommerce.com',
  'foursquare.com',
  'bizapedia.com',
  'cybo.com',
  'n49.com',
  'yellowbook.com',
  'dexknows.com',
  'citysearch.com',
  'local.com',
  'buildzoom.com',
  'alignable.com',
  'zoominfo.com',
  'dnb.com',
  'crunchbase.com',
  'opendi.us',
  'tuugo.us',
  'yellowbot.com',
  'whitepages.com',
  'infobel.com',
  'find-us-here.com',
  'storeboard.com',
  'fixr.com',
  'homeguide.com',
  'yell.com',
];

/** Forums, Q&A and social sites: profiles and posts. */
export const COMMUNITY_SITES = [
  'reddit.com',
  'nextdoor.com',
  'quora.com',
  'stackexchange.com',
  'facebook.com',
  'x.com',
  'twitter.com',
  'instagram.com',
  'linkedin.com',
  'pinterest.com',
  'youtube.com',
  'tiktok.com',
  'medium.com',
  'meetup.com',
  'city-data.com',
  'doityourself.com',
  'terrylove.com',
  'contractortalk.com',
];

// ---- word lists ----------------------------------------------------------------------------------

const MEMBER_WORDS = ['member*', 'list member', 'list ql', 'our members', 'find a member', 'join us'];
const DIRECTORY_WORDS = ['directory', 'directories', 'business directory', 'listings', 'listing', 'biz', 'businesses', 'company', 'companies', 'categories', 'category'];
const PAID_WORDS = ['featured', 'sponsored', 'premium', 'promoted', 'advertis*', 'paid', 'top rated pros', 'gold listing', 'platinum'];
const REVIEW_WORDS = ['reviews', 'review', 'ratings', 'testimonials', 'write a review'];
const EDITORIAL_WORDS = ['{year}', 'blog', 'blogs', 'news', 'article*', 'story', 'stories', 'post', 'posts', 'guides', 'guide', 'diy', 'magazine', 'column*', 'opinion', 'features', 'lifestyle', 'real estate', 'home garden', 'how to', 'tips', 'best', 'top'];
const RESOURCE_WORDS = ['resources', 'resource', 'links', 'useful links', 'helpful links', 'recommended', 'recommendations', 'links html', 'link page', 'helpful sites', 'homeowner resources', 'tools and resources'];
const SPONSOR_WORDS = ['sponsor*', 'event*', 'golf', 'tournament', 'gala', 'fundraiser', 'fundraising', 'donors', 'donor', 'supporters', 'festival', 'booster*', '5k', 'fun run', 'charity', 'auction', 'benefactors', 'thank you to our', 'underwriters', 'raffle'];
const PARTNER_WORDS = ['partner*', 'dealer*', 'installer*', 'distributor*', 'where to buy', 'find a pro', 'find a plumber', 'find an electrician', 'find an installer', 'find a contractor', 'find a dealer', 'certified', 'preferred', 'vendors', 'suppliers', 'case studies', 'case study', 'customers', 'clients', 'our clients', 'contractor locator', 'pro locator', 'trade pros', 'affiliates', 'referral'];
const INSTITUTIONAL_WORDS = ['licens*', 'registered', 'approved', 'apprentice*', 'workforce', 'employer*', 'partner*', 'rebate*', 'vendor*', 'qualified', 'program*', 'contractors', 'contractor list', 'participating', 'certified', 'permits', 'continuing ed', 'internship*', 'advisory', 'industry partners'];
const COMMUNITY_WORDS = ['forum*', 'thread*', 'topic*', 'discussion*', 'comments', 'comment', 'community', 'talk', 'user*', 'u', 'people', 'author*', 'questions', 'question', 'answers', 'answer', 'groups', 'group', 'showthread', 'viewtopic', 'board*', 'r'];
const TRADE_WORDS = ['plumbers', 'plumbing', 'plumber', 'contractors', 'contractor', 'electricians', 'roofers', 'roofing', 'hvac', 'home services', 'services', 'pros', 'near me', 'search', 'find'];

// ---- the rules -----------------------------------------------------------------------------------

export const ROUTE_RULES: readonly RouteRule[] = [
  // Known sites: the strongest evidence, because the site's business model decides the route.
  { route: 'review_platform', points: 10, domains: REVIEW_PLATFORMS },
  { route: 'paid_listing', points: 10, domains: PAID_PLATFORMS },
  { route: 'free_listing', points: 10, domains: FREE_DIRECTORIES },
  { route: 'community_profile', points: 10, domains: COMMUNITY_SITES },

  // Government and education: lists of licensed contractors, rebate or apprenticeship partners.
  { route: 'institutional_list', points: 2, suffixes: ['gov', 'mil', 'edu', 'k12', 'ac', 'gouv', 'gob'] },
  { route: 'institutional_list', points: 4, categories: ['government', 'education'], path: INSTITUTIONAL_WORDS },
  { route: 'institutional_list', points: 2, categories: ['government', 'education'], title: INSTITUTIONAL_WORDS },
  { route: 'institutional_list', points: 1, categories: ['government', 'education'] },
  // Utilities and programs on ordinary domains keep such lists too.
  { route: 'institutional_list', points: 5, path: ['participating contractors', 'rebate*', 'approved contractors', 'licensed contractors', 'registered contractors', 'apprenticeship*', 'license lookup', 'license search'] },

  // Chambers and associations: the member directory (ChamberMaster/GrowthZone paths /list/member/, /list/ql/).
  { route: 'membership', points: 5, path: MEMBER_WORDS },
  { route: 'membership', points: 8, categories: ['chamber_or_association'], path: MEMBER_WORDS },
  { route: 'membership', points: 2, title: ['member*', 'chamber directory', 'join the chamber'] },
  { route: 'membership', points: 3, host: ['members', 'member', 'business', 'directory', 'web'], categories: ['chamber_or_association'] },
  { route: 'membership', points: 6, categories: ['chamber_or_association'], path: [...DIRECTORY_WORDS, 'list', ...TRADE_WORDS] },
  { route: 'membership', points: 1, anchor: ['member*'] },
  { route: 'membership', points: 1, categories: ['chamber_or_association'] },

  // Bought placement: "featured/sponsored/premium" on a listing, or rel="sponsored".
  { route: 'paid_listing', points: 6, path: PAID_WORDS },
  { route: 'paid_listing', points: 5, title: PAID_WORDS },
  { route: 'paid_listing', points: 2, anchor: ['featured', 'sponsored', 'premium', 'advertisement', 'ad'] },
  { route: 'paid_listing', points: 4, rel: 'sponsored' },
  // A paid signal on a directory page outweighs the listing words around it ("Premium Listing").
  { route: 'paid_listing', points: 7, categories: ['directory'], title: PAID_WORDS },
  { route: 'paid_listing', points: 7, categories: ['directory'], path: PAID_WORDS },

  // Free listings: a directory's listing, category or search page.
  { route: 'free_listing', points: 3, path: DIRECTORY_WORDS },
  { route: 'free_listing', points: 3, categories: ['directory'], path: [...TRADE_WORDS, 'profile*', 'list'] },
  { route: 'free_listing', points: 3, title: ['directory', 'listing', 'listings', 'yellow pages', 'yellow book', 'yp', 'biz list', 'business directory', 'business listings', 'near me'] },
  { route: 'free_listing', points: 1, categories: ['directory'] },
  { route: 'free_listing', points: 2, path: ['plumbers', 'electricians', 'roofers', 'contractors', 'dentists', 'lawyers', 'attorneys', 'restaurants', 'movers', 'landscapers', 'cleaners'] },

  // Review pages on sites not known as review platforms.
  { route: 'review_platform', points: 3, path: REVIEW_WORDS },
  { route: 'review_platform', points: 2, title: ['reviews', 'ratings', 'rated', 'complaints'] },

  // Editorial: dated, blog, news and guide pages on news sites and blogs.
  { route: 'editorial', points: 3, path: EDITORIAL_WORDS },
  { route: 'editorial', points: 2, title: ['best', 'top', 'guide', 'how to', 'tips', 'what to', 'why', 'vs', 'ways', 'news', 'blog', 'announces', 'review of'] },
  { route: 'editorial', points: 1, categories: ['news_media', 'blog'] },
  { route: 'editorial', points: 4, categories: ['news_media', 'blog'], path: ['{year}', 'blog', 'news', 'article*', 'story', 'stories', 'post', 'posts'] },

  // Resource and links pages.
  { route: 'resource_page', points: 5, path: RESOURCE_WORDS },
  { route: 'resource_page', points: 3, title: ['resources', 'resource', 'useful links', 'helpful links', 'links', 'recommended', 'local links'] },

  // Sponsorships and events: sponsor walls, tournaments, galas, teams.
  { route: 'sponsorship_or_event', points: 5, path: SPONSOR_WORDS },
  { route: 'sponsorship_or_event', points: 4, title: SPONSOR_WORDS },
  { route: 'sponsorship_or_event', points: 3, label: ['booster', 'marathon', 'festival', 'league', 'tournament', 'gala', 'classic'] },
  { route: 'sponsorship_or_event', points: 2, anchor: ['sponsor*', 'sponsored by', 'presented by', 'thanks to'] },

  // Partners, dealers, installers, suppliers' "find a pro" pages, customer and case-study lists.
  { route: 'partner_or_supplier', points: 4, path: PARTNER_WORDS },
  { route: 'partner_or_supplier', points: 3, title: PARTNER_WORDS },
  { route: 'partner_or_supplier', points: 4, categories: ['industry'], path: ['pros', 'contractors', 'plumbers', 'electricians', 'roofers', 'installers'] },
  { route: 'partner_or_supplier', points: 1, anchor: ['partner*', 'dealer', 'installer', 'authorized', 'certified'] },

  // Forums, user-generated content and profiles.
  { route: 'community_profile', points: 4, path: COMMUNITY_WORDS },
  { route: 'community_profile', points: 3, host: ['forum*', 'community', 'communities', 'discuss', 'boards', 'answers'] },
  { route: 'community_profile', points: 2, title: ['forum*', 'thread', 'discussion', 'community', 'profile', 'neighbors', 'recommendations wanted', 'anyone'] },
  { route: 'community_profile', points: 4, categories: ['forum_or_community'], path: ['member*', 'user*', 'profile*'] },
  { route: 'community_profile', points: 2, categories: ['forum_or_community', 'platform_or_social'] },
  { route: 'community_profile', points: 2, rel: 'ugc' },
];
