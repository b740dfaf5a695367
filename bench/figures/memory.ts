// Memory at rest: VmRSS of an idle server on the bundled sample after initialize, tools/list and 1 s
// of quiet, ours and the peer interleaved.

import { readFileSync } from 'node:fs';
import { ensurePeer, PEER_VERSIONS } from '../peer.js';
import {
  errorText,
  type GroupOptions,
  missingRow,
  openSession,
  ourServer,
  ourServerAvailable,
  type Row,
  type ServerCommand,
  sleep,
  summarize,
  tempDir,
} from './shared.js';

const FIGURE = 'idle RSS after start-up (sample data)';

function residentMegabytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]) / 1024;
}

async function idleRss(server: ServerCommand): Promise<number> {
  const session = await openSession(server);
  try {
    await session.client.listTools();
    await sleep(1000);
    if (session.pid === undefined) throw new Error('no child pid');
    return residentMegabytes(session.pid);
  } finally {
    await session.close();
  }
}

export async function measureMemory(options: GroupOptions): Promise<Row[]> {
  const group = 'memory';
  if (process.platform !== 'linux') return [missingRow(group, FIGURE, 'MB', 'needs /proc (Linux)', 80)];
  const unavailable = ourServerAvailable();
  if (unavailable) return [missingRow(group, FIGURE, 'MB', unavailable, 80)];
  const cache = tempDir('memory');
  const ours = ourServer({ BACKLINK_GAP_CACHE_DIR: cache.path });
  let peer: { label: string; server: ServerCommand } | undefined;
  let peerFailure: string | undefined;
  try {
    peer = await ensurePeer(PEER_VERSIONS.current, options.log);
  } catch (error) {
    peerFailure = errorText(error);
  }
  const oursSamples: number[] = [];
  const peerSamples: number[] = [];
  const runs = options.quick ? 2 : Math.max(5, Math.min(options.runs, 7));
  try {
    for (let run = 0; run < runs; run++) {
      oursSamples.push(await idleRss(ours));
      if (peer && !peerFailure) {
        try {
          peerSamples.push(await idleRss(peer.server));
        } catch (error) {
          peerFailure = errorText(error);
        }
      }
    }
  } catch (error) {
    return [missingRow(group, FIGURE, 'MB', errorText(error), 80)];
  } finally {
    cache.remove();
  }
  return [
    {
      group,
      figure: FIGURE,
      unit: 'MB',
      ours: summarize(oursSamples),
      ...(peer && peerSamples.length > 0 && { peer: { ...summarize(peerSamples), label: peer.label } }),
      target: 80,
      ...(peerFailure && { note: `peer: ${peerFailure}` }),
      missNote:
        'Resident memory at rest is the modules loaded plus the loaded sample: load the local dataset on first use ' +
        'rather than at start, and keep adapters, undici and cacache out of the start path.',
    },
  ];
}
