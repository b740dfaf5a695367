// Cached answers carry the shape they were written in: after an upgrade changes a kind's shape, an
// entry an older version wrote is never served as current; the call is a miss that goes through the
// normal quote and confirmation, and the quote and the answer say why it is bought again.

import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type CacheOptions, createCache } from '../../src/cache/cache.js';
import { cacheKey } from '../../src/cache/key.js';
import { shapeOf } from '../../src/cache/shapes.js';
import { createLogger, silentLogger } from '../../src/log.js';
import { lazyRedis } from '../../src/redis/connection.js';
import { createRedisTier } from '../../src/redis/tier.js';
import { quoteLines } from '../../src/tools/confirm.js';
import { createFakeProvider, prospect } from '../helpers/fake-provider.js';
import { testRuntime } from '../helpers/runtime.js';
import { type RedisServer, startRedis } from '../redis/redis-server.js';
import { type FakeClock, fakeClock, makeTempDir, removeTempDir } from './helpers.js';

let dir: string;
let clock: FakeClock;
beforeEach(async () => {
  dir = await makeTempDir();
  clock = fakeClock();
});
afterEach(async () => {
  await removeTempDir(dir);
});

const key = cacheKey({ provider: 'localseodata', operation: 'gap', account: 'a', params: { target: 'me.com' } });

function make(shape: number, overrides: Partial<CacheOptions> = {}) {
  return createCache({
    mode: 'persistent',
    dir,
    ttlSeconds: 3600,
    maxBytes: 10 * 1024 * 1024,
    memoryBytes: 10 * 1024 * 1024,
    logger: silentLogger,
    now: clock.now,
    shapeOf: () => shape,
    ...overrides,
  });
}

