// The spend ledger and budget guard: UTC days, months, several processes, torn writes, and refusals.

import { existsSync } from 'node:fs';
import { appendFile, mkdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCache } from '../src/cache/cache.js';
import { cacheKey } from '../src/cache/key.js';
import type { Cost } from '../src/domain.js';
import { UsageError } from '../src/errors.js';
import { checkBudget, createLedger, type LedgerOptions } from '../src/ledger.js';
import { silentLogger } from '../src/log.js';
import { createRunStore } from '../src/runs.js';
import {
  type FakeClock,
  fakeClock,
  filesContaining,
  makeTempDir,
  recordingLogger,
  removeTempDir,
  runTwoWriterProcesses,
} from './cache/helpers.js';

let dir: string;
let clock: FakeClock;

beforeEach(async () => {
  dir = await makeTempDir();
  clock = fakeClock(Date.UTC(2025, 0, 15, 23, 58, 0));
});
afterEach(async () => {
  await removeTempDir(dir);
});

function make(overrides: Partial<LedgerOptions> = {}) {
  return createLedger({ mode: 'persistent', dir, logger: silentLogger, now: clock.now, ...overrides });
}

const credits = (amount: number): Cost => ({ provider: 'localseodata', amount, unit: 'credits' });
const dollars = (amount: number): Cost => ({ provider: 'dataforseo', amount, unit: 'usd' });

describe('ledger', () => {
  for (const mode of ['persistent', 'memory'] as const) {
    it(`sums by UTC day and month, across midnight and month end (${mode})`, async () => {
      const ledger = make({ mode });
      await ledger.record(credits(10));
      await ledger.record(credits(10));
      expect(await ledger.spent('localseodata', 'day')).toBe(20);
      clock.advance(3 * 60_000); // 00:01 UTC on the 16th
      expect(await ledger.spent('localseodata', 'day')).toBe(0);
      expect(await ledger.spent('localseodata', 'month')).toBe(20);
      await ledger.record(credits(3));
      expect(await ledger.spent('localseodata', 'day')).toBe(3);
      expect(await ledger.spent('localseodata', 'month')).toBe(23);
      expect(await ledger.spent('dataforseo', 'month')).toBe(0);
      clock.set(Date.UTC(2025, 1, 1, 0, 0, 1)); // a new month
      expect(await ledger.spent('localseodata', 'month')).toBe(0);
    });
  }

  it('writes one JSON line per record to the month file and skips zero amounts (each line has an id, so a line written twice counts once)', async () => {
    const ledger = make();
    await ledger.record(credits(0));
    expect(existsSync(join(dir, 'ledger'))).toBe(false);
    await ledger.record(dollars(0.02003));
    const lines = (await readFile(join(dir, 'ledger', '2025-01.jsonl'), 'utf8')).trim().split('\n');
    expect(lines.map((line) => JSON.parse(line))).toEqual([{ t: clock.now(), id: expect.any(String), provider: 'dataforseo', amount: 0.02003, unit: 'usd' }]);
  });

  it('summarises each charged provider in its unit', async () => {
    const ledger = make();
    await ledger.record(dollars(0.05));
    await ledger.record(credits(10));
    clock.advance(3 * 60_000);
    await ledger.record(dollars(0.1));
    expect(await ledger.summary()).toEqual([
      { provider: 'localseodata', unit: 'credits', day: 0, month: 10 },
      { provider: 'dataforseo', unit: 'usd', day: 0.1, month: 0.15 },
    ]);
  });

  it('two ledgers on one dir see each other’s spend', async () => {
    const one = make();
    const two = make();
    await one.record(credits(10));
    expect(await two.spent('localseodata', 'day')).toBe(10);
    await two.record(credits(5));
    expect(await one.spent('localseodata', 'day')).toBe(15);
    expect(await two.spent('localseodata', 'day')).toBe(15);
    // Concurrent reads in one process do not count the same bytes twice.
    const reads = await Promise.all(Array.from({ length: 10 }, () => one.spent('localseodata', 'day')));
    expect(new Set(reads)).toEqual(new Set([15]));
  });

  it('two real processes recording at once lose no spend', async () => {
    await runTwoWriterProcesses(dir, 40);
    const ledger = make({ now: Date.now });
    expect(await ledger.spent('domdetailer', 'day')).toBe(2 * 40 * 3);
  });

  it('tolerates a torn last line, and a record appended after it', async () => {
    const ledger = make();
    await ledger.record(credits(10));
    const file = join(dir, 'ledger', '2025-01.jsonl');
    await appendFile(file, '{"t":1736985480000,"provider":"localseo');
    expect(await ledger.spent('localseodata', 'day')).toBe(10);
    await make().record(credits(4));
    expect(await ledger.spent('localseodata', 'day')).toBe(14);
    expect(await make().spent('localseodata', 'day')).toBe(14);
  });
});

