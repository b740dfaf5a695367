// End to end: the built server, launched exactly as mcp.json describes, over stdio with the SDK client.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from '../../src/server.js';
import { testRuntime } from '../helpers/runtime.js';
import { COMPETITORS, YOU, sampleTruth } from '../helpers/sample-truth.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const entry = (JSON.parse(readFileSync(join(ROOT, 'mcp.json'), 'utf8')) as {
  mcpServers: Record<string, { command: string; args: string[]; env: Record<string, string> }>;
}).mcpServers['backlink-gap']!;

let client: Client;
let transport: StdioClientTransport;
let cacheDir: string;
const stderr: string[] = [];
const truth = sampleTruth();

beforeAll(async () => {
  cacheDir = mkdtempSync(join(tmpdir(), 'blg-e2e-'));
  transport = new StdioClientTransport({
    command: entry.command === 'node' ? process.execPath : entry.command,
    args: entry.args,
    cwd: ROOT,
    env: { ...entry.env, PATH: process.env.PATH ?? '', HOME: cacheDir, BACKLINK_GAP_CACHE_DIR: cacheDir },
    stderr: 'pipe',
  });
  transport.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  client = new Client({ name: 'e2e', version: '1.0.0' });
  await client.connect(transport);
});

afterAll(async () => {
  await client?.close();
  rmSync(cacheDir, { recursive: true, force: true });
});

const call = async (name: string, args: Record<string, unknown>) => (await client.callTool({ name, arguments: args })) as CallToolResult;

describe('the built server over stdio, as mcp.json launches it', () => {
  it('prints a one-line banner naming the providers on stderr', () => {
    const banner = stderr.join('').split('\n')[0]!;
    expect(banner).toMatch(/backlink-gap-mcp .* stdio · providers: local \(bundled synthetic sample\)/);
  });

  it('lists exactly the tools the SDK builds from src/ (the bundle serves a build-time snapshot)', async () => {
    const built = await client.listTools();
    const runtime = testRuntime();
    const server = createServer({ service: runtime.service, logger: runtime.logger });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    const live = new Client({ name: 'live', version: '1.0.0' });
    await live.connect(clientSide);
    try {
      expect(built.tools).toEqual((await live.listTools()).tools);
    } finally {
      await live.close();
      await runtime.dispose();
    }
  });

  it('answers all four tools with values that match the dataset', async () => {
    const gap = await call('backlink_gap', { your_domain: YOU, competitor_domains: COMPETITORS, limit: 1000, min_competitors: 2 });
    expect(gap.isError).toBeFalsy();
    const gapData = gap.structuredContent as Record<string, any>;
    const several = [...truth.gap].filter(([, set]) => set.size >= 2);
    expect(gapData.total_prospects).toBe(several.length);

    const page = await call('list_prospects', { run_id: gapData.run_id, per_page: 100, sort: 'overlap', include_platforms: true });
    const pageData = page.structuredContent as Record<string, any>;
    expect(pageData.meta.total).toBe(several.length);
    for (const row of pageData.data) expect(new Set(row.competitors)).toEqual(truth.gap.get(row.domain));

    const backlinks = await call('get_backlinks', { target: COMPETITORS[1], limit: 1000 });
    const backlinksData = backlinks.structuredContent as Record<string, any>;
    expect(backlinksData.metrics.links_in).toBe(truth.linksTo(COMPETITORS[1]!).length);
    expect(backlinksData.total).toBe(truth.linksTo(COMPETITORS[1]!).length);

    const intersect = await call('link_intersect', { positive_targets: COMPETITORS.slice(0, 3), negative_targets: [YOU], min_matching_targets: 3 });
    const intersectData = intersect.structuredContent as Record<string, any>;
    const all3 = [...truth.gap].filter(([, set]) => COMPETITORS.slice(0, 3).every((c) => set.has(c)));
    expect(intersectData.total ?? intersectData.results.length).toBe(all3.length);
  });
});
