// Fetching pages of the public web safely: http(s) only, public addresses only (checked after DNS
// and on every redirect, the connection pinned to the checked address), robots.txt honoured,
// bounded redirects, body size, concurrency per host and overall, deadlines and cancellation.
// Failures are outcomes (a page that cannot be read is an answer about that page), never throws
// except when the caller cancels.

import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { promisify } from 'node:util';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import robotsModule from 'robots-parser';
import { Agent, type Dispatcher } from 'undici';
import type { Logger } from '../log.js';
import { USER_AGENT } from '../version.js';
import { type AddressPolicy, ipLiteralOf, refusedAddress } from './address.js';
import { errorCode, flattenHeaders } from './undici-fields.js';
import { createLimiter, type Limiter } from './limiter.js';

/** The project and where to read about it, so a site owner seeing us in a log knows who asked. */
export const WEB_USER_AGENT = `${USER_AGENT} (+https://www.npmjs.com/package/backlink-gap-mcp; link checker)`;
/** The robots.txt product token we obey. */
export const ROBOTS_TOKEN = 'backlink-gap-mcp';

export type WebFailure =
  | 'invalid_url'
  | 'refused_address'
  | 'dns'
  | 'robots'
  | 'not_html'
  | 'http_status'
  | 'too_many_redirects'
  | 'timeout'
  | 'network';

export interface WebPage {
  ok: true;
  /** The URL asked for. */
  url: string;
  /** Where the redirects ended. */
  final_url: string;
  /** Each hop's URL after the first, in order. */
  redirects: string[];
  status: number;
  content_type: string;
  body: string;
  /** The body was longer than the cap: only its start was read. */
  truncated: boolean;
}

export interface WebFailed {
  ok: false;
  url: string;
  final_url: string;
  redirects: string[];
  status?: number;
  reason: WebFailure;
  /** One sentence for the model: what happened and, where it helps, what to do. */
  message: string;
}

export type WebOutcome = WebPage | WebFailed;

export interface FetchOptions {
  signal?: AbortSignal;
  /** Epoch ms; the fetch (redirects included) ends as a timeout then. */
  deadline: number;
  /** Only follow redirects and report where they end; no body is read. */
  redirectsOnly?: boolean;
  /** Stop following redirects at the first hop this accepts (e.g. a competitor's site). */
  stopAt?: (url: URL) => boolean;
}

export interface WebFetcher {
  fetch(url: string, options: FetchOptions): Promise<WebOutcome>;
  close(): Promise<void>;
}

export type Resolver = (hostname: string) => Promise<Array<{ address: string; family: number }>>;

export interface WebFetcherOptions extends AddressPolicy {
  logger: Logger;
  /** Tests pass a MockAgent standing in for public sites; default: an Agent pinned to checked addresses. */
  dispatcher?: Dispatcher;
  /** Tests pass a fake DNS; default: the system resolver (getaddrinfo). */
  resolve?: Resolver;
  maxBodyBytes?: number;
  maxRedirects?: number;
  perHost?: number;
  overall?: number;
  connectTimeoutMs?: number;
  userAgent?: string;
}

const DEFAULT_MAX_BODY = 2 * 1024 * 1024;
const ROBOTS_MAX_BODY = 512 * 1024;
const ROBOTS_TTL_MS = 60 * 60 * 1000;
const PIN_TTL_MS = 60 * 1000;
const HTML_TYPES = new Set(['text/html', 'application/xhtml+xml']);
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

const systemLookup = promisify(dnsLookup);
const systemResolve: Resolver = async (hostname) => (await systemLookup(hostname, { all: true, verbatim: true })) as LookupAddress[];

type RobotsParse = (url: string, text: string) => { isAllowed(url: string, ua?: string): boolean | undefined };
// robots-parser is CommonJS whose types declare an ES default export; take whichever form arrives.
const robotsParser = ((robotsModule as unknown as { default?: RobotsParse }).default ?? robotsModule) as unknown as RobotsParse;

class Refused extends Error {
  readonly code = 'BLG_ADDRESS_REFUSED';
}

interface Robots {
  allowed(url: string): boolean;
  /** Why everything is refused, when robots.txt could not be read for a server reason. */
  blockedBecause?: string;
}