describe('a full disk, damaged lines, a dead lock holder', () => {
  /** An append that fails like a full disk while `full` is set; with `torn`, it writes the first line before failing. */
  function fillingDisk() {
    const disk = { full: true, torn: false };
    const append = async (path: string, text: string) => {
      if (disk.full) {
        if (disk.torn) await appendFile(path, text.slice(0, text.indexOf('\n') + 1));
        throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
      }
      await appendFile(path, text);
    };
    return { disk, append };
  }

  for (const torn of [false, true]) {
    it(`keeps spend it could not write and writes it when space returns${torn ? ' (a write that failed half-way counts once)' : ''}`, async () => {
      const { disk, append } = fillingDisk();
      disk.torn = torn;
      const logger = recordingLogger();
      const ledger = make({ append, logger, retryMs: 60_000 });
      await ledger.record(credits(10));
      await ledger.record(credits(5));
      expect(await ledger.spent('localseodata', 'day')).toBe(15);
      expect(logger.lines.some((line) => /could not write the spend ledger/.test(line.message))).toBe(true);
      disk.full = false;
      await ledger.flush();
      // A restart sees the same budget as before it.
      expect(await make().spent('localseodata', 'day')).toBe(15);
      expect(await ledger.spent('localseodata', 'day')).toBe(15);
    });
  }

  it('retries on its own once space returns', async () => {
    const { disk, append } = fillingDisk();
    const ledger = make({ append, retryMs: 5 });
    await ledger.record(credits(7));
    disk.full = false;
    // The retry timer writes it; on a loaded machine that takes a while, so wait on the figure itself.
    await expect.poll(() => make().spent('localseodata', 'day'), { timeout: 10_000, interval: 20 }).toBe(7);
  });

  it('skips a line with an absurd amount (NaN, Infinity, 1e308, negative) with a warning', async () => {
    const ledger = make();
    await ledger.record(credits(10));
    const t = clock.now();
    await appendFile(
      join(dir, 'ledger', '2025-01.jsonl'),
      [NaN, 'Infinity', '-Infinity', 1e308, -5]
        .map((amount) => `{"t":${t},"provider":"localseodata","amount":${amount},"unit":"credits"}\n`)
        .join(''),
    );
    const logger = recordingLogger();
    expect(await make({ logger }).spent('localseodata', 'day')).toBe(10);
    expect(logger.lines.filter((line) => /implausible amount/.test(line.message))).toHaveLength(1);
    // And a provider reporting one is not recorded.
    await ledger.record(credits(Number.NaN));
    await ledger.record(credits(1e308));
    expect(await make().spent('localseodata', 'day')).toBe(10);
  });

  it('breaks a lock left by a process that died, and one too old to be live', async () => {
    await mkdir(join(dir, 'ledger'), { recursive: true });
    const lock = join(dir, 'ledger', 'budget.lock');
    await writeFile(lock, `${(await import('node:os')).hostname()}\n999999999\n`);
    const ledger = make();
    const reservation = await ledger.reserve(credits(10), 50, clock.now() + 60_000);
    await reservation.spend(credits(10));
    await reservation.settle();
    await writeFile(lock, 'another-host\n1\n');
    await utimes(lock, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    await (await ledger.reserve(credits(10), 50, clock.now() + 60_000)).settle();
    expect(await ledger.spent('localseodata', 'day')).toBe(10);
    expect(existsSync(lock)).toBe(false);
  });

  it('says what calls still running hold, in every process on the dir, until they spend and settle', async () => {
    const first = make();
    const other = make();
    const reservation = await first.reserve(credits(30), 100, clock.now() + 60_000);
    expect(await other.held('localseodata', 'credits')).toBe(30);
    await reservation.spend(credits(10));
    expect(await other.held('localseodata', 'credits')).toBe(20);
    expect(await other.spent('localseodata', 'day')).toBe(10);
    await reservation.settle();
    expect(await other.held('localseodata', 'credits')).toBe(0);
    expect(await other.held('dataforseo', 'usd')).toBe(0);
  });

  it('a hold lapses when its call would long have ended (its process died)', async () => {
    await make().reserve(credits(40), 50, clock.now() + 60_000);
    await expect(make().reserve(credits(20), 50, clock.now() + 60_000)).rejects.toMatchObject({ code: 'budget_exceeded' });
    clock.advance(61_000);
    await expect(make().reserve(credits(20), 50, clock.now() + 60_000)).resolves.toBeDefined();
  });
});

describe('holds across midnight and a month’s end (UTC)', () => {
  for (const mode of ['persistent', 'memory'] as const) {
    it(`a call that held before the month turned still holds after it, until it spends and settles (${mode})`, async () => {
      clock.set(Date.UTC(2025, 0, 31, 23, 59, 30));
      const first = make({ mode });
      const other = mode === 'persistent' ? make() : first;
      const reservation = await first.reserve(credits(30), 40, clock.now() + 10 * 60_000);
      await reservation.spend(credits(5)); // billed on the 31st
      clock.set(Date.UTC(2025, 1, 1, 0, 0, 30));
      expect(await other.held('localseodata', 'credits')).toBe(25);
      // Today (1 Feb) has spent nothing, but 25 of the 40 are taken by the call still running.
      await expect(other.reserve(credits(20), 40, clock.now() + 60_000)).rejects.toThrow(/held by calls still running/);
      await reservation.spend(credits(10)); // billed on the 1st
      expect(await other.held('localseodata', 'credits')).toBe(15);
      expect(await other.spent('localseodata', 'day')).toBe(10);
      expect(await other.spent('localseodata', 'month')).toBe(10);
      await reservation.settle();
      expect(await other.held('localseodata', 'credits')).toBe(0);
      await expect(other.reserve(credits(20), 40, clock.now() + 60_000)).resolves.toBeDefined();
    });
  }

  it('each billed request lands once, in the month file of the moment it was billed', async () => {
    clock.set(Date.UTC(2025, 0, 31, 23, 59, 30));
    const ledger = make();
    const reservation = await ledger.reserve(credits(30), 100, clock.now() + 10 * 60_000);
    await reservation.spend(credits(5));
    clock.set(Date.UTC(2025, 1, 1, 0, 0, 30));
    await reservation.spend(credits(10));
    await reservation.settle();
    const amounts = async (month: string) =>
      (await readFile(join(dir, 'ledger', `${month}.jsonl`), 'utf8'))
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { amount?: number })
        .flatMap((line) => (line.amount === undefined ? [] : [line.amount]));
    expect(await amounts('2025-01')).toEqual([5]);
    expect(await amounts('2025-02')).toEqual([10]);
    expect(await make().summary()).toEqual([{ provider: 'localseodata', unit: 'credits', day: 10, month: 10 }]);
  });

  it('a hold made before midnight counts against the new day’s budget while its call runs', async () => {
    const ledger = make();
    await ledger.record(credits(20));
    const reservation = await ledger.reserve(credits(30), 60, clock.now() + 10 * 60_000);
    clock.advance(3 * 60_000); // 00:01 UTC on the 16th
    expect(await make().spent('localseodata', 'day')).toBe(0);
    expect(await make().held('localseodata', 'credits')).toBe(30);
    await expect(make().reserve(credits(40), 60, clock.now() + 60_000)).rejects.toMatchObject({ code: 'budget_exceeded' });
    await reservation.settle();
    await expect(make().reserve(credits(40), 60, clock.now() + 60_000)).resolves.toBeDefined();
  });
});

