// Two-tier cache for paid upstream answers: a byte-bounded memory LRU in front of cacache on disk,
// with read-through single flight so one question is paid for once, however often it is asked.

import { join } from 'node:path';
import type cacache from 'cacache';
import { LRUCache } from 'lru-cache';
import type { Logger } from '../log.js';

export interface CacheOptions {
  mode: 'persistent' | 'memory' | 'off';
  /** The persistent tier lives under `${dir}/cache`, created on the first write. */
  dir: string;
  /** Default time to live of entries; 0 stores nothing (every read is a miss). */
  ttlSeconds: number;
  /** Persistent tier bound; the oldest entries are evicted past it. */
  maxBytes: number;
  /** Memory tier bound (serialised JSON bytes). */
  memoryBytes: number;
  logger: Logger;
  /** Epoch milliseconds; tests pass a fake clock. */
  now?: () => number;
}

export interface CacheHit<T> {
  value: T;
  /** Epoch milliseconds. */
  storedAt: number;
}

export interface FetchOutcome<T> {
  value: T;
  /** True when this call caused no fetch (a stored entry, or a share of another caller's fetch). */
  cached: boolean;
  ageSeconds?: number;
}

export interface CacheStats {
  mode: CacheOptions['mode'];
  memory: { entries: number; bytes: number };
  /** From the last scan plus this process's writes since (no full scan per call). */
  persistent?: { entries: number; bytes: number };
  hits: number;
  misses: number;
  hitRate: number;
}

