// Build dist/: one bundled entry (dist/cli.js) plus lazily loaded chunks, so a client's start-up
// reads a handful of files instead of ~220 modules (start-up time is measured: BENCHMARKS.md).
// Types are checked separately by `npm run typecheck`.

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, transform } from 'esbuild';

/** The SDK's server imports its ajv-based validator for elicitation answers, which this server never
 *  asks for (server.ts passes its own validator); leaving ajv out of the bundle saves it on every start. */
const withoutAjv = {
  name: 'without-ajv',
  setup(plugin) {
    plugin.onResolve({ filter: /\/validation\/ajv-provider\.js$/ }, (args) =>
      args.importer.includes('@modelcontextprotocol/sdk') && args.importer.includes('/server/') ? { path: 'ajv-provider', namespace: 'without-ajv' } : undefined,
    );
    plugin.onLoad({ filter: /.*/, namespace: 'without-ajv' }, () => ({
      contents: "export class AjvJsonSchemaValidator { constructor() { throw new Error('ajv is not bundled: pass jsonSchemaValidator'); } }",
      loader: 'js',
    }));
  },
};

/** zod re-exports every locale (z.locales, ~370 KB) and registers English itself; only English is
 *  used here, so the bundle keeps `en` alone and every start parses a third less of zod. */
const englishOnly = {
  name: 'zod-english-only',
  setup(plugin) {
    plugin.onResolve({ filter: /\/locales\/index\.js$/ }, (args) =>
      args.importer.includes('node_modules/zod/') ? { path: join(args.resolveDir, '../locales/en.js'), namespace: 'zod-english-only' } : undefined,
    );
    plugin.onLoad({ filter: /.*/, namespace: 'zod-english-only' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(args.path)};`,
      loader: 'js',
      resolveDir: args.path.slice(0, args.path.lastIndexOf('/')),
    }));
  },
};

rmSync('dist', { recursive: true, force: true });
await build({
  entryPoints: ['src/cli.ts'],
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20.18',
  packages: 'bundle',
  // A native binary cannot be bundled: installed as a dependency, imported on first use of local data.
  external: ['@duckdb/node-api'],
  chunkNames: 'chunks/[name]-[hash]',
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'linked',
  logLevel: 'warning',
  plugins: [withoutAjv, englishOnly],
  // CommonJS dependencies (cacache, ajv) call require(); give the ESM bundle one.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
});

// The MCP App view (src/app): one self-contained HTML file, script and style inline, nothing fetched
// at view time, so a host's default CSP allows it. Its size is a benchmark figure (BENCHMARKS.md).
const view = await build({
  entryPoints: ['src/app/view.ts'],
  bundle: true,
  write: false,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
});
const viewScript = view.outputFiles[0].text.replaceAll('</script', '<\\/script');
const viewStyle = (await transform(readFileSync('src/app/view.css', 'utf8'), { loader: 'css', minify: true })).code;
mkdirSync('dist/app', { recursive: true });
writeFileSync(
  'dist/app/gap-view.html',
  readFileSync('src/app/view.html', 'utf8')
    .replace('/*STYLE*/', () => viewStyle.trim())
    .replace('/*SCRIPT*/', () => viewScript.trim()),
);

// Capture the built server's own tools/list answer; the bundle serves it as is (src/server.ts
// toolListSnapshot), so a client's first tools/list costs no schema conversion. The e2e test checks
// it equals what the SDK computes from src/.
const cacheDir = mkdtempSync(join(tmpdir(), 'blg-build-'));
const toolList = await new Promise((resolve, reject) => {
  // A clean environment: the tool list depends on no setting, and a user's provider keys stay out of it.
  const env = { PATH: process.env.PATH ?? '', HOME: cacheDir, BACKLINK_GAP_CACHE_DIR: cacheDir, BACKLINK_GAP_CACHE: 'off' };
  const child = spawn(process.execPath, ['dist/cli.js'], { env, stdio: ['pipe', 'pipe', 'ignore'] });
  const timer = setTimeout(() => {
    child.kill();
    reject(new Error('the built server did not answer tools/list within 30 s'));
  }, 30_000);
  let buffer = '';
  child.stdout.on('data', (chunk) => {
    buffer += chunk;
    for (const line of buffer.split('\n').slice(0, -1)) {
      const message = JSON.parse(line);
      if (message.id === 2) {
        clearTimeout(timer);
        child.kill();
        if (message.error) reject(new Error(message.error.message));
        else resolve(message.result);
      }
    }
    buffer = buffer.slice(buffer.lastIndexOf('\n') + 1);
  });
  child.on('error', reject);
  const send = (message) => child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', ...message })}\n`);
  send({ id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'build', version: '0' } } });
  send({ method: 'notifications/initialized' });
  send({ id: 2, method: 'tools/list' });
});
rmSync(cacheDir, { recursive: true, force: true });
writeFileSync('dist/chunks/tools-list.json', JSON.stringify(toolList));
