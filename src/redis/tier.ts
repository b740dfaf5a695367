// The cache's persistent tier in Redis, shared by every instance (the memory tier stays in front).
// Values over 1 KB are gzipped; every entry expires with its TTL, so Redis bounds itself
// (configure Redis' own maxmemory policy for a hard size bound). A Redis that is down makes reads
// misses and writes no-ops with one warning: answers still come from memory and the provider.

import { gunzipSync, gzipSync } from 'node:zlib';
import type { SharedTier, TierEntry } from '../cache/cache.js';
import type { Logger } from '../log.js';
import type { LazyRedis } from './connection.js';

const COMPRESS_OVER = 1024;
/** First byte of a stored entry: how its body is encoded. */
const PLAIN = 0x70; // 'p'
const GZIP = 0x67; // 'g'

export function createRedisTier(redis: LazyRedis, logger: Logger, prefix = 'blg'): SharedTier {
  const keyOf = (key: string) => `${prefix}:cache:${key}`;
  let warned = false;
  const warn = (error: unknown) => {
    if (warned) return;
    warned = true;
    logger.warn('Redis cache tier unavailable; answers come from this process and the provider meanwhile', { error: String(error) });
  };

  return {
    async read(key: string): Promise<TierEntry | undefined> {
      let data: Buffer | null;
      try {
        data = (await (await redis.get()).binary.get(keyOf(key))) as unknown as Buffer | null;
      } catch (error) {
        warn(error);
        return undefined;
      }
      warned = false;
      if (data === null || data.length < 1) return undefined;
      try {
        const newline = data.indexOf(0x0a, 1);
        const header = JSON.parse(data.subarray(1, newline).toString('utf8')) as { storedAt: number; expiresAt: number; shape?: unknown };
        const body = data.subarray(newline + 1);
        const json = data[0] === GZIP ? gunzipSync(body) : body;
        return {
          value: JSON.parse(json.toString('utf8')),
          storedAt: header.storedAt,
          expiresAt: header.expiresAt,
          bytes: json.length,
          ...(typeof header.shape === 'number' && { shape: header.shape }),
        };
      } catch {
        logger.warn('Redis cache entry corrupt; removed and treated as a miss', {});
        await (await redis.get()).binary.del(keyOf(key)).catch(() => undefined);
        return undefined;
      }
    },

    async write(key: string, body: Buffer, storedAt: number, expiresAt: number, shape: number): Promise<void> {
      const ttl = Math.max(1, expiresAt - storedAt);
      const compress = body.length > COMPRESS_OVER;
      const data = Buffer.concat([
        Buffer.from([compress ? GZIP : PLAIN]),
        Buffer.from(`${JSON.stringify({ storedAt, expiresAt, shape })}\n`),
        compress ? gzipSync(body) : body,
      ]);
      try {
        await (await redis.get()).binary.set(keyOf(key), data, { PX: ttl });
      } catch (error) {
        warn(error);
      }
    },

    async delete(key: string): Promise<void> {
      try {
        await (await redis.get()).binary.del(keyOf(key));
      } catch (error) {
        warn(error);
      }
    },
  };
}
