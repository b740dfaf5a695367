// list_prospects concise, as the model reads it: one short row per prospect with what it needs to act
// (domain; why: score, authority, competitors linked, follow; the route) and the next call, within the
// issue's budget of 25 o200k tokens a row on the token bench's 500-prospect dataset.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { encode } from 'gpt-tokenizer/encoding/o200k_base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMPETITORS, PROSPECTS, writeDataset, YOU } from '../../bench/figures/tokens.js';
import { callTool, connectClient } from '../helpers/client.js';
import { type TestRuntime, testRuntime } from '../helpers/runtime.js';

let runtime: TestRuntime;
let client: Client;

const data = mkdtempSync(join(tmpdir(), 'blg-tokens-'));

beforeAll(async () => {
  writeDataset(data);
  runtime = testRuntime({ BACKLINK_GAP_DATA: data });
  client = await connectClient({ service: runtime.service, logger: runtime.logger });
});

afterAll(async () => {
  await client.close();
  await runtime.dispose();
  rmSync(data, { recursive: true, force: true });
});

interface Row {
  domain: string;
  score: number;
  competitor_overlap: number;
  route?: string;
}

describe('list_prospects concise', () => {
  it('shows each prospect in one row, 25 tokens or fewer a row, naming the competitor count once in the legend', async () => {
    const gap = await callTool(client, 'backlink_gap', { your_domain: YOU, competitor_domains: COMPETITORS, limit: PROSPECTS });
    expect(gap.isError).toBeFalsy();
    const runId = (gap.structuredContent as { run_id: string }).run_id;
    const page = await callTool(client, 'list_prospects', { run_id: runId, per_page: 50 });
    const text = (page.content[0] as { text: string }).text;
    const rows = (page.structuredContent as { data: Row[] }).data;
    expect(rows).toHaveLength(50);

    const lines = text.split('\n');
    expect(lines[1]).toContain(`cN=links to N of ${COMPETITORS.length} competitors`);
    rows.forEach((row, index) => {
      const line = lines.find((candidate) => candidate.startsWith(`${index + 1}. ${row.domain} ${row.score} `));
      expect(line, row.domain).toBeDefined();
      expect(line).toContain(` c${row.competitor_overlap} `);
      if (row.route !== undefined) expect(line!.endsWith(` ${row.route}`)).toBe(true);
    });
    expect(rows.every((row) => row.route !== undefined)).toBe(true);
    expect(text).toMatch(/\nnext: list_prospects \{"run_id":"[^"]+".*"page":2\}$/);
    expect(encode(text).length / rows.length).toBeLessThanOrEqual(25);
  });
});