/** Rewrite every entry file's header as `edit` says (the body, and so its checksum, stays). */
async function editHeaders(folder: string, edit: (header: Record<string, unknown>) => void): Promise<void> {
  const entries = join(folder, 'cache', 'entries-v1');
  for (const name of await readdir(entries)) {
    const data = await readFile(join(entries, name));
    const newline = data.indexOf(0x0a);
    const header = JSON.parse(data.subarray(0, newline).toString('utf8')) as Record<string, unknown>;
    edit(header);
    await writeFile(join(entries, name), Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`), data.subarray(newline + 1)]));
  }
}

describe('cache entries and their shape', () => {
  it('an entry written in an older shape is a miss after the upgrade, says so, and is replaced by the fetch', async () => {
    const before = make(1);
    await before.set(key, { prospects: ['old'] });
    await before.flush();
    const after = make(2);
    expect(await after.get(key)).toBeUndefined();
    expect(after.outdated(key)).toBe(true);
    let fetched = 0;
    const outcome = await after.getOrFetch(key, async () => ({ prospects: [`new ${++fetched}`] }));
    expect(outcome).toEqual({ value: { prospects: ['new 1'] }, cached: false, outdated: true });
    expect(after.outdated(key)).toBe(false);
    await after.flush();
    expect((await make(2).get(key))?.value).toEqual({ prospects: ['new 1'] });
    // A current entry is served as before, and says nothing.
    expect(await make(2).getOrFetch(key, async () => ({ prospects: ['never'] }))).toMatchObject({ cached: true, value: { prospects: ['new 1'] } });
  });

  it('entries written before shapes were recorded read as the first shape', async () => {
    await make(1).set(key, { prospects: ['kept'] });
    await editHeaders(dir, (header) => {
      delete header.shape;
    });
    expect((await make(1).get(key))?.value).toEqual({ prospects: ['kept'] });
    expect(await make(2).get(key)).toBeUndefined();
  });

  it('the memory tier is held to the same shape', async () => {
    let shape = 1;
    const cache = make(1, { mode: 'memory', shapeOf: () => shape });
    await cache.set(key, { prospects: ['old'] });
    shape = 2;
    expect(await cache.get(key)).toBeUndefined();
    expect(cache.outdated(key)).toBe(true);
  });

  it('names the shape by the key’s operation, or by provider and operation', () => {
    expect(shapeOf(key, { gap: 3 })).toBe(3);
    expect(shapeOf(key, { gap: 3, 'localseodata:gap': 4 })).toBe(4);
    expect(shapeOf(key, {})).toBe(1);
  });
});

describe('the Redis tier keeps the shape too', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('an entry another instance wrote in an older shape is not served', async () => {
    const logger = createLogger({ level: 'silent', secrets: [] });
    const handle = lazyRedis({ url: redis.url, prefix: 'shape-test', logger });
    const shared = createRedisTier(handle, logger, 'shape-test');
    // The real clock: Redis expires entries on its own.
    await make(1, { shared, now: Date.now }).set(key, { prospects: ['old'] });
    expect((await make(1, { shared, now: Date.now }).get(key))?.value).toEqual({ prospects: ['old'] });
    const after = make(2, { shared, now: Date.now });
    expect(await after.get(key)).toBeUndefined();
    expect(after.outdated(key)).toBe(true);
    await handle.close();
  });
});

describe('a paid answer cached by an older version', () => {
  it('is quoted as not cached and why, then bought again through the normal path with a note saying why', async () => {
    const paid = createFakeProvider('localseodata', { prospects: [prospect('chamber.org', ['a.com'])] });
    const first = testRuntime({}, { localseodata: paid }, dir);
    const input = { your_domain: 'me.com', competitor_domains: ['a.com'], provider: 'localseodata' as const };
    await first.service.gap(input);
    await first.close();
    expect(paid.calls.gap).toHaveLength(1);
    // What an older version wrote: every entry in a shape before the current one.
    await editHeaders(dir, (header) => {
      header.shape = 0;
    });

    const upgraded = testRuntime({}, { localseodata: paid }, dir);
    const quote = await upgraded.service.gap({ ...input, dry_run: true });
    expect(quote).toMatchObject({ dry_run: true, estimates: [{ provider: 'localseodata', cached: false, outdated: true, estimate: { amount: 10 } }] });
    expect(quoteLines(quote as never).join('\n')).toMatch(/cached answer is from an older version and cannot be read, so it is bought again/);
    const outcome = (await upgraded.service.gap(input)) as { notes?: string[]; cached?: boolean };
    expect(paid.calls.gap).toHaveLength(2);
    expect(outcome.notes?.join(' ')).toMatch(/stored by an older version of backlink-gap-mcp in a shape this one does not read, so Fake localseodata was asked again/);
    expect(await upgraded.ledger.spent('localseodata', 'day')).toBe(20);
    // Now current: the next ask is free and says nothing about versions.
    const again = (await upgraded.service.gap(input)) as { notes?: string[] };
    expect(paid.calls.gap).toHaveLength(2);
    expect(again.notes?.join(' ') ?? '').not.toMatch(/older version/);
    await upgraded.dispose();
  });

  it('a provider-side run an older version left pending is resumed, not created (and paid) again', async () => {
    const paid = createFakeProvider('localseodata');
    paid.gapAnswer = async (query) => ({
      prospects: [],
      total_prospects: 0,
      status: query.resume_provider_run_id === undefined ? ('pending' as const) : ('complete' as const),
      provider_run_id: 'run-7',
      cost: { amount: query.resume_provider_run_id === undefined ? 10 : 0, unit: 'credits' as const, provider: 'localseodata' as const },
    });
    const input = { your_domain: 'me.com', competitor_domains: ['a.com'], provider: 'localseodata' as const };
    const first = testRuntime({}, { localseodata: paid }, dir);
    await first.service.gap(input);
    await first.close();
    await editHeaders(dir, (header) => {
      header.shape = 0;
    });
    const upgraded = testRuntime({}, { localseodata: paid }, dir);
    await upgraded.service.gap(input);
    expect(paid.calls.gap.map((query) => query.resume_provider_run_id)).toEqual([undefined, 'run-7']);
    await upgraded.dispose();
  });
});
