// One connection to Redis (or Valkey) shared by the ledger, the run store and the cache tier when
// BACKLINK_GAP_REDIS_URL is set. The client is imported on first use, never at start-up, and keeps
// reconnecting in the background. Commands fail at once while it is down (no offline queue): a
// paid call then refuses (a budget that cannot be checked is not spent) and reads become misses.

import type { createClient } from 'redis';
import { UsageError } from '../errors.js';
import type { Logger } from '../log.js';

type Make = typeof createClient;
function newClient(make: Make, url: string, connectTimeout: number) {
  return make({
    url,
    disableOfflineQueue: true,
    socket: {
      connectTimeout,
      // Keep trying in the background, at most every 2 s.
      reconnectStrategy: (retries: number) => Math.min(100 * 2 ** Math.min(retries, 5), 2000),
    },
  });
}

export type RedisClient = ReturnType<typeof newClient>;

export interface RedisConnection {
  client: RedisClient;
  /** The same connection answering bulk strings as Buffers (gzipped values). */
  binary: RedisClient;
  /** Prefix of every key this server writes, so one Redis can hold several deployments. */
  prefix: string;
}

export interface RedisOptions {
  url: string;
  prefix?: string;
  logger: Logger;
  /** Milliseconds a call waits for a connection before it fails (default 3,000). */
  connectTimeoutMs?: number;
}

export interface LazyRedis {
  /** The connection, waiting for it at most connectTimeoutMs; throws a UsageError saying what to do. */
  get(): Promise<RedisConnection>;
  close(): Promise<void>;
}

/** The URL without its password, for messages. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable BACKLINK_GAP_REDIS_URL)';
  }
}

export function lazyRedis(options: RedisOptions): LazyRedis {
  const { logger } = options;
  const url = redactRedisUrl(options.url);
  const timeout = options.connectTimeoutMs ?? 3000;
  const prefix = options.prefix ?? 'blg';
  let opened: Promise<{ connection: RedisConnection; state: { ready: boolean; down: boolean } }> | undefined;
  let warned = false;

  async function open() {
    // The bundle turns redis' CommonJS exports into a default export; tsx and Node keep them named.
    const loaded = (await import('redis')) as typeof import('redis') & { default?: typeof import('redis') };
    const redis = loaded.createClient === undefined && loaded.default ? loaded.default : loaded;
    const client = newClient(redis.createClient, options.url, timeout);
    // `down`: an error was seen and no reconnect has succeeded since; calls then fail at once
    // instead of each waiting for the connect timeout.
    const state = { ready: false, down: false };
    client.on('ready', () => {
      state.ready = true;
      state.down = false;
      if (warned) logger.info('Redis reachable again', { url });
      warned = false;
    });
    client.on('end', () => {
      state.ready = false;
    });
    client.on('error', (error: unknown) => {
      state.ready = false;
      state.down = true;
      if (warned) return;
      warned = true;
      logger.warn('Redis unreachable: cached reads go on from this process, paid calls are refused until it is back', {
        url,
        error: error instanceof Error ? error.message : String(error),
      });
    });
    client.connect().catch(() => undefined);
    const binary = client.withTypeMapping({ [redis.RESP_TYPES.BLOB_STRING]: Buffer }) as unknown as RedisClient;
    return { connection: { client, binary, prefix }, state };
  }

  return {
    async get(): Promise<RedisConnection> {
      opened ??= open();
      const { connection, state } = await opened;
      const deadline = Date.now() + timeout;
      while (!state.ready && !state.down && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
      if (!state.ready) {
        throw new UsageError(
          'config_error',
          `Redis at ${url} (BACKLINK_GAP_REDIS_URL) is unreachable, so shared runs, spend and budgets cannot be read or written. Start it, or unset BACKLINK_GAP_REDIS_URL to keep state in this machine's cache directory.`,
        );
      }
      return connection;
    },
    async close(): Promise<void> {
      if (opened === undefined) return;
      const { connection } = await opened;
      await connection.client.close().catch(() => connection.client.destroy());
    },
  };
}
