import { Agent, type Dispatcher } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import type { Cost } from '../../src/domain.js';
import { ProviderError } from '../../src/errors.js';
import { createHttpClient, type HttpClient, type HttpClientOptions } from '../../src/http/client.js';
import { captureLogger, type FakeServer, type Handler, json, startFakeServer, until } from './fake-server.js';

const SECRET = 'sk_live_SECRETKEY123456';

let server: FakeServer | undefined;
let client: HttpClient | undefined;
afterEach(async () => {
  await client?.close();
  await server?.close();
  client = undefined;
  server = undefined;
});

async function setup(handler: Handler, options: Partial<HttpClientOptions> = {}) {
  server = await startFakeServer(handler);
  const log = captureLogger();
  client = createHttpClient({
    provider: 'localseodata',
    baseUrl: server.origin,
    secrets: [SECRET],
    logger: log.logger,
    backoffBaseMs: 1,
    ...options,
  });
  return { server, client, lines: log.lines };
}

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ProviderError);
    return error as ProviderError;
  }
  throw new Error('expected the call to fail');
}

describe('requestJson answers', () => {
  it('sends JSON with the house headers and returns the parsed body', async () => {
    const { server, client } = await setup((_request, response) => json(response, 200, { ok: true, list: [1, 2] }));
    const answer = await client.requestJson({
      method: 'POST',
      path: '/v1/backlinks/gap',
      query: { a: 1, b: undefined, c: true },
      headers: { Authorization: `Bearer ${SECRET}` },
      body: { your_domain: 'me.com' },
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ ok: true, list: [1, 2] });
    const sent = server.received[0]!;
    expect(sent.method).toBe('POST');
    expect(sent.url).toBe('/v1/backlinks/gap?a=1&c=true');
    expect(sent.headers['user-agent']).toMatch(/^backlink-gap-mcp\/\d+\.\d+\.\d+/);
    expect(sent.headers.accept).toBe('application/json');
    expect(sent.headers['content-type']).toBe('application/json');
    expect(sent.headers.authorization).toBe(`Bearer ${SECRET}`);
    expect(JSON.parse(sent.body)).toEqual({ your_domain: 'me.com' });
  });

  it('keeps a path prefix of the base URL', async () => {
    server = await startFakeServer((_request, response) => json(response, 200, {}));
    client = createHttpClient({ provider: 'oneclickseo', baseUrl: `${server.origin}/v1/`, secrets: [], logger: captureLogger().logger });
    await client.requestJson({ method: 'GET', path: '/backlinks/gap/run_1' });
    expect(server.received[0]!.url).toBe('/v1/backlinks/gap/run_1');
  });

  it('reports an HTML page as invalid_response', async () => {
    const { client } = await setup((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end('<html><body>Cloudflare says hello</body></html>');
    });
    const error = await failure(client.requestJson({ method: 'GET', path: '/x' }));
    expect(error.code).toBe('invalid_response');
    expect(error.message).toContain('HTML');
    expect(error.message).toContain('LocalSEOData');
  });

  it('reports truncated JSON as invalid_response without retrying', async () => {
    const { server, client } = await setup((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"data": [1, 2');
    });
    const error = await failure(client.requestJson({ method: 'GET', path: '/x' }));
    expect(error.code).toBe('invalid_response');
    expect(server.received).toHaveLength(1);
  });

  it('reports an empty 200 body as invalid_response', async () => {
    const { client } = await setup((_request, response) => {
      response.writeHead(200);
      response.end();
    });
    expect((await failure(client.requestJson({ method: 'GET', path: '/x' }))).code).toBe('invalid_response');
  });
});

describe('status mapping without retry', () => {
  const cases: Array<[number, string, string]> = [
    [400, 'bad_request', 'check the arguments'],
    [401, 'auth_failed', 'check LOCALSEODATA_API_KEY'],
    [402, 'no_credits', 'top up credits'],
    [403, 'auth_failed', 'check LOCALSEODATA_API_KEY'],
    [404, 'not_found', 'HTTP 404'],
    [410, 'expired', 'run the query again'],
    [422, 'bad_request', 'HTTP 422'],
    [500, 'upstream_unavailable', 'HTTP 500'],
  ];
  for (const [status, code, hint] of cases) {
    it(`maps ${status} to ${code} after one attempt`, async () => {
      const { server, client } = await setup((_request, response) =>
        json(response, status, { status: 'error', error: 'SOME_CODE', message: `upstream says ${status}` }),
      );
      const error = await failure(client.requestJson({ method: 'GET', path: '/x' }));
      expect(error.code).toBe(code);
      expect(error.status).toBe(status);
      expect(error.message).toContain(hint);
      expect(error.message).toContain(`upstream says ${status}`);
      expect(server.received).toHaveLength(1);
    });
  }

  it('uses a provider mapping when it returns an error, the default otherwise', async () => {
    const { client } = await setup((_request, response) => json(response, 400, { error: 'INSUFFICIENT_CREDITS' }));
    const error = await failure(
      client.requestJson({
        method: 'GET',
        path: '/x',
        mapError: ({ body }) =>
          (body as { error?: string }).error === 'INSUFFICIENT_CREDITS'
            ? new ProviderError({ code: 'no_credits', provider: 'localseodata', message: 'out of credits' })
            : undefined,
      }),
    );
    expect(error.code).toBe('no_credits');
    const fallback = await failure(client.requestJson({ method: 'GET', path: '/x', mapError: () => undefined }));
    expect(fallback.code).toBe('bad_request');
  });
});

describe('retries', () => {
  it('honours Retry-After in seconds, then succeeds', async () => {
    let calls = 0;
    const { server, client } = await setup((_request, response) => {
      calls += 1;
      if (calls === 1) json(response, 429, { message: 'slow down' }, { 'retry-after': '0' });
      else json(response, 200, { fine: true });
    });
    const answer = await client.requestJson({ method: 'GET', path: '/x' });
    expect(answer.body).toEqual({ fine: true });
    expect(server.received).toHaveLength(2);
  });

  it('honours Retry-After as an HTTP date', async () => {
    let calls = 0;
    const { server, client } = await setup((_request, response) => {
      calls += 1;
      if (calls === 1) json(response, 429, {}, { 'retry-after': new Date(Date.now() - 1000).toUTCString() });
      else json(response, 200, { fine: true });
    });
    await client.requestJson({ method: 'GET', path: '/x' });
    expect(server.received).toHaveLength(2);
  });

  it('gives up on 429 after three attempts with rate_limited', async () => {
    const { server, client } = await setup((_request, response) => json(response, 429, {}));
    const error = await failure(client.requestJson({ method: 'GET', path: '/x' }));
    expect(error.code).toBe('rate_limited');
    expect(error.retryable).toBe(true);
    expect(server.received).toHaveLength(3);
    expect(error.message).toContain('3 attempts');
  });

  it('fails at once when Retry-After does not fit the deadline, naming the wait', async () => {
    const { server, client } = await setup((_request, response) => json(response, 429, {}, { 'retry-after': '120' }));
    const error = await failure(client.requestJson({ method: 'GET', path: '/x', deadline: Date.now() + 5_000 }));
    expect(error.code).toBe('rate_limited');
    expect(error.retryAfterMs).toBe(120_000);
    expect(error.message).toContain('120 s');
    expect(server.received).toHaveLength(1);
  });

  it('retries 502/503/504 and then reports upstream_unavailable', async () => {
    for (const status of [502, 503, 504]) {
      const { server, client } = await setup((_request, response) => json(response, status, {}));
      const error = await failure(client.requestJson({ method: 'GET', path: '/x' }));
      expect(error.code).toBe('upstream_unavailable');
      expect(server.received).toHaveLength(3);
      await client.close();
      await server.close();
    }
  });

  it('repeats a billable POST after 429 and 503 (no work done) but not after 502', async () => {
    let calls = 0;
    const { server, client } = await setup((_request, response) => {
      calls += 1;
      if (calls === 1) json(response, 429, {});
      else if (calls === 2) json(response, 503, {});
      else json(response, 202, { id: 'run_1' });
    });
    const answer = await client.requestJson({ method: 'POST', path: '/runs', body: {}, idempotent: false });
    expect(answer.status).toBe(202);
    expect(server.received).toHaveLength(3);

    const { server: second, client: secondClient } = await setup((_request, response) => json(response, 502, {}));
    const error = await failure(secondClient.requestJson({ method: 'POST', path: '/runs', body: {}, idempotent: false }));
    expect(error.code).toBe('upstream_unavailable');
    expect(second.received).toHaveLength(1);
  });
});

describe('network failures and timeouts', () => {
  const resetMidBody: Handler = (_request, response, socket) => {
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
    response.write('{"data": [');
    setTimeout(() => socket.destroy(), 10);
  };

  it('retries a GET reset mid-body, then reports upstream_unavailable', async () => {
    const { server, client } = await setup(resetMidBody);
    const error = await failure(client.requestJson({ method: 'GET', path: '/x' }));
    expect(error.code).toBe('upstream_unavailable');
    expect(server.received).toHaveLength(3);
  });

  it('does not repeat a billable POST after a reset, and says so', async () => {
    const { server, client } = await setup(resetMidBody);
    const error = await failure(client.requestJson({ method: 'POST', path: '/runs', body: {}, idempotent: false }));
    expect(error.code).toBe('upstream_unavailable');
    expect(error.message).toContain('not repeated');
    expect(server.received).toHaveLength(1);
  });

  it('maps a refused connection to upstream_unavailable', async () => {
    const { server, client } = await setup(() => {});
    await server.close();
    const error = await failure(client.requestJson({ method: 'GET', path: '/x' }));
    expect(error.code).toBe('upstream_unavailable');
    expect(error.message).toContain('refused');
  });

  it('stops a never-answering server at the deadline with timeout', async () => {
    const { client } = await setup(() => {});
    const error = await failure(client.requestJson({ method: 'GET', path: '/x', deadline: Date.now() + 300 }));
    expect(error.code).toBe('timeout');
    expect(error.message).toContain('deadline');
  });

  it('times out a headers stall per attempt and retries it', async () => {
    const { server, client } = await setup(() => {}, { headersTimeoutMs: 100 });
    const error = await failure(client.requestJson({ method: 'GET', path: '/x', deadline: Date.now() + 20_000 }));
    expect(error.code).toBe('timeout');
    expect(server.received).toHaveLength(3);
  });

  it('maps a body that stalls to timeout', async () => {
    const { client } = await setup(
      (_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.write('{"rows": [');
      },
      { bodyTimeoutMs: 150 },
    );
    const error = await failure(client.requestJson({ method: 'GET', path: '/x', deadline: Date.now() + 20_000 }));
    expect(error.code).toBe('timeout');
    expect(error.message).toContain('part way');
  });

  it('closes the upstream request when the caller aborts', async () => {
    const { server, client } = await setup(() => {});
    const controller = new AbortController();
    const pending = failure(client.requestJson({ method: 'GET', path: '/x', signal: controller.signal }));
    await until(() => server.received.length === 1, 'the request to arrive');
    const closed = server.socketClosed();
    controller.abort();
    const error = await pending;
    expect(error.code).toBe('cancelled');
    await closed;
  });

  it('rejects at once with cancelled when the signal is already aborted', async () => {
    const { server, client } = await setup((_request, response) => json(response, 200, {}));
    const error = await failure(client.requestJson({ method: 'GET', path: '/x', signal: AbortSignal.abort() }));
    expect(error.code).toBe('cancelled');
    expect(server.received).toHaveLength(0);
  });
});

describe('concurrency', () => {
  it('never has more than maxConcurrency requests in flight during a fan-out', async () => {
    const held: Array<() => void> = [];
    const { server, client } = await setup(
      (_request, response) => {
        held.push(() => json(response, 200, { ok: true }));
      },
      { maxConcurrency: 3 },
    );
    const calls = Array.from({ length: 10 }, (_, index) => client.requestJson({ method: 'GET', path: `/item/${index}` }));
    let released = 0;
    while (released < 10) {
      await until(() => held.length > 0, 'a held request');
      // Give any request beyond the bound a chance to arrive before releasing one.
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(server.inFlight()).toBeLessThanOrEqual(3);
      held.shift()!();
      released += 1;
    }
    const answers = await Promise.all(calls);
    expect(answers).toHaveLength(10);
    expect(server.maxInFlight()).toBe(3);
    expect(new Set(server.received.map((request) => request.url)).size).toBe(10);
  });
});

describe('redaction', () => {
  it('keeps a query-string key out of errors, error JSON and log lines', async () => {
    const { server, client, lines } = await setup((request, response) =>
      json(response, 401, { error: 'invalid_api_key', message: `Key ${SECRET} not valid for ${request.url}` }),
    );
    const error = await failure(client.requestJson({ method: 'GET', path: '/api2/backlinks.php', query: { apikey: SECRET, app: 'x' } }));
    expect(server.received[0]!.url).toContain(SECRET);
    expect(error.code).toBe('auth_failed');
    expect(error.message).not.toContain(SECRET);
    expect(error.message).not.toContain(encodeURIComponent(SECRET));
    expect(JSON.stringify(error)).not.toContain(SECRET);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('\n')).toContain('apikey=***');
    expect(lines.join('\n')).not.toContain(SECRET);
  });

  it('keeps the key out of network and timeout errors and their logs', async () => {
    const { client, lines } = await setup((_request, _response, socket) => {
      socket.destroy();
    });
    const error = await failure(client.requestJson({ method: 'GET', path: '/x', query: { apikey: SECRET } }));
    expect(error.code).toBe('upstream_unavailable');
    expect(`${error.message}${JSON.stringify(error)}${lines.join('\n')}`).not.toContain(SECRET);
  });

  it('redacts a key from a provider-mapped error message', async () => {
    const { client } = await setup((_request, response) => json(response, 400, {}));
    const error = await failure(
      client.requestJson({
        method: 'GET',
        path: '/x',
        mapError: () => new ProviderError({ code: 'bad_request', provider: 'localseodata', message: `bad key ${SECRET}` }),
      }),
    );
    expect(error.message).toBe('bad key ***');
  });
});

