// Domain normalisation: which site a host belongs to, and which referrers are public sites at all.

import { describe, expect, it } from 'vitest';
import { domainOfHost, isHostedSite, isPublicSite, normalizeDomain, normalizeTarget, registrableDomain, sourceDomainOf } from '../src/hosts.js';

/** Real-world-shaped hosts and the site (prospect) each belongs to. */
const SITES: ReadonlyArray<[string, string]> = [
  ['https://joe.wordpress.com/2024/05/plumbers/', 'joe.wordpress.com'],
  ['www.ann.wordpress.com', 'ann.wordpress.com'],
  ['en.blog.wordpress.com', 'blog.wordpress.com'],
  ['wordpress.com', 'wordpress.com'],
  ['joe.blogspot.com', 'joe.blogspot.com'],
  ['joe.blogspot.co.uk', 'joe.blogspot.co.uk'],
  ['joe.github.io', 'joe.github.io'],
  ['fixit.tumblr.com', 'fixit.tumblr.com'],
  ['austinhomes.substack.com', 'austinhomes.substack.com'],
  ['plumber.weebly.com', 'plumber.weebly.com'],
  ['shop.example.netlify.app', 'example.netlify.app'],
  ['news.austin.example.com', 'example.com'],
  ['www.austinchamber.org', 'austinchamber.org'],
  ['en.wikipedia.org', 'wikipedia.org'],
  ['bbc.co.uk', 'bbc.co.uk'],
];

describe('registrable domain (the site a host belongs to)', () => {
  it.each(SITES)('%s is the site %s in every entry point', (input, site) => {
    expect(registrableDomain(input)).toBe(site);
    expect(sourceDomainOf(input)).toBe(site);
    const host = new URL(/^https?:/.test(input) ? input : `http://${input}`).hostname.replace(/^www\./, '');
    expect(domainOfHost(host)).toBe(site);
  });

  it('keeps two blogs on one platform apart, on wordpress.com as on blogspot.com', () => {
    expect(new Set(['a.wordpress.com', 'b.wordpress.com'].map(sourceDomainOf)).size).toBe(2);
    expect(new Set(['a.blogspot.com', 'b.blogspot.com'].map(sourceDomainOf)).size).toBe(2);
  });

  it('takes your own domain or a competitor on a platform as that blog, consistently with the prospects', () => {
    expect(normalizeDomain('https://me.wordpress.com/', 'your_domain')).toBe('me.wordpress.com');
    expect(normalizeDomain('www.me.wordpress.com', 'your_domain')).toBe(sourceDomainOf('http://me.wordpress.com/about'));
    expect(normalizeTarget('me.wordpress.com', 'target')).toEqual({ value: 'me.wordpress.com', kind: 'domain', domain: 'me.wordpress.com' });
    expect(normalizeTarget('shop.me.wordpress.com', 'target')).toEqual({ value: 'shop.me.wordpress.com', kind: 'subdomain', domain: 'me.wordpress.com' });
  });
});

describe('isPublicSite', () => {
  it.each([
    'localhost',
    '127.0.0.1',
    '10.0.0.5',
    '[::1]',
    '=1+2',
    'intranet',
    'printer.local',
    'build.internal',
    'site.test',
    'com',
    'blogspot.com',
    '',
    'a b.com',
  ])('%j is not a public site', (domain) => {
    expect(isPublicSite(domain)).toBe(false);
  });

  it.each(['austinchamber.org', 'joe.wordpress.com', 'joe.blogspot.com', 'bbc.co.uk', 'xn--bcher-kva.de', 'city.austin.tx.us'])('%s is a public site', (domain) => {
    expect(isPublicSite(domain)).toBe(true);
  });
});

describe('isHostedSite', () => {
  it('tells a platform subdomain (asked of providers at subdomain scope) from a site of its own', () => {
    expect(['joe.wordpress.com', 'joe.blogspot.com', 'joe.github.io', 'fixit.tumblr.com'].map(isHostedSite)).toEqual([true, true, true, true]);
    expect(['austinchamber.org', 'wordpress.com', 'bbc.co.uk', 'localhost'].map(isHostedSite)).toEqual([false, false, false, false]);
  });
});
