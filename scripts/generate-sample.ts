// Generates the bundled synthetic sample (data/sample/links.csv and domains.csv): plumbers in
// Austin, TX. Deterministic: a seeded PRNG and fixed lists, so two runs give byte-identical files.
// Run with `npx tsx scripts/generate-sample.ts`.

import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { mulberry32 } from '../bench/random.js';

export const YOUR_DOMAIN = 'bluebonnetplumbing.com';
export const COMPETITORS = [
  'austinplumbingco.com',
  'capitalcityplumbers.com',
  'lonestarrooter.com',
  'hillcountryplumbing.com',
  'eastsidepipeworks.com',
] as const;

type Kind =
  | 'chamber'
  | 'directory_major'
  | 'directory'
  | 'news'
  | 'blog'
  | 'education'
  | 'government'
  | 'forum'
  | 'industry'
  | 'platform'
  | 'spam';

interface Referrer {
  /** Host the links come from (may be a subdomain, e.g. a blogspot blog or www.). */
  host: string;
  kind: Kind;
  /** Authority 0-100, absent when the sample leaves it unknown. */
  authority?: number;
  spam?: number;
}

const random = mulberry32(78_704); // an Austin ZIP code
const between = (low: number, high: number) => low + Math.floor(random() * (high - low + 1));
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

const HANDMADE: Array<[string, Kind]> = [
  ['www.austinchamber-commerce.org', 'chamber'],
  ['www.greateraustinbusiness.org', 'chamber'],
  ['roundrockchamber.org', 'chamber'],
  ['www.cedarparkchamber.org', 'chamber'],
  ['www.pflugervillechamber.org', 'chamber'],
  ['www.texasplumbingcontractors.org', 'chamber'],
  ['www.centraltexasbuilders.org', 'chamber'],
  ['www.yelp.com', 'directory_major'],
  ['www.bbb.org', 'directory_major'],
  ['www.angi.com', 'directory_major'],
  ['www.thumbtack.com', 'directory_major'],
  ['www.homeadvisor.com', 'directory_major'],
  ['www.yellowpages.com', 'directory_major'],
  ['www.atxbizlist.com', 'directory'],
  ['austinlocaldirectory.com', 'directory'],
  ['www.hillcountryservices.net', 'directory'],
  ['www.texastradepros.com', 'directory'],
  ['www.bestplumbersaustin.com', 'directory'],
  ['www.localhomepros.co', 'directory'],
  ['www.cityfinder-austin.com', 'directory'],
  ['www.centraltexasyellowbook.com', 'directory'],
  ['www.atxdailynews.com', 'news'],
  ['www.austinhomesmagazine.com', 'news'],
  ['www.centraltexastribune.com', 'news'],
  ['www.eastaustinweekly.com', 'news'],
  ['www.roundrockleader.net', 'news'],
  ['www.texashomeandgarden.com', 'news'],
  ['www.kxan-style-news.com', 'news'],
  ['www.austin-business-journal.net', 'news'],
  ['www.austincc.edu', 'education'],
  ['www.txtradeschool.edu', 'education'],
  ['library.austincc.edu', 'education'],
  ['www.austintexas.gov', 'government'],
  ['www.traviscountytx.gov', 'government'],
  ['tceq.texas.gov', 'government'],
  ['www.reddit.com', 'forum'],
  ['nextdoor.com', 'forum'],
  ['www.austinhomeownersforum.com', 'forum'],
  ['www.diyplumbingforum.net', 'forum'],
  ['www.houzz.com', 'forum'],
  ['www.texaspipesupply.com', 'industry'],
  ['www.plumbingsupplyhub.com', 'industry'],
  ['www.waterheaterpros.net', 'industry'],
  ['www.tanklesswaterguide.com', 'industry'],
  ['www.pexfittingsdirect.com', 'industry'],
  ['www.greenplumbingcouncil.org', 'industry'],
  ['www.facebook.com', 'platform'],
  ['x.com', 'platform'],
  ['www.youtube.com', 'platform'],
  ['www.instagram.com', 'platform'],
  ['www.linkedin.com', 'platform'],
  ['bit.ly', 'platform'],
  ['www.pinterest.com', 'platform'],
  ['austinfixitmom.blogspot.com', 'blog'],
  ['atxhomeowner.blogspot.com', 'blog'],
  ['hillcountryliving.wordpress.com', 'blog'],
  ['texasdiyguy.wordpress.com', 'blog'],
  ['keepaustinhandy.wordpress.com', 'blog'],
  ['www.best-seo-links4u.xyz', 'spam'],
  ['casino-royal-bonus.top', 'spam'],
  ['www.free-backlinks-farm.info', 'spam'],
  ['cheap-pills-online.biz', 'spam'],
  ['www.link-network-pro.click', 'spam'],
  ['www.slot-jackpot-casino.icu', 'spam'],
  ['directory-submit-4000.xyz', 'spam'],
];

