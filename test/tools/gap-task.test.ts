// backlink_gap as an MCP task through the SDK's real client, over stdio (dist/cli.js as a child
// process) and Streamable HTTP (the same binary serving --http), against a loopback fake of
// OneClickSEO's paid gap runs: progress in tasks/get, the answer in tasks/result identical to a call
// without a task, tasks/cancel stopping the upstream requests (and the paid run resumed later, not
// bought twice), and the spending confirmation inside a task.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { type CallToolResult, CallToolResultSchema, CreateTaskResultSchema, ElicitRequestSchema, type ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import { encode } from 'gpt-tokenizer/encoding/o200k_base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeOneClickSeo, RUN_ID, startFakeOneClickSeo } from '../helpers/fake-oneclickseo.js';
import { CLI, ROOT } from '../proof/harness.js';

const text = (result: CallToolResult) => (result.content[0] as { text: string }).text;

interface Served {
  connect(client: Client): Promise<void>;
  stop(): Promise<void>;
}

function serverEnv(fake: FakeOneClickSeo, dir: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: dir,
    BACKLINK_GAP_CACHE_DIR: dir,
    BACKLINK_GAP_PROVIDER: 'oneclickseo',
    ONECLICKSEO_API_KEY: 'test-oneclickseo-key',
    ONECLICKSEO_BASE_URL: fake.baseUrl,
    // A two-competitor run is estimated at 7 credits: above this, every call is confirmed first.
    BACKLINK_GAP_CONFIRM_ABOVE: '5',
    // A call without a task gives up waiting for a run after 1 s (and answers that it is still running).
    BACKLINK_GAP_DEADLINE_MS: '1000',
  };
}

async function stdioServer(env: Record<string, string>): Promise<Served> {
  const transports: Transport[] = [];
  return {
    async connect(client) {
      const transport = new StdioClientTransport({ command: process.execPath, args: [CLI], cwd: ROOT, env, stderr: 'pipe' });
      transports.push(transport);
      await client.connect(transport);
    },
    async stop() {
      await Promise.all(transports.map((transport) => transport.close()));
    },
  };
}

