// What each provider charged, by UTC day, shared by every process on one cache dir, and the daily
// budget guard: a call holds its estimate (a reservation) before it leaves, each billed request is
// recorded when its answer arrives, and the hold is released when the call ends.
//
// File format: one JSON line per event under `${dir}/ledger/YYYY-MM.jsonl`, appended with O_APPEND.
//   spend    {"t","id","provider","amount","unit","r"?}   r: the reservation it was spent against
//   hold     {"t","id","provider","unit","hold","until"}  an estimate held until released or `until`
//   release  {"t","id","provider","unit","release"}       the hold's unspent rest given back
// Every line written by this version carries an `id`, so a line written twice (a retry after a
// write that failed half-way on a full disk) is counted once. Lines without an id (older files)
// are always counted. Reservation is atomic across processes: a lock file around
// read-the-totals-then-append-the-hold (stale locks are broken when their owner is dead or old).

import { randomBytes } from 'node:crypto';
import { appendFile, mkdir, open, readFile, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { type Cost, type CostUnit, PROVIDER_NAMES, PROVIDER_TITLES, type ProviderName } from './domain.js';
import { UsageError } from './errors.js';
import type { Logger } from './log.js';

export interface Ledger {
  /** Record spend not made under a reservation. An amount of 0 is not recorded. */
  record(cost: Cost): Promise<void>;
  /** Recorded spend in the provider's unit; includes other processes' spend on the same dir. */
  spent(provider: ProviderName, period: 'day' | 'month'): Promise<number>;
  summary(): Promise<Array<{ provider: ProviderName; unit: CostUnit; day: number; month: number }>>;
  /** What calls still running (in any process sharing the ledger) hold against the day's budget in
   *  `unit`, beyond what they have spent: the part of the budget that is taken but not yet recorded. */
  held(provider: ProviderName, unit: CostUnit): Promise<number>;
  /**
   * Hold `estimate` against the day's budget before a paid call leaves: refuses with
   * UsageError('budget_exceeded') when today's spend, plus what calls in flight (in any process on
   * the dir) hold, plus the estimate would pass `dailyBudget`. The hold lapses at `until` (epoch ms)
   * if its process dies. No budget (or a free estimate) holds nothing and never refuses.
   */
  reserve(estimate: Cost, dailyBudget: number | undefined, until: number): Promise<Reservation>;
  /** Write what could not be written yet (a full disk); the runtime calls it on close. */
  flush(): Promise<void>;
}

/** An estimate held for one call. */
export interface Reservation {
  /** One billed request's cost: recorded in the ledger now, and taken off what is held. */
  spend(cost: Cost): Promise<void>;
  /** What has been spent through `spend`. */
  readonly spent: number;
  /** Release what is held and not spent. Safe to call more than once. */
  settle(): Promise<void>;
}

export interface LedgerOptions {
  mode: 'persistent' | 'memory' | 'off';
  /** Persistent ledger files live under `${dir}/ledger/YYYY-MM.jsonl`. */
  dir: string;
  logger: Logger;
  now?: () => number;
  /** How a line is appended; tests pass one that fails like a full disk. */
  append?: (path: string, text: string) => Promise<void>;
  /** How long a failed write waits before it is tried again (ms). */
  retryMs?: number;
}

/** One line of a ledger file. `t` comes first so a line torn mid-write can be told from the next. */
interface LedgerLine {
  t: number;
  id?: string;
  provider: ProviderName;
  unit: CostUnit;
  /** A spend. */
  amount?: number;
  /** The reservation a spend was made against. */
  r?: string;
  /** A reservation: the estimate held, and when the hold lapses. */
  hold?: number;
  until?: number;
  /** The reservation this line releases. */
  release?: string;
}

const DAY_MS = 86_400_000;
const RECORD_START = '{"t":';
const KNOWN_PROVIDERS: ReadonlySet<string> = new Set(PROVIDER_NAMES);
const KNOWN_UNITS: ReadonlySet<string> = new Set(['credits', 'rows', 'usd', 'none']);
/** No single request costs this much in any unit; a line claiming more is damage, not spend. */
const MAX_PLAUSIBLE_AMOUNT = 1e9;
/** A lock older than this belongs to a process that stopped inside a few-millisecond section. */
const STALE_LOCK_MS = 10_000;
const LOCK_FILE = 'budget.lock';

/** Spend and holds of one calendar month (UTC), aggregated by provider, unit and day. */
class MonthTotals {
  /** `${provider}\t${unit}\t${dayIndex}` → amount. */
  private readonly amounts = new Map<string, number>();
  /** The unit a provider was last charged in: its current unit. */
  private readonly units = new Map<ProviderName, CostUnit>();
  private readonly holds = new Map<string, { provider: ProviderName; unit: CostUnit; amount: number; until: number }>();
  private readonly spentAgainst = new Map<string, number>();
  private readonly released = new Set<string>();
  private readonly seen = new Set<string>();

  add(line: LedgerLine): void {
    if (line.id !== undefined) {
      if (this.seen.has(line.id)) return;
      this.seen.add(line.id);
    }
    if (line.amount !== undefined) {
      const key = `${line.provider}\t${line.unit}\t${Math.floor(line.t / DAY_MS)}`;
      this.amounts.set(key, (this.amounts.get(key) ?? 0) + line.amount);
      this.units.set(line.provider, line.unit);
      if (line.r !== undefined) this.spentAgainst.set(line.r, (this.spentAgainst.get(line.r) ?? 0) + line.amount);
    } else if (line.hold !== undefined && line.id !== undefined && !this.released.has(line.id)) {
      this.holds.set(line.id, { provider: line.provider, unit: line.unit, amount: line.hold, until: line.until ?? line.t });
      if (!this.units.has(line.provider)) this.units.set(line.provider, line.unit);
    } else if (line.release !== undefined) {
      this.released.add(line.release);
      this.holds.delete(line.release);
      this.spentAgainst.delete(line.release);
    }
  }

  unitOf(provider: ProviderName): CostUnit | undefined {
    return this.units.get(provider);
  }

  spent(provider: ProviderName, day: number | undefined): number {
    const unit = this.units.get(provider);
    if (unit === undefined) return 0;
    const prefix = `${provider}\t${unit}\t`;
    let total = 0;
    for (const [key, amount] of this.amounts) {
      if (!key.startsWith(prefix)) continue;
      if (day !== undefined && key !== `${prefix}${day}`) continue;
      total += amount;
    }
    return roundAmount(total);
  }

  /** Live holds of a provider in `unit` (lapsed ones are dropped): id → the estimate held. */
  liveHolds(provider: ProviderName, unit: CostUnit | undefined, clock: number): Array<[string, number]> {
    const live: Array<[string, number]> = [];
    for (const [id, hold] of this.holds) {
      if (hold.provider !== provider || hold.unit !== unit) continue;
      if (hold.until <= clock) {
        this.holds.delete(id);
        continue;
      }
      live.push([id, hold.amount]);
    }
    return live;
  }

  /** What this month's spend lines charged against a reservation. */
  spentAgainstOf(id: string): number {
    return this.spentAgainst.get(id) ?? 0;
  }

  isReleased(id: string): boolean {
    return this.released.has(id);
  }
}

/**
 * What live holds still hold beyond what was spent against them, over the months given (this one and
 * the one before): a call that held before midnight UTC at a month's end and is still running keeps
 * its hold after the month turns, and its spend and release land in the new month's file.
 */
function heldAcross(months: MonthTotals[], provider: ProviderName, unit: CostUnit | undefined, clock: number): number {
  let total = 0;
  for (const totals of months) {
    for (const [id, amount] of totals.liveHolds(provider, unit, clock)) {
      if (months.some((other) => other.isReleased(id))) continue;
      const spent = months.reduce((sum, other) => sum + other.spentAgainstOf(id), 0);
      total += Math.max(0, amount - spent);
    }
  }
  return roundAmount(total);
}

interface MonthState {
  /** Bytes of the month's file already counted (persistent mode). */
  offset: number;
  totals: MonthTotals;
}

export function createLedger(options: LedgerOptions): Ledger {
  const now = options.now ?? Date.now;
  const { logger } = options;
  const persistent = options.mode === 'persistent';
  const ledgerDir = join(options.dir, 'ledger');
  const append = options.append ?? ((path: string, text: string) => appendFile(path, text));
  const retryMs = options.retryMs ?? 2_000;
  const idPrefix = `${process.pid.toString(36)}${randomBytes(3).toString('hex')}`;
  let counter = 0;

  const months = new Map<string, MonthState>();
  /** Lines counted here but not yet on disk (a full disk, a read-only dir), oldest first. */
  const pending: Array<{ month: string; line: LedgerLine }> = [];
  let madeDir = false;
  let reading: Promise<unknown> = Promise.resolve();
  let writing: Promise<unknown> = Promise.resolve();
  let budgetQueue: Promise<unknown> = Promise.resolve();
  let retryTimer: NodeJS.Timeout | undefined;
  const warned = new Set<string>();

  const warnOnce = (problem: string, message: string, fields: Record<string, unknown>) => {
    if (warned.has(problem)) return;
    warned.add(problem);
    logger.warn(message, fields);
  };

  const nextId = () => `${idPrefix}${(counter++).toString(36)}`;

  const stateOf = (month: string): MonthState => {
    let state = months.get(month);
    if (state === undefined) {
      state = { offset: 0, totals: new MonthTotals() };
      months.set(month, state);
    }
    return state;
  };

  /** Read only the bytes appended since the last read; other processes' records arrive this way. */
  async function readAppended(month: string): Promise<MonthTotals> {
    const state = stateOf(month);
    const path = join(ledgerDir, `${month}.jsonl`);
    const size = await stat(path).then(
      (info) => info.size,
      () => 0,
    );
    if (size < state.offset) {
      // The file was replaced or truncated by hand: start over rather than miscount (what this
      // process has not written yet still counts).
      const fresh: MonthState = { offset: 0, totals: new MonthTotals() };
      for (const entry of pending) if (entry.month === month) fresh.totals.add(entry.line);
      months.set(month, fresh);
      return readAppended(month);
    }
    if (size === state.offset) return state.totals;
    const handle = await open(path, 'r');
    let chunk: Buffer;
    try {
      chunk = Buffer.alloc(size - state.offset);
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, state.offset);
      chunk = chunk.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
    // A last line without its newline is still being written (or was torn): leave it for next time.
    const end = chunk.lastIndexOf(0x0a);
    if (end < 0) return state.totals;
    for (const text of chunk.subarray(0, end).toString('utf8').split('\n')) {
      if (text.trim() === '') continue;
      const parsed = parseLine(text);
      if (parsed === 'implausible') {
        warnOnce(`amount:${month}`, 'ledger line with an implausible amount (NaN, infinite, negative or huge); skipped', { file: path });
      } else if (parsed === undefined) {
        warnOnce(`line:${month}`, 'ledger has an unreadable line; skipped', { file: path });
      } else state.totals.add(parsed);
    }
    state.offset += end + 1;
    return state.totals;
  }

  /** The month's totals, with what other processes appended; serialised so no bytes count twice. */
  async function totalsFor(month: string): Promise<MonthTotals> {
    if (!persistent) return stateOf(month).totals;
    const next = reading.then(
      () => readAppended(month),
      () => readAppended(month),
    );
    reading = next.catch(() => undefined);
    try {
      return await next;
    } catch (error) {
      warnOnce(`read:${errorCode(error)}`, 'could not read the spend ledger; budgets count only this process', { error: errorCode(error) });
      return stateOf(month).totals;
    }
  }

  /** Append every pending line, oldest first; what fails stays pending and is tried again later. */
  function drain(): Promise<void> {
    const next = writing.then(async () => {
      while (pending.length > 0) {
        const { month } = pending[0]!;
        const batch = pending.filter((entry) => entry.month === month);
        try {
          if (!madeDir) {
            await mkdir(ledgerDir, { recursive: true });
            madeDir = true;
          }
          // One O_APPEND write per batch: concurrent processes' lines never interleave.
          await append(join(ledgerDir, `${month}.jsonl`), batch.map((entry) => `${JSON.stringify(entry.line)}\n`).join(''));
        } catch (error) {
          warnOnce(`write:${errorCode(error)}`, 'could not write the spend ledger; spend is kept and written when the disk allows', {
            error: errorCode(error),
            pending: pending.length,
          });
          scheduleRetry();
          return;
        }
        for (const entry of batch) pending.splice(pending.indexOf(entry), 1);
      }
    });
    writing = next.catch(() => undefined);
    return next;
  }

  function scheduleRetry(): void {
    if (retryTimer !== undefined) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      void drain();
    }, retryMs);
    retryTimer.unref();
  }

  /** Count a line here at once, then put it on disk. */
  async function write(line: LedgerLine): Promise<void> {
    const month = monthOf(line.t);
    stateOf(month).totals.add(line);
    if (!persistent) return;
    pending.push({ month, line });
    await drain();
  }

  /** This month's totals, then the previous month's (where a hold still running may have been made). */
  async function holdingMonths(clock: number): Promise<MonthTotals[]> {
    return [await totalsFor(monthOf(clock)), await totalsFor(previousMonthOf(clock))];
  }

  async function spentOf(provider: ProviderName, period: 'day' | 'month', clock: number): Promise<number> {
    const totals = await totalsFor(monthOf(clock));
    return totals.spent(provider, period === 'day' ? Math.floor(clock / DAY_MS) : undefined);
  }

  function plausible(cost: Cost): boolean {
    if (typeof cost.amount === 'number' && Number.isFinite(cost.amount) && cost.amount >= 0 && cost.amount <= MAX_PLAUSIBLE_AMOUNT) return true;
    warnOnce(`record:${cost.provider}`, 'a provider reported an implausible cost; not recorded', { provider: cost.provider, amount: String(cost.amount) });
    return false;
  }

  function spendLine(cost: Cost, reservation?: string): LedgerLine {
    return {
      t: now(),
      id: nextId(),
      provider: cost.provider,
      amount: cost.amount,
      unit: cost.unit,
      ...(reservation !== undefined && { r: reservation }),
    };
  }

  /** In-process queue, then (persistent) the lock file shared with other processes. */
  function underBudgetLock<T>(section: () => Promise<T>): Promise<T> {
    const next = budgetQueue.then(async () => {
      const locked = persistent ? await acquireLock() : false;
      try {
        return await section();
      } finally {
        if (locked) await rm(join(ledgerDir, LOCK_FILE), { force: true }).catch(() => undefined);
      }
    });
    budgetQueue = next.catch(() => undefined);
    return next;
  }

  /** True once the lock is ours; false when the dir cannot hold one (then only this process is serialised). */
  async function acquireLock(): Promise<boolean> {
    const path = join(ledgerDir, LOCK_FILE);
    const owner = `${hostname()}\n${process.pid}\n`;
    for (let attempt = 0; ; attempt += 1) {
      try {
        if (!madeDir) {
          await mkdir(ledgerDir, { recursive: true });
          madeDir = true;
        }
        const handle = await open(path, 'wx');
        try {
          await handle.writeFile(owner);
        } finally {
          await handle.close();
        }
        return true;
      } catch (error) {
        if (errorCode(error) !== 'EEXIST') {
          warnOnce(`lock:${errorCode(error)}`, 'could not take the budget lock; reservations are serialised in this process only', {
            error: errorCode(error),
          });
          return false;
        }
      }
      if (await lockIsStale(path)) {
        await rm(path, { force: true }).catch(() => undefined);
        continue;
      }
      await sleep(Math.min(50, 2 + attempt) + Math.random() * 5);
    }
  }

  return {
    async record(cost: Cost): Promise<void> {
      if (cost.unit === 'none' || !plausible(cost) || cost.amount === 0) return;
      await write(spendLine(cost));
    },

    spent(provider: ProviderName, period: 'day' | 'month'): Promise<number> {
      return spentOf(provider, period, now());
    },

    async summary() {
      const clock = now();
      const totals = await totalsFor(monthOf(clock));
      const rows: Array<{ provider: ProviderName; unit: CostUnit; day: number; month: number }> = [];
      for (const provider of PROVIDER_NAMES) {
        const unit = totals.unitOf(provider);
        if (unit === undefined) continue;
        rows.push({ provider, unit, day: totals.spent(provider, Math.floor(clock / DAY_MS)), month: totals.spent(provider, undefined) });
      }
      return rows;
    },

    async held(provider: ProviderName, unit: CostUnit): Promise<number> {
      const clock = now();
      return heldAcross(await holdingMonths(clock), provider, unit, clock);
    },

    async reserve(estimate: Cost, dailyBudget: number | undefined, until: number): Promise<Reservation> {
      if (dailyBudget === undefined || !(estimate.amount > 0) || estimate.unit === 'none') return unheld(this);
      const holdId = await underBudgetLock(async () => {
        const clock = now();
        const [totals, ...before] = await holdingMonths(clock);
        const spent = totals!.spent(estimate.provider, Math.floor(clock / DAY_MS));
        const held = heldAcross([totals!, ...before], estimate.provider, estimate.unit, clock);
        const refusal = budgetRefusal(estimate, spent, held, dailyBudget);
        if (refusal) throw refusal;
        const line: LedgerLine = { t: clock, id: nextId(), provider: estimate.provider, unit: estimate.unit, hold: estimate.amount, until };
        await write(line);
        return line.id!;
      });
      let spentSoFar = 0;
      let settled = false;
      return {
        get spent() {
          return spentSoFar;
        },
        async spend(cost: Cost) {
          if (cost.unit === 'none' || !plausible(cost) || cost.amount === 0) return;
          spentSoFar += cost.amount;
          await write(spendLine(cost, holdId));
        },
        async settle() {
          if (settled) return;
          settled = true;
          await write({ t: now(), id: nextId(), provider: estimate.provider, unit: estimate.unit, release: holdId });
        },
      };
    },

    async flush(): Promise<void> {
      if (retryTimer !== undefined) {
        clearTimeout(retryTimer);
        retryTimer = undefined;
      }
      await drain();
    },
  };
}

