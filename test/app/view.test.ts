// The gap view in a real browser (Debian's Chromium, headless) through the ext-apps host bridge,
// fed a real backlink_gap result from the built server; asserts what a person sees and does.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { standaloneReport } from '../../src/app/resource.js';
import type { GapRun } from '../../src/domain.js';
import { COMPETITORS, YOU } from '../helpers/sample-truth.js';
import { type Host, launchBrowser, openHost, syntheticRun, VIEW_FILE, visibleTable } from './harness.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OUTPUT = join(ROOT, '.test-output', 'app');

let browser: Browser;
let client: Client;
let cacheDir: string;
let gap: CallToolResult;
let run: GapRun;

const call = async (name: string, args: Record<string, unknown>) => (await client.callTool({ name, arguments: args })) as CallToolResult;

beforeAll(async () => {
  cacheDir = mkdtempSync(join(tmpdir(), 'blg-app-'));
  client = new Client({ name: 'app-test-host', version: '1.0.0' });
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [join(ROOT, 'dist', 'cli.js')],
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: cacheDir, BACKLINK_GAP_CACHE_DIR: cacheDir },
      stderr: 'ignore',
    }),
  );
  gap = await call('backlink_gap', { your_domain: YOU, competitor_domains: COMPETITORS, limit: 1000 });
  const runId = (gap.structuredContent as { run_id: string }).run_id;
  const resource = await client.readResource({ uri: `backlink-gap://runs/${runId}` });
  run = JSON.parse((resource.contents[0] as { text: string }).text) as GapRun;
  browser = await launchBrowser();
  mkdirSync(OUTPUT, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await client?.close();
  rmSync(cacheDir, { recursive: true, force: true });
});

async function hostWithGap(theme: 'light' | 'dark' = 'light', width = 1200): Promise<Host> {
  const host = await openHost(browser, (name, args) => call(name, args), { theme, width });
  await host.sendToolResult(gap);
  // The view pages through the whole run with list_prospects; wait until every row is there.
  await host.view.waitForFunction((total) => document.querySelectorAll('table.prospects tbody tr').length === total, run.prospects.length, { timeout: 20_000 });
  return host;
}