async function httpServer(env: Record<string, string>): Promise<Served> {
  const child = spawn(process.execPath, [CLI, 'serve', '--http', '--port', '0', '--host', '127.0.0.1'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise<string>((resolve, reject) => {
    let stderr = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr}`)), 15_000);
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /(http:\/\/127\.0\.0\.1:\d+\/mcp)/.exec(stderr);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    connect: (client) => client.connect(new StreamableHTTPClientTransport(new URL(url))),
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

describe.each([
  ['stdio', stdioServer],
  ['Streamable HTTP', httpServer],
] as const)('backlink_gap as a task over %s', (_transport, serve) => {
  let fake: FakeOneClickSeo;
  let dir: string;
  let served: Served;
  /** A client that shows forms; `answer` is what its user says. */
  let withForms: Client;
  let answer: ElicitResult['action'] = 'accept';
  const forms: string[] = [];
  /** A client without elicitation. */
  let plain: Client;

  beforeAll(async () => {
    fake = await startFakeOneClickSeo();
    dir = mkdtempSync(join(tmpdir(), 'blg-gap-task-'));
    served = await serve(serverEnv(fake, dir));
    withForms = new Client({ name: 'forms', version: '1.0.0' }, { capabilities: { elicitation: { form: {} } } });
    withForms.setRequestHandler(ElicitRequestSchema, (request) => {
      forms.push((request.params as { message: string }).message);
      return answer === 'accept' ? { action: 'accept', content: { confirm: true } } : { action: answer };
    });
    plain = new Client({ name: 'plain', version: '1.0.0' });
    await served.connect(withForms);
    await served.connect(plain);
  });

  afterAll(async () => {
    await withForms?.close();
    await plain?.close();
    await served?.stop();
    await fake?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const gapArgs = (you: string, extra: Record<string, unknown> = {}) => ({ your_domain: you, competitor_domains: ['a.com', 'b.com'], ...extra });

  async function startTask(client: Client, args: Record<string, unknown>): Promise<string> {
    const created = await client.request({ method: 'tools/call', params: { name: 'backlink_gap', arguments: args, task: { ttl: 120_000 } } }, CreateTaskResultSchema);
    expect(created.task.status).toBe('working');
    return created.task.taskId;
  }

  async function finished(client: Client, taskId: string): Promise<CallToolResult> {
    await expect.poll(async () => (await client.experimental.tasks.getTask(taskId)).status, { timeout: 20_000, interval: 200 }).toMatch(/completed|failed/);
    return (await client.experimental.tasks.getTaskResult(taskId, CallToolResultSchema)) as CallToolResult;
  }

  it('declares optional task support and keeps the gap view link, within 3,000 tokens of tools/list', async () => {
    const { tools } = await plain.listTools();
    const gap = tools.find((tool) => tool.name === 'backlink_gap')!;
    expect(gap.execution?.taskSupport).toBe('optional');
    expect(gap._meta).toMatchObject({ ui: { resourceUri: 'ui://backlink-gap/gap-view.html' } });
    expect(plain.getServerCapabilities()?.tasks?.cancel).toBeDefined();
    expect(encode(JSON.stringify(tools)).length).toBeLessThanOrEqual(3000);
  });

  it('runs as a task: tasks/get shows the run progressing, tasks/result gives what a call without a task gives', async () => {
    fake.state = 'running';
    const polls = () => fake.requests.filter((request) => request.path === `/ocs/backlinks/gap/${RUN_ID}`).length;
    const waited = (await plain.callTool({ name: 'backlink_gap', arguments: gapArgs('impatient.com', { confirm: true }) })) as CallToolResult;
    expect(waited.structuredContent).toMatchObject({ status: 'pending' });

    const before = polls();
    const taskId = await startTask(plain, gapArgs('progress.com', { confirm: true, fresh: true }));
    await expect
      .poll(async () => (await plain.experimental.tasks.getTask(taskId)).statusMessage, { timeout: 15_000, interval: 200 })
      .toBe(`OneClickSEO run ${RUN_ID} still running`);
    // Past the 1 s a call without a task waits, the task goes on polling the run.
    await expect.poll(polls, { timeout: 15_000 }).toBeGreaterThanOrEqual(before + 3);
    expect((await plain.experimental.tasks.getTask(taskId)).status).toBe('working');
    fake.state = 'completed';
    const viaTask = await finished(plain, taskId);
    expect(viaTask.isError, text(viaTask)).toBeFalsy();
    expect(viaTask.structuredContent).toMatchObject({ run_id: expect.stringMatching(/^run_/), prospects: [{ domain: 'marketingblog.com' }] });

    const listed = (await plain.experimental.tasks.listTasks()).tasks.length;
    const direct = (await plain.callTool({ name: 'backlink_gap', arguments: gapArgs('progress.com', { confirm: true, fresh: true }) })) as CallToolResult;
    expect(direct.content).toEqual(viaTask.content);
    expect(direct.structuredContent).toEqual(viaTask.structuredContent);
    // A call without a task makes none.
    expect((await plain.experimental.tasks.listTasks()).tasks).toHaveLength(listed);
  });

  it('tasks/cancel stops the upstream requests; the run bought before the cancel is resumed by the next call, not bought again', async () => {
    fake.state = 'hang';
    const created = fake.created();
    const seen = fake.requests.length;
    const taskId = await startTask(plain, gapArgs('cancelled.com', { confirm: true }));
    // The run is created (paid), then its first poll hangs upstream.
    await fake.received(seen + 2);
    expect(fake.created()).toBe(created + 1);
    const poll = fake.requests.at(-1)!;
    expect(poll.path).toBe(`/ocs/backlinks/gap/${RUN_ID}`);

    await plain.experimental.tasks.cancelTask(taskId);
    expect((await plain.experimental.tasks.getTask(taskId)).status).toBe('cancelled');
    // The hanging poll is abandoned by the server (its request aborted), and no other follows it.
    await expect.poll(() => poll.abandoned, { timeout: 10_000 }).toBe(true);
    const after = fake.requests.length;
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(fake.requests.length).toBe(after);

    fake.state = 'completed';
    const resumed = (await plain.callTool({ name: 'backlink_gap', arguments: gapArgs('cancelled.com', { confirm: true }) })) as CallToolResult;
    expect(resumed.isError, text(resumed)).toBeFalsy();
    expect(resumed.structuredContent).toMatchObject({ prospects: [{ domain: 'marketingblog.com' }] });
    expect(fake.created()).toBe(created + 1);
  });

  it('confirmation inside a task: the task asks for input, the form comes through tasks/result, accepting runs it', async () => {
    fake.state = 'completed';
    answer = 'accept';
    forms.length = 0;
    const created = fake.created();
    const statuses: string[] = [];
    let result: CallToolResult | undefined;
    for await (const message of withForms.experimental.tasks.callToolStream({ name: 'backlink_gap', arguments: gapArgs('accepted.com') }, CallToolResultSchema, { task: { ttl: 120_000 } })) {
      if (message.type === 'taskStatus') statuses.push(message.task.status);
      if (message.type === 'result') result = message.result as CallToolResult;
      if (message.type === 'error') throw message.error;
    }
    expect(statuses).toContain('input_required');
    expect(forms).toHaveLength(1);
    expect(forms[0]).toContain('oneclickseo: ~7 credits');
    expect(result?.isError, result && text(result)).toBeFalsy();
    expect(result?.structuredContent).toMatchObject({ prospects: [{ domain: 'marketingblog.com' }] });
    expect(fake.created()).toBe(created + 1);
  });

  it('declining inside a task sends nothing upstream', async () => {
    answer = 'decline';
    const created = fake.created();
    let result: CallToolResult | undefined;
    for await (const message of withForms.experimental.tasks.callToolStream({ name: 'backlink_gap', arguments: gapArgs('declined.com') }, CallToolResultSchema, { task: { ttl: 120_000 } })) {
      if (message.type === 'result') result = message.result as CallToolResult;
      if (message.type === 'error') throw message.error;
    }
    expect(text(result!)).toMatch(/^Declined: nothing was called or spent/);
    expect(result!.structuredContent).toMatchObject({ confirmation: 'declined' });
    expect(fake.created()).toBe(created);
  });

  it('a client without forms gets the quote as the task\'s result, then runs it with confirm: true', async () => {
    const created = fake.created();
    const quoted = await finished(plain, await startTask(plain, gapArgs('quoted.com')));
    expect(text(quoted)).toContain('repeat the same call with confirm: true');
    expect(quoted.structuredContent).toMatchObject({ confirmation: 'required', confirm_above: 5, estimates: [{ provider: 'oneclickseo', cached: false }] });
    expect(fake.created()).toBe(created);

    const paid = await finished(plain, await startTask(plain, gapArgs('quoted.com', { confirm: true })));
    expect(paid.structuredContent).toMatchObject({ prospects: [{ domain: 'marketingblog.com' }] });
    expect(fake.created()).toBe(created + 1);
  });
});
