// Large files from fixed, configured hosts (Common Crawl's data and index servers): resumable
// downloads into `<file>.partial` with HTTP Range (+ If-Range), a size check against what the server
// announced, bounded retries that resume, and cancellation that keeps what was written.
//
// Why no public-address check (web.ts has one): web.ts fetches pages whose URLs come from the model
// and the web; these URLs come from the operator's own configuration (BACKLINK_GAP_WEBGRAPH_*), like a
// provider's base URL in client.ts, and tests point them at a loopback fake. What a server sends
// cannot widen that: listed paths are resolved by the caller under the configured base only, and
// redirects are bounded and stay on http(s).

import { rename, rm, stat, writeFile, open, readFile } from 'node:fs/promises';
import { Agent, type Dispatcher } from 'undici';
import { BacklinkGapError } from '../errors.js';
import { USER_AGENT } from '../version.js';
import { backoffDelay, parseRetryAfter, sleep } from './retry.js';
import { errorCode, flattenHeaders } from './undici-fields.js';

export interface DownloadProgress {
  /** Bytes of the file on disk so far (resumed bytes included). */
  bytes: number;
  /** The file's whole size, when the server said. */
  total?: number;
  /** Bytes already on disk when this download started (a resume). */
  resumedFrom: number;
}

export interface DownloadResult {
  path: string;
  bytes: number;
  /** The file was already complete on disk: nothing was requested. */
  alreadyComplete: boolean;
  /** Bytes kept from an earlier, interrupted download. */
  resumedFrom: number;
  /** A partial file existed but the server sent the whole file (it ignored Range, or the file changed). */
  restarted: boolean;
  /** The size was checked against Content-Length / Content-Range (false: the server sent neither). */
  sizeChecked: boolean;
}

export interface DownloadOptions {
  url: string;
  /** Final path; bytes go to `${destination}.partial` until the size check passes. */
  destination: string;
  signal?: AbortSignal;
  onProgress?: (progress: DownloadProgress) => void;
}

export interface HeadResult {
  status: number;
  /** Content-Length of a 2xx answer. */
  size?: number;
}

export interface Downloader {
  download(options: DownloadOptions): Promise<DownloadResult>;
  /** A small body (an index, a listing) read into memory; 404 and other refusals as `status`. */
  get(url: string, options?: { signal?: AbortSignal; maxBytes?: number }): Promise<{ status: number; body: Buffer }>;
  /** Whether a file exists and how large it is, without reading it. */
  head(url: string, options?: { signal?: AbortSignal }): Promise<HeadResult>;
  close(): Promise<void>;
}

export interface DownloaderOptions {
  /** Tests pass a dispatcher; default: one undici Agent for this downloader. */
  dispatcher?: Dispatcher;
  /** Attempts per request (first included); each attempt of a download resumes where the last stopped. Default 8
   *  (Common Crawl answers 503 Slow Down under load). */
  maxAttempts?: number;
  /** Default 1000 (tests set small values). */
  backoffBaseMs?: number;
  /** Longest silence while reading a body before the attempt counts as failed; default 60 s. */
  bodyTimeoutMs?: number;
  headersTimeoutMs?: number;
  userAgent?: string;
}

const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const RETRY_STATUSES = new Set([408, 429, 500, 502, 503, 504]);
const SMALL_BODY_CAP = 64 * 1024 * 1024;

/** What the last answer said about the file, kept beside the partial so a resume asks for the same version. */
interface PartialMeta {
  url: string;
  total?: number;
  etag?: string;
  lastModified?: string;
}

class Retry extends Error {
  constructor(
    message: string,
    readonly waitMs?: number,
  ) {
    super(message);
  }
}

