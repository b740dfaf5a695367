// The two-tier cache: single flight, freshness, acceptance, expiry, restarts, corruption, bounds and modes.

import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type CacheOptions, createCache } from '../../src/cache/cache.js';
import { cacheKey } from '../../src/cache/key.js';
import { silentLogger } from '../../src/log.js';
import {
  deferred,
  type FakeClock,
  fakeClock,
  filesContaining,
  makeTempDir,
  type RecordingLogger,
  recordingLogger,
  removeTempDir,
  runTwoWriterProcesses,
  runWriterProcesses,
} from './helpers.js';

let dir: string;
let clock: FakeClock;

beforeEach(async () => {
  dir = await makeTempDir();
  clock = fakeClock();
});
afterEach(async () => {
  await removeTempDir(dir);
});

function make(overrides: Partial<CacheOptions> = {}) {
  return createCache({
    mode: 'persistent',
    dir,
    ttlSeconds: 3600,
    maxBytes: 10 * 1024 * 1024,
    memoryBytes: 10 * 1024 * 1024,
    logger: silentLogger,
    now: clock.now,
    ...overrides,
  });
}

/** Where the persistent tier keeps a key's entry. */
function entryPath(key: string): string {
  return join(dir, 'cache', 'entries-v1', createHash('sha256').update(key).digest('hex'));
}

/** Bytes allocated on disk under a folder, its own and its sub-folders' included, as `du` counts them. */
async function occupiedBytes(folder: string): Promise<number> {
  const { readdir, stat } = await import('node:fs/promises');
  let total = (await stat(folder)).blocks * 512;
  for (const entry of await readdir(folder, { recursive: true, withFileTypes: true })) {
    total += (await stat(join(entry.parentPath, entry.name))).blocks * 512;
  }
  return total;
}

const neverFetch = async (): Promise<never> => {
  throw new Error('fetch must not be called');
};

describe('single flight', () => {
  for (const mode of ['persistent', 'memory', 'off'] as const) {
    it(`makes one fetch for 20 concurrent identical calls (${mode})`, async () => {
      const cache = make({ mode });
      const gate = deferred<{ rows: number[] }>();
      const fetch = vi.fn(() => gate.promise);
      const calls = Array.from({ length: 20 }, () => cache.getOrFetch('gap:k', fetch));
      // Let every caller reach the flight before the upstream answers.
      await new Promise((resolve) => setTimeout(resolve, 20));
      gate.resolve({ rows: [1, 2, 3] });
      const outcomes = await Promise.all(calls);
      expect(fetch).toHaveBeenCalledTimes(1);
      for (const outcome of outcomes) expect(outcome.value).toEqual({ rows: [1, 2, 3] });
      // Exactly one caller paid; the others were served without a fetch.
      expect(outcomes.filter((outcome) => !outcome.cached)).toHaveLength(1);
      await cache.close();
    });
  }

  it('shares a failure with everyone waiting, then lets a later call try again', async () => {
    const cache = make();
    const gate = deferred<number>();
    const fetch = vi.fn(() => gate.promise);
    const calls = Array.from({ length: 5 }, () => cache.getOrFetch('gap:fail', fetch));
    await new Promise((resolve) => setTimeout(resolve, 20));
    gate.reject(new Error('upstream down'));
    const settled = await Promise.allSettled(calls);
    expect(settled.every((result) => result.status === 'rejected')).toBe(true);
    expect(fetch).toHaveBeenCalledTimes(1);
    const retry = await cache.getOrFetch('gap:fail', async () => 7);
    expect(retry).toEqual({ value: 7, cached: false });
    await cache.close();
  });

  it('a joiner that does not accept the in-flight answer makes its own fetch', async () => {
    const cache = make();
    const small = deferred<{ limit: number }>();
    const first = cache.getOrFetch('gap:limit', () => small.promise);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const bigFetch = vi.fn(async () => ({ limit: 50 }));
    const second = cache.getOrFetch('gap:limit', bigFetch, { accept: (value) => value.limit >= 50 });
    small.resolve({ limit: 10 });
    expect((await first).value).toEqual({ limit: 10 });
    expect(await second).toEqual({ value: { limit: 50 }, cached: false });
    expect(bigFetch).toHaveBeenCalledTimes(1);
    expect((await cache.getOrFetch('gap:limit', neverFetch)).value).toEqual({ limit: 50 });
    await cache.close();
  });
});

