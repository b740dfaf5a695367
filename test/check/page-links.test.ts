// The HTML extractor: links with rel, anchor and context; mailto; contact pages; what is not a link.

import { describe, expect, it } from 'vitest';
import { extractPage, linksTo, redirectCandidates } from '../../src/analysis/page-links.js';

const PAGE = 'https://www.chamber.org/members/plumbing';

describe('extractPage', () => {
  it('resolves hrefs against the page and <base>, keeps rel flags, anchor (or image alt) and the words around the link', () => {
    const page = extractPage(
      `<html><head><title>Members &amp; Friends</title><base href="https://www.chamber.org/dir/"></head><body>
       <p>Long-standing members include <a href="https://Competitor.com/#x" rel="NoFollow UGC">Competitor &amp; Sons</a> of Austin.</p>
       <a href="../about"><img src="x.png" alt="About us"></a>
       <a href="relative/page">Relative</a>
       <a href="javascript:alert(1)">js</a><a href="#top">top</a><a href="tel:+15125550100">call</a>
       <script>document.write('<a href="https://hidden.com/">hidden</a>')</script>
       <noscript><a href="https://noscript.com/">n</a></noscript>
       </body></html>`,
      PAGE,
    );
    expect(page.title).toBe('Members & Friends');
    expect(page.links.map((link) => link.href)).toEqual(['https://competitor.com/', 'https://www.chamber.org/about', 'https://www.chamber.org/dir/relative/page']);
    expect(page.links[0]).toMatchObject({ rel: { nofollow: true, ugc: true }, anchor: 'Competitor & Sons', context: 'Long-standing members include Competitor & Sons of Austin.' });
    expect(page.links[1]!.anchor).toBe('About us');
  });

  it('collects mailto addresses and the site\'s contact-like pages by path or anchor words, one per kind', () => {
    const page = extractPage(
      `<a href="mailto:Editor@Chamber.org?subject=Hi">mail</a><a href="mailto:not-an-address">x</a>
       <a href="/write-for-us">Guest posts</a><a href="/advertise">Advertising</a><a href="/join">Join today</a>
       <a href="/sponsorship">Sponsors</a><a href="/add-listing">Add</a><a href="/contact-us">Contact</a><a href="/contact">Contact</a>
       <a href="https://other.org/contact">Their contact</a>`,
      PAGE,
    );
    expect(page.emails).toEqual(['editor@chamber.org']);
    expect(page.contact_pages).toEqual([
      { kind: 'write_for_us', url: 'https://www.chamber.org/write-for-us' },
      { kind: 'advertise', url: 'https://www.chamber.org/advertise' },
      { kind: 'membership', url: 'https://www.chamber.org/join' },
      { kind: 'sponsorship', url: 'https://www.chamber.org/sponsorship' },
      { kind: 'submit_listing', url: 'https://www.chamber.org/add-listing' },
      { kind: 'contact', url: 'https://www.chamber.org/contact-us' },
    ]);
  });

  it('matches a competitor by registrable domain (www, subdomains, case) and through a URL in a query parameter', () => {
    const page = extractPage(
      `<a href="https://out.chamber.org/track?url=https%3A%2F%2Fcompetitor.com%2F">tracked</a>
       <a href="https://shop.Competitor.com/x">shop</a><a href="https://competitor.com.evil.net/">lookalike</a>
       <a href="/go/competitor">go</a>`,
      PAGE,
    );
    expect(linksTo(page, 'competitor.com').map((link) => [link.href, link.via])).toEqual([
      ['https://shop.competitor.com/x', undefined],
      ['https://out.chamber.org/track?url=https%3A%2F%2Fcompetitor.com%2F', 'parameter'],
    ]);
    expect(redirectCandidates(page, PAGE).map((link) => link.href)).toEqual(['https://www.chamber.org/go/competitor']);
  });

  it('survives broken HTML: unclosed anchors and tags, no head', () => {
    const page = extractPage('<p><a href="https://a.com/">A <b>bold<a href="https://b.com/">B</p>', PAGE);
    expect(page.links.map((link) => [link.href, link.anchor])).toEqual([
      ['https://a.com/', 'A bold'],
      ['https://b.com/', 'B'],
    ]);
  });
});
