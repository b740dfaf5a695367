// A fake DomDetailer on 127.0.0.1 (node:http) answering GET /api2/backlinks.php in the documented
// shape (seed 003) after a fixed delay, and timing itself server-side so HTTP overhead can be separated.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeDomDetailer {
  baseUrl: string;
  /** Requests answered so far. */
  requests(): number;
  /** Most requests the fake was answering at one time since `resetInFlight()`. */
  maxInFlight(): number;
  resetInFlight(): void;
  /** Server-side milliseconds per answered request, arrival to last byte written, in order. */
  serverTimes(): number[];
  close(): Promise<void>;
}

/** Backlinks per domain in the body: enough for a realistic parse, small enough to stay a fixed cost. */
const ROWS = 300;
const SOURCES = 900;

/** A stable pseudo-random pick per (domain, row), so every run sees the same bodies. */
function hash(text: string): number {
  let value = 2166136261;
  for (let index = 0; index < text.length; index++) {
    value ^= text.charCodeAt(index);
    value = Math.imul(value, 16777619);
  }
  return value >>> 0;
}

export function domDetailerBody(domain: string): string {
  const backlinks = [];
  let follow = 0;
  const seen = new Set<number>();
  for (let row = 0; row < ROWS; row++) {
    const source = hash(`${domain}#${row}`) % SOURCES;
    seen.add(source);
    const nofollow = hash(`${domain}@${row}`) % 5 === 0 ? 1 : 0;
    if (nofollow === 0) follow++;
    backlinks.push({
      anchor: row % 7 === 0 ? '' : `${domain.split('.')[0]} services`,
      title: `Local resources page ${source}`,
      nf: nofollow,
      source: `https://site${source}.example.org/resources/page-${row % 13}`,
      target: `https://${domain}/`,
    });
  }
  return JSON.stringify({
    domain,
    metrics: {
      page_count: 120,
      links_in: ROWS,
      links_out: 800,
      backlinks_follow: follow,
      backlinks_nofollow: ROWS - follow,
      nofollow_ratio: Math.round(((ROWS - follow) / ROWS) * 1000) / 10,
      ref_domains: seen.size,
      links_from_gov: 0,
      links_from_edu: 0,
    },
    backlinks,
  });
}

export async function startFakeDomDetailer(delayMs: number): Promise<FakeDomDetailer> {
  const bodies = new Map<string, string>();
  const times: number[] = [];
  let count = 0;
  let inFlight = 0;
  let peak = 0;
  const server: Server = createServer((request, response) => {
    const arrived = performance.now();
    inFlight++;
    peak = Math.max(peak, inFlight);
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const domain = url.searchParams.get('domain');
    const reply = (status: number, body: string) => {
      response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      inFlight--;
      response.end(body, () => {
        count++;
        times.push(performance.now() - arrived);
      });
    };
    setTimeout(() => {
      if (!url.pathname.endsWith('backlinks.php') && !url.pathname.endsWith('getBacklinks.php')) {
        reply(404, JSON.stringify({ error: 'not_found', message: 'unknown endpoint' }));
        return;
      }
      if (!url.searchParams.get('apikey')) {
        reply(401, JSON.stringify({ error: 'invalid_api_key', message: 'API key not found or inactive' }));
        return;
      }
      if (!domain) {
        reply(400, JSON.stringify({ error: 'missing_parameter', message: 'domain is required' }));
        return;
      }
      let body = bodies.get(domain);
      if (body === undefined) {
        body = domDetailerBody(domain);
        bodies.set(domain, body);
      }
      reply(200, body);
    }, delayMs);
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests: () => count,
    maxInFlight: () => peak,
    resetInFlight: () => {
      peak = inFlight;
    },
    serverTimes: () => [...times],
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
