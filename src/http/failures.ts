// The default mapping from HTTP outcomes (statuses, network failures, timeouts) to ProviderError,
// with messages the model can act on and no secret in them.

import { PROVIDER_VARIABLES } from '../config.js';
import { PROVIDER_TITLES, type ProviderName } from '../domain.js';
import { ProviderError, type ProviderErrorCode } from '../errors.js';
import { redact as redactLong } from '../log.js';

/**
 * Secrets replaced by `***`, as is and URL-encoded. A secret shorter than 4 characters (implausible,
 * but configurable) is still replaced, where it stands alone: not inside a longer word, so "ab1" is
 * redacted from `apikey=ab1` but not from `tab1e`.
 */
export function redact(text: string, secrets: readonly string[]): string {
  let out = redactLong(text, secrets);
  for (const secret of secrets) {
    if (secret.length === 0 || secret.length >= 4) continue;
    for (const form of new Set([secret, encodeURIComponent(secret)])) {
      out = out.replace(new RegExp(`(?<![A-Za-z0-9])${escapeRegExp(form)}(?![A-Za-z0-9])`, 'g'), '***');
    }
  }
  return out;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Whether `text` may hold a secret in any form redact() replaces (a cheap test before walking a body). */
function mayHoldSecret(text: string, secrets: readonly string[]): boolean {
  return secrets.some((secret) => {
    if (secret.length === 0) return false;
    // JSON text escapes '/' as '\/' at will and non-ASCII as \u escapes: look for a prefix too.
    const head = secret.slice(0, Math.min(secret.length, 4));
    return text.includes(secret) || text.includes(encodeURIComponent(secret)) || text.includes(head);
  });
}

/** A parsed JSON body with every secret redacted from its strings (keys included), when the text may hold one. */
export function redactBody(value: unknown, text: string, secrets: readonly string[]): unknown {
  if (secrets.length === 0 || !mayHoldSecret(text, secrets)) return value;
  const walk = (item: unknown): unknown => {
    if (typeof item === 'string') return redact(item, secrets);
    if (Array.isArray(item)) return item.map(walk);
    if (item !== null && typeof item === 'object') {
      const out: Record<string, unknown> = {};
      for (const [key, inner] of Object.entries(item)) out[redact(key, secrets)] = walk(inner);
      return out;
    }
    return item;
  };
  return walk(value);
}

/** The same error, saying the request may have reached the provider and been billed, so it was not repeated. */
export function mayHaveBeenBilled(error: ProviderError): ProviderError {
  const title = PROVIDER_TITLES[error.provider];
  return new ProviderError({
    code: error.code,
    provider: error.provider,
    message: `${error.message} The request may have reached ${title}, so it was not repeated (it may have been billed); check before running it again.`,
    ...(error.status !== undefined && { status: error.status }),
    ...(error.retryAfterMs !== undefined && { retryAfterMs: error.retryAfterMs }),
  });
}

function credentialHint(provider: ProviderName): string {
  return provider === 'local' ? 'the dataset path' : PROVIDER_VARIABLES[provider];
}

/** A URL's path and query with every secret-bearing query value replaced by `***`, then redacted. */
export function redactUrl(url: URL, secrets: readonly string[]): string {
  const params = new URLSearchParams(url.search);
  const shown: string[] = [];
  for (const [name, value] of params) {
    const secret = secrets.some((s) => s.length > 0 && (value === s || (s.length >= 4 && (value.includes(s) || value.includes(encodeURIComponent(s))))));
    shown.push(`${encodeURIComponent(name)}=${secret ? '***' : encodeURIComponent(value)}`);
  }
  const path = shown.length > 0 ? `${url.pathname}?${shown.join('&')}` : url.pathname;
  return redact(path, secrets);
}

/** A short, redacted message from a provider's error body (its `message`, `error`, ... or plain text). */
export function upstreamDetail(body: unknown, text: string, secrets: readonly string[]): string | undefined {
  let detail: string | undefined;
  if (body !== null && typeof body === 'object') {
    const record = body as Record<string, unknown>;
    for (const field of ['message', 'error_message', 'status_message', 'detail', 'error', 'title']) {
      const value = record[field];
      if (typeof value === 'string' && value.trim() !== '') {
        detail = value;
        break;
      }
      if (value !== null && typeof value === 'object' && typeof (value as Record<string, unknown>).message === 'string') {
        detail = (value as Record<string, unknown>).message as string;
        break;
      }
    }
  } else if (typeof body === 'string' && body.trim() !== '') {
    detail = body;
  } else if (body === undefined && text.trim() !== '' && !looksLikeHtml(text)) {
    detail = text;
  }
  if (detail === undefined) return undefined;
  const oneLine = detail.replace(/\s+/g, ' ').trim();
  const short = oneLine.length > 300 ? `${oneLine.slice(0, 300)}…` : oneLine;
  return redact(short, secrets);
}

export function looksLikeHtml(text: string): boolean {
  return /^\s*</.test(text);
}

function withDetail(message: string, detail: string | undefined): string {
  return detail === undefined ? message : `${message} ${detail.endsWith('.') ? detail : `${detail}.`}`;
}

function seconds(ms: number): string {
  return `${Math.max(1, Math.ceil(ms / 1000))} s`;
}

export interface StatusFailure {
  provider: ProviderName;
  status: number;
  body: unknown;
  text: string;
  secrets: readonly string[];
  retryAfterMs?: number;
  attempts: number;
}

/** The default error for a non-2xx answer. */
export function statusError(failure: StatusFailure): ProviderError {
  const { provider, status, secrets, attempts } = failure;
  const title = PROVIDER_TITLES[provider];
  const detail = upstreamDetail(failure.body, failure.text, secrets);
  const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
  const make = (code: ProviderErrorCode, message: string, extra?: { retryAfterMs?: number }) =>
    new ProviderError({ code, provider, status, message: redact(message, secrets), ...extra });

  if (status === 400 || status === 422) {
    return make('bad_request', withDetail(`${title} rejected the request (HTTP ${status}); check the arguments.`, detail));
  }
  if (status === 401 || status === 403) {
    const why = status === 403 ? 'refused access (HTTP 403): the key may lack API access on this plan;' : 'refused the credentials (HTTP 401):';
    return make('auth_failed', withDetail(`${title} ${why} check ${credentialHint(provider)}.`, detail));
  }
  if (status === 402) {
    return make('no_credits', withDetail(`${title} says the account is out of credits (HTTP 402): top up credits, or use another provider.`, detail));
  }
  if (status === 404) {
    return make('not_found', withDetail(`${title} found nothing at this address (HTTP 404).`, detail));
  }
  if (status === 410) {
    return make('expired', withDetail(`${title} says this result has expired (HTTP 410): run the query again without the token or run id.`, detail));
  }
  if (status === 429) {
    const wait = failure.retryAfterMs !== undefined ? `retry after ${seconds(failure.retryAfterMs)}` : 'retry in a minute';
    return make(
      'rate_limited',
      withDetail(`${title} rate limit reached (HTTP 429)${tries}: ${wait}, or use another provider.`, detail),
      failure.retryAfterMs !== undefined ? { retryAfterMs: failure.retryAfterMs } : undefined,
    );
  }
  if (status >= 500) {
    return make(
      'upstream_unavailable',
      withDetail(`${title} failed on its side (HTTP ${status})${tries}: try again in a minute, or use another provider.`, detail),
      failure.retryAfterMs !== undefined ? { retryAfterMs: failure.retryAfterMs } : undefined,
    );
  }
  return make('invalid_response', withDetail(`${title} answered with an unexpected HTTP ${status}.`, detail));
}

/** A rate limit whose Retry-After does not fit in the time left for this call. */
export function rateLimitBeyondDeadline(provider: ProviderName, status: number, retryAfterMs: number, secrets: readonly string[]): ProviderError {
  return new ProviderError({
    code: 'rate_limited',
    provider,
    status,
    retryAfterMs,
    message: redact(
      `${PROVIDER_TITLES[provider]} rate limit reached (HTTP ${status}): it asks to wait ${seconds(retryAfterMs)}, longer than this call may take; retry after ${seconds(retryAfterMs)}, or use another provider.`,
      secrets,
    ),
  });
}

export type NetworkKind = 'refused' | 'reset' | 'other';

export function networkError(provider: ProviderName, kind: NetworkKind, attempts: number, notRepeated: boolean): ProviderError {
  const title = PROVIDER_TITLES[provider];
  const what = kind === 'refused' ? 'refused the connection' : kind === 'reset' ? 'closed the connection before answering in full' : 'could not be reached';
  const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
  const tail = notRepeated
    ? ` The request may have reached ${title}, so it was not repeated (it may have been billed); check before running it again.`
    : ' Try again in a minute, or use another provider.';
  return new ProviderError({ code: 'upstream_unavailable', provider, message: `${title} ${what}${tries}.${tail}` });
}

export type TimeoutKind = 'connect' | 'headers' | 'body' | 'deadline';

export function timeoutError(provider: ProviderName, kind: TimeoutKind, attempts: number, notRepeated: boolean): ProviderError {
  const title = PROVIDER_TITLES[provider];
  const what =
    kind === 'connect'
      ? 'could not be connected to in time'
      : kind === 'headers'
        ? 'did not start answering in time'
        : kind === 'body'
          ? 'stopped sending its answer part way'
          : 'did not answer before the deadline of this call';
  const tries = attempts > 1 ? ` (${attempts} attempts)` : '';
  const tail = notRepeated
    ? ` The request may have reached ${title}, so it was not repeated (it may have been billed); check before running it again.`
    : ' Try again, ask for fewer rows, or use another provider.';
  return new ProviderError({ code: 'timeout', provider, message: `${title} ${what}${tries}.${tail}` });
}

export function cancelledError(provider: ProviderName): ProviderError {
  return new ProviderError({ code: 'cancelled', provider, message: `The call to ${PROVIDER_TITLES[provider]} was cancelled before it finished.` });
}

export function invalidResponseError(
  provider: ProviderName,
  status: number,
  why: string,
  secrets: readonly string[],
): ProviderError {
  return new ProviderError({
    code: 'invalid_response',
    provider,
    status,
    message: redact(`${PROVIDER_TITLES[provider]} sent an answer this server cannot read (HTTP ${status}): ${why}. Try again later, or use another provider.`, secrets),
  });
}