describe('billing: each billed request reported once, none repeated once it may have landed', () => {
  const price = { amount: 3, unit: 'credits' as const, provider: 'domdetailer' as const };
  const billingOf = (spent: Cost[], charged?: (body: unknown) => Cost | undefined) => ({
    price,
    spend: (cost: Cost) => spent.push(cost),
    ...(charged !== undefined && { charged }),
  });

  it('reports an answered request once, at what the answer says it cost, and returns it as cost', async () => {
    const { client } = await setup((_request, response) => json(response, 200, { cost: 2 }));
    const spent: Cost[] = [];
    const answer = await client.requestJson({
      method: 'GET',
      path: '/x',
      billing: billingOf(spent, (body) => ({ ...price, amount: (body as { cost: number }).cost })),
    });
    expect(spent).toEqual([{ ...price, amount: 2 }]);
    expect(answer.cost).toEqual({ ...price, amount: 2 });
  });

  it('reports a 200 it cannot read at the price: the provider answered, so it billed', async () => {
    const { client } = await setup((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end('<html>oops</html>');
    });
    const spent: Cost[] = [];
    const error = await failure(client.requestJson({ method: 'GET', path: '/x', billing: billingOf(spent) }));
    expect(error.code).toBe('invalid_response');
    expect(spent).toEqual([price]);
  });

  it('does not repeat a billed request after a reset or a 502/503/504, reports the possible spend, and says so', async () => {
    const resetMidBody: Handler = (_request, response, socket) => {
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      response.write('{"data": [');
      setTimeout(() => socket.destroy(), 10);
    };
    const handlers: Array<[string, Handler, boolean]> = [
      ['reset', resetMidBody, true],
      ['502', (_request, response) => json(response, 502, {}), true],
      ['503', (_request, response) => json(response, 503, {}), false],
      ['504', (_request, response) => json(response, 504, {}), true],
    ];
    for (const [name, handler, mayBeBilled] of handlers) {
      const { server, client } = await setup(handler);
      const spent: Cost[] = [];
      const error = await failure(client.requestJson({ method: 'GET', path: '/x', billing: billingOf(spent) }));
      expect(error.code, name).toBe('upstream_unavailable');
      expect(server.received, name).toHaveLength(1);
      expect(spent, name).toEqual(mayBeBilled ? [price] : []);
      if (mayBeBilled) expect(error.message, name).toMatch(/may have been billed/);
      await client.close();
      await server.close();
    }
  });

  it('reports a request that never answers before the deadline as possibly billed', async () => {
    const { server, client } = await setup(() => {});
    const spent: Cost[] = [];
    const error = await failure(client.requestJson({ method: 'GET', path: '/x', deadline: Date.now() + 300, billing: billingOf(spent) }));
    expect(error.code).toBe('timeout');
    expect(error.message).toMatch(/may have been billed/);
    expect(server.received).toHaveLength(1);
    expect(spent).toEqual([price]);
  });

  it('repeats a billed request after a 429 (refused, not billed) and reports only the answer', async () => {
    let calls = 0;
    const { server, client } = await setup((_request, response) => {
      calls += 1;
      if (calls === 1) json(response, 429, {}, { 'retry-after': '0' });
      else json(response, 200, { ok: true });
    });
    const spent: Cost[] = [];
    const answer = await client.requestJson({ method: 'GET', path: '/x', billing: billingOf(spent) });
    expect(server.received).toHaveLength(2);
    expect(spent).toEqual([price]);
    expect(answer.cost).toEqual(price);
  });

  it('repeats a refused connection (nothing sent) and reports nothing', async () => {
    const { server, client } = await setup(() => {});
    await server.close();
    const spent: Cost[] = [];
    const error = await failure(client.requestJson({ method: 'GET', path: '/x', billing: billingOf(spent) }));
    expect(error.message).toContain('refused');
    expect(spent).toEqual([]);
  });

  it('a request documented as repeatable is retried after a reset, each attempt reported', async () => {
    let calls = 0;
    const { server, client } = await setup((_request, response, socket) => {
      calls += 1;
      if (calls === 1) socket.destroy();
      else json(response, 200, { ok: true });
    });
    const spent: Cost[] = [];
    const answer = await client.requestJson({ method: 'GET', path: '/x', billing: { ...billingOf(spent), repeatable: true } });
    expect(server.received).toHaveLength(2);
    expect(spent).toEqual([price, price]);
    expect(answer.cost).toEqual({ ...price, amount: 6 });
  });
});