const LOCAL_WORDS = ['austin', 'atx', 'barton', 'mueller', 'zilker', 'travis', 'bluebonnet', 'cedar', 'lakeway', 'pflugerville', 'hyde-park', 'bouldin', 'manor', 'leander', 'buda', 'kyle'];
const BLOG_WORDS = ['homefix', 'renovation', 'diy', 'home', 'fixerupper', 'handyman', 'remodel', 'cozyhome', 'newhomeowner', 'househacks', 'texasliving', 'greenliving'];
const BLOG_SUFFIXES = ['journal', 'notes', 'diary', 'life', 'blog', 'stories', 'corner', 'weekly'];
const BUSINESS_WORDS = ['realty', 'roofing', 'hvac', 'landscaping', 'electric', 'remodeling', 'property-management', 'movers', 'pest-control', 'cleaning', 'painting', 'homebuilders'];
const TLDS = ['com', 'com', 'com', 'net', 'org', 'co', 'us'];

/** Generated long tail: local businesses, personal blogs, community sites. */
function generatedReferrers(count: number, taken: Set<string>): Array<[string, Kind]> {
  const out: Array<[string, Kind]> = [];
  while (out.length < count) {
    const roll = random();
    let host: string;
    let kind: Kind;
    if (roll < 0.45) {
      host = `${pick(LOCAL_WORDS)}${pick(BUSINESS_WORDS)}.${pick(TLDS)}`;
      kind = 'directory';
      if (random() < 0.7) kind = 'blog';
    } else if (roll < 0.8) {
      host = `${pick(BLOG_WORDS)}${pick(BLOG_SUFFIXES)}.${pick(TLDS)}`;
      kind = 'blog';
    } else if (roll < 0.88) {
      host = `${pick(BLOG_WORDS)}${pick(LOCAL_WORDS).replace('-', '')}.${pick(['blogspot.com', 'wordpress.com'])}`;
      kind = 'blog';
    } else if (roll < 0.95) {
      host = `${pick(LOCAL_WORDS)}neighbors.${pick(['org', 'net', 'com'])}`;
      kind = 'forum';
    } else {
      host = `${pick(LOCAL_WORDS)}${pick(['news', 'insider', 'scene', 'gazette'])}.com`;
      kind = 'news';
    }
    if (!host.includes('blogspot') && !host.includes('wordpress') && random() < 0.6) host = `www.${host}`;
    const bare = host.replace(/^www\./, '');
    if (taken.has(bare)) continue;
    taken.add(bare);
    out.push([host, kind]);
  }
  return out;
}

