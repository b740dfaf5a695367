// Gap runs: run_id → the full ranked prospect set, kept so list_prospects can page it later
// (across restarts when persistent), without paying upstream again. A run file starts with a small
// head (who, against whom, which provider) so stored runs can be listed without reading them whole.

import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import { type GapRun, PROVIDER_NAMES, type ProspectCheck } from './domain.js';
import { UsageError } from './errors.js';
import type { Logger } from './log.js';

export interface RunStore {
  save(run: GapRun): Promise<void>;
  /** Undefined when the run is unknown, expired or unreadable. */
  get(runId: string): Promise<GapRun | undefined>;
  /** Stored runs, most recent first (at most `max`). */
  list(max?: number): Promise<RunSummary[]>;
}

/** What a listing shows of a stored run. */
export interface RunSummary {
  run_id: string;
  your_domain: string;
  competitor_domains: string[];
  provider: GapRun['provider'];
  total_prospects: number;
  saved_at: string;
  age_seconds: number;
  /** Size of the stored run (its JSON) in bytes. */
  bytes: number;
}

export interface RunStoreOptions {
  mode: 'persistent' | 'memory' | 'off';
  /** Persistent runs live under `${dir}/runs/`, created on the first save. */
  dir: string;
  ttlSeconds: number;
  logger: Logger;
  now?: () => number;
}

export type RunHead = Pick<GapRun, 'run_id' | 'your_domain' | 'competitor_domains' | 'provider' | 'total_prospects'>;

interface RunFile {
  savedAt: number;
  head?: RunHead;
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
/** The head is written first; this many bytes always hold it (20 competitors of the longest names). */
const HEAD_BYTES = 8192;
const HEAD_END = ',"run":{';
const DEFAULT_LIST = 50;

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

  /** A stored run's head from the first bytes of its file (an older file without one is read whole). */
  async function readHead(runId: string): Promise<RunHead | undefined> {
    let text = '';
    try {
      const handle = await open(fileOf(runId), 'r');
      try {
        const buffer = Buffer.alloc(HEAD_BYTES);
        const { bytesRead } = await handle.read(buffer, 0, HEAD_BYTES, 0);
        text = buffer.subarray(0, bytesRead).toString('utf8');
      } finally {
        await handle.close();
      }
    } catch {
      return undefined;
    }
    const start = text.indexOf('"head":');
    const end = text.indexOf(HEAD_END);
    if (start >= 0 && end > start) {
      const head = headSchema.safeParse(parseJson(text.slice(start + '"head":'.length, end)));
      if (head.success) return head.data as RunHead;
    }
    const whole = await readRun(runId);
    return whole === undefined ? undefined : headOf(whole.held.run);
  }

  return {
    async save(run: GapRun): Promise<void> {
      if (!isValidRunId(run.run_id)) {
        throw new UsageError('invalid_input', `run_id must match ${RUN_ID.source} (got a ${run.run_id.length}-character value).`);
      }
      const savedAt = now();
      const json = JSON.stringify({ savedAt, head: headOf(run), run } satisfies RunFile);
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

    async list(max = DEFAULT_LIST): Promise<RunSummary[]> {
      const found = new Map<string, RunSummary>();
      const clock = now();
      const summary = (head: RunHead, savedAt: number, bytes: number): RunSummary => ({
        ...head,
        saved_at: new Date(savedAt).toISOString(),
        age_seconds: Math.max(0, Math.round((clock - savedAt) / 1000)),
        bytes,
      });
      for (const [runId, entry] of held.entries()) {
        if (!expired(entry.savedAt)) found.set(runId, summary(headOf(entry.run), entry.savedAt, held.info(runId)?.size ?? 0));
      }
      if (persistent) {
        const names = await readdir(runsDir).catch(() => [] as string[]);
        const files = await Promise.all(
          names
            .filter((name) => name.endsWith('.json') && isValidRunId(name.slice(0, -5)))
            .map(async (name) => ({ runId: name.slice(0, -5), info: await stat(join(runsDir, name)).catch(() => undefined) })),
        );
        // The file's mtime is its save time (see writeAtomically): the newest first, without reading them.
        const recent = files
          .filter((file) => file.info?.isFile() && !found.has(file.runId) && !expired(file.info.mtimeMs))
          .sort((left, right) => right.info!.mtimeMs - left.info!.mtimeMs)
          .slice(0, max);
        for (const { runId, info } of recent) {
          const head = await readHead(runId);
          if (head !== undefined) found.set(runId, summary(head, info!.mtimeMs, info!.size));
        }
      }
      return [...found.values()].sort((left, right) => left.age_seconds - right.age_seconds).slice(0, max);
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

const number = z.number().refine(Number.isFinite);
const strings = z.array(z.string());
const headSchema = z.object({
  run_id: z.string(),
  your_domain: z.string(),
  competitor_domains: strings,
  provider: z.enum([...PROVIDER_NAMES, 'all']),
  total_prospects: number,
});
/** The members list_prospects, summaries and CSV read; a run lacking them (or holding the wrong
 *  type) is corrupt. Other members pass through unchecked. */
const prospectSchema = z.object({
  domain: z.string(),
  competitors: strings,
  competitor_overlap: number,
  score: number,
  tier: z.string(),
  category: z.string(),
  found_by: strings,
  authority: number.optional(),
  backlinks: number.optional(),
  dofollow_links: number.optional(),
  referring_domains: number.optional(),
  spam_score: number.optional(),
  dofollow: z.boolean().optional(),
  titles: strings.optional(),
  source_pages: strings.optional(),
  reasons: strings.optional(),
  by_competitor: z.record(z.string(), z.object({}).loose()).optional(),
  provider_metrics: z.record(z.string(), z.object({}).loose()).optional(),
});
const runSchema = headSchema.extend({
  min_competitors: number,
  limit: number,
  created_at: z.string(),
  prospects: z.array(prospectSchema),
  provider_run_id: z.string().optional(),
  status: z.enum(['complete', 'pending']).optional(),
  synthetic: z.boolean().optional(),
});

/** A run read from any store (a file here, Redis in redis/runs.ts), or undefined when it is not one. */
export function storedRunOf(value: unknown): GapRun | undefined {
  return runSchema.safeParse(value).success ? (value as GapRun) : undefined;
}

export function headOf(run: GapRun): RunHead {
  const { run_id, your_domain, competitor_domains, provider, total_prospects } = run;
  return { run_id, your_domain, competitor_domains, provider, total_prospects };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A run file, or undefined when it does not parse or its content is not a run (corrupt). */
function parseRunFile(text: string): RunFile | undefined {
  const value = parseJson(text);
  if (typeof value !== 'object' || value === null) return undefined;
  const { savedAt, run } = value as Record<string, unknown>;
  if (typeof savedAt !== 'number' || !Number.isFinite(savedAt)) return undefined;
  // Validated, but the stored object itself is returned: members the schema does not name are kept.
  if (!runSchema.safeParse(run).success) return undefined;
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
