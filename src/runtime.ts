// The composition root: configuration → logger, providers, cache, runs, ledger and the service.

import type { Dispatcher } from 'undici';
import { createCache, type Cache } from './cache/cache.js';
import { secretsOf, type Config } from './config.js';
import type { ProviderName } from './domain.js';
import { createLedger, type Ledger } from './ledger.js';
import { createLogger, type Logger } from './log.js';
import type { Provider } from './providers/provider.js';
import { createProviderRegistry, type ProviderRegistry } from './providers/registry.js';
import { lazyRedis } from './redis/connection.js';
import { createRedisLedger } from './redis/ledger.js';
import { createRedisRunStore } from './redis/runs.js';
import { createRedisTaskRecords } from './redis/tasks.js';
import { createRedisTier } from './redis/tier.js';
import { createRunStore, type RunStore } from './runs.js';
import type { Service } from './service/index.js';
import { createMemoryTaskRecords, type TaskRecords } from './tasks.js';
import type { WebFetcher } from './http/web.js';

export interface Runtime {
  config: Config;
  logger: Logger;
  registry: ProviderRegistry;
  cache: Cache;
  runs: RunStore;
  ledger: Ledger;
  service: Service;
  /** MCP tasks of every server this process runs (shared through Redis when configured). */
  tasks: TaskRecords;
  /** Flush the persistent cache and release sockets. */
  close(): Promise<void>;
}

export interface RuntimeOptions {
  logger?: Logger;
  dispatcher?: Dispatcher;
  overrides?: Partial<Record<ProviderName, Provider>>;
  now?: () => number;
  /** check_prospects' fetcher (tests: a loopback fixture site or a MockAgent behind the safety checks). */
  web?: WebFetcher;
}

export function createRuntime(config: Config, options: RuntimeOptions = {}): Runtime {
  const logger = options.logger ?? createLogger({ level: config.logLevel, secrets: secretsOf(config) });
  const registry = createProviderRegistry(config, {
    logger,
    ...(options.dispatcher && { dispatcher: options.dispatcher }),
    ...(options.overrides && { overrides: options.overrides }),
  });
  const clock = options.now ? { now: options.now } : {};
  // With BACKLINK_GAP_REDIS_URL, every instance pointing at it shares the persistent cache tier, the
  // runs, the ledger and budget holds; the memory tier stays in each process.
  const redis = config.redis && config.cacheMode === 'persistent' ? lazyRedis({ url: config.redis.url, prefix: config.redis.prefix, logger }) : undefined;
  const cache = createCache({
    mode: config.cacheMode,
    dir: config.cacheDir,
    ttlSeconds: config.cacheTtlSeconds,
    maxBytes: config.cacheMaxBytes,
    memoryBytes: config.memoryCacheBytes,
    logger,
    ...clock,
    ...(redis && config.redis && { shared: createRedisTier(redis, logger, config.redis.prefix) }),
  });
  const runs =
    redis && config.redis
      ? createRedisRunStore({
          redis,
          prefix: config.redis.prefix,
          ttlSeconds: config.runTtlSeconds,
          logger,
          ...clock,
          fallback: createRunStore({ mode: 'memory', dir: config.cacheDir, ttlSeconds: config.runTtlSeconds, logger, ...clock }),
        })
      : createRunStore({ mode: config.cacheMode, dir: config.cacheDir, ttlSeconds: config.runTtlSeconds, logger, ...clock });
  const ledger =
    redis && config.redis
      ? createRedisLedger({ redis, prefix: config.redis.prefix, logger, ...clock })
      : createLedger({ mode: config.cacheMode, dir: config.cacheDir, logger, ...clock });
  const tasks =
    redis && config.redis
      ? createRedisTaskRecords({ redis, prefix: config.redis.prefix, logger, fallback: createMemoryTaskRecords() })
      : createMemoryTaskRecords();
  // The service (and with it the public-suffix list, analysis and adapters) loads on the first call,
  // so a client that only initializes and lists tools never pays for it.
  const service = lazyService(async () =>
    (await import('./service/index.js')).createService({ config, registry, cache, runs, ledger, logger, ...clock, ...(options.web && { web: options.web }) }),
  );
  return {
    config,
    logger,
    registry,
    cache,
    runs,
    ledger,
    service,
    tasks,
    async close() {
      await cache.flush().catch(() => undefined);
      await ledger.flush().catch(() => undefined);
      await cache.close().catch(() => undefined);
      await service.close().catch(() => undefined);
      await redis?.close().catch(() => undefined);
      await registry.close();
    },
  };
}

function lazyService(load: () => Promise<Service>): Service {
  let loading: Promise<Service> | undefined;
  const get = () => {
    loading ??= load().catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
    return loading;
  };
  return {
    gap: async (input, options) => (await get()).gap(input, options),
    prospects: async (input, options) => (await get()).prospects(input, options),
    prospectsCsv: async (input, options) => (await get()).prospectsCsv(input, options),
    backlinks: async (input, options) => (await get()).backlinks(input, options),
    intersect: async (input, options) => (await get()).intersect(input, options),
    usage: async (options) => (await get()).usage(options),
    run: async (runId) => (await get()).run(runId),
    runs: async () => (await get()).runs(),
    check: async (input, options) => (await get()).check(input, options),
    // Nothing to release when no call ever loaded the service.
    close: async () => {
      if (loading !== undefined) await (await loading).close();
    },
  };
}
