// The only importer of undici: JSON requests with timeouts, a whole-call deadline, safe retries,
// bounded concurrency and secret redaction. Every failure leaves here as a ProviderError.

import { Agent, type Dispatcher } from 'undici';
import type { Cost, ProviderName } from '../domain.js';
import { ProviderError } from '../errors.js';
import type { Logger } from '../log.js';
import { USER_AGENT } from '../version.js';
import {
  cancelledError,
  invalidResponseError,
  looksLikeHtml,
  type NetworkKind,
  networkError,
  mayHaveBeenBilled,
  rateLimitBeyondDeadline,
  redact,
  redactBody,
  redactUrl,
  statusError,
  type TimeoutKind,
  timeoutError,
} from './failures.js';
import { errorCode, flattenHeaders } from './undici-fields.js';
import { createLimiter } from './limiter.js';
import { backoffDelay, parseRetryAfter, sleep } from './retry.js';

export { parseRetryAfter } from './retry.js';

export interface HttpClientOptions {
  provider: ProviderName;
  /** Documented paths are appended to it. */
  baseUrl: string;
  /** Redacted from every URL, header, message and log line. */
  secrets: readonly string[];
  logger: Logger;
  /** Tests pass a MockAgent; default: one undici Agent (keep-alive) for this client. */
  dispatcher?: Dispatcher;
  /** Requests in flight at once for this client; default 4. */
  maxConcurrency?: number;
  /** Default 3 (first try included). */
  maxAttempts?: number;
  /** Default 10_000. */
  connectTimeoutMs?: number;
  /** Default: the time left until the call's deadline (BACKLINK_GAP_DEADLINE_MS), so a provider's
   *  documented long answers (DataForSEO Live: up to 120 s) are allowed when the deadline allows them. */
  headersTimeoutMs?: number;
  /** Default 30_000. */
  bodyTimeoutMs?: number;
  /** Default 500 (tests set small values). */
  backoffBaseMs?: number;
  /** Default `backlink-gap-mcp/<version>`. */
  userAgent?: string;
}

export interface HttpRequest {
  method: 'GET' | 'POST';
  /** e.g. '/v1/backlinks/gap' */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  headers?: Record<string, string>;
  /** JSON-encoded when present. */
  body?: unknown;
  /** MCP cancellation: aborts the upstream request. */
  signal?: AbortSignal;
  /** Epoch ms; bounds the whole call including retries; default now + 50 s. */
  deadline?: number;
  /** false for calls that create a billable run: never repeated after a timeout or a network error
   *  once the request may have reached the server (the error says so). Default true. */
  idempotent?: boolean;
  /** Set on every request that may cost money: the HTTP layer reports the spend, once per request
   *  sent, and never repeats the request once it may have reached the provider (unless `repeatable`). */
  billing?: Billing;
  /** Provider-specific mapping of an error (non-2xx) response; return undefined to use the default mapping. */
  mapError?: (response: { status: number; body: unknown; text: string; headers: Record<string, string> }) => ProviderError | undefined;
}

/**
 * How a request is billed. The HTTP layer is the one place that reports spend, so no adapter can
 * forget: `spend` (the call's `CallContext.spend`) is called once for each request that was billed or
 * may have been:
 * - a 2xx answer: what `charged` reads from it (the provider's own figure), else `price`;
 * - no answer after the request was sent (timeout, reset, deadline, cancellation) or a 502/504
 *   gateway answer (the provider behind it may have done the work): `price`, and the error says the
 *   request may have been billed.
 * Refusals (4xx, 500, 503) and failures before anything was sent are not reported.
 */
export interface Billing {
  spend?: (cost: Cost) => void;
  /** The documented price of this request (at most, where it depends on the answer). */
  price: Cost;
  /** Reads what the provider says it charged from a 2xx body; undefined keeps `price`. */
  charged?: (body: unknown) => Cost | undefined;
  /** The provider documents repeating this request as free or idempotent: it is then retried like
   *  any other request. Default false: only a 429 or a failure before sending is repeated. */
  repeatable?: boolean;
}

export interface HttpResponse<T = unknown> {
  status: number;
  headers: Record<string, string>;
  /** Parsed JSON (null for a 204), with any secret the provider echoed back redacted. */
  body: T;
  /** With `billing`: what was reported through `spend` for this call, every attempt included. */
  cost?: Cost;
}

export interface HttpClient {
  requestJson<T = unknown>(request: HttpRequest): Promise<HttpResponse<T>>;
  close(): Promise<void>;
}