export function createWebFetcher(options: WebFetcherOptions): WebFetcher {
  const policy: AddressPolicy = { allowLoopback: options.allowLoopback };
  const { logger } = options;
  const resolve = options.resolve ?? systemResolve;
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const maxRedirects = options.maxRedirects ?? 5;
  const userAgent = options.userAgent ?? WEB_USER_AGENT;
  const overall = createLimiter(options.overall ?? 24);
  const perHostLimit = options.perHost ?? 4;
  const hosts = new Map<string, Limiter>();
  const pins = new Map<string, { addresses: Array<{ address: string; family: number }>; until: number }>();
  const robotsByOrigin = new Map<string, { robots: Promise<Robots>; until: number }>();

  /** Resolve a host name and refuse it unless every address it has is allowed. */
  async function checkedAddresses(hostname: string): Promise<Array<{ address: string; family: number }>> {
    const pinned = pins.get(hostname);
    if (pinned !== undefined && pinned.until > Date.now()) return pinned.addresses;
    let addresses: Array<{ address: string; family: number }>;
    try {
      addresses = await resolve(hostname);
    } catch (error) {
      throw Object.assign(new Error(`cannot resolve ${hostname}`), { code: errorCode(error) ?? 'ENOTFOUND' });
    }
    if (addresses.length === 0) throw Object.assign(new Error(`cannot resolve ${hostname}`), { code: 'ENOTFOUND' });
    for (const { address } of addresses) {
      const why = refusedAddress(address, policy);
      if (why !== undefined) throw new Refused(`${hostname} resolves to ${address}, ${why}`);
    }
    if (pins.size > 5_000) pins.clear();
    pins.set(hostname, { addresses, until: Date.now() + PIN_TTL_MS });
    return addresses;
  }

  // The connection asks this, not DNS: it gets exactly the addresses that were checked, so a name
  // that resolves differently a moment later (DNS rebinding) cannot reach anything else.
  const pinnedLookup = (
    hostname: string,
    lookupOptions: { all?: boolean; family?: number | string },
    callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ) => {
    checkedAddresses(hostname).then(
      (addresses) => {
        const family = Number(lookupOptions.family) || 0;
        const usable = family === 4 || family === 6 ? addresses.filter((a) => a.family === family) : addresses;
        if (usable.length === 0) {
          callback(Object.assign(new Error(`no IPv${family} address for ${hostname}`), { code: 'ENOTFOUND' }), '', 0);
        } else if (lookupOptions.all) callback(null, usable);
        else callback(null, usable[0]!.address, usable[0]!.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    );
  };

  const ownAgent =
    options.dispatcher === undefined
      ? new Agent({
          connect: { timeout: options.connectTimeoutMs ?? 10_000, lookup: pinnedLookup as never },
          keepAliveTimeout: 5_000,
          connections: perHostLimit,
        })
      : undefined;
  const dispatcher: Dispatcher = options.dispatcher ?? (ownAgent as Agent);

  /** Whether a URL may be fetched at all; a reason when not. Checked for the first URL and every hop. */
  async function vet(url: URL): Promise<{ reason: WebFailure; message: string } | undefined> {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      return { reason: 'invalid_url', message: `only http(s) pages are fetched (${url.protocol} refused)` };
    }
    if (url.username !== '' || url.password !== '') return { reason: 'invalid_url', message: 'URLs with credentials are refused' };
    const literal = ipLiteralOf(url.hostname);
    if (literal !== undefined) {
      const why = refusedAddress(literal, policy);
      return why === undefined ? undefined : { reason: 'refused_address', message: `${literal} is ${why}; only public addresses are fetched` };
    }
    try {
      await checkedAddresses(url.hostname);
      return undefined;
    } catch (error) {
      if (error instanceof Refused) return { reason: 'refused_address', message: `${error.message}; only public addresses are fetched` };
      return { reason: 'dns', message: `${url.hostname} does not resolve (${errorCode(error) ?? 'DNS error'}): the site may be gone` };
    }
  }

  function limiterOf(host: string): Limiter {
    let limiter = hosts.get(host);
    if (limiter === undefined) {
      limiter = createLimiter(perHostLimit);
      hosts.set(host, limiter);
    }
    return limiter;
  }

  /** Both slots (overall, then the host's), released when `task` ends. */
  async function slot<T>(host: string, signal: AbortSignal, task: () => Promise<T>): Promise<T> {
    const limiter = limiterOf(host);
    try {
      return await limiter.run(() => overall.run(task, signal), signal);
    } finally {
      if (limiter.active === 0 && limiter.waiting === 0) hosts.delete(host);
    }
  }

  interface Hop {
    status: number;
    headers: Record<string, string>;
    body: Dispatcher.ResponseData['body'];
  }

  async function request(url: URL, accept: string, signal: AbortSignal): Promise<Hop> {
    const response = await dispatcher.request({
      origin: url.origin,
      path: `${url.pathname}${url.search}`,
      method: 'GET',
      headers: { 'user-agent': userAgent, accept, 'accept-encoding': 'gzip, deflate, br' },
      signal,
    });
    return { status: response.statusCode, headers: flattenHeaders(response.headers), body: response.body };
  }

  async function robotsFor(origin: URL, deadline: number): Promise<Robots> {
    const key = origin.origin;
    const known = robotsByOrigin.get(key);
    if (known !== undefined && known.until > Date.now()) return known.robots;
    // Shared by every fetch on this origin, so no one caller's cancellation ends it: the deadline does.
    const robots = loadRobots(new URL('/robots.txt', origin), deadline);
    if (robotsByOrigin.size > 5_000) robotsByOrigin.clear();
    robotsByOrigin.set(key, { robots, until: Date.now() + ROBOTS_TTL_MS });
    // A timeout or network failure is not remembered for an hour: the next call asks again.
    void robots.then((read) => {
      if (read.blockedBecause !== undefined) robotsByOrigin.delete(key);
    });
    return robots;
  }

  // RFC 9309: 4xx means no rules; 5xx or an unreachable server means disallow everything for now.
  async function loadRobots(robotsUrl: URL, deadline: number): Promise<Robots> {
    const outcome = await fetchWith(robotsUrl.href, { deadline }, { robots: false, accept: 'text/plain,*/*;q=0.5', maxBytes: ROBOTS_MAX_BODY, anyType: true });
    const allowAll: Robots = { allowed: () => true };
    if (outcome.ok) {
      const parsed = robotsParser(robotsUrl.href, outcome.body);
      return { allowed: (url) => parsed.isAllowed(url, ROBOTS_TOKEN) !== false };
    }
    if (outcome.reason === 'http_status' && outcome.status !== undefined && outcome.status < 500) return allowAll;
    if (outcome.reason === 'refused_address' || outcome.reason === 'invalid_url' || outcome.reason === 'too_many_redirects') return allowAll;
    const why = `robots.txt could not be read (${outcome.message}), which by the robots standard means no fetching for now`;
    return { allowed: () => false, blockedBecause: why };
  }

  interface Mode {
    robots: boolean;
    accept: string;
    maxBytes: number;
    anyType?: boolean;
  }

  async function fetchWith(address: string, fetchOptions: FetchOptions, mode: Mode): Promise<WebOutcome> {
    const redirects: string[] = [];
    let current: URL;
    const fail = (reason: WebFailure, message: string, status?: number): WebFailed => ({
      ok: false,
      url: address,
      final_url: current?.href ?? address,
      redirects,
      ...(status !== undefined && { status }),
      reason,
      message,
    });
    try {
      current = new URL(address);
    } catch {
      current = undefined as never;
      return fail('invalid_url', 'not an absolute http(s) URL');
    }
    const controller = new AbortController();
    const caller = fetchOptions.signal;
    const onAbort = () => controller.abort(caller?.reason);
    if (caller?.aborted) throw caller.reason;
    caller?.addEventListener('abort', onAbort, { once: true });
    let timedOut = false;
    const remaining = fetchOptions.deadline - Date.now();
    const timer = setTimeout(
      () => {
        timedOut = true;
        controller.abort(new DOMException('The deadline passed', 'TimeoutError'));
      },
      Math.max(0, remaining),
    );
    const started = Date.now();
    try {
      for (let hop = 0; ; hop += 1) {
        current.hash = '';
        const refused = await vet(current);
        if (refused !== undefined) return fail(refused.reason, hop === 0 ? refused.message : `redirected to ${current.href}: ${refused.message}`);
        if (mode.robots) {
          const robots = await robotsFor(current, fetchOptions.deadline);
          if (!robots.allowed(current.href)) {
            return fail('robots', robots.blockedBecause ?? `robots.txt of ${current.host} disallows ${current.pathname} for ${ROBOTS_TOKEN}; not fetched`);
          }
        }
        const target = current;
        const outcome = await slot(current.host, controller.signal, async (): Promise<WebOutcome | URL> => {
          const hopResponse = await request(target, mode.accept, controller.signal);
          const { status, headers } = hopResponse;
          if (REDIRECTS.has(status) && headers.location !== undefined) {
            await hopResponse.body.dump().catch(() => undefined);
            try {
              return new URL(headers.location, target);
            } catch {
              return fail('invalid_url', `redirects to an invalid location ${JSON.stringify(headers.location.slice(0, 200))}`, status);
            }
          }
          if (fetchOptions.redirectsOnly) {
            await hopResponse.body.dump().catch(() => undefined);
            return { ok: true, url: address, final_url: target.href, redirects, status, content_type: headers['content-type'] ?? '', body: '', truncated: false };
          }
          if (status < 200 || status >= 300) {
            await hopResponse.body.dump().catch(() => undefined);
            return fail('http_status', `HTTP ${status}${status === 404 || status === 410 ? ': the page is gone' : ''}`, status);
          }
          const type = (headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
          if (!mode.anyType && type !== '' && !HTML_TYPES.has(type)) {
            discard(hopResponse.body);
            return fail('not_html', `not an HTML page (${type}); only HTML pages are read`, status);
          }
          const read = await readBody(hopResponse.body, headers['content-encoding'], mode.maxBytes);
          const text = decode(read.bytes, headers['content-type']);
          if (!mode.anyType && type === '' && !/^\s*(<!doctype html|<html|<head|<body|<!--)/i.test(text.slice(0, 512))) {
            return fail('not_html', 'the answer has no content type and does not look like HTML', status);
          }
          return { ok: true, url: address, final_url: target.href, redirects, status, content_type: type, body: text, truncated: read.truncated };
        });
        if (!(outcome instanceof URL)) return outcome;
        if (hop >= maxRedirects) return fail('too_many_redirects', `more than ${maxRedirects} redirects`);
        redirects.push(outcome.href);
        current = outcome;
        if (fetchOptions.stopAt?.(current)) {
          return { ok: true, url: address, final_url: current.href, redirects, status: 0, content_type: '', body: '', truncated: false };
        }
      }
    } catch (error) {
      if (caller?.aborted) throw caller.reason;
      if (timedOut) return fail('timeout', `no complete answer within ${Math.round((Date.now() - started) / 100) / 10} s`);
      const code = errorCode(error);
      if (error instanceof Refused || code === 'BLG_ADDRESS_REFUSED') return fail('refused_address', `${(error as Error).message}; only public addresses are fetched`);
      logger.debug('web fetch failed', { host: current.host, error: code ?? String(error) });
      return fail('network', networkWords(code));
    } finally {
      clearTimeout(timer);
      caller?.removeEventListener('abort', onAbort);
    }
  }

  return {
    fetch: (url, fetchOptions) =>
      fetchWith(url, fetchOptions, {
        robots: true,
        accept: 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.1',
        maxBytes: maxBody,
      }),
    async close() {
      if (ownAgent !== undefined && !ownAgent.destroyed && !ownAgent.closed) await ownAgent.close();
    },
  };
}

async function readBody(
  body: Dispatcher.ResponseData['body'],
  encoding: string | undefined,
  maxBytes: number,
): Promise<{ bytes: Buffer; truncated: boolean }> {
  const coding = (encoding ?? '').trim().toLowerCase();
  const inflater =
    coding === 'gzip' || coding === 'x-gzip' ? createGunzip() : coding === 'deflate' ? createInflate() : coding === 'br' ? createBrotliDecompress() : undefined;
  const source: AsyncIterable<Buffer | Uint8Array> = inflater === undefined ? body : body.pipe(inflater);
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  try {
    for await (const chunk of source) {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
      // The cap counts decoded bytes, so a compressed bomb stops at the cap too.
      if (size + buffer.length > maxBytes) {
        chunks.push(buffer.subarray(0, maxBytes - size));
        size = maxBytes;
        truncated = true;
        break;
      }
      chunks.push(buffer);
      size += buffer.length;
    }
  } finally {
    if (truncated || inflater !== undefined) {
      discard(body);
      inflater?.on('error', () => undefined).destroy();
    }
  }
  return { bytes: Buffer.concat(chunks), truncated };
}

/** Stop reading a body we do not want; the connection is closed rather than drained. */
function discard(body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => undefined);
  body.destroy();
}

function decode(bytes: Buffer, contentType: string | undefined): string {
  const declared = /charset\s*=\s*"?([\w.:-]+)/i.exec(contentType ?? '')?.[1];
  const sniffed = declared ?? /<meta[^>]+charset\s*=\s*["']?([\w.:-]+)/i.exec(bytes.subarray(0, 2048).toString('latin1'))?.[1];
  try {
    return new TextDecoder(sniffed ?? 'utf-8').decode(bytes);
  } catch {
    return new TextDecoder('utf-8').decode(bytes);
  }
}



function networkWords(code: string | undefined): string {
  if (code === 'ECONNREFUSED') return 'the server refused the connection';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'the host does not resolve: the site may be gone';
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return 'the connection timed out';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return 'the server was too slow to answer';
  if (code?.startsWith('ERR_TLS') || code?.includes('CERT')) return `TLS failed (${code})`;
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return 'the connection was reset';
  return `network error${code ? ` (${code})` : ''}`;
}
