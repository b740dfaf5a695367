// check_prospects as an MCP task through the SDK's client: created at once, read with tasks/get and
// tasks/result, stopped with tasks/cancel; a client that does not ask for a task gets the answer.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { AddressInfo } from 'node:net';
import { type CallToolResult, CallToolResultSchema, CreateTaskResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createWebFetcher } from '../../src/http/web.js';
import { createLogger } from '../../src/log.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { createHttpApp, listen } from '../../src/serve-http.js';
import { connectClient } from '../helpers/client.js';
import { COMPETITOR_A, type FixtureSite, fixtureResolver, HOSTS, startFixtureSite } from '../check/fixture-site.js';

let site: FixtureSite;
let dir: string;
let runtime: Runtime;
let client: Client;

beforeAll(async () => {
  site = await startFixtureSite();
  dir = mkdtempSync(join(tmpdir(), 'blg-tasks-'));
  const config = loadConfig({ BACKLINK_GAP_CACHE_DIR: dir, BACKLINK_GAP_CACHE: 'memory', BACKLINK_GAP_FETCH_ALLOW_LOOPBACK: '1', BACKLINK_GAP_DEADLINE_MS: '60000' });
  const logger = createLogger({ level: 'silent', secrets: [] });
  runtime = createRuntime(config, { logger, web: createWebFetcher({ allowLoopback: true, logger, resolve: fixtureResolver }) });
  client = await connectClient({ service: runtime.service, logger });
});

afterAll(async () => {
  await client.close();
  await runtime.close();
  await site.close();
  rmSync(dir, { recursive: true, force: true });
});

const checkArgs = (path: string) => ({ urls: [site.url(HOSTS.blog, path)], competitor_domains: [COMPETITOR_A] });

async function startTask(args: Record<string, unknown>, over: Client = client): Promise<string> {
  const created = await over.request({ method: 'tools/call', params: { name: 'check_prospects', arguments: args, task: { ttl: 60_000 } } }, CreateTaskResultSchema);
  return created.task.taskId;
}

describe('check_prospects as a task', () => {
  it('declares optional task support, and the server the tasks capability', async () => {
    const { tools } = await client.listTools();
    expect(tools.find((tool) => tool.name === 'check_prospects')?.execution?.taskSupport).toBe('optional');
    expect(client.getServerCapabilities()?.tasks?.requests?.tools?.call).toBeDefined();
  });

  it('runs as a task: tasks/get shows it finish, tasks/result gives the answer', async () => {
    const taskId = await startTask(checkArgs('/'));
    await expect.poll(async () => (await client.experimental.tasks.getTask(taskId)).status, { timeout: 20_000, interval: 100 }).toBe('completed');
    const result = (await client.experimental.tasks.getTaskResult(taskId, CallToolResultSchema)) as CallToolResult;
    expect(result.isError).toBeFalsy();
    expect(JSON.stringify(result.structuredContent)).toContain(COMPETITOR_A);
  });

  it('tasks/cancel stops the upstream work: the slow page is abandoned, not awaited', async () => {
    const taskId = await startTask(checkArgs('/slow'));
    await expect.poll(() => site.requests.filter((line) => line === `${HOSTS.blog} /slow`).length, { timeout: 10_000 }).toBeGreaterThan(0);
    const abandoned = site.abandoned();
    await client.experimental.tasks.cancelTask(taskId);
    expect((await client.experimental.tasks.getTask(taskId)).status).toBe('cancelled');
    // The page answers after 20 s; the request is closed well before because the fetch was aborted.
    await expect.poll(() => site.abandoned(), { timeout: 10_000 }).toBe(abandoned + 1);
  });

  it('a client that does not ask for a task gets the answer to its call, as before', async () => {
    const result = (await client.callTool({ name: 'check_prospects', arguments: checkArgs('/') })) as CallToolResult;
    expect(result.isError).toBeFalsy();
    expect(JSON.stringify(result.structuredContent)).toContain(COMPETITOR_A);
  });
});

describe('check_prospects as a task over HTTP', () => {
  it('creates, finishes and cancels tasks through the streamable HTTP transport', async () => {
    const options = { port: 0, host: '127.0.0.1' };
    const app = createHttpApp(runtime, options);
    const address: AddressInfo = await listen(app, options);
    const remote = new Client({ name: 'http-test', version: '1.0.0' });
    await remote.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${address.port}/mcp`)));
    try {
      const done = await startTask(checkArgs('/'), remote);
      await expect.poll(async () => (await remote.experimental.tasks.getTask(done)).status, { timeout: 20_000, interval: 100 }).toBe('completed');
      const result = (await remote.experimental.tasks.getTaskResult(done, CallToolResultSchema)) as CallToolResult;
      expect(JSON.stringify(result.structuredContent)).toContain(COMPETITOR_A);

      const slow = await startTask(checkArgs('/slow'), remote);
      await expect.poll(async () => (await remote.experimental.tasks.getTask(slow)).status, { timeout: 5_000 }).toBe('working');
      const abandoned = site.abandoned();
      await expect.poll(() => site.requests.filter((line) => line === `${HOSTS.blog} /slow`).length, { timeout: 10_000 }).toBeGreaterThan(1);
      await remote.experimental.tasks.cancelTask(slow);
      await expect.poll(() => site.abandoned(), { timeout: 10_000 }).toBe(abandoned + 1);
    } finally {
      await remote.close();
      await app.stop();
    }
  });
});
