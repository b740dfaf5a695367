// Two-tier cache for paid upstream answers: a byte-bounded memory LRU in front of one file per entry on disk,
// with read-through single flight so one question is paid for once, however often it is asked.

import { createHash, randomBytes } from 'node:crypto';
import { type FileHandle, mkdir, open, readdir, rename, rm, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { LRUCache } from 'lru-cache';
import type { Logger } from '../log.js';
import { FIRST_SHAPE, shapeOf } from './shapes.js';

export interface CacheOptions {
  mode: 'persistent' | 'memory' | 'off';
  /** The persistent tier lives under `${dir}/cache`, created on the first write. */
  dir: string;
  /** Default time to live of entries; 0 stores nothing (every read is a miss). */
  ttlSeconds: number;
  /** Persistent tier bound, in bytes occupied on disk (files and folders); the oldest entries are evicted past it. */
  maxBytes: number;
  /** Memory tier bound (serialised JSON bytes). */
  memoryBytes: number;
  logger: Logger;
  /** Epoch milliseconds; tests pass a fake clock. */
  now?: () => number;
  /** A persistent tier shared by several instances (Redis), used instead of the disk in persistent mode. */
  shared?: SharedTier;
  /** The shape a key's value is written in now (default: shapes.ts); tests pass another to play an upgrade. */
  shapeOf?: (key: string) => number;
}

/** An entry as a shared tier returns it. */
export interface TierEntry {
  value: unknown;
  storedAt: number;
  expiresAt: number;
  bytes: number;
  /** The shape it was written in (shapes.ts); absent: written before shapes were recorded. */
  shape?: number;
}

/** A persistent tier kept outside this process (src/redis/tier.ts). Failures are the tier's to absorb:
 *  a read it cannot make is a miss, a write it cannot make is dropped (with a warning). */
export interface SharedTier {
  read(key: string): Promise<TierEntry | undefined>;
  write(key: string, body: Buffer, storedAt: number, expiresAt: number, shape: number): Promise<void>;
  delete(key: string): Promise<void>;
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
  /** The fetch replaced an entry written in an older shape (shapes.ts), which was not served. */
  outdated?: true;
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
  /** `anyShape`: also an entry written in another shape (shapes.ts), for the few facts that outlive a
   *  shape, such as the id of a provider-side run already paid for; never to serve as an answer. */
  get<T>(key: string, options?: { anyShape?: boolean }): Promise<CacheHit<T> | undefined>;
  /** `get` without counting a hit or miss: a read the service makes for itself (a pending run id, a
   *  quote), so the hit rate counts the answers asked for, not the lookups behind one call. */
  peek<T>(key: string, options?: { anyShape?: boolean }): Promise<CacheHit<T> | undefined>;
  /** Count a hit for an entry read with `peek` that then answered the call. */
  countHit(): void;
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
  /** True when the last read of `key` found an entry written in another shape (not served, a miss). */
  outdated(key: string): boolean;
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
  shape: number;
}

/** What the leader of a flight hands to everyone waiting on it. */
interface Shared {
  value: unknown;
  storedAt: number;
  fromStore: boolean;
  outdated: boolean;
}

/** The first line of every entry file; the JSON body follows it. */
interface EntryHeader {
  key: string;
  storedAt: number;
  expiresAt: number;
  /** Body length in bytes and its sha256, so a torn or corrupt file is a miss, never a wrong answer. */
  bytes: number;
  sha256: string;
  /** The shape the body was written in (shapes.ts); absent in entries written before shapes were recorded. */
  shape?: number;
}

/** One file on disk as a scan saw it. */
interface ScannedFile {
  path: string;
  /** What the file occupies on disk (allocated blocks), not its length. */
  onDisk: number;
  modifiedAt: number;
}

/** Evict down to this share of maxBytes so a full cache does not evict on every write. */
const EVICT_TO = 0.9;
/** Re-scan the disk at most this often while writing, to see what other processes added. */
const RESCAN_AFTER_MS = 30 * 1000;
/** A temporary file older than this was left by a process that died mid-write. */
const ABANDONED_AFTER_MS = 10 * 60 * 1000;
/** Files stat'ed or removed per step of a scan; the event loop gets a turn between steps. */
const SCAN_BATCH = 64;
/** What a small file occupies at least, until a scan measures the real figure. */
const BLOCK = 4096;
/** Keys remembered as read outdated (for the quote to say why it is not cached); the oldest are forgotten. */
const OUTDATED_KEPT = 1_000;
/** Folders of the earlier layout (cacache's), removed by the first scan so they no longer hold space. */
const LEGACY = ['index-v5', 'content-v2', 'tmp', '_lastverified'];

export function createCache(options: CacheOptions): Cache {
  const now = options.now ?? Date.now;
  const { mode, logger } = options;
  const root = join(options.dir, 'cache');
  // One file per key, named by the key's hash, in one flat folder (no shard folders left behind
  // empty). A file is written in `incoming/` and renamed into place, which is atomic: writers in
  // several processes replace each other's entry whole, and a reader always sees one complete file.
  const entriesDir = join(root, 'entries-v1');
  const incomingDir = join(root, 'incoming');
  const defaultTtlMs = Math.max(0, options.ttlSeconds) * 1000;
  const currentShape = options.shapeOf ?? ((key: string) => shapeOf(key));
  const outdatedKeys = new Set<string>();

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

  // Disk bookkeeping: undefined until the first scan; adjusted by this process's own writes.
  let disk: { entries: number; bytes: number } | undefined;
  let lastScanAt = 0;
  let folders: Promise<void> | undefined;
  let maintaining: Promise<void> | undefined;
  let maintainAgain = false;

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
  const pathOf = (key: string) => join(entriesDir, createHash('sha256').update(key).digest('hex'));

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

  /** Remove the file read as `inode`, unless another process has since renamed a new entry over it. */
  async function removeIfUnchanged(path: string, inode: number): Promise<void> {
    const current = await stat(path).catch(() => undefined);
    if (current === undefined || current.ino !== inode) return;
    await unlink(path).catch(() => undefined);
    if (disk !== undefined) disk = { entries: Math.max(0, disk.entries - 1), bytes: Math.max(0, disk.bytes - current.blocks * 512) };
  }

  async function readShared(tier: SharedTier, key: string): Promise<Stored | undefined> {
    const entry = await tier.read(key);
    if (entry === undefined || entry.expiresAt <= now()) return undefined;
    const stored: Stored = { value: entry.value, storedAt: entry.storedAt, expiresAt: entry.expiresAt, bytes: entry.bytes, shape: entry.shape ?? FIRST_SHAPE };
    remember(key, stored);
    return stored;
  }

  async function readDisk(key: string): Promise<Stored | undefined> {
    if (options.shared) return readShared(options.shared, key);
    const path = pathOf(key);
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') {
        warnOnce(`open:${errorCode(error)}`, 'cache entry unreadable; treating as a miss', { key: shortKey(key), error: errorCode(error) });
      }
      return undefined;
    }
    let data: Buffer;
    let inode: number;
    try {
      inode = (await handle.stat()).ino;
      data = await handle.readFile();
    } finally {
      await handle.close().catch(() => undefined);
    }
    const parsed = parseEntry(data, key);
    if (typeof parsed === 'string') {
      if (!warnedKeys.has(key)) {
        warnedKeys.add(key);
        logger.warn('cache entry corrupt or unreadable; removed and treated as a miss', { key: shortKey(key), reason: parsed });
      }
      void track(removeIfUnchanged(path, inode));
      return undefined;
    }
    if (parsed.header.expiresAt <= now()) {
      void track(removeIfUnchanged(path, inode));
      return undefined;
    }
    const { storedAt, expiresAt, bytes, shape = FIRST_SHAPE } = parsed.header;
    const stored: Stored = { value: parsed.value, storedAt, expiresAt, bytes, shape };
    remember(key, stored);
    return stored;
  }

  /** A stored entry in the current shape; one in another shape is a miss, remembered as outdated. */
  async function lookup(key: string): Promise<Stored | undefined> {
    const stored = await lookupAnyShape(key);
    outdatedKeys.delete(key);
    if (stored === undefined || stored.shape === currentShape(key)) return stored;
    if (outdatedKeys.size >= OUTDATED_KEPT) outdatedKeys.delete(outdatedKeys.values().next().value as string);
    outdatedKeys.add(key);
    return undefined;
  }

  async function lookupAnyShape(key: string): Promise<Stored | undefined> {
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
    const shape = currentShape(key);
    outdatedKeys.delete(key);
    if (mode === 'memory') {
      remember(key, { value, storedAt, expiresAt, bytes: Buffer.byteLength(json), shape });
      return;
    }
    const body = Buffer.from(json);
    remember(key, { value, storedAt, expiresAt, bytes: body.length, shape });
    try {
      await track(writeDisk(key, body, storedAt, expiresAt, shape));
    } catch (error) {
      warnOnce(`write:${errorCode(error)}`, 'cache write failed; the answer is kept in memory only', {
        error: errorCode(error),
        dir: root,
      });
    }
  }

  function makeFolders(): Promise<void> {
    folders ??= Promise.all([mkdir(entriesDir, { recursive: true }), mkdir(incomingDir, { recursive: true })]).then(
      () => undefined,
      (error: unknown) => {
        folders = undefined;
        throw error;
      },
    );
    return folders;
  }

  async function writeDisk(key: string, body: Buffer, storedAt: number, expiresAt: number, shape: number): Promise<void> {
    if (options.shared) return options.shared.write(key, body, storedAt, expiresAt, shape);
    const header: EntryHeader = { key, storedAt, expiresAt, bytes: body.length, sha256: createHash('sha256').update(body).digest('hex'), shape };
    const data = Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`), body]);
    const path = pathOf(key);
    const temporary = join(incomingDir, `${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}`);
    await makeFolders();
    try {
      await writeFile(temporary, data);
    } catch (error) {
      // The cache folder was removed while this process ran: make it again, once.
      if (errorCode(error) !== 'ENOENT') throw error;
      folders = undefined;
      await makeFolders();
      await writeFile(temporary, data);
    }
    const previous = await stat(path).catch(() => undefined);
    try {
      await rename(temporary, path);
    } catch (error) {
      await unlink(temporary).catch(() => undefined);
      throw error;
    }
    // Eviction goes oldest first by modification time; make it the stored time, at a finer grain than
    // the file system's clock (and on the injected clock in tests).
    await utimes(path, new Date(), new Date(storedAt)).catch(() => undefined);
    if (disk !== undefined) {
      disk.bytes += roundUp(data.length) - (previous === undefined ? 0 : previous.blocks * 512);
      if (previous === undefined) disk.entries += 1;
    }
    if (disk === undefined || disk.bytes > options.maxBytes || now() - lastScanAt > RESCAN_AFTER_MS) void scheduleMaintenance();
  }

  function scheduleMaintenance(): Promise<void> {
    if (maintaining !== undefined) {
      maintainAgain = true;
      return maintaining;
    }
    const run = async () => {
      // Off the request path: the write that asked for this returns first.
      await new Promise((resolve) => setImmediate(resolve));
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

  /** Measure what the cache occupies on disk (files and folders) and evict the oldest entries past
   *  maxBytes, in small steps so that requests served meanwhile are not held up. Expired entries are
   *  removed when read, or evicted as the oldest. */
  async function maintain(): Promise<void> {
    lastScanAt = now();
    await Promise.all(LEGACY.map((name) => rm(join(root, name), { recursive: true, force: true })));
    const entries = await scanFolder(entriesDir);
    const incoming = await scanFolder(incomingDir);
    const abandonedBefore = Date.now() - ABANDONED_AFTER_MS;
    const abandoned = incoming.files.filter((file) => file.modifiedAt < abandonedBefore);
    await inBatches(abandoned, (file) => unlink(file.path).catch(() => undefined));
    const rootFolder = await stat(root).catch(() => undefined);
    const folderBytes = entries.folder + incoming.folder + (rootFolder === undefined ? 0 : rootFolder.blocks * 512);
    const sum = (files: ScannedFile[]) => files.reduce((total, file) => total + file.onDisk, 0);
    let bytes = folderBytes + sum(entries.files) + sum(incoming.files) - sum(abandoned);
    let evicted = 0;
    if (bytes > options.maxBytes) {
      const oldestFirst = [...entries.files].sort((a, b) => a.modifiedAt - b.modifiedAt);
      const target = options.maxBytes * EVICT_TO;
      const victims: ScannedFile[] = [];
      for (const file of oldestFirst) {
        if (bytes <= target) break;
        victims.push(file);
        bytes -= file.onDisk;
      }
      await inBatches(victims, (file) => unlink(file.path).catch(() => undefined));
      evicted = victims.length;
      logger.debug('cache evicted oldest entries', { evicted, bytes, maxBytes: options.maxBytes });
    }
    disk = { entries: entries.files.length - evicted, bytes };
  }

  async function scanFolder(folder: string): Promise<{ folder: number; files: ScannedFile[] }> {
    const names = await readdir(folder).catch(() => [] as string[]);
    const itself = await stat(folder).catch(() => undefined);
    const files: ScannedFile[] = [];
    await inBatches(names, async (name) => {
      const path = join(folder, name);
      const info = await stat(path).catch(() => undefined);
      if (info?.isFile()) files.push({ path, onDisk: info.blocks * 512, modifiedAt: info.mtimeMs });
    });
    return { folder: itself === undefined ? 0 : itself.blocks * 512, files };
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
      let outdated = false;
      if (!skipRead) {
        const stored = await lookup(key);
        if (stored !== undefined && serves(stored.value)) return { value: stored.value, storedAt: stored.storedAt, fromStore: true, outdated };
        outdated = stored === undefined && outdatedKeys.has(key);
      }
      const value = await fetch();
      const storedAt = now();
      await write(key, value, ttlSeconds);
      return { value, storedAt, fromStore: false, outdated };
    })();
    flights.set(key, flight);
    try {
      const shared = await flight;
      if (shared.fromStore) {
        hits += 1;
        return { value: shared.value as T, cached: true, ageSeconds: ageOf(shared.storedAt) };
      }
      misses += 1;
      return { value: shared.value as T, cached: false, ...(shared.outdated && { outdated: true as const }) };
    } catch (error) {
      misses += 1;
      throw error;
    } finally {
      if (flights.get(key) === flight) flights.delete(key);
    }
  }

  async function peek<T>(key: string, peekOptions?: { anyShape?: boolean }): Promise<CacheHit<T> | undefined> {
    const stored = peekOptions?.anyShape ? await lookupAnyShape(key) : await lookup(key);
    return stored === undefined ? undefined : { value: stored.value as T, storedAt: stored.storedAt };
  }

  async function flush(): Promise<void> {
    while (pending.size > 0) await Promise.allSettled([...pending]);
  }

  return {
    async get<T>(key: string, getOptions?: { anyShape?: boolean }): Promise<CacheHit<T> | undefined> {
      const hit = await peek<T>(key, getOptions);
      if (hit === undefined) {
        if (mode !== 'off') misses += 1;
        return undefined;
      }
      hits += 1;
      return hit;
    },

    peek,

    countHit: () => {
      hits += 1;
    },

    async set<T>(key: string, value: T, setOptions?: { ttlSeconds?: number }): Promise<void> {
      await write(key, value, setOptions?.ttlSeconds);
    },

    async delete(key: string): Promise<void> {
      memory.delete(key);
      if (mode !== 'persistent') return;
      if (options.shared) return track(options.shared.delete(key));
      const path = pathOf(key);
      const info = await stat(path).catch(() => undefined);
      if (info === undefined) return;
      await track(removeIfUnchanged(path, info.ino));
    },

    getOrFetch,

    outdated: (key) => outdatedKeys.has(key),

    async stats(): Promise<CacheStats> {
      if (mode === 'persistent' && disk === undefined && !options.shared) await scheduleMaintenance();
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

/** An entry file's header and value, or why it cannot be used. */
function parseEntry(data: Buffer, key: string): { header: EntryHeader; value: unknown } | string {
  const newline = data.indexOf(0x0a);
  if (newline < 0) return 'no header';
  let header: unknown;
  try {
    header = JSON.parse(data.subarray(0, newline).toString('utf8'));
  } catch {
    return 'header not JSON';
  }
  if (typeof header !== 'object' || header === null) return 'header not an object';
  const { key: storedKey, storedAt, expiresAt, bytes, sha256 } = header as Record<string, unknown>;
  if (typeof storedAt !== 'number' || typeof expiresAt !== 'number' || typeof bytes !== 'number' || typeof sha256 !== 'string') {
    return 'header incomplete';
  }
  // Two keys whose hashes collide would share a file: never answer one with the other.
  if (storedKey !== key) return 'another key';
  const body = data.subarray(newline + 1);
  if (body.length !== bytes) return 'truncated';
  if (createHash('sha256').update(body).digest('hex') !== sha256) return 'checksum mismatch';
  try {
    const { shape } = header as Record<string, unknown>;
    return {
      header: { key, storedAt, expiresAt, bytes, sha256, ...(typeof shape === 'number' && { shape }) },
      value: JSON.parse(body.toString('utf8')),
    };
  } catch {
    return 'invalid_json';
  }
}

/** Run `work` over `items` a batch at a time, giving the event loop a turn between batches. */
async function inBatches<T>(items: T[], work: (item: T) => Promise<unknown>): Promise<void> {
  for (let start = 0; start < items.length; start += SCAN_BATCH) {
    await Promise.all(items.slice(start, start + SCAN_BATCH).map(work));
    if (start + SCAN_BATCH < items.length) await new Promise((resolve) => setImmediate(resolve));
  }
}

function roundUp(bytes: number): number {
  return Math.ceil(bytes / BLOCK) * BLOCK;
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
