// get_backlinks and link_intersect as MCP tasks through the SDK's client, against a loopback fake of
// DataForSEO: optional task support declared, progress in tasks/get while the upstream request is
// open, tasks/result equal to the answer of a call without a task, and tasks/cancel closing the
// upstream request before it answered.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { type CallToolResult, CallToolResultSchema, CreateTaskResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { encode } from 'gpt-tokenizer/encoding/o200k_base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { connectClient } from '../helpers/client.js';
import { type FakeUpstream, startFakeUpstream } from '../helpers/fake-upstream.js';
import { DATAFORSEO_KEYS, textOf, upstreamEnv } from '../proof/harness.js';

let upstream: FakeUpstream;
let dir: string;
let runtime: Runtime;
let client: Client;

beforeAll(async () => {
  upstream = await startFakeUpstream();
  dir = mkdtempSync(join(tmpdir(), 'blg-tool-tasks-'));
  const config = loadConfig({ BACKLINK_GAP_CACHE_DIR: dir, BACKLINK_GAP_CACHE: 'memory', BACKLINK_GAP_PROVIDER: 'dataforseo', ...DATAFORSEO_KEYS, ...upstreamEnv(upstream.origin) });
  const logger = createLogger({ level: 'silent', secrets: [] });
  runtime = createRuntime(config, { logger });
  client = await connectClient({ service: runtime.service, logger });
});

afterAll(async () => {
  await client?.close();
  await runtime?.close();
  await upstream?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function startTask(name: string, args: Record<string, unknown>): Promise<string> {
  const created = await client.request({ method: 'tools/call', params: { name, arguments: args, task: { ttl: 60_000 } } }, CreateTaskResultSchema);
  expect(created.task.status).toBe('working');
  return created.task.taskId;
}

async function finished(taskId: string): Promise<CallToolResult> {
  await expect.poll(async () => (await client.experimental.tasks.getTask(taskId)).status, { timeout: 20_000, interval: 100 }).toMatch(/completed|failed/);
  return (await client.experimental.tasks.getTaskResult(taskId, CallToolResultSchema)) as CallToolResult;
}

const backlinksArgs = { target: 'competitor.com', limit: 10, fresh: true };
const intersectArgs = { positive_targets: ['a.com', 'b.com'], min_matching_targets: 1, limit: 10, fresh: true };

describe.each([
  ['get_backlinks', backlinksArgs, '/v3/backlinks/backlinks/live', 'reading the backlinks of competitor.com'],
  ['link_intersect', intersectArgs, '/v3/backlinks/domain_intersection/live', 'DataForSEO: 1 of 2 targets read'],
] as const)('%s as a task', (name, args, path, progress) => {
  it('declares optional task support, tools/list staying within 3,000 tokens', async () => {
    const { tools } = await client.listTools();
    expect(tools.find((tool) => tool.name === name)?.execution?.taskSupport).toBe('optional');
    expect(encode(JSON.stringify(tools)).length).toBeLessThanOrEqual(3000);
  });

  it('tasks/result gives what a call without a task gives', async () => {
    const viaTask = await finished(await startTask(name, args));
    expect(viaTask.isError, textOf(viaTask)).toBeFalsy();
    const direct = (await client.callTool({ name, arguments: args })) as CallToolResult;
    expect(direct.isError, textOf(direct)).toBeFalsy();
    expect(direct.content).toEqual(viaTask.content);
    expect(direct.structuredContent).toEqual(viaTask.structuredContent);
  });

  it('tasks/get shows progress while the upstream request is open; tasks/cancel closes it unanswered', async () => {
    // One request hangs (link_intersect's other target is read and counted as progress).
    upstream.queue({ kind: 'hang' });
    const abandoned = upstream.abandoned();
    const before = upstream.requests.length;
    const taskId = await startTask(name, args);
    const requests = name === 'get_backlinks' ? 1 : 2;
    await upstream.received(before + requests);
    await expect.poll(async () => (await client.experimental.tasks.getTask(taskId)).statusMessage, { timeout: 10_000, interval: 100 }).toBe(progress);
    expect((await client.experimental.tasks.getTask(taskId)).status).toBe('working');

    await client.experimental.tasks.cancelTask(taskId);
    expect((await client.experimental.tasks.getTask(taskId)).status).toBe('cancelled');
    const request = await abandoned;
    expect(request.url).toContain(path);
    expect(request.answered).toBe(false);
    const seen = upstream.requests.length;
    expect(seen - before).toBe(requests);
    // Nothing more goes upstream for the cancelled task.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(upstream.requests.length).toBe(seen);
  });
});