const DEFAULT_DEADLINE_MS = 50_000;
/** Far above any documented answer (DomDetailer's 5,000 rows are a few MB); guards memory. */
const MAX_BODY_BYTES = 64 * 1024 * 1024;
/** Statuses after which a billable (non-idempotent) call may be repeated: the server did no work. */
const SAFE_FOR_BILLABLE = new Set([429, 503]);
/** Statuses after which a billed call may be repeated (billing without `repeatable`): a 503 is not
 *  documented as free by any provider, so only a rate limit is. */
const SAFE_FOR_BILLED = new Set([429]);
/** Gateway answers: the provider behind the gateway may have done (and billed) the work. */
const GATEWAY_STATUSES = new Set([502, 504]);
const RETRY_STATUSES = new Set([429, 502, 503, 504]);
/** Failures before the request left this machine: repeating them cannot double-bill. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  // A test fake (MockAgent) with no interceptor for the request: nothing left this process.
  'UND_MOCK_ERR_MOCK_NOT_MATCHED',
]);

type Stop = 'cancelled' | 'deadline';

/** One attempt's outcome: an answer, or an error with whether repeating it is allowed. */
type Attempt<T> =
  | { ok: true; response: HttpResponse<T> }
  | { ok: false; error: ProviderError; retry: boolean; waitMs?: number; status?: number };

