// Gap runs in Redis, shared by every instance: a run made through one instance is listed and paged
// through any other with no upstream call. Same contract as runs.ts (RunStore). Runs are stored
// gzipped (a 1,000-prospect run is ~0.5 MB of JSON), with the run store's TTL.
//
// Keys (P = prefix):  P:run:{run_id}  gzipped JSON {savedAt, run}   (expires with the run TTL)
//                     P:runs          sorted set: run_id → saved at (epoch ms), for listings
//                     P:run-heads     hash: run_id → JSON of what a listing shows

import { gunzipSync, gzipSync } from 'node:zlib';
import type { GapRun } from '../domain.js';
import { UsageError } from '../errors.js';
import type { Logger } from '../log.js';
import { headOf, isValidRunId, type RunStore, type RunSummary, storedRunOf } from '../runs.js';
import type { LazyRedis } from './connection.js';

const DEFAULT_LIST = 50;

export interface RedisRunStoreOptions {
  redis: LazyRedis;
  /** Key prefix (BACKLINK_GAP_REDIS_PREFIX). */
  prefix?: string;
  ttlSeconds: number;
  logger: Logger;
  now?: () => number;
  /** Where runs go while Redis is unreachable (this process only), so free answers go on. */
  fallback?: RunStore;
}

export function createRedisRunStore(options: RedisRunStoreOptions): RunStore {
  const { redis, logger } = options;
  const now = options.now ?? Date.now;
  const ttlMs = Math.max(1, options.ttlSeconds) * 1000;
  const prefix = options.prefix ?? 'blg';
  const runKey = (runId: string) => `${prefix}:run:${runId}`;
  const listKey = `${prefix}:runs`;
  const headsKey = `${prefix}:run-heads`;

  const { fallback } = options;
  let warned = false;
  const degrade = (error: unknown) => {
    if (!fallback) throw error;
    if (!warned) logger.warn('runs kept in this process while Redis is unreachable', { error: error instanceof Error ? error.message : String(error) });
    warned = true;
  };

  const shared: RunStore = {
    async save(run: GapRun): Promise<void> {
      if (!isValidRunId(run.run_id)) throw new UsageError('invalid_input', `run_id ${JSON.stringify(run.run_id)} is not a valid run id`);
      const savedAt = now();
      const json = JSON.stringify({ savedAt, run });
      const head = { ...headOf(run), saved_at: savedAt, bytes: Buffer.byteLength(json) };
      const { client } = await redis.get();
      await client
        .multi()
        .set(runKey(run.run_id), gzipSync(json), { PX: ttlMs })
        .zAdd(listKey, { score: savedAt, value: run.run_id })
        .hSet(headsKey, run.run_id, JSON.stringify(head))
        .exec();
    },

    async get(runId: string): Promise<GapRun | undefined> {
      if (!isValidRunId(runId)) return undefined;
      const { client, binary } = await redis.get();
      const stored = (await binary.get(runKey(runId))) as unknown as Buffer | null;
      if (stored === null) return undefined;
      let value: { savedAt?: unknown; run?: unknown } | undefined;
      try {
        value = JSON.parse(gunzipSync(stored).toString('utf8')) as { savedAt?: unknown; run?: unknown };
      } catch {
        value = undefined;
      }
      const run = storedRunOf(value?.run);
      if (run === undefined || run.run_id !== runId) {
        logger.warn('stored run is corrupt; removed and treated as unknown', { run_id: runId });
        await client.multi().del(runKey(runId)).zRem(listKey, runId).hDel(headsKey, runId).exec();
        return undefined;
      }
      return run;
    },

    async list(max = DEFAULT_LIST): Promise<RunSummary[]> {
      const clock = now();
      const { client } = await redis.get();
      // Forget runs whose key expired (the sorted set has no TTL of its own).
      const lapsed = await client.zRangeByScore(listKey, '-inf', clock - ttlMs);
      if (lapsed.length > 0) await client.multi().zRem(listKey, lapsed).hDel(headsKey, lapsed).exec();
      const ids = await client.zRange(listKey, 0, Math.max(0, max - 1), { REV: true });
      if (ids.length === 0) return [];
      const heads = await client.hmGet(headsKey, ids);
      const summaries: RunSummary[] = [];
      heads.forEach((text, index) => {
        if (typeof text !== 'string') return;
        try {
          const head = JSON.parse(text) as Omit<RunSummary, 'saved_at' | 'age_seconds'> & { saved_at: number };
          summaries.push({
            run_id: ids[index]!,
            your_domain: head.your_domain,
            competitor_domains: head.competitor_domains,
            provider: head.provider,
            total_prospects: head.total_prospects,
            saved_at: new Date(head.saved_at).toISOString(),
            age_seconds: Math.max(0, Math.round((clock - head.saved_at) / 1000)),
            bytes: head.bytes,
          });
        } catch {
          // A damaged head only hides the run from listings; get() still reads it.
        }
      });
      return summaries;
    },
  };

  return {
    async save(run) {
      await fallback?.save(run);
      await shared.save(run).catch(degrade);
    },
    async get(runId) {
      try {
        return (await shared.get(runId)) ?? (await fallback?.get(runId));
      } catch (error) {
        degrade(error);
        return fallback?.get(runId);
      }
    },
    async list(max) {
      try {
        return await shared.list(max);
      } catch (error) {
        degrade(error);
        return (await fallback?.list(max)) ?? [];
      }
    },
  };
}