describe('read-through', () => {
  it('serves a stored answer without fetching and reports its age', async () => {
    const cache = make();
    await cache.getOrFetch('k', async () => ({ a: 1 }));
    clock.advance(90_000);
    expect(await cache.getOrFetch('k', neverFetch)).toEqual({ value: { a: 1 }, cached: true, ageSeconds: 90 });
    const stats = await cache.stats();
    expect(stats.hits).toBe(1);
    expect(stats.misses).toBe(1);
    expect(stats.hitRate).toBe(0.5);
    await cache.close();
  });

  it('fresh bypasses the stored answer and replaces it', async () => {
    const cache = make();
    await cache.getOrFetch('k', async () => ({ version: 1 }));
    const refreshed = await cache.getOrFetch('k', async () => ({ version: 2 }), { fresh: true });
    expect(refreshed).toEqual({ value: { version: 2 }, cached: false });
    expect((await cache.getOrFetch('k', neverFetch)).value).toEqual({ version: 2 });
    await cache.close();
    // The refresh reached the disk too.
    const restarted = make();
    expect((await restarted.getOrFetch('k', neverFetch)).value).toEqual({ version: 2 });
    await restarted.close();
  });

  it('refetches when accept rejects a smaller cached answer, and the larger one then serves both', async () => {
    const cache = make();
    await cache.getOrFetch('k', async () => ({ limit: 10, rows: 10 }));
    const fetch = vi.fn(async () => ({ limit: 100, rows: 100 }));
    const bigger = await cache.getOrFetch('k', fetch, { accept: (value) => value.limit >= 100 });
    expect(bigger).toEqual({ value: { limit: 100, rows: 100 }, cached: false });
    const smaller = await cache.getOrFetch('k', neverFetch, { accept: (value: { limit: number }) => value.limit >= 10 });
    expect(smaller.cached).toBe(true);
    expect(smaller.value).toEqual({ limit: 100, rows: 100 });
    expect(fetch).toHaveBeenCalledTimes(1);
    await cache.close();
  });

  it('does not cache a failed fetch', async () => {
    const cache = make();
    await expect(cache.getOrFetch('k', async () => Promise.reject(new Error('402')))).rejects.toThrow('402');
    expect(await cache.get('k')).toBeUndefined();
    await cache.close();
  });
});

describe('expiry', () => {
  for (const mode of ['persistent', 'memory'] as const) {
    it(`expires entries on the injected clock (${mode})`, async () => {
      const cache = make({ mode, ttlSeconds: 60 });
      await cache.set('k', { v: 1 });
      clock.advance(59_000);
      expect((await cache.get('k'))?.value).toEqual({ v: 1 });
      clock.advance(2_000);
      expect(await cache.get('k')).toBeUndefined();
      const refetched = await cache.getOrFetch('k', async () => ({ v: 2 }));
      expect(refetched.cached).toBe(false);
      await cache.close();
    });
  }

  it('honours a per-entry TTL', async () => {
    const cache = make({ mode: 'memory', ttlSeconds: 3600 });
    await cache.set('short', 1, { ttlSeconds: 10 });
    await cache.set('long', 2);
    clock.advance(11_000);
    expect(await cache.get('short')).toBeUndefined();
    expect((await cache.get('long'))?.value).toBe(2);
  });

  it('treats an expired disk entry as a miss after a restart and removes it', async () => {
    const first = make({ ttlSeconds: 60 });
    await first.set('k', { v: 1 });
    await first.close();
    clock.advance(61_000);
    const second = make({ ttlSeconds: 60 });
    expect(await second.get('k')).toBeUndefined();
    await second.flush();
    expect(existsSync(entryPath('k'))).toBe(false);
    await second.close();
  });
});

describe('persistence', () => {
  it('a new cache on the same dir serves the entry without fetching', async () => {
    const first = make();
    const key = cacheKey({ provider: 'dataforseo', operation: 'gap', account: 'acct', params: { your_domain: 'a.com' } });
    await first.getOrFetch(key, async () => ({ prospects: ['x.com', 'y.com'] }));
    await first.close();
    clock.advance(5_000);
    const second = make();
    expect(await second.getOrFetch(key, neverFetch)).toEqual({ value: { prospects: ['x.com', 'y.com'] }, cached: true, ageSeconds: 5 });
    // Promoted to memory: the memory tier now holds it.
    expect((await second.stats()).memory.entries).toBe(1);
    await second.close();
  });

  it('does no disk I/O until the first write', async () => {
    const nested = join(dir, 'not-yet');
    const cache = make({ dir: nested });
    expect(existsSync(nested)).toBe(false);
    expect(await cache.get('k')).toBeUndefined();
    expect(existsSync(nested)).toBe(false);
    await cache.set('k', 1);
    expect(existsSync(join(nested, 'cache'))).toBe(true);
    await cache.close();
  });

  it('two caches on one dir (as two processes) writing at once do not corrupt each other', async () => {
    const one = make();
    const two = make();
    const payload = (writer: string, index: number) => ({ key: `k${index}`, writer, filler: 'x'.repeat(2000 + index) });
    await Promise.all(
      Array.from({ length: 30 }, (_, index) => [one.set(`k${index}`, payload('one', index)), two.set(`k${index}`, payload('two', index))]).flat(),
    );
    await Promise.all([one.close(), two.close()]);
    const reader = make();
    for (let index = 0; index < 30; index += 1) {
      const hit = await reader.get<{ key: string; writer: string; filler: string }>(`k${index}`);
      expect(hit?.value.key).toBe(`k${index}`);
      expect(['one', 'two']).toContain(hit?.value.writer);
      expect(hit?.value.filler).toHaveLength(2000 + index);
    }
    expect((await reader.stats()).misses).toBe(0);
    await reader.close();
  });

  it('one answer written again while another replaces it leaves a readable entry', async () => {
    const one = make();
    const two = make();
    const answer = (key: string, which: string) => ({ key, which, filler: 'a'.repeat(3000) });
    for (let index = 0; index < 20; index += 1) {
      const key = `k${index}`;
      await one.set(key, answer(key, 'x'));
      await Promise.all([two.set(key, answer(key, 'y')), one.set(key, answer(key, 'x'))]);
    }
    await Promise.all([one.close(), two.close()]);
    const reader = make();
    const unreadable: string[] = [];
    for (let index = 0; index < 20; index += 1) if ((await reader.get(`k${index}`)) === undefined) unreadable.push(`k${index}`);
    expect(unreadable).toEqual([]);
    await reader.close();
  });
});

