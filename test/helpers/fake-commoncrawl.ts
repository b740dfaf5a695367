// A loopback stand-in for Common Crawl's index and data servers: serves files from memory with
// Content-Length, ETag and byte ranges (or misbehaves on request: ignores Range, sends a short body,
// breaks or stalls mid-body), and records every request.

import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface SeenRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
}

export interface Misbehaviour {
  /** Answer 200 with the whole file whatever Range asks. */
  ignoreRange?: boolean;
  /** Announce the whole size but send only this many bytes, then end the connection. */
  shortBy?: number;
  /** Send this many bytes of the answer, then destroy the socket (once: later requests are served). */
  breakAfter?: number;
  /** Send at most this many bytes of every answer, then destroy the socket. */
  breakEvery?: number;
  /** Send this many bytes, then hold the connection open until `release()` (or the client leaves). */
  stallAfter?: number;
}

export interface FakeCommonCrawl {
  origin: string;
  /** The data base URL (BACKLINK_GAP_WEBGRAPH_DATA_URL). */
  dataUrl: string;
  /** The release list URL (BACKLINK_GAP_WEBGRAPH_INFO_URL). */
  infoUrl: string;
  seen: SeenRequest[];
  files: Map<string, Buffer>;
  misbehave: Map<string, Misbehaviour>;
  /** Resolves when a stalled answer has sent its bytes. */
  stalled(): Promise<void>;
  release(): void;
  close(): Promise<void>;
}

/** `files` maps paths under the data root (`<release>/<level>/<name>`) to their bytes. */
export async function startFakeCommonCrawl(releases: string[], files: Record<string, Buffer>): Promise<FakeCommonCrawl> {
  const seen: SeenRequest[] = [];
  const stored = new Map(Object.entries(files));
  const misbehave = new Map<string, Misbehaviour>();
  const sockets = new Set<Socket>();
  let stalledResolve: (() => void) | undefined;
  let stalledPromise = new Promise<void>((resolve) => {
    stalledResolve = resolve;
  });
  let releaseStall: (() => void) | undefined;
  const graphinfo = Buffer.from(JSON.stringify(releases.map((id) => ({ id, crawls: [], index: '', location: `s3://commoncrawl/projects/hyperlinkgraph/${id}/` }))));

  const server = createServer((request, response) => {
    const path = decodeURIComponent((request.url ?? '/').split('?')[0]!);
    seen.push({ method: request.method ?? '', path, headers: request.headers });
    const body = path === '/index/graphinfo.json' ? graphinfo : stored.get(path.replace(/^\/data\//, ''));
    if (body === undefined) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const key = path.replace(/^\/data\//, '');
    const odd = misbehave.get(key) ?? {};
    const etag = `"${body.length.toString(16)}-${body.subarray(0, 8).toString('hex')}"`;
    const range = /^bytes=(\d+)-$/.exec(String(request.headers.range ?? ''));
    const ifRange = request.headers['if-range'];
    let start = 0;
    let status = 200;
    const headers: Record<string, string> = { 'content-type': 'application/octet-stream', etag, 'accept-ranges': 'bytes' };
    if (range !== null && !odd.ignoreRange && (ifRange === undefined || ifRange === etag)) {
      start = Number(range[1]);
      if (start >= body.length) {
        response.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
        return;
      }
      status = 206;
      headers['content-range'] = `bytes ${start}-${body.length - 1}/${body.length}`;
    }
    const part = body.subarray(start);
    headers['content-length'] = String(part.length);
    response.writeHead(status, headers);
    if (request.method === 'HEAD') {
      response.end();
      return;
    }
    if (odd.shortBy !== undefined) {
      response.write(part.subarray(0, Math.max(0, part.length - odd.shortBy)), () => request.socket.destroy());
      return;
    }
    if (odd.breakEvery !== undefined && part.length > odd.breakEvery) {
      response.write(part.subarray(0, odd.breakEvery), () => setTimeout(() => request.socket.destroy(), 20));
      return;
    }
    if (odd.breakAfter !== undefined) {
      const cut = odd.breakAfter;
      delete odd.breakAfter;
      response.write(part.subarray(0, cut), () => setTimeout(() => request.socket.destroy(), 20));
      return;
    }
    if (odd.stallAfter !== undefined) {
      const cut = odd.stallAfter;
      delete odd.stallAfter;
      response.write(part.subarray(0, cut), () => stalledResolve?.());
      releaseStall = () => response.end(part.subarray(cut));
      return;
    }
    response.end(part);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    dataUrl: `${origin}/data`,
    infoUrl: `${origin}/index/graphinfo.json`,
    seen,
    files: stored,
    misbehave,
    stalled: () => stalledPromise,
    release() {
      releaseStall?.();
      releaseStall = undefined;
      stalledPromise = new Promise<void>((resolve) => {
        stalledResolve = resolve;
      });
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
