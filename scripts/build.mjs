// Build dist/: one bundled entry (dist/cli.js) plus lazily loaded chunks, so a client's start-up
// reads a handful of files instead of ~220 modules (start-up time is measured: BENCHMARKS.md).
// Types are checked separately by `npm run typecheck`.

import { rmSync } from 'node:fs';
import { build } from 'esbuild';

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
  // CommonJS dependencies (cacache, ajv) call require(); give the ESM bundle one.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
});