/** A reservation that holds nothing: spend is recorded as it comes. */
function unheld(ledger: Pick<Ledger, 'record'>): Reservation {
  let spentSoFar = 0;
  return {
    get spent() {
      return spentSoFar;
    },
    async spend(cost: Cost) {
      spentSoFar += Number.isFinite(cost.amount) ? cost.amount : 0;
      await ledger.record(cost);
    },
    settle: async () => undefined,
  };
}

/**
 * Refuse a paid call that would pass the day's budget. Throws UsageError('budget_exceeded') saying the
 * spend so far today, the estimate, the budget and the variable to raise. No budget set → never refuses.
 */
export async function checkBudget(ledger: Ledger, estimate: Cost, dailyBudget: number | undefined): Promise<void> {
  if (dailyBudget === undefined || !(estimate.amount > 0)) return;
  const refusal = budgetRefusal(estimate, await ledger.spent(estimate.provider, 'day'), 0, dailyBudget);
  if (refusal) throw refusal;
}

export function budgetRefusal(estimate: Cost, spent: number, held: number, dailyBudget: number): UsageError | undefined {
  const committed = spent + held;
  // A hair of tolerance so float sums of prices do not refuse a call that lands exactly on the budget.
  if (committed + estimate.amount <= dailyBudget + 1e-9) return undefined;
  const title = PROVIDER_TITLES[estimate.provider];
  const variable = `${estimate.provider.toUpperCase()}_DAILY_BUDGET`;
  const reached = committed >= dailyBudget - 1e-9;
  const { unit } = estimate;
  const spentText = unit === 'usd' ? `${formatAmount(spent, unit)} of ${formatAmount(dailyBudget, unit)}` : `${formatNumber(spent)} of ${formatAmount(dailyBudget, unit)}`;
  const heldText = held > 0 ? ` (and ${formatAmount(held, unit)} held by calls still running)` : '';
  const advice = reached
    ? `Raise ${variable} or wait until 00:00 UTC.`
    : `Raise ${variable}, ask for less (a smaller limit costs less), or wait until 00:00 UTC.`;
  return new UsageError(
    'budget_exceeded',
    `${title} daily budget ${reached ? 'reached' : 'would be exceeded'}: spent ${spentText} today (UTC)${heldText}; this call is estimated at ${formatAmount(estimate.amount, unit)}. ${advice}`,
  );
}

