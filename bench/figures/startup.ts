// Cold start over stdio: spawn → initialize answered → tools/list answered, ours against the peer,
// interleaved (ours, peer, classic peer, ours, ...) so a noisy machine moves every side alike.

import { spawn } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePeer, type Peer, PEER_VERSIONS } from '../peer.js';
import {
  errorText,
  type GroupOptions,
  type Measure,
  missingRow,
  OUR_CLI,
  openSession,
  ourServer,
  ourServerAvailable,
  ROOT,
  type Row,
  type ServerCommand,
  single,
  summarize,
  tempDir,
} from './shared.js';

interface StartTimes {
  initializeMs: number;
  listMs: number;
}

async function startOnce(server: ServerCommand): Promise<StartTimes> {
  const started = performance.now();
  const session = await openSession(server);
  try {
    await session.client.listTools();
    return { initializeMs: session.initializeMs, listMs: performance.now() - started };
  } finally {
    await session.close();
  }
}

/** Node's own floor: spawn → exit of an empty script. */
function nodeBaseline(): Promise<number> {
  return new Promise((done, fail) => {
    const started = performance.now();
    const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    child.on('error', fail);
    child.on('exit', () => done(performance.now() - started));
  });
}

/** Imports the stdio start path in a child with a loader hook that counts every module file loaded. */
const COUNTER = `import { register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';
const { port1, port2 } = new MessageChannel();
const files = new Set();
port1.on('message', (url) => files.add(url));
const hook = 'let port; export function initialize(data) { port = data.port; } export async function load(url, context, next) { port.postMessage(url); return next(url, context); }';
register('data:text/javascript,' + encodeURIComponent(hook), { data: { port: port2 }, transferList: [port2] });
for (const entry of process.argv.slice(2)) await import(entry);
setTimeout(() => {
  const byPackage = {};
  for (const file of files) {
    const match = /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(file);
    const key = match ? match[1] : file.startsWith('node:') ? 'node builtins' : 'ours';
    byPackage[key] = (byPackage[key] ?? 0) + 1;
  }
  process.stdout.write(JSON.stringify({ total: files.size, byPackage }));
  process.exit(0);
}, 300);
`;

async function startPathModules(directory: string): Promise<{ total: number; byPackage: Record<string, number> }> {
  const script = join(directory, 'count-modules.mjs');
  writeFileSync(script, COUNTER);
  // dist/ is a bundle: the entry, plus the chunk that `serve` (stdio) imports.
  const chunks = readdirSync(join(ROOT, 'dist', 'chunks')).filter((file) => file.startsWith('serve-stdio-'));
  const entries = ['cli.js', ...chunks.map((file) => `chunks/${file}`)].map((file) => new URL(file, new URL(`file://${join(ROOT, 'dist')}/`)).href);
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [script, ...entries], { stdio: ['ignore', 'pipe', 'ignore'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('error', fail);
    child.on('exit', () => {
      try {
        done(JSON.parse(output) as { total: number; byPackage: Record<string, number> });
      } catch {
        fail(new Error(`module count failed: ${output.slice(0, 200)}`));
      }
    });
  });
}

interface Side {
  name: string;
  server: ServerCommand;
  initialize: number[];
  list: number[];
  failure?: string;
}

function startupNote(modules: { total: number; byPackage: Record<string, number> } | string, baselineMs: number): string {
  const loaded =
    typeof modules === 'string'
      ? 'the module count failed'
      : `the start path loads ${modules.total} module files (most: ${Object.entries(modules.byPackage)
          .sort((a, b) => b[1] - a[1])
          .slice(0, 3)
          .map(([name, count]) => `${name} ${count}`)
          .join(', ')})`;
  return (
    `Node alone takes ${baselineMs.toFixed(0)} ms here; the rest is module loading and tool registration: ${loaded}. ` +
    'dist/ is a bundle; the service, adapters, undici, cacache and the public-suffix list load on the first call; ' +
    'ajv and zod\'s non-English locales are left out, and tools/list is served from a build-time capture. What is ' +
    'left is compiling and evaluating zod core (config validation, tool schemas) and the MCP SDK. The 0.5× ratio ' +
    'needs the whole start within ~80 ms of Node\'s own: answering initialize before the SDK loads and validating ' +
    'config with zod/mini would be next; both touch the stdio path every client depends on.'
  );
}

