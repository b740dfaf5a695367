// Tasks shared across instances: two --stateless HTTP server processes over one real Redis, so a
// load balancer may send tasks/get, tasks/result and tasks/cancel for a task to an instance other
// than the one running it. Without Redis, one stateless instance still keeps its tasks between
// requests (each request is served by a fresh MCP server).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { type CallToolResult, CallToolResultSchema, CreateTaskResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { lazyRedis } from '../../src/redis/connection.js';
import { createRedisTaskRecords } from '../../src/redis/tasks.js';
import { createMemoryTaskRecords } from '../../src/tasks.js';
import { RecordTaskStore } from '../../src/tools/task-store.js';
import { type FakeOneClickSeo, RUN_ID, startFakeOneClickSeo } from '../helpers/fake-oneclickseo.js';
import { type HttpChild, httpChild, httpClient } from '../proof/harness.js';
import { type RedisServer, startRedis } from './redis-server.js';

let redis: RedisServer;
let fake: FakeOneClickSeo;
const dirs: string[] = [];
const children: HttpChild[] = [];
const clients: Client[] = [];

beforeAll(async () => {
  redis = await startRedis();
  fake = await startFakeOneClickSeo();
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await Promise.all(children.map((child) => child.stop()));
  await fake?.close();
  await redis?.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function instance(env: Record<string, string>): Promise<Client> {
  const dir = mkdtempSync(join(tmpdir(), 'blg-redis-tasks-'));
  dirs.push(dir);
  const child = await httpChild(
    { BACKLINK_GAP_CACHE_DIR: dir, BACKLINK_GAP_PROVIDER: 'oneclickseo', ONECLICKSEO_API_KEY: 'test-oneclickseo-key', ONECLICKSEO_BASE_URL: fake.baseUrl, ...env },
    ['--stateless'],
  );
  children.push(child);
  const { client } = await httpClient(child.url);
  clients.push(client);
  return client;
}

async function startTask(client: Client, you: string): Promise<string> {
  const created = await client.request(
    { method: 'tools/call', params: { name: 'backlink_gap', arguments: { your_domain: you, competitor_domains: ['a.com', 'b.com'] }, task: { ttl: 120_000 } } },
    CreateTaskResultSchema,
  );
  return created.task.taskId;
}

describe('tasks in Redis, across stateless instances', () => {
  let a: Client;
  let b: Client;

  beforeAll(async () => {
    [a, b] = await Promise.all([instance({ BACKLINK_GAP_REDIS_URL: redis.url }), instance({ BACKLINK_GAP_REDIS_URL: redis.url })]);
  });

  it('a task started through one instance is followed, listed and answered through the other', async () => {
    fake.state = 'running';
    const taskId = await startTask(a, 'shared-task.com');
    await expect
      .poll(async () => (await b.experimental.tasks.getTask(taskId)).statusMessage, { timeout: 15_000, interval: 200 })
      .toBe(`OneClickSEO run ${RUN_ID} still running`);
    expect((await b.experimental.tasks.listTasks()).tasks.map((task) => task.taskId)).toContain(taskId);
    // tasks/result waits for the end, on the instance that is not running the task.
    const answer = b.experimental.tasks.getTaskResult(taskId, CallToolResultSchema);
    fake.state = 'completed';
    const result = (await answer) as CallToolResult;
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ run_id: expect.stringMatching(/^run_/), prospects: [{ domain: 'marketingblog.com' }] });
    expect((await a.experimental.tasks.getTask(taskId)).status).toBe('completed');
  });

  it('tasks/cancel through the other instance stops the upstream requests of the one running it', async () => {
    fake.state = 'hang';
    const seen = fake.requests.length;
    const taskId = await startTask(a, 'cancelled-elsewhere.com');
    await fake.received(seen + 2);
    const poll = fake.requests.at(-1)!;
    expect(poll.path).toBe(`/ocs/backlinks/gap/${RUN_ID}`);
    await b.experimental.tasks.cancelTask(taskId);
    expect((await a.experimental.tasks.getTask(taskId)).status).toBe('cancelled');
    await expect.poll(() => poll.abandoned, { timeout: 10_000 }).toBe(true);
    const after = fake.requests.length;
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(fake.requests.length).toBe(after);
  });
});

describe('tasks without Redis, on one stateless instance', () => {
  it('keeps a task between requests, each served by a fresh server', async () => {
    fake.state = 'completed';
    const client = await instance({});
    const taskId = await startTask(client, 'one-instance.com');
    await expect.poll(async () => (await client.experimental.tasks.getTask(taskId)).status, { timeout: 15_000, interval: 200 }).toBe('completed');
    const result = (await client.experimental.tasks.getTaskResult(taskId, CallToolResultSchema)) as CallToolResult;
    expect(result.structuredContent).toMatchObject({ prospects: [{ domain: 'marketingblog.com' }] });
  });
});

describe('the task records in Redis', () => {
  it('a result arriving after a cancellation does not undo it; with Redis down, new tasks are kept in the process', async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'warn', secrets: [], write: (line) => lines.push(line) });
    const connection = lazyRedis({ url: redis.url, prefix: 'records-test', logger, connectTimeoutMs: 500 });
    const store = new RecordTaskStore(createRedisTaskRecords({ redis: connection, prefix: 'records-test', logger, fallback: createMemoryTaskRecords() }));
    const request = { method: 'tools/call', params: {} };
    try {
      const task = await store.createTask({ ttl: 60_000 }, 1, request);
      await store.updateTaskStatus(task.taskId, 'cancelled', 'Client cancelled task execution.');
      await expect(store.storeTaskResult(task.taskId, 'completed', { content: [] })).rejects.toThrow(/already finished or cancelled/);
      expect((await store.getTask(task.taskId))?.status).toBe('cancelled');
      // Another session does not see it; the one that made it does.
      const own = await store.createTask({ ttl: 60_000 }, 2, request, 'session-a');
      expect(await store.getTask(own.taskId, 'session-b')).toBeNull();
      expect((await store.getTask(own.taskId, 'session-a'))?.taskId).toBe(own.taskId);

      await redis.stop();
      const kept = await store.createTask({ ttl: 60_000 }, 3, request);
      await store.storeTaskResult(kept.taskId, 'completed', { content: [{ type: 'text', text: 'done' }] });
      expect(await store.getTaskResult(kept.taskId)).toEqual({ content: [{ type: 'text', text: 'done' }] });
      expect(lines.join('\n')).toContain('tasks kept in this process while Redis is unreachable');
    } finally {
      await connection.close();
      await redis.start();
    }
  });
});
