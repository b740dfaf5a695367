import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type Category, type ProspectCore, ROUTES, type Route } from '../../src/domain.js';
import { rankProspects } from '../../src/analysis/rank.js';
import { ROUTE_INFO, ROUTE_PRECEDENCE, ROUTE_RULES } from '../../src/analysis/route-rules.js';
import { decideRoute, outreachReasons, pagesOf, routeHowTo, routeOf } from '../../src/analysis/routes.js';
import { categorize } from '../../src/analysis/categories.js';
import { FIXTURES, HELD_OUT, routeOfFixture } from '../helpers/route-fixtures.js';

describe('route fixtures (test/fixtures/routes/pages.json)', () => {
  it('has at least 150 pages, every route but unknown at least 10 times, each with the category its domain gets', () => {
    expect(FIXTURES.length).toBeGreaterThanOrEqual(150);
    for (const route of ROUTES) {
      const count = FIXTURES.filter((fixture) => fixture.route === route).length;
      expect(count, route).toBeGreaterThanOrEqual(route === 'unknown' ? 5 : 10);
    }
    for (const fixture of [...FIXTURES, ...HELD_OUT]) expect(fixture.category, fixture.url).toBe(categorize(fixture.domain, [fixture.title]));
  });

  it.each(FIXTURES.map((fixture) => [fixture.route, fixture.url, fixture] as const))('%s: %s', (route, _url, fixture) => {
    expect(routeOfFixture(fixture).route).toBe(route);
  });
});

describe('held-out route fixtures (test/fixtures/routes/held-out.json)', () => {
  it('are decided right at least 80% of the time (measured, not tuned for: BENCHMARKS.md lists the misses)', () => {
    const right = HELD_OUT.filter((fixture) => routeOfFixture(fixture).route === fixture.route).length;
    expect(right / HELD_OUT.length).toBeGreaterThanOrEqual(0.8);
  });
});

describe('route rules (src/analysis/route-rules.ts)', () => {
  it('give every route a label, a verb and one line of how such a link is obtained', () => {
    for (const route of ROUTES) {
      expect(ROUTE_INFO[route].label).not.toBe('');
      expect(routeHowTo(route)).toMatch(/^[A-Z].{20,160}\.$/);
      expect(routeHowTo(route)).not.toContain('\n');
    }
    expect([...ROUTE_PRECEDENCE].sort()).toEqual([...ROUTES].sort());
  });

  it('are the lines the README lists, route by route', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    for (const route of ROUTES) expect(readme).toContain(`| \`${route}\` | ${routeHowTo(route)} |`);
  });

  it('are phrases of plain words, `*`-ended words or {year}, so the matcher reads them as written', () => {
    for (const rule of ROUTE_RULES) {
      for (const phrase of [...(rule.path ?? []), ...(rule.title ?? []), ...(rule.anchor ?? []), ...(rule.host ?? [])]) {
        for (const word of phrase.split(' ')) expect(word, phrase).toMatch(/^([a-z0-9]+\*?|\{year\})$/);
      }
      expect(rule.points).toBeGreaterThan(0);
    }
  });
});

describe('decideRoute', () => {
  const page = (url: string, extra: { title?: string; anchor?: string } = {}) => ({ url, ...extra });

  it('keeps the evidence as short strings, strongest first', () => {
    const decision = decideRoute({ domain: 'austinchamber.org', category: 'chamber_or_association', pages: [page('https://www.austinchamber.org/members/home-services')] });
    expect(decision.route).toBe('membership');
    expect(decision.evidence[0]).toBe('path /members/home-services (category chamber_or_association)');
    expect(decideRoute({ domain: 'yelp.com', category: 'directory', pages: [] }).evidence).toEqual(['domain yelp.com']);
  });

  it('lets a known site decide over its page words (a BBB category page is still a review platform)', () => {
    const decision = decideRoute({ domain: 'bbb.org', category: 'directory', pages: [page('https://www.bbb.org/us/tx/austin/category/plumber', { title: 'Plumber near Austin, TX' })] });
    expect(decision.route).toBe('review_platform');
  });

  it('reads featured/sponsored/premium and rel="sponsored" as a bought placement', () => {
    expect(decideRoute({ domain: 'atxbizlist.com', category: 'other', pages: [page('https://www.atxbizlist.com/featured/plumbers')] }).route).toBe('paid_listing');
    const sponsored = decideRoute({ domain: 'hillcountryservices.net', category: 'other', pages: [{ url: 'https://www.hillcountryservices.net/listing/a-co', rel: { sponsored: true } }] });
    expect(sponsored.route).toBe('paid_listing');
    expect(sponsored.evidence).toContain('rel sponsored');
  });

  it('gives a suspected spam site no route, whatever its pages say', () => {
    const decision = decideRoute({ domain: 'free-backlinks-farm.info', category: 'suspect_spam', pages: [page('https://free-backlinks-farm.info/resources')] });
    expect(decision).toMatchObject({ route: 'unknown', evidence: ['category suspect_spam: no outreach route'] });
  });

  it('says unknown, with no evidence, when nothing points anywhere', () => {
    expect(decideRoute({ domain: 'smithfamily.net', category: 'other', pages: [] })).toMatchObject({ route: 'unknown', evidence: [] });
    expect(decideRoute({ domain: 'smithfamily.net', category: 'other', pages: [page('not a url at all')] }).route).toBe('unknown');
  });

  it('falls back on the category when no page is known (a news site: editorial)', () => {
    expect(decideRoute({ domain: 'kxan.com', category: 'news_media', pages: [] }).route).toBe('editorial');
    expect(decideRoute({ domain: 'austintexas.gov', category: 'government', pages: [] }).route).toBe('institutional_list');
  });

  it('weighs every linking page of the prospect: a chamber with member pages and one sponsor page is a membership', () => {
    const decision = decideRoute({
      domain: 'roundrockchamber.org',
      category: 'chamber_or_association',
      pages: [page('https://roundrockchamber.org/members/home-services'), page('https://roundrockchamber.org/events/gala/sponsors')],
    });
    expect(decision.route).toBe('membership');
    expect(decision.points.sponsorship_or_event).toBeGreaterThan(0);
  });
});

