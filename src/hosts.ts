// Domain and URL normalisation: registrable domain, subdomain host, page URL. Public-suffix aware (tldts).

import { parse } from 'tldts';
import { invalidInput } from './errors.js';
import { HOSTING_PLATFORM_DOMAINS, HOSTING_PLATFORM_LABELS } from './hosting-platforms.js';

const MAX_INPUT = 2048;
const PSL = { allowPrivateDomains: true } as const;
const PLATFORM_DOMAINS = new Set(HOSTING_PLATFORM_DOMAINS);
const PLATFORM_LABELS = new Set(HOSTING_PLATFORM_LABELS);

/**
 * The site a host belongs to: its registrable domain, private suffixes counted as suffixes
 * (joe.blogspot.com, joe.github.io), and a subdomain of a known hosting platform counted as a site
 * of its own too (joe.wordpress.com, joe.tumblr.com; see hosting-platforms.ts). Null when the host
 * has no registrable domain (IPs, localhost, bare suffixes). Every domain in this server comes from
 * here, so a provider, the local dataset and your own domain all agree.
 */
function siteOfHost(host: string, parsed: ReturnType<typeof parse>): string | null {
  const domain = parsed.domain;
  if (domain === null || host === domain || !host.endsWith(`.${domain}`)) return domain;
  const platform = PLATFORM_DOMAINS.has(domain) || (parsed.domainWithoutSuffix !== null && PLATFORM_LABELS.has(parsed.domainWithoutSuffix));
  if (!platform) return domain;
  const below = host.slice(0, -domain.length - 1);
  return `${below.slice(below.lastIndexOf('.') + 1)}.${domain}`;
}

/** Lowercase, punycode host of a bare host or URL, without a leading `www.`; undefined if none. */
export function hostOf(input: string): string | undefined {
  const trimmed = input.trim();
  if (trimmed === '' || trimmed.length > MAX_INPUT) return undefined;
  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed);
  if (!hasScheme && /^[a-z][a-z0-9+.-]*:/i.test(trimmed) && !/^[^:]+:\d+(\/|$)/.test(trimmed)) return undefined;
  let url: URL;
  try {
    url = new URL(hasScheme ? trimmed : `http://${trimmed}`);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  const host = url.hostname.replace(/\.$/, '');
  if (host === '') return undefined;
  return host.startsWith('www.') ? host.slice(4) : host;
}

/** Registrable domain of a host or URL (private suffixes such as blogspot.com count as suffixes, and
 *  hosting platforms' subdomains are sites of their own: see siteOfHost). */
export function registrableDomain(input: string): string | undefined {
  const host = hostOf(input);
  if (host === undefined) return undefined;
  const parsed = parse(host, PSL);
  if (parsed.isIp) return host;
  return siteOfHost(host, parsed) ?? undefined;
}

/**
 * Whether a site is a subdomain of a platform (joe.wordpress.com, joe.blogspot.com): a provider
 * whose "root domain" follows the ICANN suffix list alone would read it as the whole platform, so
 * ask it for this site at subdomain scope instead.
 */
export function isHostedSite(domain: string): boolean {
  const host = hostOf(domain);
  if (host === undefined) return false;
  const icann = parse(host).domain;
  return icann !== null && icann !== siteOfHost(host, parse(host, PSL));
}

/** Registrable domain of a host already normalised by hostOf (the host itself for IPs and unknown
 *  suffixes). Memoised: a page of backlinks repeats the same few hosts. */
const domainsOfHosts = new Map<string, string>();
export function domainOfHost(host: string): string {
  let domain = domainsOfHosts.get(host);
  if (domain === undefined) {
    domain = siteOfHost(host, parse(host, PSL)) ?? host;
    if (domainsOfHosts.size >= 20_000) domainsOfHosts.clear();
    domainsOfHosts.set(host, domain);
  }
  return domain;
}

/** Registrable domain of a URL or host, falling back to the host itself (IPs, unknown suffixes). */
export function sourceDomainOf(input: string): string {
  const host = hostOf(input);
  if (host === undefined) return input.trim().toLowerCase();
  return domainOfHost(host);
}

