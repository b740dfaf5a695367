// The shared provider contract: every adapter maps its documented answer, surfaces HTTP failures with
// the right codes and retries, and never lets a secret out. Each adapter test file calls runProviderContract.

import { MockAgent, type Dispatcher } from 'undici';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ProviderError } from '../../src/errors.js';
import type { Logger } from '../../src/log.js';
import type { CallContext, Capability, Provider } from '../../src/providers/provider.js';

export interface CapturedRequest {
  /** Path without the query string. */
  path: string;
  method: string;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  /** Parsed JSON body, the raw text when it is not JSON, undefined when absent. */
  body: unknown;
  query: URLSearchParams;
}

export interface ContractCase {
  capability: Capability;
  /** Makes one documented call. Pass `context` through: the suite uses it for the deadline test. */
  call(provider: Provider, context: CallContext): Promise<unknown>;
  /** Matches the outgoing request (a string path matches the path without its query string). */
  intercept: { method: string; path: string | RegExp | ((path: string) => boolean) };
  /** The documented answer, from the seed. */
  documentedResponse: { status: number; body: unknown };
  /** An answer with no rows. */
  emptyResponse: { status: number; body: unknown };
  assertRequest?(request: CapturedRequest): void;
  /** The documented answer in the shared vocabulary. */
  assertMapped(result: unknown): void;
  assertEmpty(result: unknown): void;
  /** The call is paid: the suite checks that its billed requests are reported through
   *  `context.spend` and that the result's `cost` is their sum (HttpRequest.billing does both). */
  billed?: boolean;
}

export interface ContractSpec {
  name: string;
  /** Recognisable fake secrets used in the settings; none may appear in any error, log line or result. */
  secrets: string[];
  /** Builds the adapter with fake settings; give it `logger` so the suite can read every line it writes. */
  create(dispatcher: Dispatcher, logger: Logger): Provider;
  /** Origin for MockAgent.get(origin). */
  origin: string;
  /** One documented call per capability the adapter serves natively. */
  cases: ContractCase[];
  /** The provider's error body for a status; the default echoes the first secret to prove redaction. */
  errorBody?(status: number): unknown;
}

/** Header objects as MockAgent hands them over (plain object, flat array or Headers), lower-cased. */
export function headersOf(raw: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (raw === undefined || raw === null) return out;
  if (Array.isArray(raw)) {
    for (let index = 0; index + 1 < raw.length; index += 2) out[String(raw[index]).toLowerCase()] = String(raw[index + 1]);
    return out;
  }
  if (typeof (raw as Headers).forEach === 'function') {
    (raw as Headers).forEach((value, key) => {
      out[key.toLowerCase()] = value;
    });
    return out;
  }
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) out[key.toLowerCase()] = String(value);
  return out;
}

/** A logger keeping every line as the stderr logger would print it (message and fields). */
export function captureLogger(): { lines: string[]; logger: Logger } {
  const lines: string[] = [];
  const push = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    lines.push(`${level}: ${message}${fields ? ` ${JSON.stringify(fields)}` : ''}`);
  };
  return { lines, logger: { debug: push('debug'), info: push('info'), warn: push('warn'), error: push('error') } };
}

export function captureRequest(origin: string, options: { path: string; method: string; headers?: unknown; body?: unknown }): CapturedRequest {
  const url = new URL(options.path, origin);
  let body: unknown;
  if (options.body !== undefined && options.body !== null) {
    const text = typeof options.body === 'string' ? options.body : Buffer.isBuffer(options.body) ? options.body.toString('utf8') : String(options.body);
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  return { path: url.pathname, method: options.method, headers: headersOf(options.headers), body, query: url.searchParams };
}

function pathMatcher(path: ContractCase['intercept']['path']): string | RegExp | ((path: string) => boolean) {
  if (typeof path !== 'string') return path;
  return (actual: string) => actual.split('?')[0] === path;
}

/** Every form a credential takes on the wire: as is, and base64 of each `a:b` pair (HTTP Basic). */
function credentialForms(secrets: readonly string[]): string[] {
  const forms = [...secrets];
  for (const a of secrets) for (const b of secrets) if (a !== b) forms.push(Buffer.from(`${a}:${b}`).toString('base64'));
  return forms;
}

async function settle(promise: Promise<unknown>): Promise<{ ok: true; value: unknown } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    return { ok: false, error };
  }
}

