// The Claude Desktop bundle (MCPB): manifest.json passes mcpb's own validation, asks for every
// provider key as a sensitive optional field and for each daily budget, and maps them to the
// variables src/config.ts reads; the packed .mcpb holds dist/, the sample and a package.json (how the
// server finds its sample, and what makes dist/ ES modules), nothing large, and
// once unpacked runs as Claude Desktop would start it (mcpb's own variable substitution, no key).

import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { getMcpConfigForManifest, type McpbManifestAny, validateManifest } from '@anthropic-ai/mcpb';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateWebGraph } from '../bench/generate-webgraph.js';
import { loadConfig } from '../src/config.js';
import { importRelease } from '../src/providers/local/engine/webgraph.js';
import { ROOT, tempDir, textOf } from './proof/harness.js';

const manifest = JSON.parse(readFileSync(join(ROOT, 'manifest.json'), 'utf8')) as McpbManifestAny;
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
const env = manifest.server.mcp_config.env ?? {};
const userConfig = manifest.user_config ?? {};

/** The user_config field an environment variable is filled from, e.g. `${user_config.moz_api_token}`. */
const fieldOf = (variable: string): string | undefined => /^\$\{user_config\.([a-z0-9_]+)\}$/.exec(env[variable] ?? '')?.[1];

const KEY_VARIABLES = ['LOCALSEODATA_API_KEY', 'ONECLICKSEO_API_KEY', 'MOZ_API_TOKEN', 'DOMDETAILER_API_KEY', 'DATAFORSEO_LOGIN', 'DATAFORSEO_PASSWORD'];
const BUDGET_VARIABLES = ['LOCALSEODATA', 'ONECLICKSEO', 'MOZ', 'DOMDETAILER', 'DATAFORSEO'].map((provider) => `${provider}_DAILY_BUDGET`);