describe('several processes', () => {
  it('two real processes writing one dir at once leave every entry intact', async () => {
    await runTwoWriterProcesses(dir, 40);
    const reader = make({ now: Date.now });
    for (let index = 0; index < 40; index += 1) {
      const hit = await reader.get<{ key: string; writer: string; filler: string }>(`shared:${index}`);
      expect(hit?.value.key).toBe(`shared:${index}`);
      expect(['one', 'two']).toContain(hit?.value.writer);
      expect(hit?.value.filler).toHaveLength(4000 + index);
    }
    await reader.close();
  });

  it('three real processes writing the same keys at once leave every key readable, none to pay again', async () => {
    await runWriterProcesses(dir, 20, ['one', 'two', 'three']);
    const reader = make({ now: Date.now });
    const unreadable: number[] = [];
    for (let index = 0; index < 20; index += 1) {
      const hit = await reader.get<{ key: string; answer: number; filler: string }>(`shared:${index}`);
      if (hit === undefined) {
        unreadable.push(index);
        continue;
      }
      expect(hit.value.key).toBe(`shared:${index}`);
      expect([0, 1, 2]).toContain(hit.value.answer);
      expect(hit.value.filler).toHaveLength(4000 + index);
    }
    expect(unreadable).toEqual([]);
    await reader.close();
  });
});

