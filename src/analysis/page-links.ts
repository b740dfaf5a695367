// What one HTML page says about links: its title, every outbound link with rel, anchor and the
// text around it, its mailto addresses and its contact-like pages. Pure: HTML text in, facts out.

import { Parser } from 'htmlparser2';
import type { LinkRel } from '../domain.js';
import { hostOf, sourceDomainOf } from '../hosts.js';
import { CONTACT_RULES, type ContactKind } from './contact-rules.js';

export interface PageLink {
  /** Absolute http(s) URL, fragment removed. */
  href: string;
  rel: LinkRel;
  anchor: string;
  /** Up to ~200 characters of the page's text around the link. */
  context: string;
}

export interface ContactPage {
  kind: ContactKind;
  url: string;
}

export interface ExtractedPage {
  title?: string;
  links: PageLink[];
  /** Addresses from mailto: links, lowercase, deduplicated. */
  emails: string[];
  /** Links on the same site to contact, write-for-us, advertise, submit, membership or sponsorship pages. */
  contact_pages: ContactPage[];
}

const MAX_LINKS = 5_000;
const CONTEXT_CHARS = 100;
/** Marks the edge of a block element in the page text: a link's context stays within its block. */
const BLOCK_BREAK = '\n';
const SKIPPED = new Set(['script', 'style', 'noscript', 'template', 'svg', 'math', 'iframe', 'object']);
const BLOCKS = new Set([
  'p', 'div', 'li', 'ul', 'ol', 'td', 'th', 'tr', 'table', 'br', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6',
  'section', 'article', 'header', 'footer', 'nav', 'aside', 'main', 'dd', 'dt', 'blockquote', 'form', 'option',
]);

interface OpenLink {
  href: string;
  rel: LinkRel;
  start: number;
  anchor: string[];
  alt: string[];
}

