// Tool surface: o200k tokens of the tools/list result (the JSON of the tools array), which a client
// sends the model on every turn; ours against the peer.

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
  single,
  tempDir,
  tokens,
} from './shared.js';

async function toolSurface(server: ServerCommand): Promise<{ tokens: number; count: number }> {
  const session = await openSession(server);
  try {
    const listed = await session.client.listTools();
    return { tokens: tokens(JSON.stringify(listed.tools)), count: listed.tools.length };
  } finally {
    await session.close();
  }
}

export async function toolsListTokens(): Promise<{ tokens: number; count: number }> {
  const cache = tempDir('tools');
  try {
    return await toolSurface(ourServer({ BACKLINK_GAP_CACHE_DIR: cache.path }));
  } finally {
    cache.remove();
  }
}

export async function measureTools(options: GroupOptions): Promise<Row[]> {
  const group = 'tools';
  const figure = 'tools/list tokens (o200k)';
  const unavailable = ourServerAvailable();
  if (unavailable) return [missingRow(group, figure, 'tokens', unavailable, 3000)];
  let ours: { tokens: number; count: number };
  try {
    ours = await toolsListTokens();
  } catch (error) {
    return [missingRow(group, figure, 'tokens', errorText(error), 3000)];
  }
  const rows: Row[] = [];
  const labels = Object.entries(PEER_VERSIONS);
  for (const [index, [, version]] of labels.entries()) {
    let peer: { tokens: number; count: number; label: string } | undefined;
    let failure: string | undefined;
    try {
      const installed = await ensurePeer(version, options.log);
      peer = { ...(await toolSurface(installed.server)), label: installed.label };
    } catch (error) {
      failure = errorText(error);
    }
    rows.push({
      group,
      figure: index === 0 ? figure : `${figure} (older peer)`,
      unit: 'tokens',
      integer: true,
      ours: single(ours.tokens),
      ...(peer && { peer: { ...single(peer.tokens), label: peer.label } }),
      ...(index === 0 && { target: 3000 }),
      note: `ours ${ours.count} tools${peer ? `, ${peer.label} ${peer.count} tools` : `; peer ${version}: ${failure}`}`,
      missNote:
        'Tool descriptions and input/output schemas are sent on every turn: shorten descriptions, drop outputSchema ' +
        'members a client does not need, and share enum descriptions.',
    });
  }
  return rows;
}