export function createHttpClient(options: HttpClientOptions): HttpClient {
  const { provider, secrets, logger } = options;
  const maxAttempts = Math.max(1, options.maxAttempts ?? 3);
  const fixedHeadersTimeout = options.headersTimeoutMs;
  const bodyTimeout = options.bodyTimeoutMs ?? 30_000;
  const backoffBaseMs = options.backoffBaseMs ?? 500;
  const userAgent = options.userAgent ?? USER_AGENT;
  const limiter = createLimiter(options.maxConcurrency ?? 4);
  const ownAgent =
    options.dispatcher === undefined
      ? new Agent({ connect: { timeout: options.connectTimeoutMs ?? 10_000 }, headersTimeout: 0, bodyTimeout, keepAliveTimeout: 10_000 })
      : undefined;
  const dispatcher: Dispatcher = options.dispatcher ?? (ownAgent as Agent);
  const base = options.baseUrl.replace(/\/+$/, '');

  const buildUrl = (request: HttpRequest): URL => {
    const url = new URL(`${base}${request.path.startsWith('/') ? '' : '/'}${request.path}`);
    for (const [name, value] of Object.entries(request.query ?? {})) {
      if (value !== undefined) url.searchParams.append(name, String(value));
    }
    return url;
  };

  async function attempt<T>(
    request: HttpRequest,
    url: URL,
    shownPath: string,
    signal: AbortSignal,
    stopReason: () => Stop | undefined,
    number: number,
    deadline: number,
    charge: (body: unknown) => Cost | undefined,
  ): Promise<Attempt<T>> {
    const billed = request.billing !== undefined && request.billing.repeatable !== true;
    // A billed request is repeated only where nothing can have been billed; `idempotent: false` keeps
    // its own (older) rule that a 503 did no work.
    const idempotent = request.idempotent !== false && !billed;
    const safeStatuses = billed ? SAFE_FOR_BILLED : SAFE_FOR_BILLABLE;
    const headers: Record<string, string> = { 'user-agent': userAgent, accept: 'application/json' };
    for (const [name, value] of Object.entries(request.headers ?? {})) headers[name.toLowerCase()] = value;
    let payload: string | undefined;
    if (request.body !== undefined) {
      payload = JSON.stringify(request.body);
      headers['content-type'] = 'application/json';
    }
    const started = Date.now();
    const logLine = (fields: Record<string, unknown>) =>
      logger.debug(redact(`http ${request.method} ${shownPath}`, secrets), { provider, attempt: number, ms: Date.now() - started, ...fields });

    // A failure with no HTTP answer: stopped by the caller or deadline, a timeout, or the network.
    const failed = (error: unknown, phase: 'send' | 'body', status?: number): Attempt<T> => {
      const stop = stopReason();
      const code = errorCode(error);
      logLine({ ...(status !== undefined && { status }), error: stop ?? code ?? 'unknown' });
      const notSent = phase === 'send' && code !== undefined && NOT_SENT_CODES.has(code);
      // Past this point the request may have reached the provider: a billed one counts as spent.
      const mayBeBilled = billed && !notSent;
      const refused = status !== undefined && (status < 200 || status >= 300) && !GATEWAY_STATUSES.has(status);
      if (request.billing !== undefined && !notSent && !refused) charge(undefined);
      if (stop === 'cancelled') return { ok: false, error: mayBeBilled ? mayHaveBeenBilled(cancelledError(provider)) : cancelledError(provider), retry: false };
      if (stop === 'deadline') return { ok: false, error: timeoutError(provider, 'deadline', number, mayBeBilled), retry: false };
      const timeout = timeoutKind(code);
      if (timeout !== undefined) {
        // A stalled body is not repeated: the server answered and is slow to send it, so it would stall again.
        const retry = timeout !== 'body' && (idempotent || notSent);
        return { ok: false, error: timeoutError(provider, timeout, number, !idempotent && !notSent), retry };
      }
      const kind: NetworkKind = code === 'ECONNREFUSED' ? 'refused' : isReset(code) ? 'reset' : 'other';
      if (kind === 'other' && code !== undefined && code.startsWith('UND_MOCK_')) {
        // A test fake with no matching interceptor: say so plainly instead of blaming the provider.
        logger.debug('http no mock interceptor matched', { provider, path: shownPath });
      }
      return { ok: false, error: networkError(provider, kind, number, !idempotent && !notSent), retry: idempotent || notSent };
    };

    let response: Dispatcher.ResponseData;
    try {
      response = await dispatcher.request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: request.method,
        headers,
        ...(payload !== undefined && { body: payload }),
        signal,
        // The call's deadline bounds the wait for headers unless the client fixed a shorter one.
        headersTimeout: fixedHeadersTimeout ?? Math.max(1, deadline - Date.now()),
        bodyTimeout,
      });
    } catch (error) {
      return failed(error, 'send');
    }

    const status = response.statusCode;
    const responseHeaders = flattenHeaders(response.headers);
    let text: string;
    try {
      text = await readText(response.body);
    } catch (error) {
      if (error instanceof BodyTooLarge) {
        logLine({ status, error: 'body_too_large' });
        if (request.billing !== undefined && status >= 200 && status < 300) charge(undefined);
        return { ok: false, error: invalidResponseError(provider, status, `the answer is larger than ${MAX_BODY_BYTES / 1024 / 1024} MB`, secrets), retry: false };
      }
      return failed(error, 'body', status);
    }
    logLine({ status });

    if (status >= 200 && status < 300) {
      if (status === 204) {
        const cost = request.billing !== undefined ? charge(null) : undefined;
        return { ok: true, response: { status, headers: responseHeaders, body: null as T, ...(cost !== undefined && { cost }) } };
      }
      const parsed = parseJson(text);
      if (!parsed.ok) {
        // Billed all the same: the provider answered.
        if (request.billing !== undefined) charge(undefined);
        const type = responseHeaders['content-type'];
        const why =
          text.trim() === ''
            ? 'the body is empty'
            : looksLikeHtml(text)
              ? `it sent an HTML page instead of JSON${type ? ` (${type})` : ''}`
              : `the body is not valid JSON (${text.length} characters${type ? `, ${type}` : ''})`;
        return { ok: false, error: invalidResponseError(provider, status, why, secrets), retry: false };
      }
      // An upstream that echoes a key back (in a URL, an account field) must not carry it into a result or the cache.
      const body = redactBody(parsed.value, text, secrets) as T;
      const cost = request.billing !== undefined ? charge(body) : undefined;
      return { ok: true, response: { status, headers: responseHeaders, body, ...(cost !== undefined && { cost }) } };
    }

    const parsed = parseJson(text);
    const body = parsed.ok ? parsed.value : undefined;
    const retryAfterMs = parseRetryAfter(responseHeaders['retry-after']);
    let error = request.mapError?.({ status, body, text, headers: responseHeaders });
    if (error !== undefined) {
      error.message = redact(error.message, secrets);
    } else {
      error = statusError({ provider, status, body, text, secrets, attempts: number, ...(retryAfterMs !== undefined && { retryAfterMs }) });
    }
    const gateway = GATEWAY_STATUSES.has(status);
    if (gateway && request.billing !== undefined) charge(undefined);
    if (gateway && billed) error = mayHaveBeenBilled(error);
    // 500 is not repeated: an application error that a second identical call would meet again.
    const repeatable = status !== 500 && (RETRY_STATUSES.has(status) || (error.retryable && status > 500));
    const retry = repeatable && (idempotent || safeStatuses.has(status));
    const waitMs = error.retryAfterMs ?? retryAfterMs;
    return { ok: false, error, retry, status, ...(waitMs !== undefined && { waitMs }) };
  }

  async function requestJson<T = unknown>(request: HttpRequest): Promise<HttpResponse<T>> {
    const url = buildUrl(request);
    const shownPath = redactUrl(url, secrets);
    const deadline = request.deadline ?? Date.now() + DEFAULT_DEADLINE_MS;
    const controller = new AbortController();
    let stop: Stop | undefined;
    const halt = (why: Stop) => {
      if (stop !== undefined) return;
      stop = why;
      controller.abort(new DOMException(why === 'cancelled' ? 'The call was cancelled' : 'The deadline passed', 'AbortError'));
    };
    const onCallerAbort = () => halt('cancelled');
    if (request.signal?.aborted) throw cancelledError(provider);
    request.signal?.addEventListener('abort', onCallerAbort, { once: true });
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      request.signal?.removeEventListener('abort', onCallerAbort);
      throw timeoutError(provider, 'deadline', 0, false);
    }
    const timer = setTimeout(() => halt('deadline'), remaining);
    const stopError = (): ProviderError => (stop === 'cancelled' ? cancelledError(provider) : timeoutError(provider, 'deadline', 0, false));

    // What this call reported through billing.spend, over every attempt.
    let spent: Cost | undefined;
    const charge = (body: unknown): Cost | undefined => {
      const billing = request.billing;
      if (billing === undefined) return undefined;
      let cost = billing.price;
      if (body !== undefined) {
        try {
          cost = billing.charged?.(body) ?? billing.price;
        } catch {
          cost = billing.price;
        }
      }
      if (!Number.isFinite(cost.amount) || cost.amount < 0) cost = billing.price;
      spent = spent === undefined ? { ...cost } : { ...spent, amount: roundAmount(spent.amount + cost.amount) };
      if (cost.amount > 0 && billing.spend !== undefined) {
        try {
          billing.spend(cost);
        } catch (error) {
          // Recording is the service's job; a failure there must not turn a paid answer into an error.
          logger.warn('could not report spend', { provider, error: redact(String(error), secrets) });
        }
      }
      return spent;
    };

    try {
      for (let number = 1; ; number += 1) {
        let outcome: Attempt<T>;
        try {
          outcome = await limiter.run(
            () => attempt<T>(request, url, shownPath, controller.signal, () => stop, number, deadline, charge),
            controller.signal,
          );
        } catch {
          // Only the wait for a free slot rejects, and only when the call was stopped.
          throw stopError();
        }
        if (outcome.ok) return spent === undefined ? outcome.response : { ...outcome.response, cost: spent };
        const { error } = outcome;
        if (!outcome.retry || number >= maxAttempts) {
          if (number > 1 && outcome.status !== undefined && outcome.retry) {
            // Re-word so the message counts every attempt made.
            throw finalStatusError(error, outcome.status, number, outcome.waitMs);
          }
          throw error;
        }
        const waitMs = outcome.waitMs ?? backoffDelay(number, backoffBaseMs);
        if (Date.now() + waitMs >= deadline) {
          if (outcome.waitMs !== undefined && outcome.status !== undefined && (outcome.status === 429 || error.code === 'rate_limited')) {
            throw rateLimitBeyondDeadline(provider, outcome.status, outcome.waitMs, secrets);
          }
          throw error;
        }
        try {
          await sleep(waitMs, controller.signal);
        } catch {
          throw stopError();
        }
      }
    } finally {
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', onCallerAbort);
    }
  }

  /** The default status error again, now counting attempts; a provider-mapped error is kept as is. */
  function finalStatusError(error: ProviderError, status: number, attempts: number, retryAfterMs: number | undefined): ProviderError {
    if (error.message.includes('attempts')) return error;
    return new ProviderError({
      code: error.code,
      provider,
      status,
      message: redact(`${error.message} (${attempts} attempts made.)`, secrets),
      ...(retryAfterMs !== undefined && { retryAfterMs }),
    });
  }

  return {
    requestJson,
    async close() {
      // Closing twice (shutdown after a test's own cleanup) must not throw.
      if (ownAgent === undefined || ownAgent.destroyed || ownAgent.closed) return;
      await ownAgent.close();
    },
  };
}

class BodyTooLarge extends Error {}

/** Sums of money in floating point (DataForSEO's dollars) without 0.1 + 0.2 noise. */
function roundAmount(amount: number): number {
  return Math.round(amount * 1e9) / 1e9;
}

async function readText(body: Dispatcher.ResponseData['body']): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    size += buffer.length;
    if (size > MAX_BODY_BYTES) {
      body.destroy();
      throw new BodyTooLarge();
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  if (text.trim() === '') return { ok: false };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}



function timeoutKind(code: string | undefined): TimeoutKind | undefined {
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return 'connect';
  if (code === 'UND_ERR_HEADERS_TIMEOUT') return 'headers';
  if (code === 'UND_ERR_BODY_TIMEOUT') return 'body';
  return undefined;
}

function isReset(code: string | undefined): boolean {
  return code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET' || code === 'UND_ERR_CLOSED' || code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH';
}