describe('manifest.json', () => {
  it('passes mcpb validate and matches package.json', () => {
    expect(validateManifest(join(ROOT, 'manifest.json'))).toBe(true);
    expect(manifest.manifest_version).toBe('0.3');
    expect(manifest.name).toBe(pkg.name);
    expect(manifest.version).toBe(pkg.version);
    expect(manifest.server).toMatchObject({ type: 'node', entry_point: 'dist/cli.js' });
    // biome-ignore lint/suspicious/noTemplateCurlyInString: mcpb's own placeholder, replaced by Claude Desktop
    expect(manifest.server.mcp_config.args).toEqual(['${__dirname}/dist/cli.js']);
  });

  it('asks for every provider key as a sensitive, optional field', () => {
    for (const variable of KEY_VARIABLES) {
      const field = fieldOf(variable);
      expect(field, `${variable} is filled from a user_config field`).toBeDefined();
      expect(userConfig[field!], variable).toMatchObject({ sensitive: true, required: false });
    }
    for (const variable of BUDGET_VARIABLES) {
      const field = fieldOf(variable);
      expect(field, `${variable} is filled from a user_config field`).toBeDefined();
      expect(userConfig[field!]?.required, variable).toBe(false);
    }
    // Every field is used by some variable, so nothing the user types is silently dropped.
    const used = new Set(Object.keys(env).map(fieldOf));
    expect(Object.keys(userConfig).filter((field) => !used.has(field))).toEqual([]);
  });

  it('with nothing filled in, every variable is empty and the server runs on local data', async () => {
    // mcpb leaves an unset optional field's placeholder in place unless the field has a default
    // (modelcontextprotocol/mcpb#251): "${user_config.moz_api_token}" would then pass as a Moz key.
    const config = await getMcpConfigForManifest({ manifest, extensionPath: '/bundle', systemDirs: {}, userConfig: {}, pathSeparator: '/' });
    expect(config?.args).toEqual(['/bundle/dist/cli.js']);
    expect(Object.values(config?.env ?? {}).filter((value) => value !== '')).toEqual([]);
    const { providers } = loadConfig({ ...config?.env, HOME: tempDir('bundle-home') });
    expect([providers.localseodata.apiKey, providers.oneclickseo.apiKey, providers.moz.token, providers.domdetailer.apiKey, providers.dataforseo.login]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect(providers.dataforseo.dailyBudget).toBeUndefined();
  });

  it('a filled-in key and budget reach the variables the server reads', async () => {
    const config = await getMcpConfigForManifest({
      manifest,
      extensionPath: '/bundle',
      systemDirs: {},
      userConfig: { moz_api_token: 'moz-token-from-desktop', moz_daily_budget: '500' },
      pathSeparator: '/',
    });
    const { providers } = loadConfig({ ...config?.env, HOME: tempDir('bundle-home') });
    expect(providers.moz).toMatchObject({ token: 'moz-token-from-desktop', dailyBudget: 500 });
    expect(providers.dataforseo.login).toBeUndefined();
  });
});

describe('the packed .mcpb', () => {
  let files: Record<string, Uint8Array>;
  let unpacked: string;

  beforeAll(() => {
    const out = tempDir('bundle-out');
    execFileSync(process.execPath, [join(ROOT, 'scripts/bundle.mjs'), out], { cwd: ROOT, stdio: 'pipe', timeout: 120_000 });
    files = unzipSync(readFileSync(join(out, `${pkg.name}-${pkg.version}.mcpb`)));
    unpacked = tempDir('bundle-unpacked');
    for (const [name, bytes] of Object.entries(files)) {
      if (name.endsWith('/')) continue;
      mkdirSync(dirname(join(unpacked, name)), { recursive: true });
      writeFileSync(join(unpacked, name), bytes);
    }
  }, 150_000);

  it('holds dist/, the sample, the manifest, README and LICENSE, and nothing large', () => {
    const names = Object.keys(files);
    for (const name of ['manifest.json', 'package.json', 'dist/cli.js', 'dist/chunks/tools-list.json', 'data/sample/links.csv', 'README.md', 'LICENSE']) {
      expect(names, name).toContain(name);
    }
    const allowed = /^(dist\/|data\/sample\/|manifest\.json$|package\.json$|README\.md$|LICENSE$)/;
    expect(names.filter((name) => !allowed.test(name))).toEqual([]);
    // DuckDB (native, ~70 MB, one platform per build) stays out: the local provider falls back to its index.
    expect(names.some((name) => name.startsWith('node_modules/'))).toBe(false);
    const total = Object.values(files).reduce((sum, bytes) => sum + bytes.length, 0);
    expect(total).toBeLessThan(8 * 1024 * 1024);
  });

  describe('started as Claude Desktop starts it, with no key', () => {
    let client: Client;
    beforeAll(async () => {
      const config = await getMcpConfigForManifest({ manifest, extensionPath: unpacked, systemDirs: {}, userConfig: {}, pathSeparator: '/' });
      const home = tempDir('bundle-home');
      // A web graph imported by the npm install into the same cache: the bundle, without DuckDB, cannot read it.
      const release = tempDir('bundle-release');
      await generateWebGraph(release, { edges: 300, vertices: 60, seed: 11 });
      await importRelease(release, { cacheDir: join(home, 'cache') });
      client = new Client({ name: 'bundle-test', version: '1.0.0' });
      await client.connect(
        new StdioClientTransport({
          command: process.execPath,
          args: config!.args ?? [],
          cwd: home,
          env: { PATH: process.env.PATH ?? '', HOME: home, BACKLINK_GAP_CACHE_DIR: join(home, 'cache'), ...config!.env },
          stderr: 'pipe',
        }),
      );
    }, 60_000);
    afterAll(async () => {
      await client?.close();
    });

    it('lists the tools and answers a gap from the bundled sample', async () => {
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name)).toEqual(expect.arrayContaining(['backlink_gap', 'get_backlinks', 'link_intersect', 'list_prospects', 'usage']));
      const result = await client.callTool(
        { name: 'backlink_gap', arguments: { your_domain: 'bluebonnetplumbing.com', competitor_domains: ['austinplumbingco.com', 'capitalcityplumbers.com'] } },
        undefined,
        { timeout: 30_000 },
      );
      expect(result.isError, textOf(result as never)).toBeFalsy();
      expect((result.structuredContent as { run_id?: string }).run_id).toBeTruthy();
      // The sample answered, not the imported web graph this install cannot read.
      expect((result.structuredContent as { provider?: string }).provider).toBe('local');
    }, 60_000);

    it('says why provider commoncrawl cannot answer here, and what to run instead', async () => {
      const result = await client.callTool({
        name: 'backlink_gap',
        arguments: { your_domain: 'bluebonnetplumbing.com', competitor_domains: ['austinplumbingco.com'], provider: 'commoncrawl' },
      });
      expect(result.isError).toBe(true);
      expect(textOf(result as never)).toMatch(/DuckDB.*leaves out.*npx backlink-gap-mcp/s);
    }, 30_000);
  });
});