/** A lock whose owner process is gone (same host), or older than any real critical section. */
async function lockIsStale(path: string): Promise<boolean> {
  const info = await stat(path).catch(() => undefined);
  if (info === undefined) return false;
  if (Date.now() - info.mtimeMs > STALE_LOCK_MS) return true;
  const text = await readFile(path, 'utf8').catch(() => '');
  const [host, pidText] = text.split('\n');
  const pid = Number(pidText);
  if (host !== hostname() || !Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return errorCode(error) === 'ESRCH';
  }
}

function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

function formatAmount(amount: number, unit: CostUnit): string {
  if (unit === 'usd') {
    // Per-row prices are fractions of a cent; show them rather than "$0.00".
    const text = amount === 0 || Math.abs(amount) >= 0.01 ? amount.toFixed(2) : trimZeros(amount.toFixed(6));
    return `$${text}`;
  }
  return unit === 'none' ? formatNumber(amount) : `${formatNumber(amount)} ${unit}`;
}

function formatNumber(amount: number): string {
  return Number.isInteger(amount) ? String(amount) : trimZeros(amount.toFixed(2));
}

function trimZeros(text: string): string {
  return text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text;
}

function monthOf(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 7);
}

function previousMonthOf(epochMs: number): string {
  const date = new Date(epochMs);
  return monthOf(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 0));
}

