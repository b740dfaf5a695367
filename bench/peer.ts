// Installs the peer (the official DataForSEO MCP server from npm) under .bench-tmp/peer/<version>, once,
// and says how to start it over stdio with dummy credentials. Never installed into the project.

import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT, type ServerCommand } from './figures/shared.js';

const run = promisify(execFile);

export const PEER_PACKAGE = 'dataforseo-mcp-server';

/**
 * Versions compared. Its latest (3.1.x) declares node >= 22; 3.0.1 is the newest that declares and
 * starts on Node 20 (the same "browse docs + make a request" design as 3.1). 2.9.11 is the last of the
 * older design with one tool per API endpoint, which is what most existing client configs run.
 */
export const PEER_VERSIONS = { current: '3.0.1', classic: '2.9.11' } as const;

export interface Peer {
  label: string;
  server: ServerCommand;
}

const installs = new Map<string, Promise<Peer>>();

function peerDir(version: string): string {
  return join(ROOT, '.bench-tmp', 'peer', version);
}

async function install(version: string, log: (line: string) => void): Promise<Peer> {
  const prefix = peerDir(version);
  const manifest = join(prefix, 'node_modules', PEER_PACKAGE, 'package.json');
  if (!existsSync(manifest)) {
    mkdirSync(prefix, { recursive: true });
    log(`installing ${PEER_PACKAGE}@${version} into ${prefix} (first use only)`);
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    await run(npm, ['install', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', `${PEER_PACKAGE}@${version}`], {
      cwd: prefix,
      timeout: 240_000,
      maxBuffer: 16 * 1024 * 1024,
    });
  }
  const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string; bin?: string | Record<string, string> };
  const bin = typeof pkg.bin === 'string' ? pkg.bin : pkg.bin?.[PEER_PACKAGE];
  if (bin === undefined) throw new Error(`${PEER_PACKAGE}@${pkg.version} declares no bin`);
  return {
    label: `${PEER_PACKAGE}@${pkg.version}`,
    server: {
      command: process.execPath,
      args: [join(prefix, 'node_modules', PEER_PACKAGE, bin)],
      // Both names are read by one version or another; dummy values, since listing tools makes no call.
      env: { DATAFORSEO_USERNAME: 'dummy', DATAFORSEO_LOGIN: 'dummy', DATAFORSEO_PASSWORD: 'dummy' },
      cwd: prefix,
    },
  };
}

/** The peer ready to spawn, or an Error saying why it cannot be (no registry, install failed). */
export function ensurePeer(version: string, log: (line: string) => void): Promise<Peer> {
  let pending = installs.get(version);
  if (!pending) {
    pending = install(version, log);
    installs.set(version, pending);
  }
  return pending;
}
