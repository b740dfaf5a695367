// Gap runs: run_id → the full ranked prospect set, kept so list_prospects can page it later
// (across restarts when persistent), without paying upstream again.

import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LRUCache } from 'lru-cache';
import type { GapRun, ProspectCheck } from './domain.js';
import { UsageError } from './errors.js';
import type { Logger } from './log.js';

export interface RunStore {
  save(run: GapRun): Promise<void>;
  /** Undefined when the run is unknown, expired or unreadable. */
  get(runId: string): Promise<GapRun | undefined>;
}

export interface RunStoreOptions {
  mode: 'persistent' | 'memory' | 'off';
  /** Persistent runs live under `${dir}/runs/`, created on the first save. */
  dir: string;
  ttlSeconds: number;
  logger: Logger;
  now?: () => number;
}

interface RunFile {
  savedAt: number;
  run: GapRun;
}

interface Held {
  run: GapRun;
  savedAt: number;
}

const RUN_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** Memory modes hold every run; persistent mode keeps only recently used ones in memory. */
const MEMORY_MODE_BYTES = 64 * 1024 * 1024;
const PERSISTENT_RECENT_BYTES = 16 * 1024 * 1024;
/** A temp file this old belongs to a writer that died; it is safe to remove. */
const STALE_TEMP_MS = 60 * 60 * 1000;

/** The only gate between a caller's run_id and a file path: nothing else ever reaches one. */
export function isValidRunId(value: string): boolean {
  return RUN_ID.test(value);
}