function checkedHost(value: unknown, field: string): { host: string; domain: string } {
  if (typeof value !== 'string') throw invalidInput(field, value, 'expected a domain such as "example.com"');
  if (value.length > 253 + 200) throw invalidInput(field, value, 'too long to be a domain or URL');
  const trimmed = value.trim();
  if (/^(file|javascript|data|mailto|ftp|about|chrome|vbscript):/i.test(trimmed)) {
    throw invalidInput(field, value, 'only http(s) URLs or bare domains are accepted');
  }
  const host = hostOf(trimmed);
  if (host === undefined) throw invalidInput(field, value, 'not a domain or http(s) URL; give a domain such as "example.com"');
  const parsed = parse(host, PSL);
  if (parsed.isIp) throw invalidInput(field, value, 'IP addresses have no backlink profile here; give a domain name');
  if (host.length > 253) throw invalidInput(field, value, 'a domain name is at most 253 characters');
  const domain = siteOfHost(host, parsed);
  if (domain === null || parsed.publicSuffix === null || (!parsed.isIcann && !parsed.isPrivate)) {
    throw invalidInput(field, value, 'not a public domain (unknown or missing top-level domain); give a domain such as "example.com"');
  }
  if (!isValidHostName(host)) throw invalidInput(field, value, 'not a valid host name');
  return { host, domain };
}

function isValidHostName(host: string): boolean {
  return host.length <= 253 && /^[a-z0-9.-]+$/.test(host) && host.split('.').every((label) => label.length > 0 && label.length <= 63);
}

/**
 * Whether a referring domain is a public site a person could ask for a link: a valid host name with a
 * registrable domain under a public suffix (ICANN or private). False for localhost, IP addresses,
 * names without a public suffix (intranet, .local, .test) and junk such as "=1+2". Memoised.
 */
const publicSites = new Map<string, boolean>();
export function isPublicSite(domain: string): boolean {
  let answer = publicSites.get(domain);
  if (answer === undefined) {
    const host = hostOf(domain);
    const parsed = host === undefined ? undefined : parse(host, PSL);
    answer =
      host !== undefined &&
      parsed !== undefined &&
      !parsed.isIp &&
      isValidHostName(host) &&
      parsed.publicSuffix !== null &&
      (parsed.isIcann === true || parsed.isPrivate === true) &&
      siteOfHost(host, parsed) !== null;
    if (publicSites.size >= 20_000) publicSites.clear();
    publicSites.set(domain, answer);
  }
  return answer;
}

/** A domain field of a tool: bare domain or URL, any case, with or without www → registrable domain. */
export function normalizeDomain(value: unknown, field: string): string {
  return checkedHost(value, field).domain;
}

export interface NormalizedTarget {
  /** Registrable domain, host (subdomain) or absolute URL without fragment. */
  value: string;
  kind: 'domain' | 'subdomain' | 'page';
  domain: string;
}

/** A target that may be a domain, a subdomain or a page URL. */
export function normalizeTarget(value: unknown, field: string): NormalizedTarget {
  const { host, domain } = checkedHost(value, field);
  const text = (value as string).trim();
  const withScheme = /^https?:\/\//i.test(text) ? text : `http://${text}`;
  const url = new URL(withScheme);
  const hasPath = (url.pathname !== '/' && url.pathname !== '') || url.search !== '';
  if (hasPath) {
    url.hash = '';
    return { value: url.toString(), kind: 'page', domain };
  }
  if (host !== domain) return { value: host, kind: 'subdomain', domain };
  return { value: domain, kind: 'domain', domain };
}

/** Normalise a list of domains, dropping duplicates while keeping order. */
export function normalizeDomainList(values: readonly unknown[], field: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  values.forEach((value, index) => {
    const domain = normalizeDomain(value, `${field}[${index}]`);
    if (!seen.has(domain)) {
      seen.add(domain);
      out.push(domain);
    }
  });
  return out;
}

/** Whether `url` (a URL or host) falls within `target` at `scope`. */
export function matchesScope(url: string, target: string, scope: 'page' | 'subdomain' | 'root_domain'): boolean {
  if (scope === 'root_domain') return sourceDomainOf(url) === target;
  if (scope === 'subdomain') return hostOf(url) === target;
  return stripUrl(url) === stripUrl(target);
}

/** A URL compared loosely: no scheme, no www, no trailing slash, no fragment. */
export function stripUrl(url: string): string {
  const host = hostOf(url);
  if (host === undefined) return url.trim().toLowerCase();
  try {
    const parsed = new URL(/^https?:\/\//i.test(url.trim()) ? url.trim() : `http://${url.trim()}`);
    const path = parsed.pathname.replace(/\/+$/, '');
    return `${host}${path}${parsed.search}`;
  } catch {
    return host;
  }
}