export function extractPage(html: string, pageUrl: string): ExtractedPage {
  let base: URL;
  try {
    base = new URL(pageUrl);
  } catch {
    return { links: [], emails: [], contact_pages: [] };
  }
  const pageHost = hostOf(pageUrl);
  const chunks: string[] = [];
  let length = 0;
  let skipDepth = 0;
  let inTitle = false;
  let seenBase = false;
  const title: string[] = [];
  let open: OpenLink | undefined;
  const found: Array<OpenLink & { end: number }> = [];
  const emails = new Set<string>();

  const push = (text: string) => {
    chunks.push(text);
    length += text.length;
  };
  const close = () => {
    if (open === undefined) return;
    found.push({ ...open, end: length });
    open = undefined;
  };

  const parser = new Parser(
    {
      onopentag(name, attributes) {
        if (SKIPPED.has(name)) {
          skipDepth += 1;
          return;
        }
        if (skipDepth > 0) return;
        if (name === 'title' && title.length === 0) inTitle = true;
        if (name === 'base' && !seenBase && attributes.href !== undefined) {
          // Only the first <base href> counts, as in browsers.
          seenBase = true;
          try {
            base = new URL(attributes.href, base);
          } catch {
            // An invalid base is ignored by browsers too.
          }
        }
        if (BLOCKS.has(name)) push(BLOCK_BREAK);
        if (name === 'img' && open !== undefined && attributes.alt) open.alt.push(attributes.alt);
        if ((name === 'a' || name === 'area') && attributes.href !== undefined) {
          close();
          const href = attributes.href.trim();
          if (/^mailto:/i.test(href)) {
            const address = emailOf(href);
            if (address !== undefined) emails.add(address);
            return;
          }
          const absolute = absoluteHttp(href, base);
          if (absolute === undefined || found.length >= MAX_LINKS) return;
          open = { href: absolute, rel: relOf(attributes.rel), start: length, anchor: [], alt: [] };
          if (name === 'area') {
            if (attributes.alt) open.alt.push(attributes.alt);
            close();
          }
        }
      },
      ontext(text) {
        if (skipDepth > 0) return;
        if (inTitle) {
          title.push(text);
          return;
        }
        // Source line breaks are plain spaces in HTML; BLOCK_BREAK alone marks a block's edge.
        push(text.replace(/[\r\n]/g, ' '));
        if (open !== undefined) open.anchor.push(text);
      },
      onclosetag(name) {
        if (SKIPPED.has(name)) {
          skipDepth = Math.max(0, skipDepth - 1);
          return;
        }
        if (skipDepth > 0) return;
        if (name === 'title') inTitle = false;
        if (name === 'a') close();
        if (BLOCKS.has(name)) push(BLOCK_BREAK);
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  parser.write(html);
  parser.end();
  close();

  const text = chunks.join('');
  const links: PageLink[] = found.map((link) => {
    const anchor = squash(link.anchor.join('')) || squash(link.alt.join(' '));
    return { href: link.href, rel: link.rel, anchor: clip(anchor, 200), context: contextOf(text, link.start, link.end) };
  });
  const pageTitle = squash(title.join(''));
  return {
    ...(pageTitle !== '' && { title: clip(pageTitle, 300) }),
    links,
    emails: [...emails],
    contact_pages: contactPagesOf(links, pageHost),
  };
}

/** Links of a page that reach `domain` (its registrable domain), directly or through a URL carried
 *  in a query parameter (`/out?url=https://competitor.com/`), the direct ones first. */
export function linksTo(page: ExtractedPage, domain: string): Array<PageLink & { via?: 'parameter' }> {
  const direct: PageLink[] = [];
  const carried: Array<PageLink & { via: 'parameter' }> = [];
  for (const link of page.links) {
    if (sourceDomainOf(link.href) === domain) direct.push(link);
    else if (carriedUrls(link.href).some((url) => sourceDomainOf(url) === domain)) carried.push({ ...link, via: 'parameter' });
  }
  return [...direct, ...carried];
}

/** Same-site links that look like outbound redirects (/go/, /out/, /redirect...) and may end on another site. */
export function redirectCandidates(page: ExtractedPage, pageUrl: string): PageLink[] {
  const host = hostOf(pageUrl);
  return page.links.filter((link) => {
    if (hostOf(link.href) !== host) return false;
    try {
      return /\/(go|out|outbound|redirect|redir|click|visit|link|track|away|exit)(\/|\.php|$|\?)/i.test(new URL(link.href).pathname);
    } catch {
      return false;
    }
  });
}

function carriedUrls(href: string): string[] {
  let url: URL;
  try {
    url = new URL(href);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const value of url.searchParams.values()) {
    if (/^https?:\/\//i.test(value) || /^https?%3A/i.test(value)) {
      try {
        out.push(new URL(decodeURIComponent(value)).href);
      } catch {
        // Not a URL after all.
      }
    }
  }
  return out;
}

function contactPagesOf(links: PageLink[], pageHost: string | undefined): ContactPage[] {
  const out: ContactPage[] = [];
  const seen = new Set<string>();
  for (const link of links) {
    if (pageHost === undefined || !sameSite(hostOf(link.href), pageHost)) continue;
    let path: string;
    try {
      path = decodeURIComponent(new URL(link.href).pathname).toLowerCase();
    } catch {
      continue;
    }
    const anchor = link.anchor.toLowerCase();
    for (const rule of CONTACT_RULES) {
      if (!rule.path.test(path) && !rule.anchor.test(anchor)) continue;
      const key = `${rule.kind} ${link.href}`;
      if (!seen.has(key) && !out.some((page) => page.kind === rule.kind)) {
        seen.add(key);
        out.push({ kind: rule.kind, url: link.href });
      }
      break;
    }
  }
  return out;
}

function sameSite(host: string | undefined, pageHost: string): boolean {
  return host !== undefined && (host === pageHost || sourceDomainOf(host) === sourceDomainOf(pageHost));
}

function relOf(value: string | undefined): LinkRel {
  const words = new Set((value ?? '').toLowerCase().split(/\s+/).filter(Boolean));
  return {
    ...(words.has('nofollow') && { nofollow: true }),
    ...(words.has('sponsored') && { sponsored: true }),
    ...(words.has('ugc') && { ugc: true }),
  };
}

function absoluteHttp(href: string, base: URL): string | undefined {
  if (href === '' || href.startsWith('#')) return undefined;
  try {
    const url = new URL(href, base);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    url.hash = '';
    return url.href;
  } catch {
    return undefined;
  }
}

function emailOf(href: string): string | undefined {
  let address: string;
  try {
    address = decodeURIComponent(href.slice('mailto:'.length).split('?')[0]!.split(',')[0]!).trim().toLowerCase();
  } catch {
    return undefined;
  }
  return /^[^\s@<>]+@[^\s@<>]+\.[a-z]{2,}$/.test(address) ? address : undefined;
}

function contextOf(text: string, start: number, end: number): string {
  const from = Math.max(0, start - CONTEXT_CHARS);
  const to = Math.min(text.length, end + CONTEXT_CHARS);
  let before = text.slice(from, start);
  let after = text.slice(end, to);
  const blockStart = before.lastIndexOf(BLOCK_BREAK);
  const blockEnd = after.indexOf(BLOCK_BREAK);
  // Within the link's block; otherwise cut at word boundaries so the context holds whole words.
  if (blockStart >= 0) before = before.slice(blockStart + 1);
  else if (from > 0) before = before.replace(/^\S*\s/, '');
  if (blockEnd >= 0) after = after.slice(0, blockEnd);
  else if (to < text.length) after = after.replace(/\s\S*$/, '');
  return clip(squash(`${before}${text.slice(start, end)}${after}`), 2 * CONTEXT_CHARS + 200);
}

const squash = (text: string) => text.replace(/\s+/g, ' ').trim();
const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
