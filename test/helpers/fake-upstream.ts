// A node:http fake of the paid providers on 127.0.0.1 with programmable faults, recording every request
// and whether its socket closed before the fake answered (to prove cancellation reaches upstream).

import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { fileURLToPath } from 'node:url';

export type Fault =
  | { kind: 'json'; status?: number; body: unknown; headers?: Record<string, string> }
  | { kind: 'text'; status: number; text: string; contentType?: string; headers?: Record<string, string> }
  /** Headers and half a body, then the socket is destroyed. */
  | { kind: 'reset' }
  /** Accepts the request and never answers. */
  | { kind: 'hang' }
  /** Headers and the start of a JSON body, then nothing more. */
  | { kind: 'stall' }
  /** Waits, then answers with the default for the path (for cancellation and load). */
  | { kind: 'slow'; ms: number };

export interface UpstreamRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** True once the fake wrote a complete answer. */
  answered: boolean;
  /** True when the client closed the socket before the answer was complete. */
  abandoned: boolean;
}

export interface FakeUpstream {
  origin: string;
  requests: UpstreamRequest[];
  /** Faults served, in order, before falling back to the default answer for the path. */
  queue(...faults: Fault[]): void;
  /** Replace the default answer (a function of the request) until reset. */
  setDefault(fault: ((request: UpstreamRequest) => Fault) | undefined): void;
  /** Resolves when a request arrives whose socket the client then closed before an answer. */
  abandoned(): Promise<UpstreamRequest>;
  /** Resolves once `count` requests have arrived in total. */
  received(count: number): Promise<void>;
  close(): Promise<void>;
}

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
const fixture = (path: string): unknown => JSON.parse(readFileSync(`${FIXTURES}${path}`, 'utf8'));

/** The documented answer each provider path gets when no fault is queued. */
export function documentedAnswer(url: string): Fault {
  const path = url.split('?')[0] ?? '';
  if (path.endsWith('/v3/backlinks/backlinks/live')) return { kind: 'json', body: fixture('dataforseo/backlinks-live.json') };
  if (path.endsWith('/v3/backlinks/domain_intersection/live')) return { kind: 'json', body: fixture('dataforseo/domain-intersection-live.json') };
  if (path.endsWith('/v3/appendix/user_data')) return { kind: 'json', body: fixture('dataforseo/user-data.json') };
  return { kind: 'json', status: 404, body: { error: 'not found in fake upstream', path } };
}

/** A 200 whose DataForSEO envelope carries an error status (DataForSEO reports most failures this way). */
export function dataForSeoErrorEnvelope(statusCode: number, message: string): Fault {
  return {
    kind: 'json',
    body: { version: '0.1', status_code: statusCode, status_message: message, cost: 0, tasks_count: 0, tasks_error: 1, tasks: [] },
  };
}

export async function startFakeUpstream(): Promise<FakeUpstream> {
  const requests: UpstreamRequest[] = [];
  const pending: Fault[] = [];
  const sockets = new Set<Socket>();
  let fallback: ((request: UpstreamRequest) => Fault) | undefined;
  let abandonWaiters: Array<(request: UpstreamRequest) => void> = [];
  let countWaiters: Array<{ count: number; resolve: () => void }> = [];

  const serve = async (fault: Fault, record: UpstreamRequest, response: ServerResponse, socket: Socket): Promise<void> => {
    switch (fault.kind) {
      case 'json': {
        const text = JSON.stringify(fault.body);
        response.writeHead(fault.status ?? 200, { 'content-type': 'application/json', ...fault.headers });
        response.end(text, () => (record.answered = true));
        return;
      }
      case 'text':
        response.writeHead(fault.status, { 'content-type': fault.contentType ?? 'text/plain', ...fault.headers });
        response.end(fault.text, () => (record.answered = true));
        return;
      case 'reset':
        response.writeHead(200, { 'content-type': 'application/json', 'content-length': '4000' });
        response.write('{"status_code":20000,"tasks":[{"status_code":20000,"result":[');
        setTimeout(() => socket.destroy(), 20);
        return;
      case 'hang':
        return;
      case 'stall':
        response.writeHead(200, { 'content-type': 'application/json' });
        response.write('{"status_code":20000,"tasks":[');
        return;
      case 'slow':
        await new Promise((resolve) => setTimeout(resolve, fault.ms));
        if (socket.destroyed) return;
        return serve(documentedAnswer(record.url), record, response, socket);
    }
  };

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const record: UpstreamRequest = {
        method: request.method ?? 'GET',
        url: request.url ?? '/',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        answered: false,
        abandoned: false,
      };
      requests.push(record);
      countWaiters = countWaiters.filter((waiter) => {
        if (requests.length < waiter.count) return true;
        waiter.resolve();
        return false;
      });
      const socket = request.socket;
      response.on('close', () => {
        if (record.answered || response.writableFinished) return;
        record.abandoned = true;
        for (const resolve of abandonWaiters) resolve(record);
        abandonWaiters = [];
      });
      const fault = pending.shift() ?? fallback?.(record) ?? documentedAnswer(record.url);
      serve(fault, record, response, socket).catch(() => socket.destroy());
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    queue: (...faults) => pending.push(...faults),
    setDefault: (next) => {
      fallback = next;
    },
    abandoned: () => new Promise((resolve) => abandonWaiters.push(resolve)),
    received: (count) =>
      requests.length >= count ? Promise.resolve() : new Promise((resolve) => countWaiters.push({ count, resolve })),
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