describe('checkBudget', () => {
  it('refuses a call that would pass the day’s budget, naming the variable to raise', async () => {
    const ledger = make();
    await ledger.record(dollars(2.41));
    const refusal = checkBudget(ledger, dollars(0.1), 2.5);
    await expect(refusal).rejects.toBeInstanceOf(UsageError);
    await expect(refusal).rejects.toMatchObject({ code: 'budget_exceeded' });
    await expect(refusal).rejects.toThrow(
      'DataForSEO daily budget would be exceeded: spent $2.41 of $2.50 today (UTC); this call is estimated at $0.10. Raise DATAFORSEO_DAILY_BUDGET',
    );
  });

  it('says the budget is reached once it is spent', async () => {
    const ledger = make();
    await ledger.record(dollars(2.5));
    await expect(checkBudget(ledger, dollars(0.05), 2.5)).rejects.toThrow(
      'DataForSEO daily budget reached: spent $2.50 of $2.50 today (UTC); this call is estimated at $0.05. Raise DATAFORSEO_DAILY_BUDGET or wait until 00:00 UTC.',
    );
  });

  it('prints credits and rows as numbers with their unit', async () => {
    const ledger = make();
    await ledger.record(credits(45));
    await expect(checkBudget(ledger, credits(10), 50)).rejects.toThrow(
      'LocalSEOData daily budget would be exceeded: spent 45 of 50 credits today (UTC); this call is estimated at 10 credits. Raise LOCALSEODATA_DAILY_BUDGET',
    );
    await ledger.record({ provider: 'moz', amount: 900, unit: 'rows' });
    await expect(checkBudget(ledger, { provider: 'moz', amount: 125, unit: 'rows' }, 1000)).rejects.toThrow(/spent 900 of 1000 rows.*125 rows\. Raise MOZ_DAILY_BUDGET/);
  });

  it('allows calls under or exactly at the budget, and never refuses without one', async () => {
    const ledger = make();
    await ledger.record(credits(40));
    await expect(checkBudget(ledger, credits(10), 50)).resolves.toBeUndefined();
    await expect(checkBudget(ledger, credits(1000), undefined)).resolves.toBeUndefined();
    await expect(checkBudget(ledger, credits(0), 1)).resolves.toBeUndefined();
  });

  it('starts a fresh budget at 00:00 UTC', async () => {
    const ledger = make();
    await ledger.record(credits(50));
    await expect(checkBudget(ledger, credits(10), 50)).rejects.toThrow(/LOCALSEODATA_DAILY_BUDGET/);
    clock.advance(3 * 60_000);
    await expect(checkBudget(ledger, credits(10), 50)).resolves.toBeUndefined();
  });
});

describe('secrets', () => {
  it('no file under the dir holds an account secret after cache, run and ledger writes', async () => {
    const secret = 'sk_live_SECRET';
    const cache = createCache({ mode: 'persistent', dir, ttlSeconds: 60, maxBytes: 1e6, memoryBytes: 1e6, logger: silentLogger, now: clock.now });
    const key = cacheKey({ provider: 'dataforseo', operation: 'gap', account: secret, params: { your_domain: 'me.com' } });
    await cache.getOrFetch(key, async () => ({ prospects: [] }));
    await cache.close();
    const runs = createRunStore({ mode: 'persistent', dir, ttlSeconds: 60, logger: silentLogger, now: clock.now });
    await runs.save({
      run_id: 'run_secretcheck',
      provider: 'dataforseo',
      your_domain: 'me.com',
      competitor_domains: ['rival.com'],
      min_competitors: 1,
      limit: 10,
      created_at: new Date(clock.now()).toISOString(),
      total_prospects: 0,
      prospects: [],
    });
    await make().record(dollars(0.02));
    expect(await filesContaining(dir, secret)).toEqual([]);
    expect(await filesContaining(dir, 'SECRET')).toEqual([]);
  });
});
