// Spending confirmation through real SDK clients: one that shows forms (accepts or declines) and one
// that cannot, against a fake paid provider whose calls are counted.

import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { type CallToolResult, ElicitRequestSchema, type ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { callTool, connectClient } from '../helpers/client.js';
import { backlinkRows, createFakeProvider, type FakeProvider, prospect } from '../helpers/fake-provider.js';
import { type TestRuntime, testRuntime } from '../helpers/runtime.js';

let runtime: TestRuntime | undefined;
let client: Client | undefined;

afterEach(async () => {
  await client?.close();
  await runtime?.dispose();
  client = undefined;
  runtime = undefined;
});

/** A server on a fake DataForSEO charging `cost` USD a call, and a client that answers forms with `answer` (none: no elicitation). */
async function setUp(env: Record<string, string>, cost: number, answer?: ElicitResult['action']) {
  const moz = createFakeProvider('dataforseo', {
    unit: 'usd',
    costPerCall: cost,
    upTo: true,
    prospects: [prospect('blog.example', ['rival.com'])],
    backlinks: backlinkRows(5, 'rival.com'),
  });
  runtime = testRuntime({ BACKLINK_GAP_PROVIDER: 'local', ...env }, { dataforseo: moz });
  const forms: Array<{ message: string; schema: unknown }> = [];
  const answerForms = (form: Client) =>
    form.setRequestHandler(ElicitRequestSchema, (request) => {
      const params = request.params as { message: string; requestedSchema: unknown };
      forms.push({ message: params.message, schema: params.requestedSchema });
      return answer === 'accept' ? { action: 'accept', content: { confirm: true } } : { action: answer ?? 'cancel' };
    });
  // A client that shows forms says so in its capabilities; one that cannot answers none.
  client = await connectClient({ service: runtime.service, logger: runtime.logger }, answer ? { capabilities: { elicitation: { form: {} } }, before: answerForms } : {});
  return { moz, forms };
}

const gapArgs = { your_domain: 'me.com', competitor_domains: ['rival.com'], provider: 'dataforseo' };
const call = (name: string, args: Record<string, unknown>) => callTool(client!, name, args);
const text = (result: CallToolResult) => (result.content[0] as { text: string }).text;
const upstream = (moz: FakeProvider) => moz.calls.gap.length + moz.calls.backlinks.length + moz.calls.intersect.length;

describe('spending confirmation (BACKLINK_GAP_CONFIRM_ABOVE)', () => {
  it('a client with forms is asked with the quote; accepting makes the call, and a repeat from the cache asks nothing', async () => {
    const { moz, forms } = await setUp({ BACKLINK_GAP_CONFIRM_ABOVE: '0.5' }, 2, 'accept');
    const result = await call('backlink_gap', gapArgs);
    expect(result.isError).toBeFalsy();
    expect(moz.calls.gap).toHaveLength(1);
    expect(forms).toHaveLength(1);
    expect(forms[0]!.message).toContain('dataforseo: up to ');
    expect(forms[0]!.message).toMatch(/2(\.00)? ?USD|\$2/i);
    expect((result.structuredContent as { run_id?: string }).run_id).toMatch(/^run_/);

    await call('backlink_gap', gapArgs);
    expect(forms).toHaveLength(1);
    expect(moz.calls.gap).toHaveLength(1);
  });

  it('declining sends nothing upstream and says so, for each paid tool', async () => {
    const { moz, forms } = await setUp({ BACKLINK_GAP_CONFIRM_ABOVE: '0.5' }, 2, 'decline');
    for (const [name, args] of [
      ['backlink_gap', gapArgs],
      ['get_backlinks', { target: 'rival.com', provider: 'dataforseo' }],
      ['link_intersect', { positive_targets: ['rival.com'], negative_targets: ['me.com'], provider: 'dataforseo' }],
    ] as const) {
      const result = await call(name, args);
      expect(result.isError, text(result)).toBeFalsy();
      expect(text(result)).toMatch(/^Declined: nothing was called or spent/);
      expect(result.structuredContent).toMatchObject({ confirmation: 'declined' });
    }
    expect(forms).toHaveLength(3);
    expect(upstream(moz)).toBe(0);
  });

  it('a client without forms gets the quote as the answer, then goes ahead with confirm: true', async () => {
    const { moz } = await setUp({ BACKLINK_GAP_CONFIRM_ABOVE: '0.5' }, 2);
    const quoted = await call('get_backlinks', { target: 'rival.com', provider: 'dataforseo' });
    expect(quoted.isError, text(quoted)).toBeFalsy();
    expect(text(quoted)).toContain('repeat the same call with confirm: true');
    expect(quoted.structuredContent).toMatchObject({ confirmation: 'required', confirm_above: 0.5, estimates: [{ provider: 'dataforseo', cached: false }] });
    expect(upstream(moz)).toBe(0);

    const paid = await call('get_backlinks', { target: 'rival.com', provider: 'dataforseo', limit: 2, confirm: true });
    expect(paid.isError).toBeFalsy();
    expect(moz.calls.backlinks).toHaveLength(1);
    // The next page is a new call: its next_call does not carry the confirmation over.
    expect(JSON.stringify(paid.structuredContent)).not.toContain('"confirm"');
  });

  it('asks nothing under the threshold, nor when the threshold is unset', async () => {
    const cheap = await setUp({ BACKLINK_GAP_CONFIRM_ABOVE: '5' }, 2, 'decline');
    await call('backlink_gap', gapArgs);
    expect(cheap.forms).toHaveLength(0);
    expect(cheap.moz.calls.gap).toHaveLength(1);
    await client!.close();
    await runtime!.dispose();

    const unset = await setUp({}, 2);
    const result = await call('link_intersect', { positive_targets: ['rival.com'], provider: 'dataforseo' });
    expect(result.isError).toBeFalsy();
    expect(unset.moz.calls.intersect).toHaveLength(1);
  });

  it('a form answer that does not match the form is an error, not a go-ahead', async () => {
    const { moz } = await setUp({ BACKLINK_GAP_CONFIRM_ABOVE: '0' }, 2, 'accept');
    client!.setRequestHandler(ElicitRequestSchema, () => ({ action: 'accept', content: { confirm: 'yes' } }));
    const result = await call('backlink_gap', gapArgs);
    expect(result.isError).toBe(true);
    expect(moz.calls.gap).toHaveLength(0);
  });
});
