import { describe, expect, it } from 'vitest';
import { categorize, isPlatform } from '../../src/analysis/categories.js';
import type { Category } from '../../src/domain.js';

/** Real-world-shaped referring domains of a local home-services business, with the category an SEO would give them. */
const FIXTURES: ReadonlyArray<readonly [string, Category]> = [
  // chamber_or_association
  ['austinchamber.com', 'chamber_or_association'],
  ['plumbingcontractorsassociation.org', 'chamber_or_association'],
  ['phccassn.org', 'chamber_or_association'],
  ['texasbuildersguild.org', 'chamber_or_association'],
  ['austinhomebuildersfederation.org', 'chamber_or_association'],
  ['roundrockchamber.org', 'chamber_or_association'],
  ['greenbuildingcouncil.org', 'chamber_or_association'],
  // directory
  ['yelp.com', 'directory'],
  ['yelp.co.uk', 'directory'],
  ['bbb.org', 'directory'],
  ['angi.com', 'directory'],
  ['homeadvisor.com', 'directory'],
  ['thumbtack.com', 'directory'],
  ['yellowpages.com', 'directory'],
  ['superpages.com', 'directory'],
  ['manta.com', 'directory'],
  ['hotfrog.com', 'directory'],
  ['cylex-usa.com', 'directory'],
  ['austinlocalplumbers.com', 'directory'],
  ['plumbersnearme.net', 'directory'],
  ['bestofaustin.com', 'directory'],
  ['findaplumber.com', 'directory'],
  ['austinbusinessdirectory.net', 'directory'],
  ['tripadvisor.com', 'directory'],
  ['craigslist.org', 'directory'],
  // news_media
  ['austinmonthly.com', 'news_media'],
  ['kxan.com', 'news_media'],
  ['kvue.com', 'news_media'],
  ['wfaa.com', 'news_media'],
  ['kens5.com', 'news_media'],
  ['wsbtv.com', 'news_media'],
  ['statesman.com', 'news_media'],
  ['bizjournals.com', 'news_media'],
  ['houstonchronicle.com', 'news_media'],
  ['nytimes.com', 'news_media'],
  ['huffpost.com', 'news_media'],
  ['patch.com', 'news_media'],
  ['kutradio.org', 'news_media'],
  ['austinwomanmag.com', 'news_media'],
  ['cnn.com', 'news_media'],
  ['bbc.co.uk', 'news_media'],
  ['prnewswire.com', 'news_media'],
  // education
  ['austincc.edu', 'education'],
  ['utexas.edu', 'education'],
  ['ox.ac.uk', 'education'],
  ['unam.edu.mx', 'education'],
  ['austinisd.org', 'education'],
  ['austinisd.k12.tx.us', 'education'],
  ['plumbingacademy.com', 'education'],
  // government
  ['austintexas.gov', 'government'],
  ['texas.gov', 'government'],
  ['hmrc.gov.uk', 'government'],
  ['army.mil', 'government'],
  ['ci.austin.tx.us', 'government'],
  ['cityofroundrock.com', 'government'],
  ['canada.gc.ca', 'government'],
  // blog
  ['plumbingblog.net', 'blog'],
  ['thehomeownersblog.com', 'blog'],
  // A site on a hosting platform is its owner's: blog hosts' sites are blogs, a site builder's are
  // judged by their own name; the platforms themselves are platforms.
  ['joesplumbing.blogspot.com', 'blog'],
  ['joesplumbing.wordpress.com', 'blog'],
  ['handyhints.substack.com', 'blog'],
  ['janedoe.github.io', 'other'],
  ['austinchamber.wixsite.com', 'chamber_or_association'],
  ['wordpress.com', 'platform_or_social'],
  ['github.io', 'platform_or_social'],
  // platform_or_social
  ['facebook.com', 'platform_or_social'],
  ['instagram.com', 'platform_or_social'],
  ['x.com', 'platform_or_social'],
  ['linkedin.com', 'platform_or_social'],
  ['youtube.com', 'platform_or_social'],
  ['pinterest.co.uk', 'platform_or_social'],
  ['medium.com', 'platform_or_social'],
  ['bit.ly', 'platform_or_social'],
  ['t.co', 'platform_or_social'],
  ['tinyurl.com', 'platform_or_social'],
  ['web.archive.org', 'platform_or_social'],
  ['archive.org', 'platform_or_social'],
  ['archive.ph', 'platform_or_social'],
  ['d1a2b3c4.cloudfront.net', 'platform_or_social'],
  ['jsdelivr.net', 'platform_or_social'],
  ['mycdnhost.com', 'platform_or_social'],
  ['vimeo.com', 'platform_or_social'],
  ['joes-plumbing.myshopify.com', 'industry'],
  // forum_or_community
  ['reddit.com', 'forum_or_community'],
  ['nextdoor.com', 'forum_or_community'],
  ['quora.com', 'forum_or_community'],
  ['diy.stackexchange.com', 'forum_or_community'],
  ['plumbingforums.com', 'forum_or_community'],
  ['hvac-talk.com', 'forum_or_community'],
  ['diychatroom.com', 'forum_or_community'],
  // industry
  ['ferguson-plumbing-supply.com', 'industry'],
  ['austinhvacpros.com', 'industry'],
  ['texasroofingcontractor.com', 'industry'],
  ['pipeandvalve.com', 'industry'],
  ['bathremodelaustin.com', 'industry'],
  ['thehomeimprovementstore.com', 'industry'],
  ['drainmaster-pro.com', 'industry'],
  ['better-plumbing-pros-4u.com', 'industry'],
  // suspect_spam by name
  ['casino-bonus-links.xyz', 'suspect_spam'],
  ['best-casino-directory.com', 'suspect_spam'],
  ['cheap-viagra-now.net', 'suspect_spam'],
  ['seo-links-4u.info', 'suspect_spam'],
  ['free-links-directory.biz', 'suspect_spam'],
  ['bet365.com', 'suspect_spam'],
  ['fast-payday-loans.com', 'suspect_spam'],
  ['quickloans.com', 'suspect_spam'],
  ['top-10-best-deals-online.com', 'suspect_spam'],
  ['austinpoker.club', 'suspect_spam'],
  // ordinary words that contain a category word must stay ordinary
  ['alphabet.com', 'other'],
  ['betterhomes.com', 'other'],
  ['keyboard.com', 'other'],
  ['compostguide.com', 'other'],
  ['sometimesfood.com', 'other'],
  ['wiki.com', 'other'],
  ['kids.com', 'other'],
  ['chamberlain.com', 'other'],
  // punycode's own hyphens are not the name's (xn--bcher-kva.de is bücher.de); a name's are
  ['xn--bcher-kva.de', 'other'],
  ['xn--mnchen-3ya.de', 'other'],
  ['xn--gnstig-kredit-schnell-24-vsc.de', 'suspect_spam'],
  ['example.com', 'other'],
];

