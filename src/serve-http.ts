// Streamable HTTP at /mcp for shared deployments: token auth, Host/Origin checks, body limit,
// idle session expiry, /healthz, and a graceful stop that flushes the cache.

import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer as createNodeServer } from 'node:http';
import { type AddressInfo, isIPv4 } from 'node:net';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { banner } from './banner.js';
import type { Config } from './config.js';
import { UsageError } from './errors.js';
import { createRuntime, type Runtime } from './runtime.js';
import { createServer, toolListSnapshot } from './server.js';

export interface HttpOptions {
  port: number;
  host: string;
  stateless?: boolean;
  /** How long a stop waits for in-flight calls. */
  drainMs?: number;
}

interface Session {
  transport: StreamableHTTPServerTransport;
  close(): Promise<void>;
  lastSeen: number;
}

/** Retry-After, in seconds, when every session slot is taken: about when an idle one may expire. */
const FULL_RETRY_AFTER_SECONDS = 30;

/** Whether a host name or address (bracketed IPv6 allowed) is this machine's loopback: exactly
 *  localhost, an IPv4 address in 127.0.0.0/8, or ::1. A name that merely starts with "127." is not. */
export function isLoopback(host: string): boolean {
  const name = host.trim().toLowerCase().replace(/\.$/, '');
  const bare = name.startsWith('[') && name.endsWith(']') ? name.slice(1, -1) : name;
  if (bare === 'localhost' || bare === '::1' || bare === '0:0:0:0:0:0:0:1') return true;
  if (isIPv4(bare)) return bare.split('.')[0] === '127';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(bare);
  return mapped?.[1] !== undefined && isIPv4(mapped[1]) && mapped[1].startsWith('127.');
}