describe('the gap view inside a host (ext-apps AppBridge, headless Chromium)', () => {
  it('the server links backlink_gap and list_prospects to the view resource, served as an MCP App', async () => {
    const tools = await client.listTools();
    for (const name of ['backlink_gap', 'list_prospects']) {
      const tool = tools.tools.find((entry) => entry.name === name)!;
      expect((tool._meta as { ui?: { resourceUri?: string } }).ui?.resourceUri).toBe('ui://backlink-gap/gap-view.html');
    }
    const resource = await client.readResource({ uri: 'ui://backlink-gap/gap-view.html' });
    const content = resource.contents[0] as { mimeType: string; text: string };
    expect(content.mimeType).toBe('text/html;profile=mcp-app');
    expect(content.text).toBe(readFileSync(VIEW_FILE, 'utf8'));
    // Self-contained: nothing fetched at view time.
    expect(content.text).not.toMatch(/<script[^>]+src=|<link[^>]+href=|@import|https?:\/\/[^"'\s]+\.(js|css)\b/);
    expect(statSync(VIEW_FILE).size).toBeLessThan(150 * 1024);
  });

  it('shows every prospect of the run against each competitor, marks where the run says links exist', async () => {
    const host = await hostWithGap();
    const table = await visibleTable(host.view);
    expect(table.columns).toEqual(run.competitor_domains);
    expect(table.rows).toHaveLength(run.prospects.length);
    const truth = new Map(run.prospects.map((prospect) => [prospect.domain, prospect]));
    for (const row of table.rows) {
      const prospect = truth.get(row.domain)!;
      expect(prospect, row.domain).toBeDefined();
      row.marks.forEach((mark, index) => {
        const competitor = run.competitor_domains[index]!;
        expect(mark !== 'none', `${row.domain} → ${competitor}`).toBe(prospect.competitors.includes(competitor));
        // Dofollow is a fact per competitor: DF where the run counts a dofollow link to it, nf where none.
        const dofollow = prospect.by_competitor?.[competitor]?.dofollow_links;
        if (dofollow !== undefined) expect(mark, `${row.domain} → ${competitor}`).toBe(dofollow > 0 ? 'df' : 'nf');
      });
    }
    // The top rows arrived with the gap result; the rest came from list_prospects through the bridge.
    expect(host.calls.length).toBeGreaterThan(0);
    for (const entry of host.calls) {
      expect(entry.name).toBe('list_prospects');
      expect(entry.arguments.run_id).toBe(run.run_id);
    }
    // Later calls ask for the rows after the ones already shown (a page number or an offset).
    expect(host.calls.length).toBeGreaterThan(1);
    for (const entry of host.calls.slice(1)) expect(Number(entry.arguments.offset ?? 0) > 0 || Number(entry.arguments.page ?? 1) > 1).toBe(true);
    // Overlap counts: prospects linking to exactly k competitors.
    const bars = await host.view.$$eval('.bars li .bar-count', (items) => items.map((item) => Number(item.textContent)));
    const expected = run.competitor_domains.map((_, index) => run.prospects.filter((prospect) => prospect.competitors.length === index + 1).length);
    expect(bars).toEqual(expected);
    await host.page.screenshot({ path: join(OUTPUT, 'host-light.png'), fullPage: false });
    await host.page.close();
  });

  it('sorts by a column and filters by category, changing the rows a person sees', async () => {
    const host = await hostWithGap();
    await host.view.click('button.sort[data-column="authority"]');
    let table = await visibleTable(host.view);
    const authorities = table.rows.map((row) => run.prospects.find((prospect) => prospect.domain === row.domain)!.authority);
    const known = authorities.filter((value): value is number => value !== undefined);
    expect(known).toEqual([...known].sort((a, b) => b - a));
    await host.view.click('button.sort[data-column="authority"]');
    table = await visibleTable(host.view);
    const ascending = table.rows.map((row) => run.prospects.find((prospect) => prospect.domain === row.domain)!.authority).filter((value) => value !== undefined);
    expect(ascending).toEqual([...ascending].sort((a, b) => a! - b!));

    const category = run.prospects.find((prospect) => prospect.category === 'directory')?.category ?? run.prospects[0]!.category;
    await host.view.selectOption('select[aria-label="Category"]', category);
    table = await visibleTable(host.view);
    expect(table.rows.map((row) => row.domain).sort()).toEqual(run.prospects.filter((prospect) => prospect.category === category).map((prospect) => prospect.domain).sort());
    await host.view.fill('input[type="search"]', 'zzzz-no-such-domain');
    expect((await visibleTable(host.view)).rows).toHaveLength(0);
    await host.page.close();
  });

  it('exports the shortlist as CSV through the host, with the rows picked and their marks', async () => {
    const host = await hostWithGap();
    const picked = run.prospects.slice(0, 3).map((prospect) => prospect.domain);
    for (const domain of picked) await host.view.check(`input[data-domain="${domain}"]`);
    await host.view.click('#export-shortlist');
    await host.view.waitForFunction(() => true);
    await expect.poll(() => host.downloads.length).toBe(1);
    const csv = host.downloads[0]!.contents[0]!.resource!.text!;
    const lines = csv.trim().split('\n');
    expect(lines[0]).toBe(`domain,score,authority,tier,category,route,competitors,dofollow_links,backlinks,spam_score,${run.competitor_domains.join(',')}`);
    expect(lines.slice(1).map((line) => line.split(',')[0])).toEqual(picked);
    const first = run.prospects[0]!;
    const cells = lines[1]!.split(',');
    expect(cells.slice(-run.competitor_domains.length).map((cell) => cell !== '')).toEqual(run.competitor_domains.map((domain) => first.competitors.includes(domain)));
    await host.page.close();
  });

  it('is keyboard-usable and follows the host theme, in a narrow chat column', async () => {
    const host = await hostWithGap('dark', 420);
    expect(await host.view.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    const background = await host.view.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(background).not.toBe('rgb(255, 255, 255)');
    // Tab to a sort button and press Enter: the sort changes without a mouse.
    await host.view.focus('button.sort[data-column="domain"]');
    await host.page.keyboard.press('Enter');
    const table = await visibleTable(host.view);
    const domains = table.rows.map((row) => row.domain);
    expect(domains).toEqual([...domains].sort((a, b) => a.localeCompare(b)));
    // The page itself never scrolls sideways: the table scrolls inside its own box.
    await host.page.screenshot({ path: join(OUTPUT, 'host-dark-narrow.png') });
    const overflow = await host.view.evaluate(() =>
      [...document.querySelectorAll('body *')].filter((node) => node.getBoundingClientRect().right > window.innerWidth + 1 && !node.closest('.table-wrap')).map((node) => node.tagName + '.' + node.className),
    );
    expect(overflow).toEqual([]);
    await host.page.close();
  });
});

describe('the same view as a standalone report', () => {
  it('opens with no network and shows the embedded run of 1,000 prospects, light and dark', async () => {
    const report = await standaloneReport(syntheticRun(1000));
    const file = join(OUTPUT, 'report-1000.html');
    writeFileSync(file, report);
    for (const scheme of ['light', 'dark'] as const) {
      const context = await browser.newContext({ colorScheme: scheme, viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      const requests: string[] = [];
      page.on('request', (request) => {
        if (!request.url().startsWith('file:')) requests.push(request.url());
      });
      await page.goto(`file://${file}`);
      await page.waitForSelector('table.prospects tbody tr');
      expect(await page.$$eval('table.prospects tbody tr', (rows) => rows.length)).toBe(1000);
      expect(await page.$$eval('table.prospects thead th.competitor:not(.you)', (cells) => cells.length)).toBe(5);
      expect(requests).toEqual([]);
      await page.screenshot({ path: join(OUTPUT, `report-1000-${scheme}.png`) });
      await context.close();
    }
  });

  it('`gap --html FILE` writes the run as a report that opens in a browser with every prospect', async () => {
    const file = join(OUTPUT, 'cli-report.html');
    const { execFileSync } = await import('node:child_process');
    execFileSync(process.execPath, [join(ROOT, 'dist', 'cli.js'), 'gap', YOU, '--competitors', COMPETITORS.join(','), '--limit', '1000', '--html', file], {
      env: { PATH: process.env.PATH ?? '', HOME: cacheDir, BACKLINK_GAP_CACHE_DIR: cacheDir },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const page = await browser.newPage();
    await page.goto(`file://${file}`);
    await page.waitForSelector('table.prospects tbody tr');
    const shown = await page.$$eval('table.prospects tbody tr', (rows) => rows.map((row) => row.getAttribute('data-domain')));
    expect([...shown].sort()).toEqual(run.prospects.map((prospect) => prospect.domain).sort());
    expect(shown[0]).toBe(run.prospects[0]!.domain);
    await page.close();
  });

  it('escapes the embedded run: a domain shaped like markup stays text', async () => {
    const hostile = syntheticRun(2);
    hostile.prospects[0]!.domain = '</script><img src=x onerror=alert(1)>.example';
    const file = join(OUTPUT, 'report-hostile.html');
    writeFileSync(file, await standaloneReport(hostile));
    const page = await browser.newPage();
    await page.goto(`file://${file}`);
    await page.waitForSelector('table.prospects tbody tr');
    expect(await page.$$eval('img', (images) => images.length)).toBe(0);
    expect(await page.$eval('table.prospects tbody tr th.domain', (cell) => cell.textContent)).toBe(hostile.prospects[0]!.domain);
    await page.close();
  });
});
