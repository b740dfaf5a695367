// Build the Claude Desktop bundle (MCPB): stage only what the server needs at run time (dist/, the
// sample data, manifest.json, a run-time package.json, README, LICENSE, and any runtime `dependencies`
// not in LEFT_OUT, with their own), then `mcpb pack` it into bundle/backlink-gap-mcp-<version>.mcpb
// (or into the folder given as argument). Run by `npm run bundle` after a build. Nothing here touches
// the network: dist/ is one bundle, and today every runtime dependency is left out.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const RELEASES = 'https://github.com/backlink-gap/backlink-gap-mcp/releases/download';
/** Runtime dependencies the bundle does not carry, and why the server works without them. */
const LEFT_OUT = {
  // A native binary per platform (~70 MB each) would make a Linux-built bundle fail on macOS and
  // Windows; without it the local provider answers from its in-memory index (src/providers/local.ts).
  '@duckdb/node-api': 'native, one platform per build; the local provider falls back to its in-memory index',
};
const root = join(dirname(new URL(import.meta.url).pathname), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const manifest = JSON.parse(readFileSync(join(root, 'manifest.json'), 'utf8'));
if (manifest.version !== pkg.version) {
  console.error(`bundle: manifest.json version ${manifest.version} differs from package.json ${pkg.version}; make them equal.`);
  process.exit(1);
}
if (!existsSync(join(root, 'dist/cli.js'))) {
  console.error('bundle: dist/cli.js is missing; run `npm run build` first (or `npm run bundle`, which builds).');
  process.exit(1);
}

const stage = mkdtempSync(join(tmpdir(), 'blg-bundle-'));
try {
  for (const item of ['dist', 'data/sample', 'manifest.json', 'README.md', 'LICENSE']) {
    cpSync(join(root, item), join(stage, item), { recursive: true });
  }
  // A package.json of the fields the server needs at run time: its name is how it finds its root
  // (and so data/sample), and "type": "module" makes Node load dist/ as ES modules.
  const { name, version, description, license, type, engines } = pkg;
  const dependencies = Object.fromEntries(Object.entries(pkg.dependencies ?? {}).filter(([dependency]) => !(dependency in LEFT_OUT)));
  writeFileSync(join(stage, 'package.json'), `${JSON.stringify({ name, version, description, license, type, engines, dependencies }, null, 2)}\n`);
  // A runtime dependency (one a bundle cannot inline, e.g. a native engine) travels with its own
  // dependencies and optional ones present on this machine (native builds are per platform).
  const seen = new Set();
  // Node's own lookup (node_modules in this folder, then each parent), by path: a package's exports
  // need not expose its package.json.
  const findPackage = (name, fromDir) => {
    for (let directory = fromDir; ; directory = dirname(directory)) {
      const candidate = join(directory, 'node_modules', name, 'package.json');
      if (existsSync(candidate)) return candidate;
      if (dirname(directory) === directory) return undefined;
    }
  };
  const copyWithDependencies = (name, fromDir) => {
    if (seen.has(name)) return;
    const manifestPath = findPackage(name, fromDir);
    if (manifestPath === undefined) return; // an optional dependency for another platform
    seen.add(name);
    const directory = dirname(manifestPath);
    cpSync(directory, join(stage, 'node_modules', name), { recursive: true });
    const dependency = JSON.parse(readFileSync(manifestPath, 'utf8'));
    for (const child of Object.keys({ ...dependency.dependencies, ...dependency.optionalDependencies })) {
      copyWithDependencies(child, directory);
    }
  };
  for (const name of Object.keys(pkg.dependencies ?? {})) {
    if (!(name in LEFT_OUT)) copyWithDependencies(name, root);
  }

  const flags = process.argv.slice(2).filter((argument) => argument.startsWith('--'));
  const outputDir = process.argv.slice(2).find((argument) => !argument.startsWith('--')) ?? join(root, 'bundle');
  mkdirSync(outputDir, { recursive: true });
  const output = join(outputDir, `${pkg.name}-${pkg.version}.mcpb`);
  rmSync(output, { force: true });
  const cli = join(root, 'node_modules/@anthropic-ai/mcpb/dist/cli/cli.js');
  const packed = spawnSync(process.execPath, [cli, 'pack', stage, output], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (packed.status !== 0 || !existsSync(output)) {
    console.error('bundle: mcpb pack failed (see above)');
    process.exit(1);
  }
  const sha256 = createHash('sha256').update(readFileSync(output)).digest('hex');
  console.log(`bundle: ${output}\nbundle: sha256 ${sha256}`);
  // --release: point server.json's mcpb package at this version's GitHub release asset and this
  // file's hash (the registry requires fileSha256 for MCPB); upload exactly this file to the release.
  if (flags.includes('--release')) {
    const serverJsonPath = join(root, 'server.json');
    const server = JSON.parse(readFileSync(serverJsonPath, 'utf8'));
    const entry = {
      registryType: 'mcpb',
      identifier: `${RELEASES}/v${pkg.version}/${pkg.name}-${pkg.version}.mcpb`,
      version: pkg.version,
      fileSha256: sha256,
      transport: { type: 'stdio' },
    };
    server.packages = [...(server.packages ?? []).filter((item) => item.registryType !== 'mcpb'), entry];
    writeFileSync(serverJsonPath, `${JSON.stringify(server, null, 2)}\n`);
    console.log(`bundle: server.json now names ${entry.identifier}`);
  }
} finally {
  rmSync(stage, { recursive: true, force: true });
}