const AUTHORITY: Record<Kind, [number, number]> = {
  chamber: [38, 62],
  directory_major: [82, 94],
  directory: [14, 42],
  news: [35, 72],
  blog: [6, 38],
  education: [62, 80],
  government: [70, 88],
  forum: [25, 60],
  industry: [22, 55],
  platform: [92, 100],
  spam: [1, 18],
};
const SPAM: Record<Kind, [number, number]> = {
  chamber: [0, 3],
  directory_major: [0, 2],
  directory: [1, 18],
  news: [0, 5],
  blog: [1, 22],
  education: [0, 1],
  government: [0, 1],
  forum: [1, 8],
  industry: [0, 9],
  platform: [0, 2],
  spam: [62, 97],
};
/** Chance a referrer of this kind links to each competitor, and to you. */
const REACH: Record<Kind, { each: number; you: number }> = {
  chamber: { each: 0.85, you: 0.3 },
  directory_major: { each: 0.95, you: 0.6 },
  directory: { each: 0.3, you: 0.25 },
  news: { each: 0.22, you: 0.12 },
  blog: { each: 0.18, you: 0.1 },
  education: { each: 0.3, you: 0.1 },
  government: { each: 0.35, you: 0.2 },
  forum: { each: 0.45, you: 0.3 },
  industry: { each: 0.3, you: 0.15 },
  platform: { each: 0.9, you: 0.85 },
  spam: { each: 0.45, you: 0.2 },
};
const NOFOLLOW: Record<Kind, number> = {
  chamber: 0.2,
  directory_major: 0.85,
  directory: 0.35,
  news: 0.3,
  blog: 0.15,
  education: 0.1,
  government: 0.1,
  forum: 0.9,
  industry: 0.3,
  platform: 0.95,
  spam: 0.05,
};
const SECTIONS: Record<Kind, string[]> = {
  chamber: ['members', 'directory/home-services', 'member-spotlight'],
  directory_major: ['biz', 'listing', 'profile', 'search/plumbers-austin-tx'],
  directory: ['listing', 'plumbers', 'austin/home-services', 'company'],
  news: ['2025/home', 'business', 'real-estate', 'guides'],
  blog: ['2024', '2025', 'posts', 'diy'],
  education: ['continuing-ed/plumbing', 'workforce/partners', 'apprenticeships'],
  government: ['water/rebates', 'development/licensed-contractors', 'utilities/partners'],
  forum: ['r/Austin/comments', 'thread', 'topic', 'discussion'],
  industry: ['pros', 'installers', 'dealers/texas', 'case-studies'],
  platform: ['pages', 'posts', 'watch', 'p'],
  spam: ['links', 'partners', 'seo', 'out'],
};
// Page slugs per kind of site, so linking pages read as they do on real sites (a chamber's member
// directory, a news round-up, a forum thread) and acquisition routes are visible in the sample. Every
// list has 15 entries and is drawn from with one random number, as the single list before it was, so
// which sites link where, how often and with which anchors is unchanged.
const SLUGS: Record<Kind, string[]> = {
  chamber: ['plumbing-contractors', 'home-services', 'plumbers', 'contractors', 'member-listing', 'home-improvement', 'trades', 'new-members', 'plumbing', 'service-providers', 'featured-members', 'business-listing', 'home-repair', 'member-benefits', 'sponsors-2025'],
  directory_major: ['austin-tx-plumbers', 'plumbers-near-me', 'emergency-plumbers', 'water-heater-repair', 'drain-cleaning', 'austin-plumbing', 'plumbing-services', 'leak-detection', 'sewer-repair', 'top-rated-plumbers', 'plumbers-austin', 'repiping', 'tankless-installers', 'slab-leak-repair', 'best-plumbers'],
  directory: ['plumbers', 'plumbing-company', 'add-listing', 'free-listing', 'austin-plumbers', 'home-services', 'contractors', 'local-business', 'plumbing', 'listing-details', 'business-profile', 'service-pros', 'company-profile', 'trades', 'categories-plumbing'],
  news: ['best-plumbers-in-austin', 'how-to-choose-a-plumber', 'winter-freeze-burst-pipes', 'local-business-roundup', 'water-heater-rebates', 'slab-leaks-explained', 'small-business-spotlight', 'home-repair-guide', 'plumbing-costs-2025', 'storm-damage-tips', 'new-businesses-open', 'hard-water-austin', 'readers-choice-awards', 'emergency-repairs', 'sponsored-home-guide'],
  blog: ['how-we-fixed-our-water-heater', 'recommended-plumbers', 'burst-pipe-story', 'diy-drain-tips', 'winter-freeze-prep', 'remodel-diary', 'our-favorite-local-pros', 'tankless-review', 'slab-leak-nightmare', 'hard-water-fixes', 'top-10-home-fixes', 'bathroom-remodel', 'resources', 'helpful-links', 'emergency-plumber-story'],
  education: ['apprenticeship-partners', 'employer-partners', 'industry-partners', 'program-sponsors', 'plumbing-program', 'advisory-board', 'internship-employers', 'career-fair-employers', 'workforce-partners', 'hiring-partners', 'trade-program', 'continuing-education', 'donors', 'partner-employers', 'scholarship-sponsors'],
  government: ['licensed-contractors', 'approved-plumbers', 'rebate-participating-contractors', 'registered-contractors', 'backflow-testers', 'water-conservation-partners', 'contractor-list', 'licensed-plumbers', 'permit-holders', 'approved-installers', 'participating-contractors', 'utility-partners', 'vendor-list', 'certified-testers', 'contractor-directory'],
  forum: ['anyone-recommend-a-plumber', 'plumber-recommendations', 'burst-pipe-help', 'water-heater-advice', 'good-plumber-austin', 'slab-leak-experience', 'who-do-you-use', 'plumbing-question', 'emergency-plumber-needed', 'drain-clog-help', 'reliable-plumber', 'tankless-worth-it', 'repipe-quotes', 'hard-water-solutions', 'plumber-reviews'],
  industry: ['certified-installers', 'dealer-locator', 'find-a-pro', 'partner-plumbers', 'authorized-dealers', 'installer-directory', 'case-study', 'pro-network', 'preferred-contractors', 'certified-pros', 'where-to-buy', 'trade-partners', 'installer-spotlight', 'member-companies', 'find-an-installer'],
  platform: ['profile', 'about', 'posts', 'videos', 'reviews', 'photos', 'page', 'info', 'community', 'services', 'updates', 'events', 'channel', 'board', 'pins'],
  spam: ['link-exchange', 'seo-links', 'cheap-backlinks', 'partners-links', 'web-directory', 'submit-url', 'link-list', 'resources-links', 'seo-directory', 'top-links', 'out-links', 'buy-links', 'links-page', 'sites', 'friends'],
};
const TARGET_PAGES = ['/', '/', '/', '/water-heater-repair', '/drain-cleaning', '/emergency-plumbing', '/about', '/contact', '/reviews', '/slab-leak-detection'];
const BRAND: Record<string, string> = {
  'austinplumbingco.com': 'Austin Plumbing Co',
  'capitalcityplumbers.com': 'Capital City Plumbers',
  'lonestarrooter.com': 'Lone Star Rooter',
  'hillcountryplumbing.com': 'Hill Country Plumbing',
  'eastsidepipeworks.com': 'Eastside Pipeworks',
  'bluebonnetplumbing.com': 'Bluebonnet Plumbing',
};
const GENERIC_ANCHORS = ['plumber in Austin', 'Austin plumbers', 'water heater repair', 'drain cleaning', 'emergency plumber', 'click here', 'website', 'read more', 'this company', ''];