export function createRunStore(options: RunStoreOptions): RunStore {
  const now = options.now ?? Date.now;
  const { logger } = options;
  const persistent = options.mode === 'persistent';
  const ttlMs = Math.max(1, options.ttlSeconds) * 1000;
  const runsDir = join(options.dir, 'runs');
  const warned = new Set<string>();
  let swept = false;

  const held = new LRUCache<string, Held>({
    maxSize: persistent ? PERSISTENT_RECENT_BYTES : MEMORY_MODE_BYTES,
    ttl: ttlMs,
    perf: { now },
    ttlResolution: 0,
  });

  const fileOf = (runId: string) => join(runsDir, `${runId}.json`);
  const expired = (savedAt: number) => savedAt + ttlMs <= now();

  const warnOnce = (runId: string, message: string, fields: Record<string, unknown>) => {
    if (warned.has(runId)) return;
    warned.add(runId);
    logger.warn(message, { run_id: runId, ...fields });
  };

  async function writeAtomically(runId: string, json: string, savedAt: number): Promise<void> {
    await mkdir(runsDir, { recursive: true });
    const temporary = join(runsDir, `${runId}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      await writeFile(temporary, json, { flag: 'wx' });
      // The file's mtime is its save time on our clock, so the sweep needs no read to find expired runs.
      const seconds = savedAt / 1000;
      await utimes(temporary, seconds, seconds);
      await rename(temporary, fileOf(runId));
    } catch (error) {
      await rm(temporary, { force: true }).catch(() => undefined);
      throw error;
    }
  }

  /** Remove expired runs and abandoned temp files; once per process, in the background. */
  async function sweep(): Promise<void> {
    const names = await readdir(runsDir).catch(() => [] as string[]);
    const clock = now();
    for (const name of names) {
      const path = join(runsDir, name);
      const info = await stat(path).catch(() => undefined);
      if (info === undefined || !info.isFile()) continue;
      const stale = name.endsWith('.tmp') ? Date.now() - info.mtimeMs > STALE_TEMP_MS : info.mtimeMs + ttlMs <= clock;
      if (stale && (name.endsWith('.json') || name.endsWith('.tmp'))) await rm(path, { force: true }).catch(() => undefined);
    }
  }

  async function readRun(runId: string): Promise<{ held: Held; bytes: number } | undefined> {
    let text: string;
    try {
      text = await readFile(fileOf(runId), 'utf8');
    } catch (error) {
      const code = errorCode(error);
      if (code !== 'ENOENT') warnOnce(runId, 'could not read a stored run; treating it as unknown', { error: code });
      return undefined;
    }
    const parsed = parseRunFile(text);
    if (parsed === undefined || parsed.run.run_id !== runId) {
      warnOnce(runId, 'stored run is corrupt; removed and treated as unknown', {});
      await rm(fileOf(runId), { force: true }).catch(() => undefined);
      return undefined;
    }
    if (expired(parsed.savedAt)) {
      await rm(fileOf(runId), { force: true }).catch(() => undefined);
      return undefined;
    }
    return { held: parsed, bytes: Buffer.byteLength(text) };
  }

  return {
    async save(run: GapRun): Promise<void> {
      if (!isValidRunId(run.run_id)) {
        throw new UsageError('invalid_input', `run_id must match ${RUN_ID.source} (got a ${run.run_id.length}-character value).`);
      }
      const savedAt = now();
      const json = JSON.stringify({ savedAt, run } satisfies RunFile);
      const bytes = Buffer.byteLength(json);
      if (bytes <= held.maxSize) held.set(run.run_id, { run, savedAt }, { size: bytes });
      else logger.warn('run too large to hold in memory', { run_id: run.run_id, bytes });
      if (!persistent) return;
      try {
        await writeAtomically(run.run_id, json, savedAt);
      } catch (error) {
        // The run still serves this process from memory; only a restart would lose it.
        logger.warn('could not store run on disk; it is kept in memory only', { run_id: run.run_id, error: errorCode(error) });
      }
      if (!swept) {
        swept = true;
        void sweep().catch(() => undefined);
      }
    },

    async get(runId: string): Promise<GapRun | undefined> {
      if (!isValidRunId(runId)) return undefined;
      const inMemory = held.get(runId);
      if (inMemory !== undefined) {
        if (!expired(inMemory.savedAt)) return inMemory.run;
        held.delete(runId);
      }
      if (!persistent) return undefined;
      const fromDisk = await readRun(runId);
      if (fromDisk === undefined) return undefined;
      if (fromDisk.bytes <= held.maxSize) held.set(runId, fromDisk.held, { size: Math.max(1, fromDisk.bytes) });
      return fromDisk.held.run;
    },
  };
}

function parseRunFile(text: string): RunFile | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { savedAt, run } = value as Record<string, unknown>;
  if (typeof savedAt !== 'number' || typeof run !== 'object' || run === null) return undefined;
  const candidate = run as Partial<GapRun>;
  if (typeof candidate.run_id !== 'string' || !Array.isArray(candidate.prospects) || !Array.isArray(candidate.competitor_domains)) {
    return undefined;
  }
  return { savedAt, run: run as GapRun };
}

function errorCode(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') return error.code;
  return error instanceof Error ? error.name : 'unknown';
}

const updating = new Map<string, Promise<unknown>>();

/** Store check_prospects results into a run's prospects (verified, link_live, links_to_you, contact).
 *  Updates of one run are queued so two checks at once do not lose each other's results.
 *  Returns how many prospects of the run were updated (0 when the run is gone). */
export async function recordChecks(store: RunStore, runId: string, checks: readonly ProspectCheck[]): Promise<number> {
  const previous = updating.get(runId) ?? Promise.resolve();
  const next = previous.then(async () => {
    const run = await store.get(runId);
    if (run === undefined) return 0;
    const byDomain = new Map(checks.map((check) => [check.domain, check]));
    let updated = 0;
    const prospects = run.prospects.map((prospect) => {
      const check = byDomain.get(prospect.domain);
      if (check === undefined) return prospect;
      updated += 1;
      const { link_live: _l, links_to_you: _y, contact: _c, ...rest } = prospect;
      return {
        ...rest,
        verified: check.checked_at,
        ...(check.link_live !== undefined && { link_live: check.link_live }),
        ...(check.links_to_you !== undefined && { links_to_you: check.links_to_you }),
        ...((check.contact.emails?.length || check.contact.pages?.length) && { contact: check.contact }),
      };
    });
    if (updated > 0) await store.save({ ...run, prospects });
    return updated;
  });
  const settled = next.catch(() => 0);
  updating.set(runId, settled);
  void settled.then(() => {
    if (updating.get(runId) === settled) updating.delete(runId);
  });
  return next;
}
