// The ledger in Redis across midnight and a month's end (UTC), on an injected clock: a call still
// running keeps its hold after the day or month turns, and its spend lands once, on the day it was billed.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cost } from '../../src/domain.js';
import { createLogger } from '../../src/log.js';
import { type LazyRedis, lazyRedis } from '../../src/redis/connection.js';
import { createRedisLedger } from '../../src/redis/ledger.js';
import { fakeClock } from '../cache/helpers.js';
import { type RedisServer, startRedis } from './redis-server.js';

let redis: RedisServer;
const handles: LazyRedis[] = [];
const logger = createLogger({ level: 'silent', secrets: [] });

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await Promise.all(handles.map((handle) => handle.close()));
  await redis?.stop();
});

function ledgerOn(prefix: string, now?: () => number) {
  const handle = lazyRedis({ url: redis.url, prefix, logger });
  handles.push(handle);
  return createRedisLedger({ redis: handle, prefix, logger, ...(now && { now }) });
}

const credits = (amount: number): Cost => ({ provider: 'localseodata', amount, unit: 'credits' });

describe('the Redis ledger across midnight and a month’s end', () => {
  // Redis expires hold keys on its own clock, so the injected clock runs ahead of it, not behind.
  it('a call that held before the month turned still holds after it, and each spend lands once', async () => {
    const clock = fakeClock(Date.UTC(2030, 0, 31, 23, 59, 30));
    const first = ledgerOn('month-turn', clock.now);
    const other = ledgerOn('month-turn', clock.now);
    const reservation = await first.reserve(credits(30), 40, clock.now() + 10 * 60_000);
    await reservation.spend(credits(5));
    expect(await other.spent('localseodata', 'day')).toBe(5);
    clock.set(Date.UTC(2030, 1, 1, 0, 0, 30));
    expect(await other.spent('localseodata', 'day')).toBe(0);
    expect(await other.held('localseodata', 'credits')).toBe(25);
    await expect(other.reserve(credits(20), 40, clock.now() + 60_000)).rejects.toThrow(/held by calls still running/);
    await reservation.spend(credits(10));
    expect(await other.held('localseodata', 'credits')).toBe(15);
    expect(await other.spent('localseodata', 'day')).toBe(10);
    expect(await other.spent('localseodata', 'month')).toBe(10);
    await reservation.settle();
    expect(await other.held('localseodata', 'credits')).toBe(0);
    await expect(other.reserve(credits(20), 40, clock.now() + 60_000)).resolves.toBeDefined();
    clock.set(Date.UTC(2030, 0, 31, 12, 0, 0));
    expect(await other.spent('localseodata', 'month')).toBe(5);
  });

  it('a short call’s hold does not end a longer call’s hold', async () => {
    const ledger = ledgerOn('short-and-long');
    const long = await ledger.reserve(credits(30), 100, Date.now() + 10 * 60_000);
    await ledger.reserve(credits(20), 100, Date.now() + 20);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await ledger.held('localseodata', 'credits')).toBe(30);
    await expect(ledger.reserve(credits(80), 100, Date.now() + 60_000)).rejects.toMatchObject({ code: 'budget_exceeded' });
    await long.settle();
    expect(await ledger.held('localseodata', 'credits')).toBe(0);
  });
});
