// The stateless HTTP mode (--stateless): every request is served by a fresh server, no session id.

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpApp, type HttpApp, listen } from '../../src/serve-http.js';
import { type TestRuntime, testRuntime } from '../helpers/runtime.js';
import { COMPETITORS, YOU } from '../helpers/sample-truth.js';

let runtime: TestRuntime;
let app: HttpApp;
let url: URL;

beforeAll(async () => {
  runtime = testRuntime();
  const options = { host: '127.0.0.1', port: 0, stateless: true };
  app = createHttpApp(runtime, options);
  const address = await listen(app, options);
  url = new URL(`http://127.0.0.1:${address.port}/mcp`);
});

afterAll(async () => {
  await app.stop();
  await runtime.dispose();
});

describe('stateless HTTP', () => {
  it('answers tools without a session, and a run made in one request is readable in the next', async () => {
    const client = new Client({ name: 'stateless', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(url);
    await client.connect(transport);
    expect(transport.sessionId).toBeUndefined();
    const gap = (await client.callTool({ name: 'backlink_gap', arguments: { your_domain: YOU, competitor_domains: COMPETITORS } })) as CallToolResult;
    expect(gap.isError).toBeFalsy();
    const runId = (gap.structuredContent as { run_id: string }).run_id;
    const page = (await client.callTool({ name: 'list_prospects', arguments: { run_id: runId } })) as CallToolResult;
    expect(page.isError).toBeFalsy();
    expect(app.sessions()).toBe(0);
    await client.close();
  });
});