const START = Date.UTC(2024, 0, 1);
const LAST_DAY = Math.floor((Date.UTC(2026, 5, 30) - START) / 86_400_000);
const isoDay = (day: number) => new Date(START + day * 86_400_000).toISOString().slice(0, 10);

function csvField(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

interface Row {
  source_url: string;
  target_url: string;
  anchor: string;
  nofollow: boolean;
  first_seen: string;
  last_seen: string;
}

function linksFrom(referrer: Referrer, target: string, count: number): Row[] {
  const rows: Row[] = [];
  for (let index = 0; index < count; index++) {
    const slug = `${pick(SLUGS[referrer.kind]!)}-${between(1, 99)}`;
    const section = pick(SECTIONS[referrer.kind]!);
    const sourceUrl = `https://${referrer.host}/${section}/${slug}`;
    const page = pick(TARGET_PAGES);
    const targetHost = random() < 0.8 ? `www.${target}` : target;
    const roll = random();
    const brand = BRAND[target]!;
    let anchor: string;
    if (roll < 0.35) anchor = brand;
    else if (roll < 0.45) anchor = `${target}`;
    else if (roll < 0.5) anchor = `${brand}, Austin TX`;
    else if (roll < 0.53) anchor = `"${brand}" reviews`;
    else anchor = pick(GENERIC_ANCHORS);
    const first = between(0, LAST_DAY - 30);
    const last = Math.min(LAST_DAY, first + between(14, 500));
    rows.push({
      source_url: sourceUrl,
      target_url: `https://${targetHost}${page}`,
      anchor,
      nofollow: random() < NOFOLLOW[referrer.kind],
      first_seen: isoDay(first),
      last_seen: isoDay(last),
    });
  }
  return rows;
}

export function generateSample(): { links: string; domains: string; stats: Record<string, number> } {
  const taken = new Set(HANDMADE.map(([host]) => host.replace(/^www\./, '')));
  const all = [...HANDMADE, ...generatedReferrers(215, taken)];
  const referrers: Referrer[] = all.map(([host, kind]) => {
    const [low, high] = AUTHORITY[kind];
    const [spamLow, spamHigh] = SPAM[kind];
    // About one in nine referring domains has no figures: their authority is unknown, not 0.
    const unknown = kind !== 'directory_major' && kind !== 'platform' && random() < 0.11;
    return {
      host,
      kind,
      ...(!unknown && { authority: between(low, high), spam: between(spamLow, spamHigh) }),
    };
  });

  const rows: Row[] = [];
  for (const referrer of referrers) {
    const reach = REACH[referrer.kind];
    let targets = COMPETITORS.filter(() => random() < reach.each);
    if (targets.length === 0) targets = [pick(COMPETITORS)];
    const all = random() < reach.you ? [...targets, YOUR_DOMAIN] : targets;
    for (const target of all) {
      const heavy = referrer.kind === 'directory_major' || referrer.kind === 'platform' || referrer.kind === 'spam';
      rows.push(...linksFrom(referrer, target, heavy ? between(1, 4) : between(1, 2)));
    }
  }
  // A partner link between two competitors: a source the gap must leave out.
  rows.push({
    source_url: 'https://www.austinplumbingco.com/partners',
    target_url: 'https://www.capitalcityplumbers.com/',
    anchor: 'Capital City Plumbers',
    nofollow: false,
    first_seen: '2024-05-02',
    last_seen: '2026-03-11',
  });
  // A few links from one page to several competitors (a "best plumbers" roundup).
  for (const target of COMPETITORS.slice(0, 4)) {
    rows.push({
      source_url: 'https://www.atxdailynews.com/guides/best-plumbers-in-austin-2025',
      target_url: `https://www.${target}/`,
      anchor: BRAND[target]!,
      nofollow: false,
      first_seen: '2025-02-10',
      last_seen: '2026-05-30',
    });
  }

  const header = 'source_url,target_url,anchor,nofollow,first_seen,last_seen';
  const links = `${[
    header,
    ...rows.map((row) =>
      [row.source_url, row.target_url, row.anchor, row.nofollow ? 'true' : 'false', row.first_seen, row.last_seen]
        .map(csvField)
        .join(','),
    ),
  ].join('\n')}\n`;

  const registrable = (host: string) => host.replace(/^(www|library|tceq)\./, '');
  const seen = new Set<string>();
  const domainRows = ['domain,authority,spam_score,backlinks,referring_domains'];
  for (const referrer of referrers) {
    const domain = registrable(referrer.host);
    if (seen.has(domain) || referrer.authority === undefined) continue;
    seen.add(domain);
    const backlinks = Math.round(referrer.authority ** 2.6 * (1 + random()));
    const referring = Math.max(1, Math.round(backlinks / between(8, 40)));
    domainRows.push(`${domain},${referrer.authority},${referrer.spam},${backlinks},${referring}`);
  }
  for (const [domain, authority] of [
    [YOUR_DOMAIN, 18],
    ['austinplumbingco.com', 34],
    ['capitalcityplumbers.com', 29],
    ['lonestarrooter.com', 25],
    ['hillcountryplumbing.com', 22],
    ['eastsidepipeworks.com', 16],
  ] as const) {
    domainRows.push(`${domain},${authority},1,${authority * 40},${authority * 4}`);
  }
  const domains = `${domainRows.join('\n')}\n`;
  return {
    links,
    domains,
    stats: {
      referring_hosts: referrers.length,
      links: rows.length,
      domains_with_figures: seen.size,
      unknown_authority: referrers.filter((referrer) => referrer.authority === undefined).length,
    },
  };
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const folder = new URL('../data/sample/', import.meta.url);
  const { links, domains, stats } = generateSample();
  writeFileSync(new URL('links.csv', folder), links);
  writeFileSync(new URL('domains.csv', folder), domains);
  process.stderr.write(`wrote data/sample: ${JSON.stringify(stats)}, ${links.length + domains.length} bytes\n`);
}