describe('categorize', () => {
  it('has at least 60 real-world-shaped fixtures', () => {
    expect(FIXTURES.length).toBeGreaterThanOrEqual(60);
  });

  it.each(FIXTURES)('%s → %s', (domain, expected) => {
    expect(categorize(domain)).toBe(expected);
  });

  it('marks any name suspect_spam when the spam score is 60 or more, and only then', () => {
    expect(categorize('austinchamber.com', undefined, 60)).toBe('suspect_spam');
    expect(categorize('utexas.edu', undefined, 85)).toBe('suspect_spam');
    expect(categorize('austinchamber.com', undefined, 59)).toBe('chamber_or_association');
    expect(categorize('austinchamber.com', undefined, Number.NaN)).toBe('chamber_or_association');
  });

  it('uses titles only when the name says nothing', () => {
    expect(categorize('acme-austin.com', ['Greater Austin Plumbing Contractors Association'])).toBe('chamber_or_association');
    expect(categorize('acme-austin.com', ['Best Plumbers Near Me in Austin'])).toBe('directory');
    expect(categorize('acme-austin.com', ['Water heater repair guide'])).toBe('industry');
    expect(categorize('acme-austin.com', ['Online casino bonuses'])).toBe('suspect_spam');
    expect(categorize('acme-austin.com', ['Welcome'])).toBe('other');
    // The domain wins over a title: a supplier's "Company News" page is not a newspaper.
    expect(categorize('ferguson-plumbing-supply.com', ['Company News'])).toBe('industry');
  });

  it('accepts hosts and URLs as well as registrable domains', () => {
    expect(categorize('https://www.Yelp.com/biz/joes-plumbing')).toBe('directory');
    expect(categorize('WEB.ARCHIVE.ORG')).toBe('platform_or_social');
  });
});

describe('isPlatform', () => {
  it('is true for platform_or_social and suspect_spam only', () => {
    expect(isPlatform('platform_or_social')).toBe(true);
    expect(isPlatform('suspect_spam')).toBe(true);
    for (const category of ['directory', 'news_media', 'blog', 'other', 'government'] as const) expect(isPlatform(category)).toBe(false);
  });
});