export function createDownloader(options: DownloaderOptions = {}): Downloader {
  const maxAttempts = Math.max(1, options.maxAttempts ?? 8);
  const backoffBaseMs = options.backoffBaseMs ?? 1000;
  const userAgent = options.userAgent ?? USER_AGENT;
  const ownAgent =
    options.dispatcher === undefined
      ? new Agent({
          connect: { timeout: 20_000 },
          headersTimeout: options.headersTimeoutMs ?? 60_000,
          bodyTimeout: options.bodyTimeoutMs ?? 60_000,
          keepAliveTimeout: 10_000,
        })
      : undefined;
  const dispatcher: Dispatcher = options.dispatcher ?? (ownAgent as Agent);

  /** One request, following redirects; the caller reads or dumps the body. */
  async function request(
    url: string,
    method: 'GET' | 'HEAD',
    headers: Record<string, string>,
    signal: AbortSignal | undefined,
  ): Promise<{ status: number; headers: Record<string, string>; body: Dispatcher.ResponseData['body']; url: string }> {
    let current = new URL(url);
    for (let hop = 0; ; hop += 1) {
      const response = await dispatcher.request({
        origin: current.origin,
        path: `${current.pathname}${current.search}`,
        method,
        headers: { 'user-agent': userAgent, 'accept-encoding': 'identity', ...headers },
        ...(signal !== undefined && { signal }),
        ...(options.headersTimeoutMs !== undefined && { headersTimeout: options.headersTimeoutMs }),
        ...(options.bodyTimeoutMs !== undefined && { bodyTimeout: options.bodyTimeoutMs }),
      });
      const flat = flattenHeaders(response.headers);
      if (!REDIRECTS.has(response.statusCode) || flat.location === undefined) {
        return { status: response.statusCode, headers: flat, body: response.body, url: current.href };
      }
      await response.body.dump().catch(() => undefined);
      const next = new URL(flat.location, current);
      if (next.protocol !== 'http:' && next.protocol !== 'https:') {
        throw new BacklinkGapError('invalid_response', `${shown(url)} redirects to a ${next.protocol} URL; only http(s) is followed`);
      }
      if (hop + 1 >= MAX_REDIRECTS) throw new BacklinkGapError('invalid_response', `${shown(url)} redirects more than ${MAX_REDIRECTS} times`);
      current = next;
    }
  }

  async function attemptDownload(
    download: DownloadOptions,
    partial: string,
    metaPath: string,
    state: { resumedFrom: number; restarted: boolean },
  ): Promise<{ bytes: number; sizeChecked: boolean }> {
    const have = await sizeOf(partial);
    const meta = have > 0 ? await readMeta(metaPath, download.url) : undefined;
    const headers: Record<string, string> = {};
    if (have > 0) {
      headers.range = `bytes=${have}-`;
      // If-Range: the server sends the rest only while the file is the version the partial started from.
      const validator = meta?.etag !== undefined && !meta.etag.startsWith('W/') ? meta.etag : meta?.lastModified;
      if (validator !== undefined) headers['if-range'] = validator;
    }
    const answer = await request(download.url, 'GET', headers, download.signal);
    const { status } = answer;
    if (status === 416) {
      await answer.body.dump().catch(() => undefined);
      const total = totalOfRange(answer.headers['content-range']);
      if (total !== undefined && total === have) return { bytes: have, sizeChecked: true };
      // The partial is longer than the file, or of another version: start again.
      await clearPartial(partial, metaPath);
      throw new Retry(`${shown(download.url)}: the server refused to resume (416); starting again`, 0);
    }
    if (status === 404 || status === 410) {
      await answer.body.dump().catch(() => undefined);
      throw new BacklinkGapError('not_found', `${shown(download.url)} is not on the server (HTTP ${status})`);
    }
    if (RETRY_STATUSES.has(status)) {
      await answer.body.dump().catch(() => undefined);
      throw new Retry(`${shown(download.url)}: HTTP ${status}`, parseRetryAfter(answer.headers['retry-after']));
    }
    if (status !== 200 && status !== 206) {
      await answer.body.dump().catch(() => undefined);
      throw new BacklinkGapError('upstream_unavailable', `${shown(download.url)}: HTTP ${status}; the download cannot go on`);
    }
    let start = 0;
    let total: number | undefined;
    if (status === 206) {
      const range = parseContentRange(answer.headers['content-range']);
      if (range === undefined || range.start !== have) {
        // A range we did not ask for cannot be appended safely: drop the partial, ask for the whole file.
        await answer.body.dump().catch(() => undefined);
        await clearPartial(partial, metaPath);
        throw new Retry(`${shown(download.url)}: the server answered another range than asked (${answer.headers['content-range'] ?? 'none'}); starting again`, 0);
      }
      start = have;
      total = range.total;
    } else {
      // 200: the whole file, whatever we asked (a server that ignores Range, or the file changed).
      if (have > 0) state.restarted = true;
      total = integerOf(answer.headers['content-length']);
    }
    if (start === 0) {
      state.resumedFrom = 0;
      const newMeta: PartialMeta = {
        url: download.url,
        ...(total !== undefined && { total }),
        ...(answer.headers.etag !== undefined && { etag: answer.headers.etag }),
        ...(answer.headers['last-modified'] !== undefined && { lastModified: answer.headers['last-modified'] }),
      };
      await writeFile(metaPath, JSON.stringify(newMeta));
    }
    const file = await open(partial, start === 0 ? 'w' : 'a');
    let bytes = start;
    let lastReport = 0;
    const report = (force: boolean) => {
      const now = Date.now();
      if (!force && now - lastReport < 100) return;
      lastReport = now;
      download.onProgress?.({ bytes, ...(total !== undefined && { total }), resumedFrom: state.resumedFrom });
    };
    report(true);
    try {
      for await (const chunk of answer.body) {
        const buffer = chunk as Buffer;
        await file.write(buffer);
        bytes += buffer.length;
        report(false);
      }
    } catch (error) {
      if (download.signal?.aborted) throw download.signal.reason;
      throw new Retry(`${shown(download.url)}: the connection broke at ${formatBytes(bytes)}${total !== undefined ? ` of ${formatBytes(total)}` : ''} (${errorCode(error) ?? 'network error'})`);
    } finally {
      await file.close();
    }
    report(true);
    // The file on disk is the truth, not our count: it is what a resume continues from.
    const onDisk = await sizeOf(partial);
    if (total === undefined) return { bytes: onDisk, sizeChecked: false };
    if (onDisk < total) throw new Retry(`${shown(download.url)}: the body ended at ${formatBytes(onDisk)} of the ${formatBytes(total)} announced`);
    if (onDisk > total) {
      await clearPartial(partial, metaPath);
      throw new BacklinkGapError(
        'invalid_response',
        `${shown(download.url)}: ${formatBytes(onDisk)} were written but the server announced ${formatBytes(total)}; the file was discarded. Run the same command again to download it afresh.`,
      );
    }
    return { bytes: onDisk, sizeChecked: true };
  }

  return {
    async download(download) {
      const partial = `${download.destination}.partial`;
      const metaPath = `${download.destination}.partial.json`;
      if ((await sizeOf(download.destination)) > 0 && (await sizeOf(partial)) === 0) {
        const bytes = await sizeOf(download.destination);
        return { path: download.destination, bytes, alreadyComplete: true, resumedFrom: 0, restarted: false, sizeChecked: true };
      }
      const state = { resumedFrom: await sizeOf(partial), restarted: false };
      const firstResumedFrom = state.resumedFrom;
      let lastProblem = '';
      let furthest = state.resumedFrom;
      for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
        if (download.signal?.aborted) throw await cancelled(download, partial);
        try {
          const done = await attemptDownload(download, partial, metaPath, state);
          await rename(partial, download.destination);
          await rm(metaPath, { force: true });
          return {
            path: download.destination,
            bytes: done.bytes,
            alreadyComplete: false,
            resumedFrom: state.restarted ? 0 : firstResumedFrom,
            restarted: state.restarted,
            sizeChecked: done.sizeChecked,
          };
        } catch (error) {
          if (download.signal?.aborted) throw await cancelled(download, partial);
          if (!(error instanceof Retry)) throw error;
          lastProblem = error.message;
          // An attempt that took the file further than ever before is not a failure to count: a long
          // download over a flaky line breaks many times and still finishes. (Furthest, not longer than
          // the last attempt's: a server that restarts from zero each time cannot loop for ever.)
          const reached = await sizeOf(partial);
          if (reached > furthest) {
            furthest = reached;
            attempt = 0;
          }
          if (attempt < maxAttempts) {
            try {
              await sleep(error.waitMs ?? backoffDelay(attempt, backoffBaseMs), download.signal);
            } catch {
              throw await cancelled(download, partial);
            }
          }
        }
      }
      const kept = await sizeOf(partial);
      const meta = await readMeta(metaPath, download.url);
      throw new BacklinkGapError(
        'upstream_unavailable',
        `${lastProblem}. Gave up after ${maxAttempts} attempts; ${
          kept > 0
            ? `${formatBytes(kept)}${meta?.total !== undefined ? ` of ${formatBytes(meta.total)}` : ''} are kept in ${partial} and nothing was imported: run the same command again to resume.`
            : 'nothing was kept or imported: run the same command again later.'
        }`,
      );
    },

    async get(url, getOptions = {}) {
      const maxBytes = getOptions.maxBytes ?? SMALL_BODY_CAP;
      for (let attempt = 1; ; attempt += 1) {
        try {
          const answer = await request(url, 'GET', {}, getOptions.signal);
          if (RETRY_STATUSES.has(answer.status) && attempt < maxAttempts) {
            await answer.body.dump().catch(() => undefined);
            await sleep(parseRetryAfter(answer.headers['retry-after']) ?? backoffDelay(attempt, backoffBaseMs), getOptions.signal);
            continue;
          }
          if (answer.status < 200 || answer.status >= 300) {
            await answer.body.dump().catch(() => undefined);
            return { status: answer.status, body: Buffer.alloc(0) };
          }
          const chunks: Buffer[] = [];
          let size = 0;
          for await (const chunk of answer.body) {
            size += (chunk as Buffer).length;
            if (size > maxBytes) {
              answer.body.destroy();
              throw new BacklinkGapError('invalid_response', `${shown(url)} is larger than ${formatBytes(maxBytes)}; not read`);
            }
            chunks.push(chunk as Buffer);
          }
          return { status: answer.status, body: Buffer.concat(chunks) };
        } catch (error) {
          if (getOptions.signal?.aborted) throw getOptions.signal.reason;
          if (error instanceof BacklinkGapError) throw error;
          if (attempt >= maxAttempts) {
            throw new BacklinkGapError('upstream_unavailable', `${shown(url)} could not be read (${errorCode(error) ?? 'network error'}); check the connection and try again`);
          }
          await sleep(backoffDelay(attempt, backoffBaseMs), getOptions.signal);
        }
      }
    },

    async head(url, headOptions = {}) {
      for (let attempt = 1; ; attempt += 1) {
        try {
          const answer = await request(url, 'HEAD', {}, headOptions.signal);
          await answer.body.dump().catch(() => undefined);
          if (RETRY_STATUSES.has(answer.status) && attempt < maxAttempts) {
            await sleep(parseRetryAfter(answer.headers['retry-after']) ?? backoffDelay(attempt, backoffBaseMs), headOptions.signal);
            continue;
          }
          const size = answer.status >= 200 && answer.status < 300 ? integerOf(answer.headers['content-length']) : undefined;
          return { status: answer.status, ...(size !== undefined && { size }) };
        } catch (error) {
          if (headOptions.signal?.aborted) throw headOptions.signal.reason;
          if (error instanceof BacklinkGapError) throw error;
          if (attempt >= maxAttempts) {
            throw new BacklinkGapError('upstream_unavailable', `${shown(url)} could not be reached (${errorCode(error) ?? 'network error'}); check the connection and try again`);
          }
          await sleep(backoffDelay(attempt, backoffBaseMs), headOptions.signal);
        }
      }
    },

    async close() {
      if (ownAgent !== undefined && !ownAgent.destroyed && !ownAgent.closed) await ownAgent.close();
    },
  };
}