function sha(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** Constant-time bearer check (hashing first makes lengths equal). */
function authorized(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
  return timingSafeEqual(sha(match?.[1]?.trim() ?? ''), sha(token));
}

/** The host name of a Host header (port dropped, IPv6 kept in brackets), or undefined when it does not parse. */
export function hostnameOf(hostHeader: string): string | undefined {
  const value = hostHeader.trim();
  if (value === '' || /[\s/?#@\\]/.test(value)) return undefined;
  try {
    const url = new URL(`http://${value}`);
    return url.hostname.toLowerCase().replace(/\.$/, '');
  } catch {
    return undefined;
  }
}

/** An origin in the form browsers send (`scheme://host[:port]`), lower-cased, or undefined when it is not one. */
export function normalizeOrigin(origin: string): string | undefined {
  const value = origin.trim().replace(/\/+$/, '');
  if (value === '*') return value;
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    if (url.username !== '' || url.password !== '' || (url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '') return undefined;
    return url.origin.toLowerCase();
  } catch {
    return undefined;
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function rpcError(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  sendJson(res, status, { jsonrpc: '2.0', error: { code: status === 400 ? -32700 : -32000, message }, id: null }, headers);
}

async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | 'too_large'> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBytes) return 'too_large';
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) return 'too_large';
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export interface HttpApp {
  server: Server;
  runtime: Runtime;
  sessions: () => number;
  /** Stop accepting, finish in-flight calls (bounded), close sessions, flush the cache. */
  stop(): Promise<void>;
}

export function createHttpApp(runtime: Runtime, options: HttpOptions): HttpApp {
  const { config, logger } = runtime;
  const token = config.http.token;
  if (!isLoopback(options.host) && token === undefined) {
    throw new UsageError(
      'config_error',
      `Refusing to listen on ${options.host} without BACKLINK_GAP_HTTP_TOKEN: anyone who can reach it could spend your provider credits. Set BACKLINK_GAP_HTTP_TOKEN, or bind to 127.0.0.1.`,
    );
  }
  // Hosts and origins are parsed and compared whole: "127.evil.com" is neither loopback nor allowed.
  const allowedHosts = new Set(config.http.allowedHosts.map((host) => hostnameOf(host) ?? host.trim().toLowerCase()));
  const checkHosts = isLoopback(options.host) || config.http.allowedHosts.length > 0;
  const hostAllowed = (hostHeader: string): boolean => {
    const name = hostnameOf(hostHeader);
    return name !== undefined && (isLoopback(name) || allowedHosts.has(name));
  };
  const allowedOrigins = new Set(config.http.allowedOrigins.map((origin) => normalizeOrigin(origin) ?? origin.trim().toLowerCase()));
  const originAllowed = (origin: string): boolean => {
    if (allowedOrigins.has('*')) return true;
    const normalized = normalizeOrigin(origin);
    if (normalized === undefined) return false;
    return allowedOrigins.has(normalized) || isLoopback(new URL(normalized).hostname);
  };

  const toolList = toolListSnapshot();
  const sessions = new Map<string, Session>();
  /** Sessions being initialised: they hold a server too, so they count against the cap. */
  let opening = 0;
  let inFlight = 0;
  let stopping = false;
  let lastFullWarning = 0;
  const warnFull = () => {
    if (Date.now() - lastFullWarning < 60_000) return;
    lastFullWarning = Date.now();
    logger.warn('session cap reached; new sessions get 503 until one closes or expires', { maxSessions: config.http.maxSessions });
  };
  let drained: (() => void) | undefined;

  const newSession = async (): Promise<StreamableHTTPServerTransport> => {
    const mcp = createServer({ service: runtime.service, logger, tasks: runtime.tasks, ...(toolList && { toolList }) });
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        sessions.set(id, { transport, lastSeen: Date.now(), close: () => mcp.close() });
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    await mcp.connect(transport);
    return transport;
  };

  const expireIdle = () => {
    const cutoff = Date.now() - config.http.sessionIdleMs;
    for (const [id, session] of sessions) {
      if (session.lastSeen < cutoff) {
        sessions.delete(id);
        session.close().catch(() => undefined);
        logger.debug('idle session expired', { session: id.slice(0, 8) });
      }
    }
  };
  const sweep = setInterval(expireIdle, Math.min(60_000, Math.max(1_000, config.http.sessionIdleMs / 4)));
  sweep.unref();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/healthz' && req.method === 'GET') {
      sendJson(res, stopping ? 503 : 200, { status: stopping ? 'stopping' : 'ok' });
      return;
    }
    if (checkHosts && !hostAllowed(req.headers.host ?? '')) {
      rpcError(res, 403, 'Forbidden: Host header not allowed (set BACKLINK_GAP_ALLOWED_HOSTS to widen).');
      return;
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !originAllowed(origin)) {
      rpcError(res, 403, 'Forbidden: Origin not allowed (set BACKLINK_GAP_ALLOWED_ORIGINS to widen).');
      return;
    }
    if (token !== undefined && !authorized(req.headers.authorization, token)) {
      rpcError(res, 401, 'Unauthorized: send Authorization: Bearer <BACKLINK_GAP_HTTP_TOKEN>.', { 'www-authenticate': 'Bearer' });
      return;
    }
    if (url.pathname !== '/mcp') {
      sendJson(res, 404, { error: 'not_found', message: 'The MCP endpoint is /mcp; health is GET /healthz.' });
      return;
    }
    if (stopping) {
      rpcError(res, 503, 'Server is shutting down.', { connection: 'close' });
      return;
    }

    let body: unknown;
    if (req.method === 'POST') {
      const raw = await readBody(req, config.http.maxBodyBytes);
      if (raw === 'too_large') {
        rpcError(res, 413, `Request body over ${Math.round(config.http.maxBodyBytes / 1024)} KB (BACKLINK_GAP_HTTP_MAX_BODY_KB).`, { connection: 'close' });
        return;
      }
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        rpcError(res, 400, 'Parse error: the body is not JSON.');
        return;
      }
    }

    if (options.stateless) {
      const mcp = createServer({ service: runtime.service, logger, tasks: runtime.tasks, ...(toolList && { toolList }) });
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      res.on('close', () => {
        transport.close().catch(() => undefined);
        mcp.close().catch(() => undefined);
      });
      await mcp.connect(transport);
      await transport.handleRequest(req, res, body);
      return;
    }

    const sessionId = req.headers['mcp-session-id'];
    const id = Array.isArray(sessionId) ? sessionId[0] : sessionId;
    const existing = id !== undefined ? sessions.get(id) : undefined;
    if (existing) {
      existing.lastSeen = Date.now();
      await existing.transport.handleRequest(req, res, body);
      return;
    }
    if (id === undefined && req.method === 'POST' && isInitializeRequest(body)) {
      if (sessions.size + opening >= config.http.maxSessions) expireIdle();
      if (sessions.size + opening >= config.http.maxSessions) {
        warnFull();
        rpcError(
          res,
          503,
          `Server busy: all ${config.http.maxSessions} sessions are in use (BACKLINK_GAP_MAX_SESSIONS). Retry after ${FULL_RETRY_AFTER_SECONDS} s, or close an unused session.`,
          { 'retry-after': String(FULL_RETRY_AFTER_SECONDS) },
        );
        return;
      }
      opening += 1;
      let transport: StreamableHTTPServerTransport | undefined;
      try {
        transport = await newSession();
        await transport.handleRequest(req, res, body);
      } finally {
        opening -= 1;
        // An initialize that did not establish a session leaves nothing behind.
        if (transport !== undefined && (transport.sessionId === undefined || !sessions.has(transport.sessionId))) {
          transport.close().catch(() => undefined);
        }
      }
      return;
    }
    if (id !== undefined) {
      rpcError(res, 404, 'Session not found (it expired or the server restarted): initialize a new session.');
      return;
    }
    rpcError(res, 400, 'Bad Request: no valid session id; send initialize first.');
  };

  const server = createNodeServer((req, res) => {
    // A GET is the client's standing notification stream: it never ends by itself, so a stop must not wait for it.
    if (req.method !== 'GET') {
      inFlight += 1;
      res.on('close', () => {
        inFlight -= 1;
        if (inFlight === 0) drained?.();
      });
    }
    handle(req, res).catch((error: unknown) => {
      logger.error('http request failed', { error: error instanceof Error ? error.message : String(error) });
      if (!res.headersSent) rpcError(res, 500, 'Internal error');
      else res.end();
    });
  });
  server.requestTimeout = 120_000;
  server.headersTimeout = 30_000;

  return {
    server,
    runtime,
    sessions: () => sessions.size,
    async stop() {
      if (stopping) return;
      stopping = true;
      clearInterval(sweep);
      server.close();
      server.closeIdleConnections();
      if (inFlight > 0) {
        await new Promise<void>((resolve) => {
          drained = resolve;
          setTimeout(resolve, options.drainMs ?? 10_000).unref();
        });
      }
      await Promise.allSettled([...sessions.values()].map((session) => session.close()));
      sessions.clear();
      server.closeAllConnections();
      await runtime.close();
    },
  };
}

export async function listen(app: HttpApp, options: HttpOptions): Promise<AddressInfo> {
  await new Promise<void>((resolve, reject) => {
    app.server.once('error', reject);
    app.server.listen(options.port, options.host, () => resolve());
  });
  return app.server.address() as AddressInfo;
}

export async function serveHttp(config: Config, options: HttpOptions): Promise<void> {
  const runtime = createRuntime(config);
  const app = createHttpApp(runtime, options);
  const address = await listen(app, options);
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  process.stderr.write(`${banner(runtime, `http://${shown}:${address.port}/mcp${options.stateless ? ' (stateless)' : ''}`)}\n`);
  process.on('unhandledRejection', (reason) => {
    runtime.logger.error('unhandled rejection', { reason: reason instanceof Error ? reason.message : String(reason) });
  });
  const stop = () => {
    runtime.logger.info('stopping: finishing in-flight calls');
    app.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
