// One error family with stable codes. The only place retryability is decided.

import type { ProviderName } from './domain.js';

export type ProviderErrorCode =
  | 'auth_failed'
  | 'no_credits'
  | 'rate_limited'
  | 'bad_request'
  | 'not_found'
  | 'expired'
  | 'upstream_unavailable'
  | 'timeout'
  | 'invalid_response'
  | 'cancelled';

export type UsageErrorCode =
  | 'invalid_input'
  | 'not_configured'
  | 'unsupported'
  | 'unknown_run'
  | 'budget_exceeded'
  | 'dataset_error'
  | 'config_error';

const RETRYABLE: ReadonlySet<ProviderErrorCode> = new Set(['rate_limited', 'upstream_unavailable', 'timeout']);

/** Whether a failed upstream call may be repeated. */
export function isRetryable(code: ProviderErrorCode): boolean {
  return RETRYABLE.has(code);
}

/** Base of every error this server reports on purpose. `message` is written for the model to act on. */
export class BacklinkGapError extends Error {
  constructor(
    readonly code: ProviderErrorCode | UsageErrorCode,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** An upstream call failed. Built only at the edge (http layer and adapters). */
export class ProviderError extends BacklinkGapError {
  declare readonly code: ProviderErrorCode;
  readonly provider: ProviderName;
  readonly status?: number;
  readonly retryable: boolean;
  /** Milliseconds the provider asked us to wait (Retry-After), when it said. */
  readonly retryAfterMs?: number;

  constructor(options: {
    code: ProviderErrorCode;
    provider: ProviderName;
    message: string;
    status?: number;
    retryAfterMs?: number;
  }) {
    super(options.code, options.message);
    this.provider = options.provider;
    if (options.status !== undefined) this.status = options.status;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
    this.retryable = isRetryable(options.code);
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, provider: this.provider, status: this.status, retryable: this.retryable, message: this.message };
  }
}

/** The caller asked for something we cannot do as asked (bad input, unknown run, over budget...). */
export class UsageError extends BacklinkGapError {
  declare readonly code: UsageErrorCode;
  constructor(code: UsageErrorCode, message: string) {
    super(code, message);
  }
}

export function invalidInput(field: string, value: unknown, why: string): UsageError {
  return new UsageError('invalid_input', `${field}: ${why} (got ${preview(value)})`);
}

/** A short, safe rendering of a user value for an error message. */
export function preview(value: unknown, max = 80): string {
  let text: string;
  try {
    text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max)}…" (${text.length} chars)` : text;
}

/** What the model reads when a call fails: never a stack, always what to do next. */
export function describeError(error: unknown): string {
  if (error instanceof ProviderError) {
    return `[${error.provider}] ${error.code}: ${error.message}`;
  }
  if (error instanceof BacklinkGapError) return `${error.code}: ${error.message}`;
  if (error instanceof Error && error.name === 'AbortError') return 'cancelled: the call was cancelled before it finished.';
  return 'internal_error: the server hit an unexpected problem with this call; it has been logged. Try again, or change the arguments.';
}