describe('corruption', () => {
  async function storeThenLocate(key: string): Promise<string> {
    const cache = make();
    await cache.set(key, { rows: Array.from({ length: 50 }, (_, index) => `row-${index}`) });
    await cache.close();
    const path = entryPath(key);
    if (!existsSync(path)) throw new Error('entry was not written');
    return path;
  }

  async function expectMissRemovedLoggedOnce(key: string, logger: RecordingLogger) {
    const cache = make({ logger });
    expect(await cache.get(key)).toBeUndefined();
    expect(await cache.get(key)).toBeUndefined();
    await cache.flush();
    expect(existsSync(entryPath(key))).toBe(false);
    expect(logger.lines.filter((line) => line.level === 'warn')).toHaveLength(1);
    // And the cache still works for that key.
    expect(await cache.getOrFetch(key, async () => ({ ok: true }))).toEqual({ value: { ok: true }, cached: false });
    await cache.close();
    const restarted = make();
    expect((await restarted.get(key))?.value).toEqual({ ok: true });
    await restarted.close();
  }

  it('a truncated content file is a miss, removed and logged once', async () => {
    const path = await storeThenLocate('truncated');
    await truncate(path, 10);
    await expectMissRemovedLoggedOnce('truncated', recordingLogger());
  });

  it('garbage in a content file is a miss, removed and logged once', async () => {
    const path = await storeThenLocate('garbage');
    const original = await readFile(path);
    const header = original.subarray(0, original.indexOf(0x0a) + 1);
    await writeFile(path, Buffer.concat([header, Buffer.alloc(original.length - header.length, 0x41)]));
    await expectMissRemovedLoggedOnce('garbage', recordingLogger());
  });

  it('an entry whose content is not JSON is a miss, removed and logged once', async () => {
    const now = clock.now();
    const body = Buffer.from('{"rows": [1, 2');
    const header = { key: 'not-json', storedAt: now, expiresAt: now + 60_000, bytes: body.length, sha256: createHash('sha256').update(body).digest('hex') };
    await mkdir(join(dir, 'cache', 'entries-v1'), { recursive: true });
    await writeFile(entryPath('not-json'), Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`), body]));
    await expectMissRemovedLoggedOnce('not-json', recordingLogger());
  });
});

describe('bounds', () => {
  it('evicts the oldest disk entries first when past maxBytes', async () => {
    const cache = make({ maxBytes: 100_000 });
    for (let index = 0; index < 12; index += 1) {
      await cache.set(`k${index}`, { index, filler: 'y'.repeat(9000) });
      clock.advance(1_000);
      await cache.flush();
    }
    await cache.close();
    const reader = make({ maxBytes: 100_000 });
    const present: number[] = [];
    for (let index = 0; index < 12; index += 1) if ((await reader.get(`k${index}`)) !== undefined) present.push(index);
    // What survives is a suffix: the newest entries, none older than an evicted one.
    expect(present.length).toBeGreaterThan(0);
    expect(present.length).toBeLessThan(12);
    expect(present).toEqual(Array.from({ length: present.length }, (_, offset) => 12 - present.length + offset));
    expect(present).toContain(11);
    const stats = await reader.stats();
    expect(stats.persistent?.bytes).toBeLessThanOrEqual(100_000);
    expect(stats.persistent?.entries).toBe(present.length);
    await reader.close();
  });

  it('keeps what the cache occupies on disk (files and folders) within maxBytes', async () => {
    const maxBytes = 1024 * 1024;
    const cache = make({ maxBytes });
    for (let batch = 0; batch < 8; batch += 1) {
      await Promise.all(Array.from({ length: 50 }, (_, index) => cache.set(`k${batch}:${index}`, { batch, index, filler: 'q'.repeat(5000) })));
      clock.advance(1_000);
    }
    await cache.flush();
    // 400 entries of ~5 kB would occupy ~3.2 MB; every byte under the cache folder counts, as du would.
    expect(await occupiedBytes(join(dir, 'cache'))).toBeLessThanOrEqual(maxBytes);
    // The newest entries are the ones kept.
    expect((await cache.get('k7:49'))?.value).toMatchObject({ batch: 7, index: 49 });
    await cache.close();
    const reader = make({ maxBytes });
    expect(await reader.get('k0:0')).toBeUndefined();
    expect((await reader.get('k7:0'))?.value).toMatchObject({ batch: 7, index: 0 });
    await reader.close();
  });

  it('bounds the memory tier by bytes, dropping the least recently used', async () => {
    const cache = make({ mode: 'memory', memoryBytes: 5_000 });
    for (let index = 0; index < 10; index += 1) await cache.set(`k${index}`, { index, filler: 'z'.repeat(980) });
    const stats = await cache.stats();
    expect(stats.memory.bytes).toBeLessThanOrEqual(5_000);
    expect(stats.memory.entries).toBeLessThan(10);
    expect(await cache.get('k0')).toBeUndefined();
    expect((await cache.get('k9'))?.value).toMatchObject({ index: 9 });
  });
});

describe('modes', () => {
  it('off stores nothing and touches no disk, yet still single-flights', async () => {
    const cache = make({ mode: 'off' });
    const fetch = vi.fn(async () => 1);
    await cache.getOrFetch('k', fetch);
    await cache.getOrFetch('k', fetch);
    expect(fetch).toHaveBeenCalledTimes(2);
    await cache.set('k', 2);
    expect(await cache.get('k')).toBeUndefined();
    expect(existsSync(join(dir, 'cache'))).toBe(false);
    expect((await cache.stats()).persistent).toBeUndefined();
  });

  it('memory serves hits but never writes to disk, and is empty after a restart', async () => {
    const cache = make({ mode: 'memory' });
    await cache.getOrFetch('k', async () => ({ v: 1 }));
    expect((await cache.getOrFetch('k', neverFetch)).cached).toBe(true);
    expect(existsSync(join(dir, 'cache'))).toBe(false);
    const restarted = make({ mode: 'memory' });
    expect(await restarted.get('k')).toBeUndefined();
  });

  it('delete removes an entry from both tiers', async () => {
    const cache = make();
    await cache.set('k', { v: 1 });
    await cache.delete('k');
    expect(await cache.get('k')).toBeUndefined();
    await cache.close();
    expect(await make().get('k')).toBeUndefined();
  });
});

describe('secrets', () => {
  it('an account secret never reaches a key or any file', async () => {
    const secret = 'sk_live_SECRET';
    const key = cacheKey({ provider: 'moz', operation: 'intersect', account: secret, params: { limit: 25 } });
    expect(key).not.toContain(secret);
    const cache = make();
    await cache.getOrFetch(key, async () => ({ rows: [1] }));
    await cache.close();
    expect(await filesContaining(dir, secret)).toEqual([]);
    expect(await filesContaining(dir, 'SECRET')).toEqual([]);
  });
});