async function cancelled(download: DownloadOptions, partial: string): Promise<BacklinkGapError> {
  const kept = await sizeOf(partial);
  return new BacklinkGapError(
    'cancelled',
    `interrupted: ${kept > 0 ? `${formatBytes(kept)} of ${shown(download.url)} are kept in ${partial}; run the same command again to resume` : `nothing of ${shown(download.url)} was kept`}.`,
  );
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

async function readMeta(path: string, url: string): Promise<PartialMeta | undefined> {
  try {
    const meta = JSON.parse(await readFile(path, 'utf8')) as PartialMeta;
    return meta.url === url ? meta : undefined;
  } catch {
    return undefined;
  }
}

async function clearPartial(partial: string, metaPath: string): Promise<void> {
  await rm(partial, { force: true });
  await rm(metaPath, { force: true });
}

function integerOf(value: string | undefined): number | undefined {
  if (value === undefined || !/^\s*\d+\s*$/.test(value)) return undefined;
  return Number(value);
}

/** `bytes START-END/TOTAL` (TOTAL may be `*`). */
export function parseContentRange(value: string | undefined): { start: number; end: number; total?: number } | undefined {
  const match = /^\s*bytes\s+(\d+)-(\d+)\/(\d+|\*)\s*$/i.exec(value ?? '');
  if (match === null) return undefined;
  return { start: Number(match[1]), end: Number(match[2]), ...(match[3] !== '*' && { total: Number(match[3]) }) };
}

// `bytes */TOTAL` of a 416 answer.
function totalOfRange(value: string | undefined): number | undefined {
  const match = /^\s*bytes\s+\*\/(\d+)\s*$/i.exec(value ?? '');
  return match === null ? undefined : Number(match[1]);
}

/** A URL as shown in messages: no query (none of ours carries a secret, but a configured base might). */
function shown(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return url;
  }
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value >= 100 ? value.toFixed(0) : value.toFixed(1)} ${units[unit]}`;
}
