// Long calls: progress notifications reach a client that asked for them (progressToken), and a
// cancelled call stops its provider work.

import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CallToolResultSchema, type Progress } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { connectClient } from './helpers/client.js';
import { createFakeProvider, prospect } from './helpers/fake-provider.js';
import { type TestRuntime, testRuntime } from './helpers/runtime.js';

let runtime: TestRuntime | undefined;
afterEach(async () => {
  await runtime?.dispose();
  runtime = undefined;
});

async function connect(fake: ReturnType<typeof createFakeProvider>): Promise<Client> {
  runtime = testRuntime({}, { dataforseo: fake });
  return connectClient({ service: runtime.service, logger: runtime.logger }, { name: 'progress' });
}

describe('progress and cancellation through MCP', () => {
  it('forwards a provider fan-out progress to a client that passed a progressToken', async () => {
    const fake = createFakeProvider('dataforseo', { prospects: [prospect('one.org', ['a.com'])] });
    const answer = fake.gapAnswer;
    fake.gapAnswer = async (query, context) => {
      for (const [index, competitor] of query.competitor_domains.entries()) {
        context.progress?.(index + 1, query.competitor_domains.length, `fetched ${competitor}`);
      }
      return answer(query, context);
    };
    const client = await connect(fake);
    const seen: Progress[] = [];
    const result = await client.callTool({ name: 'backlink_gap', arguments: { your_domain: 'me.com', competitor_domains: ['a.com', 'b.com'] } }, CallToolResultSchema, {
      onprogress: (progress) => seen.push(progress),
    });
    expect(result.isError).toBeFalsy();
    expect(seen).toEqual([
      { progress: 1, total: 2, message: 'fetched a.com' },
      { progress: 2, total: 2, message: 'fetched b.com' },
    ]);
    await client.close();
  });

  it('aborts the provider call when the client cancels', async () => {
    const fake = createFakeProvider('dataforseo');
    let aborted = false;
    fake.gapAnswer = (_query, context) =>
      new Promise((_resolve, reject) => {
        context.signal?.addEventListener('abort', () => {
          aborted = true;
          reject(new Error('aborted'));
        });
      });
    const client = await connect(fake);
    const controller = new AbortController();
    const call = client.callTool({ name: 'backlink_gap', arguments: { your_domain: 'me.com', competitor_domains: ['a.com'] } }, CallToolResultSchema, {
      signal: controller.signal,
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    controller.abort();
    await expect(call).rejects.toThrow();
    await expect.poll(() => aborted).toBe(true);
    await client.close();
  });
});