describe('pagesOf', () => {
  it('takes each competitor’s best page first, then the example pages not already there, then bare titles', () => {
    const pages = pagesOf({
      by_competitor: { 'a.com': { page: { url: 'https://x.org/members/a', title: 'Members', anchor: 'A', rel: { nofollow: true } } }, 'b.com': { links: 2 } },
      source_pages: ['https://x.org/members/a', 'https://x.org/members/b'],
      titles: ['Member directory'],
    });
    expect(pages).toEqual([
      { url: 'https://x.org/members/a', title: 'Members', anchor: 'A', rel: { nofollow: true } },
      { url: 'https://x.org/members/b' },
      { title: 'Member directory' },
    ]);
  });
});

describe('outreach reasons', () => {
  const COMPETITORS = ['a.com', 'b.com', 'c.com', 'd.com', 'e.com'];
  const onPage = (url: string) => ({ links: 2, dofollow_links: 2, page: { url, anchor: 'Visit website' } });

  it('say where the prospect lists the competitors and what kind of page it is, not the row again', () => {
    const core: ProspectCore = {
      domain: 'austinchamber.org',
      competitors: ['a.com', 'b.com', 'c.com', 'd.com'],
      authority: 88,
      backlinks: 8,
      dofollow_links: 6,
      dofollow: true,
      by_competitor: Object.fromEntries(['a.com', 'b.com', 'c.com', 'd.com'].map((competitor) => [competitor, onPage('https://www.austinchamber.org/members/home-services')])),
      found_by: ['local'],
    };
    const [prospect] = rankProspects([core], COMPETITORS);
    expect(prospect).toMatchObject({ route: 'membership', route_evidence: ['path /members/home-services (category chamber_or_association)'] });
    expect(prospect!.reasons).toEqual(['lists 4 of 5 competitors on /members/home-services: membership directory', 'dofollow 6 of 8 links']);
    expect(prospect!.reasons!.join(' ')).not.toContain('authority');
  });

  it('name the section competitors share, the one competitor when there is one, and the site when no page is known', () => {
    const reasonsOf = (core: ProspectCore, category: Category = 'other') =>
      outreachReasons({ core, linked: core.competitors, competitorCount: 5, category, decision: routeOf(core, category) });
    const yelp: ProspectCore = { domain: 'yelp.com', competitors: ['a.com', 'b.com'], dofollow: false, source_pages: ['https://www.yelp.com/biz/a-co', 'https://www.yelp.com/biz/b-co'], found_by: ['local'] };
    expect(reasonsOf(yelp, 'directory')).toEqual(['lists 2 of 5 competitors under /biz/: review profile', 'nofollow only: referral and citation value']);
    const news: ProspectCore = { domain: 'kxan.com', competitors: ['c.com'], found_by: ['local'] };
    expect(reasonsOf(news, 'news_media')).toEqual(['mentions c.com on kxan.com: article']);
    const titled: ProspectCore = { domain: 'example.org', competitors: ['a.com'], titles: ['Our Sponsors'], found_by: ['local'] };
    expect(reasonsOf(titled)).toEqual(['thanks a.com on example.org: sponsor or event page', 'seen: title "Our Sponsors"']);
  });

  it('warn before asking a spammy site, and give a suspected spam one no route', () => {
    const [spam] = rankProspects([{ domain: 'casino-bonus.top', competitors: ['a.com'], spam_score: 80, source_pages: ['https://casino-bonus.top/links'], found_by: ['local'] }], COMPETITORS);
    expect(spam).toMatchObject({ category: 'suspect_spam', route: 'unknown' });
    expect(spam!.reasons).toEqual(['links to a.com on /links', 'suspected spam: a link from it can hurt; skip it']);
  });

  it('set a route and evidence on every ranked prospect', () => {
    const cores: ProspectCore[] = ['yelp.com', 'kxan.com', 'smithfamily.net', 'austintexas.gov'].map((domain) => ({ domain, competitors: ['a.com'], found_by: ['local'] }));
    for (const prospect of rankProspects(cores, COMPETITORS)) {
      expect(ROUTES).toContain(prospect.route as Route);
      expect(Array.isArray(prospect.route_evidence)).toBe(true);
    }
  });
});
