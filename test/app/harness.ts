// A chat host for the gap view, in headless Chromium: the page embeds the built view in a sandboxed
// iframe and speaks to it through @modelcontextprotocol/ext-apps' own host side (AppBridge), as a
// host does; tool calls the view makes reach a real MCP client in Node (the built server, over stdio).

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { type Browser, chromium, type Frame, type Page } from 'playwright-core';
import type { ViewProspect, ViewRun } from '../../src/app/model.js';

// Callbacks passed to page.evaluate run in the browser; these names are the page's. (This file also
// compiles without the DOM library, as part of bench/.)
declare const window: any;
declare const document: any;

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const VIEW_FILE = join(ROOT, 'dist', 'app', 'gap-view.html');

/** Debian's chromium (installed by .ci/run when missing); CHROMIUM_PATH overrides. */
export function chromiumPath(): string {
  const path = process.env.CHROMIUM_PATH ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((candidate) => existsSync(candidate));
  if (!path) throw new Error('Chromium not found: apt-get install chromium (or set CHROMIUM_PATH)');
  return path;
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox', '--disable-gpu'] });
}

const HOST_SOURCE = `
import { AppBridge, PostMessageTransport } from '@modelcontextprotocol/ext-apps/app-bridge';
window.startHost = async (viewHtml, theme) => {
  const iframe = document.createElement('iframe');
  iframe.setAttribute('sandbox', 'allow-scripts');
  iframe.style.cssText = 'width:100%;height:900px;border:0';
  document.body.append(iframe);
  const bridge = new AppBridge(null, { name: 'test-host', version: '1.0.0' }, { serverTools: {}, downloadFile: {} }, { hostContext: { theme, displayMode: 'inline' } });
  bridge.oncalltool = async (params) => window.hostCallTool(params);
  bridge.ondownloadfile = async (params) => { await window.hostDownload(params); return {}; };
  const ready = new Promise((resolve) => { bridge.oninitialized = resolve; });
  await bridge.connect(new PostMessageTransport(iframe.contentWindow, iframe.contentWindow));
  iframe.srcdoc = viewHtml;
  await ready;
  window.bridge = bridge;
};
window.sendToolResult = (result) => window.bridge.sendToolResult(result);
window.setTheme = (theme) => window.bridge.setHostContext({ theme, displayMode: 'inline' });
`;

let hostScript: Promise<string> | undefined;
function hostBundle(): Promise<string> {
  hostScript ??= build({
    stdin: { contents: HOST_SOURCE, resolveDir: ROOT, loader: 'js' },
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    logLevel: 'silent',
  }).then((output) => output.outputFiles[0]!.text);
  return hostScript;
}

export interface Host {
  page: Page;
  /** The view's frame. */
  view: Frame;
  /** Tool calls the view made through the bridge, in order. */
  calls: Array<{ name: string; arguments: Record<string, unknown> }>;
  downloads: Array<{ contents: Array<{ resource?: { text?: string; uri?: string } }> }>;
  sendToolResult(result: unknown): Promise<void>;
}

/** Opens the host page with the built view; `callTool` answers the view's tools/call requests. */
export async function openHost(
  browser: Browser,
  callTool: (name: string, args: Record<string, unknown>) => Promise<unknown>,
  options: { theme?: 'light' | 'dark'; width?: number } = {},
): Promise<Host> {
  const page = await browser.newPage({ viewport: { width: options.width ?? 1200, height: 1000 } });
  const calls: Host['calls'] = [];
  const downloads: Host['downloads'] = [];
  await page.exposeFunction('hostCallTool', async (params: { name: string; arguments?: Record<string, unknown> }) => {
    calls.push({ name: params.name, arguments: params.arguments ?? {} });
    return callTool(params.name, params.arguments ?? {});
  });
  await page.exposeFunction('hostDownload', async (params: Host['downloads'][number]) => {
    downloads.push(params);
  });
  await page.setContent('<!doctype html><html><body style="margin:0"></body></html>');
  await page.addScriptTag({ content: await hostBundle() });
  await page.evaluate(([html, theme]) => (window as unknown as { startHost(h: string, t: string): Promise<void> }).startHost(html, theme), [
    readFileSync(VIEW_FILE, 'utf8'),
    options.theme ?? 'light',
  ] as const);
  const view = page.frames().find((frame) => frame !== page.mainFrame());
  if (!view) throw new Error('the view frame did not load');
  return {
    page,
    view,
    calls,
    downloads,
    sendToolResult: (result) => page.evaluate((value) => (window as unknown as { sendToolResult(v: unknown): Promise<void> }).sendToolResult(value), result),
  };
}

/** What a person sees in the table: each row's domain and its competitor marks. */
export async function visibleTable(view: Frame): Promise<{ columns: string[]; rows: Array<{ domain: string; marks: string[]; cells: string[] }> }> {
  return view.evaluate(() => {
    const columns = [...document.querySelectorAll('table.prospects thead th.competitor:not(.you)')].map((th) => th.getAttribute('title') ?? '');
    const rows = [...document.querySelectorAll('table.prospects tbody tr')].map((tr) => ({
      domain: tr.getAttribute('data-domain') ?? '',
      marks: [...tr.querySelectorAll('td.mark:not(.you)')].map((td) => td.getAttribute('data-mark') ?? ''),
      cells: [...tr.children].map((cell) => cell.textContent ?? ''),
    }));
    return { columns, rows };
  });
}

/** A run of `count` prospects over five competitors, for the 1,000-row report and screenshots. */
export function syntheticRun(count: number): ViewRun {
  const competitors = ['alpha-plumbing.com', 'beta-drains.com', 'gamma-pipes.com', 'delta-rooter.com', 'epsilon-water.com'];
  const categories = ['directory', 'blog', 'news_media', 'chamber_or_association', 'other'];
  const routes = ['free_listing', 'editorial', 'membership', 'paid_listing', 'unknown'];
  const prospects: ViewProspect[] = [];
  for (let index = 0; index < count; index++) {
    const linked = competitors.filter((_, c) => (index * 7 + c * 3) % (c + 2) === 0);
    const members = linked.length > 0 ? linked : [competitors[index % 5]!];
    prospects.push({
      domain: `prospect-${String(index).padStart(4, '0')}.example`,
      score: 100 - (index % 100),
      authority: (index * 37) % 101,
      tier: members.length === 5 ? 'all' : members.length > 1 ? 'several' : 'one',
      category: categories[index % 5]!,
      route: routes[(index >> 1) % 5]!,
      competitors: members,
      backlinks: members.length * 2,
      dofollow_links: members.length,
      by_competitor: Object.fromEntries(members.map((member, m) => [member, { links: 2, dofollow_links: (index + m) % 3 === 0 ? 0 : 1 }])),
      spam_score: index % 30,
    });
  }
  return { run_id: 'r-synthetic-1000', your_domain: 'my-plumbing.com', competitor_domains: competitors, total: count, prospects };
}

