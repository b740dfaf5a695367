// What every adapter shares: its dependencies, the account hash, the not-configured error and a
// lenient response parse that turns a mismatch into one invalid_response error.

import { createHash } from 'node:crypto';
import type { Dispatcher } from 'undici';
import type { z } from 'zod';
import { PROVIDER_VARIABLES } from '../config.js';
import { type Cost, PROVIDER_TITLES, type ProviderName } from '../domain.js';
import { ProviderError, UsageError } from '../errors.js';
import { type Billing, createHttpClient, type HttpClient } from '../http/client.js';
import type { Logger } from '../log.js';
import type { CallContext } from './provider.js';

export interface AdapterDependencies {
  logger: Logger;
  /** Tests route requests through a MockAgent. */
  dispatcher?: Dispatcher;
  /** Tests shorten retry waits. */
  backoffBaseMs?: number;
}

/** First 12 hex characters of sha256 over the credentials: identifies the account, reveals nothing. */
export function accountHash(...secrets: ReadonlyArray<string | undefined>): string {
  const present = secrets.filter((secret): secret is string => secret !== undefined && secret !== '');
  if (present.length === 0) return 'unconfigured';
  return createHash('sha256').update(present.join('\u0000')).digest('hex').slice(0, 12);
}

/** Thrown when a capability is called on a provider without credentials. */
export function notConfigured(name: ProviderName): UsageError {
  if (name === 'local') return new UsageError('not_configured', 'The local dataset is not configured: set BACKLINK_GAP_DATA.');
  return new UsageError(
    'not_configured',
    `${PROVIDER_TITLES[name]} is not configured: set ${PROVIDER_VARIABLES[name]} in the server's environment (the MCP client config "env").`,
  );
}

/** Parse a provider answer with a lenient schema; a mismatch is one invalid_response naming the first problem. */
export function parseResponse<Schema extends z.ZodType>(provider: ProviderName, schema: Schema, value: unknown): z.output<Schema> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue && issue.path.length > 0 ? ` at ${issue.path.map(String).join('.')}` : '';
  const what = issue ? `${issue.message}${where}` : 'unexpected shape';
  return invalid(provider, `the answer does not have the documented shape (${what})`);
}

function invalid(provider: ProviderName, why: string): never {
  throw new ProviderError({
    code: 'invalid_response',
    provider,
    message: `${PROVIDER_TITLES[provider]} sent an answer this server cannot read: ${why}. Try again later, or use another provider.`,
  });
}

/** The HTTP client of one adapter: its provider name, base URL and secrets, plus the test seams. */
export function adapterHttpClient(
  provider: ProviderName,
  baseUrl: string,
  secrets: readonly string[],
  deps: AdapterDependencies,
  maxConcurrency?: number,
): HttpClient {
  return createHttpClient({
    provider,
    baseUrl,
    secrets,
    logger: deps.logger,
    ...(maxConcurrency !== undefined && { maxConcurrency }),
    ...(deps.dispatcher !== undefined && { dispatcher: deps.dispatcher }),
    ...(deps.backoffBaseMs !== undefined && { backoffBaseMs: deps.backoffBaseMs }),
  });
}

/**
 * The `billing` of one paid request: pass it to `http.requestJson({ ..., billing: billed(context, price) })`
 * and the HTTP layer reports the spend through `context.spend` once per request sent (see Billing),
 * never repeats it once it may have landed, and returns what it reported as `response.cost` (sum
 * those for the result's `cost`). `charged` reads the provider's own figure from a 2xx body.
 */
export function billed(context: CallContext, price: Cost, charged?: (body: unknown) => Cost | undefined): Billing {
  return {
    price,
    ...(context.spend !== undefined && { spend: context.spend }),
    ...(charged !== undefined && { charged }),
  };
}

/** Costs of one provider added up (an empty list is zero in `unit`). */
export function sumCosts(provider: ProviderName, unit: Cost['unit'], costs: ReadonlyArray<Cost | undefined>): Cost {
  let amount = 0;
  for (const cost of costs) if (cost !== undefined) amount += cost.amount;
  return { amount: Math.round(amount * 1e9) / 1e9, unit, provider };
}