export function runProviderContract(spec: ContractSpec): void {
  const errorBody = spec.errorBody ?? ((status: number) => ({ error: `error_${status}`, message: `request failed (${status}) for key ${spec.secrets[0] ?? ''}` }));
  const secretForms = credentialForms(spec.secrets);

  describe(`${spec.name}: provider contract`, () => {
    let agent: MockAgent;
    let lines: string[];
    let provider: Provider;

    beforeEach(() => {
      agent = new MockAgent();
      agent.disableNetConnect();
      const captured = captureLogger();
      lines = captured.lines;
      provider = spec.create(agent, captured.logger);
    });
    afterEach(async () => {
      vi.useRealTimers();
      await provider.close?.();
      await agent.close();
    });

    /** Answers every matching request with `reply`, counting the calls. */
    const answer = (testCase: ContractCase, reply: (request: CapturedRequest) => { status: number; body: unknown; raw?: string; headers?: Record<string, string> }) => {
      const seen: CapturedRequest[] = [];
      agent
        .get(spec.origin)
        .intercept({ path: pathMatcher(testCase.intercept.path), method: testCase.intercept.method })
        .reply((options) => {
          const request = captureRequest(spec.origin, options as { path: string; method: string; headers?: unknown; body?: unknown });
          seen.push(request);
          const { status, body, raw, headers } = reply(request);
          return {
            statusCode: status,
            data: raw ?? JSON.stringify(body),
            responseOptions: { headers: { 'content-type': 'application/json', ...headers } },
          };
        })
        .persist();
      return seen;
    };

    /** No secret in the error's message, its JSON, or any line logged so far. */
    const expectNoSecret = (error: unknown) => {
      const text = [
        error instanceof Error ? error.message : String(error),
        error instanceof ProviderError ? JSON.stringify(error) : '',
        error instanceof Error && error.stack ? error.stack : '',
        ...lines,
      ].join('\n');
      for (const secret of secretForms) {
        expect(text).not.toContain(secret);
        expect(text).not.toContain(encodeURIComponent(secret));
      }
    };

    const failure = async (testCase: ContractCase, context: CallContext = {}): Promise<ProviderError> => {
      const outcome = await settle(testCase.call(provider, context));
      expect(outcome.ok, 'the call should fail').toBe(false);
      const error = (outcome as { error: unknown }).error;
      expect(error).toBeInstanceOf(ProviderError);
      expectNoSecret(error);
      return error as ProviderError;
    };

    it('describes itself without I/O and without its secrets', () => {
      const description = provider.describe();
      expect(description.name).toBe(spec.name);
      expect(description.configured).toBe(true);
      expect(description.account).toMatch(/^[0-9a-f]{12}$/);
      const text = JSON.stringify(description);
      for (const secret of secretForms) expect(text).not.toContain(secret);
    });

    for (const testCase of spec.cases) {
      describe(testCase.capability, () => {
        it('sends the documented request with credentials and maps the documented answer', async () => {
          const seen = answer(testCase, () => testCase.documentedResponse);
          const result = await testCase.call(provider, {});
          expect(seen.length).toBeGreaterThan(0);
          const request = seen[0]!;
          expect(request.method).toBe(testCase.intercept.method);
          const wire = `${JSON.stringify(request.headers)} ${request.query.toString()} ${decodeURIComponent(request.query.toString())}`;
          expect(
            secretForms.some((secret) => wire.includes(secret)),
            'the request carries the credentials (header or query)',
          ).toBe(true);
          expect(request.headers['user-agent']).toMatch(/^backlink-gap-mcp\//);
          testCase.assertRequest?.(request);
          testCase.assertMapped(result);
          const resultText = JSON.stringify(result);
          for (const secret of secretForms) expect(resultText).not.toContain(secret);
          for (const line of lines) for (const secret of secretForms) expect(line).not.toContain(secret);
        });

        if (testCase.billed === true) {
          it("reports each billed request through context.spend, and the result's cost is their sum", async () => {
            answer(testCase, () => testCase.documentedResponse);
            const spent: Array<{ amount: number; unit: string; provider: string }> = [];
            const result = (await testCase.call(provider, { spend: (cost) => spent.push(cost) })) as { cost: { amount: number; unit: string } };
            expect(spent.length).toBeGreaterThan(0);
            expect(spent.every((cost) => cost.provider === spec.name && cost.unit === result.cost.unit)).toBe(true);
            const sum = spent.reduce((total, cost) => total + cost.amount, 0);
            expect(result.cost.amount).toBeCloseTo(sum, 9);
          });
        }

        it('maps an empty answer to an empty result', async () => {
          answer(testCase, () => testCase.emptyResponse);
          testCase.assertEmpty(await testCase.call(provider, {}));
        });

        const noRetry: Array<[number, ProviderError['code']]> = [
          [400, 'bad_request'],
          [401, 'auth_failed'],
          [402, 'no_credits'],
          [500, 'upstream_unavailable'],
        ];
        for (const [status, code] of noRetry) {
          it(`maps HTTP ${status} to ${code} without retrying or leaking a secret`, async () => {
            const seen = answer(testCase, () => ({ status, body: errorBody(status) }));
            const error = await failure(testCase);
            expect(error.code).toBe(code);
            expect(error.provider).toBe(spec.name);
            expect(seen).toHaveLength(1);
          });
        }

        for (const retryAfter of ['0', undefined]) {
          it(`gives up on HTTP 429 ${retryAfter === undefined ? 'without' : 'with'} Retry-After after 3 attempts`, async () => {
            const seen = answer(testCase, () => ({
              status: 429,
              body: errorBody(429),
              ...(retryAfter !== undefined && { headers: { 'retry-after': retryAfter } }),
            }));
            const error = await failure(testCase);
            expect(error.code).toBe('rate_limited');
            expect(error.retryable).toBe(true);
            expect(seen).toHaveLength(3);
          });
        }

        it('reports a reply that never comes as timeout', async () => {
          vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
          agent
            .get(spec.origin)
            .intercept({ path: pathMatcher(testCase.intercept.path), method: testCase.intercept.method })
            .reply(testCase.documentedResponse.status, JSON.stringify(testCase.documentedResponse.body))
            .delay(60 * 60_000)
            .persist();
          let done = false;
          const pending = settle(testCase.call(provider, { deadline: Date.now() + 1_000 })).finally(() => {
            done = true;
          });
          // The adapter may not pass the deadline on; the HTTP layer's own default (50 s) then applies.
          for (let second = 0; second < 180 && !done; second += 1) await vi.advanceTimersByTimeAsync(1_000);
          const outcome = await pending;
          vi.useRealTimers();
          expect(outcome.ok).toBe(false);
          const error = (outcome as { error: unknown }).error;
          expect(error).toBeInstanceOf(ProviderError);
          expect((error as ProviderError).code).toBe('timeout');
          expectNoSecret(error);
        });

        it('reports malformed JSON as invalid_response', async () => {
          answer(testCase, () => ({ status: testCase.documentedResponse.status, body: undefined, raw: '{"data": [{"unterminated' }));
          const error = await failure(testCase);
          expect(error.code).toBe('invalid_response');
        });

        // A 200 is not an empty answer unless it has the documented fields: an error-shaped or unknown
        // body would otherwise become "0 backlinks", billed and cached for a day.
        const unexpected: Array<[string, unknown]> = [
          ['an error-shaped body', { error: 'internal_error', message: 'Something went wrong, try later' }],
          ['an unknown object', { ok: true, note: 'maintenance' }],
          ['an empty object', {}],
          ['null', null],
        ];
        for (const [what, body] of unexpected) {
          it(`reports a 200 with ${what} as invalid_response, not an empty result`, async () => {
            const seen = answer(testCase, () => ({ status: testCase.documentedResponse.status, body }));
            const error = await failure(testCase);
            expect(error.code).toBe('invalid_response');
            expect(error.provider).toBe(spec.name);
            expect(seen).toHaveLength(1);
          });
        }

        it('reports a well-formed answer of the wrong shape as invalid_response', async () => {
          answer(testCase, () => ({ status: testCase.documentedResponse.status, body: [42, 'not the documented shape'] }));
          const error = await failure(testCase);
          expect(error.code).toBe('invalid_response');
        });
      });
    }
  });
}
