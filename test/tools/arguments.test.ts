// Argument errors a model can recover from, through a real MCP client: each names the argument,
// what was wrong, the valid keys or values, and a near match; a comma-separated list is accepted.

import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callTool, connectClient } from '../helpers/client.js';
import { COMPETITORS, YOU } from '../helpers/sample-truth.js';
import { type TestRuntime, testRuntime } from '../helpers/runtime.js';

let runtime: TestRuntime;
let client: Client;

beforeAll(async () => {
  runtime = testRuntime();
  client = await connectClient({ service: runtime.service, logger: runtime.logger });
});

afterAll(async () => {
  await client.close();
  await runtime.dispose();
});

const call = (name: string, args: Record<string, unknown>) => callTool(client, name, args);

const text = (result: CallToolResult) => (result.content[0] as { text: string }).text;

async function refusal(name: string, args: Record<string, unknown>): Promise<string> {
  const result = await call(name, args);
  expect(result.isError).toBe(true);
  const message = text(result);
  expect(message).toMatch(new RegExp(`^invalid_input: ${name}: `));
  // Not the validator's own words.
  expect(message).not.toMatch(/Unrecognized key|Input validation error|Invalid input|received string|<=\d+ characters/);
  return message;
}

describe('argument errors', () => {
  it('an unknown argument names a near match and the valid arguments', async () => {
    const message = await refusal('list_prospects', { runId: 'abc', limit: 5 });
    expect(message).toContain('"runId" is not an argument of list_prospects (did you mean run_id?)');
    expect(message).toContain('"limit" is not an argument of list_prospects (did you mean per_page?)');
    expect(message).toMatch(/valid arguments: run_id, .*per_page/);
    // run_id is reported once, as the misspelt name, not again as missing.
    expect(message).not.toMatch(/run_id is required/);
  });

  it('a list of competitors given as one comma-separated string is accepted and split', async () => {
    const result = await call('backlink_gap', { your_domain: YOU, competitor_domains: COMPETITORS.slice(0, 3).join(', ') });
    expect(result.isError, text(result)).toBeFalsy();
    expect(text(result)).toContain(COMPETITORS[0]);
    const reference = await call('backlink_gap', { your_domain: YOU, competitor_domains: COMPETITORS.slice(0, 3) });
    expect((result.structuredContent as { run_id: string }).run_id).toBe((reference.structuredContent as { run_id: string }).run_id);
  });

  it('a wrong kind says what was expected and what came, and nothing bogus after it', async () => {
    const message = await refusal('backlink_gap', { your_domain: YOU, competitor_domains: 5 });
    expect(message).toBe('invalid_input: backlink_gap: competitor_domains must be a list (array), each item a string (got the number 5).');
  });

  it('a bad item of a list names the item and what it must be', async () => {
    const message = await refusal('link_intersect', { positive_targets: [5, { target: 'a.com', scope: 'domain' }, { targt: 'b.com' }] });
    expect(message).toContain('positive_targets[0] must be a string or an object {target, scope} (got the number 5)');
    expect(message).toContain('positive_targets[1].scope must be one of "page", "subdomain", "root_domain" (got "domain")');
    expect(message).toContain('"targt" is not a field of positive_targets[2] (did you mean target?); valid fields: target, scope');
  });

  it('a bad value lists the valid values, with a near match, and bounds are stated', async () => {
    const message = await refusal('get_backlinks', { target: 'a.com', limit: 5000, mode: 'one_per_domian' });
    expect(message).toContain('mode must be one of "as_is", "one_per_domain", "one_per_anchor" (got "one_per_domian"); did you mean "one_per_domain"?');
    expect(message).toContain('limit must be at most 1000 (got 5000)');
    expect(await refusal('list_prospects', { run_id: 'x', per_page: 2.5 })).toContain('per_page must be a whole number (got the number 2.5)');
    expect(await refusal('backlink_gap', { your_domain: YOU, competitor_domains: [] })).toContain('competitor_domains must have at least 1 item (got 0)');
    expect(await refusal('backlink_gap', { competitor_domains: COMPETITORS })).toContain('your_domain is required: a string');
    expect(await refusal('usage', { verbose: true })).toContain('usage takes no arguments');
  });
});
