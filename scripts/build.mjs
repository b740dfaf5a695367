// Build dist/: one bundled entry (dist/cli.js) plus lazily loaded chunks, so a client's start-up
// reads a handful of files instead of ~220 modules (start-up time is measured: BENCHMARKS.md).
// Types are checked separately by `npm run typecheck`.

import { rmSync } from 'node:fs';
import { build } from 'esbuild';

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
  chunkNames: 'chunks/[name]-[hash]',
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'linked',
  logLevel: 'warning',
  plugins: [withoutAjv],
  // CommonJS dependencies (cacache, ajv) call require(); give the ESM bundle one.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
});