export async function measureStartup(options: GroupOptions): Promise<Row[]> {
  const group = 'startup';
  const unavailable = ourServerAvailable();
  if (unavailable) {
    return [
      missingRow(group, 'cold start → initialize', 'ms', unavailable),
      missingRow(group, 'cold start → tools/list', 'ms', unavailable, 250),
    ];
  }
  const cache = tempDir('startup');
  const peers: Array<{ key: string; peer?: Peer; failure?: string }> = [];
  for (const [key, version] of Object.entries(PEER_VERSIONS)) {
    try {
      peers.push({ key, peer: await ensurePeer(version, options.log) });
    } catch (error) {
      peers.push({ key, failure: `peer ${version} could not be installed: ${errorText(error)}` });
    }
  }
  const sides: Side[] = [
    { name: 'ours', server: ourServer({ BACKLINK_GAP_CACHE_DIR: cache.path }), initialize: [], list: [] },
    ...peers
      .filter((entry) => entry.peer !== undefined)
      .map((entry) => ({ name: entry.peer!.label, server: entry.peer!.server, initialize: [], list: [] })),
  ];
  const baseline: number[] = [];
  // Each start catches its own failure, so the temp dir is removed after the module count below.
  await nodeBaseline();
  // Warm-up: the OS file cache and any first-run work, on every side.
  for (const side of sides) {
    try {
      await startOnce(side.server);
    } catch (error) {
      side.failure = `did not start: ${errorText(error)}`;
    }
  }
  for (let run = 0; run < options.runs; run++) {
    for (const side of sides) {
      if (side.failure) continue;
      try {
        const times = await startOnce(side.server);
        side.initialize.push(times.initializeMs);
        side.list.push(times.listMs);
      } catch (error) {
        side.failure = `failed on run ${run + 1}: ${errorText(error)}`;
      }
    }
    baseline.push(await nodeBaseline());
  }
  let modules: { total: number; byPackage: Record<string, number> } | string;
  try {
    modules = await startPathModules(cache.path);
  } catch (error) {
    modules = errorText(error);
  }
  cache.remove();

  const ours = sides[0]!;
  if (ours.failure || ours.list.length === 0) {
    const why = ours.failure ?? 'no run completed';
    return [missingRow(group, 'cold start → initialize', 'ms', why), missingRow(group, 'cold start → tools/list', 'ms', why, 250)];
  }
  const oursInitialize = summarize(ours.initialize);
  const oursList = summarize(ours.list);
  const rows: Row[] = [];
  const peerFailures = peers.filter((entry) => entry.failure).map((entry) => entry.failure!);
  const measuredPeers = sides.slice(1);
  const peerMeasure = (side: Side | undefined, pick: 'initialize' | 'list'): (Measure & { label: string }) | undefined =>
    side && !side.failure && side[pick].length > 0 ? { ...summarize(side[pick]), label: side.name } : undefined;

  const current = measuredPeers[0];
  const currentInitialize = peerMeasure(current, 'initialize');
  const currentList = peerMeasure(current, 'list');
  const peerMissing = current?.failure ?? peerFailures[0];
  rows.push({
    group,
    figure: 'cold start → initialize',
    unit: 'ms',
    ours: oursInitialize,
    ...(currentInitialize && { peer: currentInitialize }),
    ...(peerMissing && !currentInitialize && { note: `peer: ${peerMissing}` }),
  });
  rows.push({
    group,
    figure: 'cold start → tools/list',
    unit: 'ms',
    ours: oursList,
    ...(currentList && { peer: currentList }),
    target: 250,
    ratioTarget: 0.5,
    missNote: startupNote(modules, summarize(baseline).median),
    ...(peerMissing && !currentList && { note: `peer: ${peerMissing}` }),
  });
  rows.push({ group, figure: 'node baseline: spawn → exit of node -e 0', unit: 'ms', ours: summarize(baseline), note: 'the floor any Node server starts from, same runs' });
  if (typeof modules === 'string') {
    rows.push(missingRow(group, 'start path: module files loaded', 'files', modules));
  } else {
    const packages = Object.entries(modules.byPackage)
      .sort((a, b) => b[1] - a[1])
      .map(([name, count]) => `${name} ${count}`)
      .join(', ');
    rows.push({
      group,
      figure: 'start path: module files loaded',
      unit: 'files',
      integer: true,
      ours: single(modules.total),
      note: `importing dist/cli.js and its serve-stdio chunk (what ${OUR_CLI.slice(ROOT.length)} serve loads): ${packages}`,
    });
  }
  for (const side of measuredPeers.slice(1)) {
    const list = peerMeasure(side, 'list');
    rows.push({
      group,
      figure: 'cold start → tools/list (older peer)',
      unit: 'ms',
      ours: oursList,
      ...(list && { peer: list }),
      ratioTarget: 0.5,
      missNote: startupNote(modules, summarize(baseline).median),
      ...(side.failure && { note: `peer ${side.name} ${side.failure}` }),
    });
  }
  return rows;
}