describe('header timeout', () => {
  it('follows the call deadline, so a documented 120 s Live call may take its time', async () => {
    server = await startFakeServer((_request, response) => json(response, 200, { ok: true }));
    const asked: Array<number | null | undefined> = [];
    class Recording extends Agent {
      override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
        asked.push(options.headersTimeout);
        return super.dispatch(options, handler);
      }
    }
    const dispatcher = new Recording();
    client = createHttpClient({ provider: 'dataforseo', baseUrl: server.origin, secrets: [], logger: captureLogger().logger, dispatcher });
    await client.requestJson({ method: 'POST', path: '/v3/backlinks/domain_intersection/live', body: [{}], deadline: Date.now() + 130_000 });
    await dispatcher.close();
    expect(asked[0]).toBeGreaterThan(120_000);
  });
});

describe('secrets echoed in a 2xx body', () => {
  it('are redacted before the body reaches the adapter, short keys included', async () => {
    const SHORT = 'k9x';
    const { client } = await setup((_request, response) =>
      json(response, 200, {
        echo: `https://api.example/q?apikey=${SECRET}&x=1`,
        nested: [{ account: SECRET, [`key_${SECRET}`]: 1 }],
        short: `apikey=${SHORT}`,
        word: 'k9xylophone stays',
      }),
    );
    const shortClient = createHttpClient({ provider: 'domdetailer', baseUrl: server!.origin, secrets: [SECRET, SHORT], logger: captureLogger().logger });
    const answer = await shortClient.requestJson({ method: 'GET', path: '/x' });
    await shortClient.close();
    const text = JSON.stringify(answer.body);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('apikey=k9x');
    expect(answer.body).toMatchObject({ short: 'apikey=***', word: 'k9xylophone stays', nested: [{ account: '***' }] });
    const plain = await client.requestJson({ method: 'GET', path: '/x' });
    expect(JSON.stringify(plain.body)).not.toContain(SECRET);
  });
});