export interface Cache {
  get<T>(key: string): Promise<CacheHit<T> | undefined>;
  set<T>(key: string, value: T, options?: { ttlSeconds?: number }): Promise<void>;
  delete(key: string): Promise<void>;
  /** Read-through with single flight: concurrent calls for one key make one fetch and share it.
   *  `fresh` skips the read (and refreshes the entry). `accept` rejects a cached value that does not
   *  serve this call (e.g. fetched with a smaller limit): it is then fetched again and replaced.
   *  A joiner of an in-flight fetch whose result it does not `accept` makes its own fetch. */
  getOrFetch<T>(
    key: string,
    fetch: () => Promise<T>,
    options?: { fresh?: boolean; ttlSeconds?: number; accept?: (value: T) => boolean },
  ): Promise<FetchOutcome<T>>;
  stats(): Promise<CacheStats>;
  /** Wait for pending writes (called on shutdown). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** What the memory tier holds: the parsed value itself, so a hit costs no parse. */
interface Stored {
  value: unknown;
  storedAt: number;
  expiresAt: number;
  bytes: number;
}

/** What the leader of a flight hands to everyone waiting on it. */
interface Shared {
  value: unknown;
  storedAt: number;
  fromStore: boolean;
}

interface EntryMetadata {
  storedAt: number;
  expiresAt: number;
}

type Cacache = typeof cacache;

/** Evict down to this share of maxBytes so a full cache does not evict on every write. */
const EVICT_TO = 0.9;
/** Re-scan the disk tier at most this often without cause, to notice other processes' writes. */
const RESCAN_AFTER_MS = 60 * 60 * 1000;
/** cacache.verify rehashes every content file: run it at most this often (it records its last run on disk). */
const VERIFY_EVERY_MS = 24 * 60 * 60 * 1000;

export function createCache(options: CacheOptions): Cache {
  const now = options.now ?? Date.now;
  const { mode, logger } = options;
  const root = join(options.dir, 'cache');
  const defaultTtlMs = Math.max(0, options.ttlSeconds) * 1000;

  const memory = new LRUCache<string, Stored>({
    maxSize: Math.max(1, Math.floor(options.memoryBytes)),
    sizeCalculation: (stored) => Math.max(1, stored.bytes),
    // lru-cache reads its own clock for TTLs; give it ours so a fake clock expires memory entries too.
    perf: { now },
    ttlResolution: 0,
    ...(defaultTtlMs > 0 && { ttl: defaultTtlMs }),
  });

  const flights = new Map<string, Promise<Shared>>();
  const pending = new Set<Promise<unknown>>();
  const warnedKeys = new Set<string>();
  const warnedProblems = new Set<string>();
  let hits = 0;
  let misses = 0;

  // Disk-tier bookkeeping: undefined until the first scan; adjusted by this process's own writes.
  let library: Promise<Cacache> | undefined;
  let disk: { entries: number; bytes: number } | undefined;
  let lastScanAt = 0;
  let maintaining: Promise<void> | undefined;
  let maintainAgain = false;

  // Loaded on first use so that start-up neither reads the disk nor loads cacache's modules.
  const load = (): Promise<Cacache> => {
    library ??= import('cacache').then((module) => module.default);
    return library;
  };

  const track = <T>(promise: Promise<T>): Promise<T> => {
    pending.add(promise);
    promise.then(
      () => pending.delete(promise),
      () => pending.delete(promise),
    );
    return promise;
  };

  const warnOnce = (problem: string, message: string, fields: Record<string, unknown>) => {
    if (warnedProblems.has(problem)) return;
    warnedProblems.add(problem);
    logger.warn(message, fields);
  };

  const ageOf = (storedAt: number) => Math.max(0, Math.round((now() - storedAt) / 1000));

  function remember(key: string, stored: Stored): void {
    const ttl = stored.expiresAt - now();
    if (ttl <= 0 || stored.bytes > memory.maxSize) return;
    memory.set(key, stored, { ttl, size: Math.max(1, stored.bytes) });
  }

  function recall(key: string): Stored | undefined {
    const stored = memory.get(key);
    if (stored === undefined) return undefined;
    if (stored.expiresAt <= now()) {
      memory.delete(key);
      return undefined;
    }
    return stored;
  }

  /** Remove an entry and its content; used for expired, corrupt and evicted entries. */
  async function removeEntry(library: Cacache, key: string, integrity: string | undefined): Promise<void> {
    await library.rm.entry(root, key, { removeFully: true }).catch(() => undefined);
    if (integrity) await library.rm.content(root, integrity).catch(() => undefined);
  }

  async function readDisk(key: string): Promise<Stored | undefined> {
    const library = await load();
    let info: cacache.EntryInfo | null;
    try {
      info = await library.get.info(root, key);
    } catch (error) {
      warnOnce(`index:${errorCode(error)}`, 'cache index unreadable; treating as a miss', { key: shortKey(key), error: errorCode(error) });
      return undefined;
    }
    if (info === null) return undefined;
    const metadata = parseMetadata(info.metadata);
    if (metadata === undefined) {
      discardCorrupt(library, key, info.integrity, 'metadata missing');
      return undefined;
    }
    if (metadata.expiresAt <= now()) {
      const integrity = info.integrity;
      void track(removeEntry(library, key, integrity));
      return undefined;
    }
    let value: unknown;
    try {
      const data = await library.get.byDigest(root, info.integrity, { size: info.size });
      value = JSON.parse(data.toString('utf8'));
    } catch (error) {
      discardCorrupt(library, key, info.integrity, errorCode(error));
      return undefined;
    }
    const stored: Stored = { value, storedAt: metadata.storedAt, expiresAt: metadata.expiresAt, bytes: info.size };
    remember(key, stored);
    return stored;
  }

  function discardCorrupt(library: Cacache, key: string, integrity: string, reason: string): void {
    if (!warnedKeys.has(key)) {
      warnedKeys.add(key);
      logger.warn('cache entry corrupt or unreadable; removed and treated as a miss', { key: shortKey(key), reason });
    }
    void track(removeEntry(library, key, integrity));
  }

  async function lookup(key: string): Promise<Stored | undefined> {
    if (mode === 'off') return undefined;
    const inMemory = recall(key);
    if (inMemory !== undefined || mode === 'memory') return inMemory;
    try {
      return await readDisk(key);
    } catch (error) {
      warnOnce(`read:${errorCode(error)}`, 'cache read failed; treating as a miss', { key: shortKey(key), error: errorCode(error) });
      return undefined;
    }
  }

  /** Store a value in both tiers. Disk failures are logged and swallowed: the answer is still good. */
  async function write(key: string, value: unknown, ttlSeconds: number | undefined): Promise<void> {
    if (mode === 'off') return;
    const ttlMs = ttlSeconds === undefined ? defaultTtlMs : Math.max(0, ttlSeconds) * 1000;
    if (ttlMs <= 0) return;
    const json = JSON.stringify(value);
    if (json === undefined) throw new TypeError('cache values must be JSON-serialisable');
    const storedAt = now();
    const expiresAt = storedAt + ttlMs;
    if (mode === 'memory') {
      remember(key, { value, storedAt, expiresAt, bytes: Buffer.byteLength(json) });
      return;
    }
    const data = Buffer.from(json);
    remember(key, { value, storedAt, expiresAt, bytes: data.length });
    try {
      await track(writeDisk(key, data, { storedAt, expiresAt }));
    } catch (error) {
      warnOnce(`write:${errorCode(error)}`, 'cache write failed; the answer is kept in memory only', {
        error: errorCode(error),
        dir: root,
      });
    }
  }

  async function writeDisk(key: string, data: Buffer, metadata: EntryMetadata): Promise<void> {
    const library = await load();
    const previous = await library.get.info(root, key).catch(() => null);
    // sha256 checks as well as cacache's default sha512 against torn or corrupt files, and hashes
    // about twice as fast, which is most of a 1 MB read's budget after the read itself.
    const integrity = await library.put(root, key, data, { metadata, time: metadata.storedAt, algorithms: ['sha256'] });
    // A replaced entry leaves its content unreferenced; remove it now rather than wait for verify.
    if (previous !== null && previous.integrity !== integrity) {
      await library.rm.content(root, previous.integrity).catch(() => undefined);
    }
    if (disk !== undefined) {
      disk.bytes += data.length - (previous?.size ?? 0);
      if (previous === null) disk.entries += 1;
    }
    if (disk === undefined || disk.bytes > options.maxBytes || now() - lastScanAt > RESCAN_AFTER_MS) scheduleMaintenance();
  }

  function scheduleMaintenance(): Promise<void> {
    if (maintaining !== undefined) {
      maintainAgain = true;
      return maintaining;
    }
    const run = async () => {
      do {
        maintainAgain = false;
        try {
          await maintain();
        } catch (error) {
          warnOnce(`maintain:${errorCode(error)}`, 'cache maintenance failed; will retry later', { error: errorCode(error) });
        }
      } while (maintainAgain);
    };
    maintaining = track(run()).finally(() => {
      maintaining = undefined;
    });
    return maintaining;
  }

  /** Scan the disk tier: drop expired entries, evict the oldest past maxBytes, reclaim content. */
  async function maintain(): Promise<void> {
    const library = await load();
    const listing = Object.values(await library.ls(root));
    const clock = now();
    const live: Array<{ entry: cacache.EntryInfo; storedAt: number }> = [];
    const removals: Array<Promise<void>> = [];
    for (const entry of listing) {
      const metadata = parseMetadata(entry.metadata);
      if (metadata === undefined || metadata.expiresAt <= clock) removals.push(removeEntry(library, entry.key, entry.integrity));
      else live.push({ entry, storedAt: metadata.storedAt });
    }
    await Promise.all(removals);
    let bytes = live.reduce((sum, item) => sum + item.entry.size, 0);
    let evicted = 0;
    if (bytes > options.maxBytes) {
      live.sort((a, b) => a.storedAt - b.storedAt);
      const target = options.maxBytes * EVICT_TO;
      const stillReferenced = new Map<string, number>();
      for (const { entry } of live) stillReferenced.set(entry.integrity, (stillReferenced.get(entry.integrity) ?? 0) + 1);
      while (bytes > target && evicted < live.length) {
        const oldest = live[evicted];
        if (oldest === undefined) break;
        evicted += 1;
        bytes -= oldest.entry.size;
        const references = (stillReferenced.get(oldest.entry.integrity) ?? 1) - 1;
        stillReferenced.set(oldest.entry.integrity, references);
        await removeEntry(library, oldest.entry.key, references === 0 ? oldest.entry.integrity : undefined);
      }
      logger.debug('cache evicted oldest entries', { evicted, bytes, maxBytes: options.maxBytes });
    }
    disk = { entries: live.length - evicted, bytes };
    lastScanAt = now();
    if (evicted > 0 || removals.length > 0) await verifyOccasionally(library);
  }

  // Reclaims content orphaned by processes killed between writing content and its index line.
  async function verifyOccasionally(library: Cacache): Promise<void> {
    const lastRun = await library.verify.lastRun(root).catch(() => undefined);
    // cacache stamps real time, so compare with the real clock, not the injected one.
    if (lastRun !== undefined && Date.now() - lastRun.getTime() < VERIFY_EVERY_MS) return;
    await library.verify(root);
  }

  async function getOrFetch<T>(
    key: string,
    fetch: () => Promise<T>,
    fetchOptions: { fresh?: boolean; ttlSeconds?: number; accept?: (value: T) => boolean } = {},
  ): Promise<FetchOutcome<T>> {
    const accept = fetchOptions.accept;
    const serves = (value: unknown) => accept === undefined || accept(value as T);
    const inFlight = flights.get(key);
    if (inFlight !== undefined) {
      const shared = await inFlight;
      // A fresh caller may share a fetch in progress but not a stored answer someone else read.
      if (!(fetchOptions.fresh && shared.fromStore) && serves(shared.value)) {
        hits += 1;
        return { value: shared.value as T, cached: true, ageSeconds: ageOf(shared.storedAt) };
      }
      return lead(key, fetch, fetchOptions.ttlSeconds, serves, true);
    }
    return lead(key, fetch, fetchOptions.ttlSeconds, serves, fetchOptions.fresh === true);
  }

  async function lead<T>(
    key: string,
    fetch: () => Promise<T>,
    ttlSeconds: number | undefined,
    serves: (value: unknown) => boolean,
    skipRead: boolean,
  ): Promise<FetchOutcome<T>> {
    // The flight covers the read as well as the fetch, so a caller arriving while the read is on
    // disk joins it instead of missing and fetching a second time.
    const flight = (async (): Promise<Shared> => {
      if (!skipRead) {
        const stored = await lookup(key);
        if (stored !== undefined && serves(stored.value)) return { value: stored.value, storedAt: stored.storedAt, fromStore: true };
      }
      const value = await fetch();
      const storedAt = now();
      await write(key, value, ttlSeconds);
      return { value, storedAt, fromStore: false };
    })();
    flights.set(key, flight);
    try {
      const shared = await flight;
      if (shared.fromStore) {
        hits += 1;
        return { value: shared.value as T, cached: true, ageSeconds: ageOf(shared.storedAt) };
      }
      misses += 1;
      return { value: shared.value as T, cached: false };
    } catch (error) {
      misses += 1;
      throw error;
    } finally {
      if (flights.get(key) === flight) flights.delete(key);
    }
  }

  async function flush(): Promise<void> {
    while (pending.size > 0) await Promise.allSettled([...pending]);
  }

  return {
    async get<T>(key: string): Promise<CacheHit<T> | undefined> {
      const stored = await lookup(key);
      if (stored === undefined) {
        if (mode !== 'off') misses += 1;
        return undefined;
      }
      hits += 1;
      return { value: stored.value as T, storedAt: stored.storedAt };
    },

    async set<T>(key: string, value: T, setOptions?: { ttlSeconds?: number }): Promise<void> {
      await write(key, value, setOptions?.ttlSeconds);
    },

    async delete(key: string): Promise<void> {
      memory.delete(key);
      if (mode !== 'persistent') return;
      const library = await load();
      const info = await library.get.info(root, key).catch(() => null);
      if (info === null) return;
      await track(removeEntry(library, key, info.integrity));
      if (disk !== undefined) disk = { entries: Math.max(0, disk.entries - 1), bytes: Math.max(0, disk.bytes - info.size) };
    },

    getOrFetch,

    async stats(): Promise<CacheStats> {
      if (mode === 'persistent' && disk === undefined) await scheduleMaintenance();
      const lookups = hits + misses;
      return {
        mode,
        memory: { entries: memory.size, bytes: memory.calculatedSize },
        ...(mode === 'persistent' && { persistent: disk ? { ...disk } : { entries: 0, bytes: 0 } }),
        hits,
        misses,
        hitRate: lookups === 0 ? 0 : hits / lookups,
      };
    },

    flush,

    async close(): Promise<void> {
      await flush();
      memory.clear();
    },
  };
}

function parseMetadata(metadata: unknown): EntryMetadata | undefined {
  if (typeof metadata !== 'object' || metadata === null) return undefined;
  const { storedAt, expiresAt } = metadata as Record<string, unknown>;
  if (typeof storedAt !== 'number' || typeof expiresAt !== 'number') return undefined;
  return { storedAt, expiresAt };
}

function errorCode(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') return error.code;
  if (error instanceof SyntaxError) return 'invalid_json';
  return error instanceof Error ? error.name : 'unknown';
}

/** Keys carry no secret, but the hash part is noise in a log line. */
function shortKey(key: string): string {
  const cut = key.lastIndexOf(':');
  return cut < 0 ? key.slice(0, 24) : `${key.slice(0, cut + 1)}${key.slice(cut + 1, cut + 13)}`;
}
