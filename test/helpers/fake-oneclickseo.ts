// A node:http fake of OneClickSEO's gap runs on 127.0.0.1 (the documented answers in
// test/fixtures/oneclickseo/): a run that stays running until the test completes it, polls that can
// be made to hang, and every request recorded with whether its client gave up on it.

import { readFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { fileURLToPath } from 'node:url';

const FIXTURES = fileURLToPath(new URL('../fixtures/oneclickseo/', import.meta.url));
const fixture = (name: string): unknown => JSON.parse(readFileSync(`${FIXTURES}${name}`, 'utf8'));
export const RUN_ID = 'run_4d2a90';

export interface SeenRequest {
  method: string;
  path: string;
  /** The client closed the connection before an answer (its call was aborted). */
  abandoned: boolean;
}

export interface FakeOneClickSeo {
  /** ONECLICKSEO_BASE_URL for the server under test. */
  baseUrl: string;
  requests: SeenRequest[];
  /** Run creations (each one is charged upstream). */
  created(): number;
  /** What a poll of the run answers: running, completed, or nothing at all (hang). */
  state: 'running' | 'completed' | 'hang';
  /** Resolves once `count` requests arrived in total. */
  received(count: number): Promise<void>;
  close(): Promise<void>;
}

export async function startFakeOneClickSeo(): Promise<FakeOneClickSeo> {
  const requests: SeenRequest[] = [];
  const sockets = new Set<Socket>();
  let waiters: Array<{ count: number; resolve: () => void }> = [];
  const fake: FakeOneClickSeo = {
    baseUrl: '',
    requests,
    created: () => requests.filter((request) => request.method === 'POST' && request.path === '/ocs/backlinks/gap').length,
    state: 'running',
    received: (count) => (requests.length >= count ? Promise.resolve() : new Promise((resolve) => waiters.push({ count, resolve }))),
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  const answer = (response: ServerResponse, status: number, body: unknown) => {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  };
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
      const seen: SeenRequest = { method: request.method ?? 'GET', path, abandoned: false };
      requests.push(seen);
      waiters = waiters.filter((waiter) => {
        if (requests.length < waiter.count) return true;
        waiter.resolve();
        return false;
      });
      response.on('close', () => {
        if (!response.writableFinished) seen.abandoned = true;
      });
      if (seen.method === 'POST' && path === '/ocs/backlinks/gap') return answer(response, 202, fixture('run-created.json'));
      if (seen.method === 'GET' && path === `/ocs/backlinks/gap/${RUN_ID}`) {
        if (fake.state === 'hang') return;
        return answer(response, 200, fixture(fake.state === 'completed' ? 'run-completed.json' : 'run-running.json'));
      }
      if (seen.method === 'GET' && path === `/ocs/backlinks/gap/${RUN_ID}/prospects`) {
        const page = fixture('prospects.json') as { meta: Record<string, number> };
        return answer(response, 200, { ...page, meta: { page: 1, per_page: 50, total: 1, total_pages: 1 } });
      }
      answer(response, 404, { error: 'not_found', path });
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ocs`;
  return fake;
}
