// What a user with no API key but vendor exports gets through the MCP tool: an Ahrefs export of one
// competitor (UTF-16, tab), a Semrush export of another and their own Search Console links ZIP, in
// one folder named by BACKLINK_GAP_DATA; backlink_gap with provider local answers a ranked gap that
// leaves out who already links to them and names the files it used.

import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callTool, connectClient } from '../helpers/client.js';
import { type TestRuntime, testRuntime } from '../helpers/runtime.js';

const fixtures = fileURLToPath(new URL('../fixtures/local/exports/', import.meta.url));
const FILES = ['rival-a.com-backlinks-subdomains_2026-11-20_09-15-02.csv', 'rival-b.com-backlinks.csv', 'me.com-Links-2026-11-25.zip'];

let folder: string;
let runtime: TestRuntime;
let client: Client;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'blg-exports-tool-'));
  for (const name of FILES) await copyFile(join(fixtures, name), join(folder, name));
  runtime = testRuntime({ BACKLINK_GAP_DATA: folder });
  client = await connectClient({ service: runtime.service, logger: runtime.logger });
});
afterAll(async () => {
  await client.close();
  await runtime.dispose();
  await rm(folder, { recursive: true, force: true });
});

describe('backlink_gap over a folder of vendor exports (provider local)', () => {
  it('ranks who links to the competitors but not to me.com, and says which exports it read', async () => {
    const result = await callTool(client, 'backlink_gap', {
      your_domain: 'me.com',
      competitor_domains: ['rival-a.com', 'rival-b.com'],
      provider: 'local',
      response_format: 'detailed',
    });
    expect(result.isError).not.toBe(true);
    const data = result.structuredContent as Record<string, any>;
    expect(data.provider).toBe('local');
    // Both competitors first, then by authority (the median of the vendors' 0-100 figures); the
    // Search Console export's linking sites (alreadylinks.org, news.site) are left out.
    expect(data.prospects.map((prospect: any) => [prospect.domain, prospect.competitors, prospect.authority])).toEqual([
      ['chamber.org', ['rival-a.com', 'rival-b.com'], 67.5],
      ['directory.net', ['rival-a.com', 'rival-b.com'], 52.5],
      ['example.co.uk', ['rival-a.com'], 40],
      ['xn--bcher-kva.de', ['rival-a.com'], 30],
    ]);
    expect(data.prospects[0].provider_metrics.local.vendor_metrics).toMatchObject({ ahrefs_dr: 70, semrush_page_as: 65 });
    const notes = data.notes.join('\n');
    expect(notes).toContain('rival-a.com-backlinks-subdomains_2026-11-20_09-15-02.csv (Ahrefs backlinks, exported 2026-11-20, 6 links)');
    expect(notes).toContain('rival-b.com-backlinks.csv (Semrush backlinks, links seen up to 2026-11-19, 3 links)');
    expect(notes).toContain('me.com-Links-2026-11-25.zip/Top linking sites.csv (Search Console top linking sites');
  });
});