function roundAmount(amount: number): number {
  return Math.round(amount * 1e9) / 1e9;
}

/** A line, or the last record in it when a torn write from a dead process ran into the next record. */
function parseLine(text: string): LedgerLine | 'implausible' | undefined {
  const direct = toLine(text);
  if (direct !== undefined) return direct;
  const start = text.lastIndexOf(RECORD_START);
  return start > 0 ? toLine(text.slice(start)) : undefined;
}

const isAmount = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= MAX_PLAUSIBLE_AMOUNT;

function toLine(text: string): LedgerLine | 'implausible' | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // NaN and Infinity are not JSON: a hand-edited or damaged line holding them is implausible.
    return /"(?:amount|hold)":\s*-?(?:NaN|Infinity)/.test(text) ? 'implausible' : undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { t, id, provider, amount, unit, r, hold, until, release } = value as Record<string, unknown>;
  if (typeof t !== 'number' || !Number.isFinite(t)) return undefined;
  if (typeof provider !== 'string' || !KNOWN_PROVIDERS.has(provider)) return undefined;
  if (typeof unit !== 'string' || !KNOWN_UNITS.has(unit)) return undefined;
  const base = { t, provider: provider as ProviderName, unit: unit as CostUnit, ...(typeof id === 'string' && { id }) };
  if (amount !== undefined) {
    if (!isAmount(amount)) return 'implausible';
    return { ...base, amount, ...(typeof r === 'string' && { r }) };
  }
  if (hold !== undefined) {
    if (!isAmount(hold)) return 'implausible';
    if (typeof id !== 'string' || typeof until !== 'number') return undefined;
    return { ...base, hold, until };
  }
  if (typeof release === 'string') return { ...base, release };
  return undefined;
}

function errorCode(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') return error.code;
  return error instanceof Error ? error.name : 'unknown';
}
