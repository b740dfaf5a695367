// What each provider charged, by UTC day, shared by every process on one cache dir, and the daily
// budget guard that refuses a paid call before it would pass the user's limit.

import { appendFile, mkdir, open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type Cost, type CostUnit, PROVIDER_NAMES, PROVIDER_TITLES, type ProviderName } from './domain.js';
import { UsageError } from './errors.js';
import type { Logger } from './log.js';

export interface Ledger {
  /** An amount of 0 is not recorded. */
  record(cost: Cost): Promise<void>;
  /** In the provider's unit; includes other processes' spend on the same dir. */
  spent(provider: ProviderName, period: 'day' | 'month'): Promise<number>;
  summary(): Promise<Array<{ provider: ProviderName; unit: CostUnit; day: number; month: number }>>;
}

export interface LedgerOptions {
  mode: 'persistent' | 'memory' | 'off';
  /** Persistent ledger files live under `${dir}/ledger/YYYY-MM.jsonl`. */
  dir: string;
  logger: Logger;
  now?: () => number;
}

/** One line of a ledger file. `t` comes first so a line torn mid-write can be told from the next. */
interface LedgerLine {
  t: number;
  provider: ProviderName;
  amount: number;
  unit: CostUnit;
}

const DAY_MS = 86_400_000;
const RECORD_START = '{"t":';
const KNOWN_PROVIDERS: ReadonlySet<string> = new Set(PROVIDER_NAMES);
const KNOWN_UNITS: ReadonlySet<string> = new Set(['credits', 'rows', 'usd', 'none']);

/** Spend of one calendar month (UTC), aggregated by provider, unit and day. */
class MonthTotals {
  /** `${provider}\t${unit}\t${dayIndex}` → amount. */
  private readonly amounts = new Map<string, number>();
  /** The unit a provider was last charged in: its current unit. */
  private readonly units = new Map<ProviderName, CostUnit>();

  add(line: LedgerLine): void {
    const key = `${line.provider}\t${line.unit}\t${Math.floor(line.t / DAY_MS)}`;
    this.amounts.set(key, (this.amounts.get(key) ?? 0) + line.amount);
    this.units.set(line.provider, line.unit);
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
}

export function createLedger(options: LedgerOptions): Ledger {
  const now = options.now ?? Date.now;
  const { logger } = options;
  const persistent = options.mode === 'persistent';
  const ledgerDir = join(options.dir, 'ledger');

  // Memory modes, and records a persistent ledger failed to write (still counted in this process).
  const unwritten = new Map<string, MonthTotals>();
  // Persistent mode: the parsed current month and how many bytes of its file are consumed.
  let file: { month: string; offset: number; totals: MonthTotals } | undefined;
  let madeDir = false;
  let refreshing: Promise<MonthTotals> = Promise.resolve(new MonthTotals());
  const warned = new Set<string>();

  const warnOnce = (problem: string, message: string, fields: Record<string, unknown>) => {
    if (warned.has(problem)) return;
    warned.add(problem);
    logger.warn(message, fields);
  };

  const unwrittenFor = (month: string): MonthTotals => {
    let totals = unwritten.get(month);
    if (totals === undefined) {
      totals = new MonthTotals();
      unwritten.set(month, totals);
    }
    return totals;
  };

  /** Read only the bytes appended since the last read; other processes' records arrive this way. */
  async function readAppended(month: string): Promise<MonthTotals> {
    if (file === undefined || file.month !== month) file = { month, offset: 0, totals: new MonthTotals() };
    const state = file;
    const path = join(ledgerDir, `${month}.jsonl`);
    const size = await stat(path).then(
      (info) => info.size,
      () => 0,
    );
    if (size < state.offset) {
      // The file was replaced or truncated by hand: start over rather than miscount.
      file = { month, offset: 0, totals: new MonthTotals() };
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
      const line = parseLine(text);
      if (line === undefined) warnOnce(`line:${month}`, 'ledger has an unreadable line; skipped', { file: path });
      else state.totals.add(line);
    }
    state.offset += end + 1;
    return state.totals;
  }

  /** Serialised so two concurrent readers in one process never count the same bytes twice. */
  function totalsFor(month: string): Promise<MonthTotals> {
    const next = refreshing.then(
      () => readAppended(month),
      () => readAppended(month),
    );
    refreshing = next.catch(() => new MonthTotals());
    return next;
  }

  async function monthTotals(month: string): Promise<MonthTotals[]> {
    const list: MonthTotals[] = [];
    if (persistent) {
      try {
        list.push(await totalsFor(month));
      } catch (error) {
        warnOnce(`read:${errorCode(error)}`, 'could not read the spend ledger; budgets count only this process', {
          error: errorCode(error),
        });
      }
    }
    const extra = unwritten.get(month);
    if (extra !== undefined) list.push(extra);
    return list;
  }

  async function spentOf(provider: ProviderName, period: 'day' | 'month', clock: number): Promise<number> {
    const day = period === 'day' ? Math.floor(clock / DAY_MS) : undefined;
    const list = await monthTotals(monthOf(clock));
    return roundAmount(list.reduce((sum, totals) => sum + totals.spent(provider, day), 0));
  }

  return {
    async record(cost: Cost): Promise<void> {
      if (!Number.isFinite(cost.amount) || cost.amount <= 0 || cost.unit === 'none') return;
      const line: LedgerLine = { t: now(), provider: cost.provider, amount: cost.amount, unit: cost.unit };
      const month = monthOf(line.t);
      if (!persistent) {
        unwrittenFor(month).add(line);
        return;
      }
      try {
        if (!madeDir) {
          await mkdir(ledgerDir, { recursive: true });
          madeDir = true;
        }
        // One small O_APPEND write per record: concurrent processes' lines never interleave.
        await appendFile(join(ledgerDir, `${month}.jsonl`), `${JSON.stringify(line)}\n`);
      } catch (error) {
        unwrittenFor(month).add(line);
        warnOnce(`write:${errorCode(error)}`, 'could not write the spend ledger; spend is counted in this process only', {
          error: errorCode(error),
        });
      }
    },

    spent(provider: ProviderName, period: 'day' | 'month'): Promise<number> {
      return spentOf(provider, period, now());
    },

    async summary() {
      const clock = now();
      const list = await monthTotals(monthOf(clock));
      const rows: Array<{ provider: ProviderName; unit: CostUnit; day: number; month: number }> = [];
      for (const provider of PROVIDER_NAMES) {
        const unit = list.map((totals) => totals.unitOf(provider)).find((found) => found !== undefined);
        if (unit === undefined) continue;
        rows.push({
          provider,
          unit,
          day: await spentOf(provider, 'day', clock),
          month: await spentOf(provider, 'month', clock),
        });
      }
      return rows;
    },
  };
}

/**
 * Refuse a paid call that would pass the day's budget. Throws UsageError('budget_exceeded') saying the
 * spend so far today, the estimate, the budget and the variable to raise. No budget set → never refuses.
 */
export async function checkBudget(ledger: Ledger, estimate: Cost, dailyBudget: number | undefined): Promise<void> {
  if (dailyBudget === undefined || !(estimate.amount > 0)) return;
  const spent = await ledger.spent(estimate.provider, 'day');
  // A hair of tolerance so float sums of prices do not refuse a call that lands exactly on the budget.
  if (spent + estimate.amount <= dailyBudget + 1e-9) return;
  const title = PROVIDER_TITLES[estimate.provider];
  const variable = `${estimate.provider.toUpperCase()}_DAILY_BUDGET`;
  const reached = spent >= dailyBudget - 1e-9;
  const { unit } = estimate;
  const spentText = unit === 'usd' ? `${formatAmount(spent, unit)} of ${formatAmount(dailyBudget, unit)}` : `${formatNumber(spent)} of ${formatAmount(dailyBudget, unit)}`;
  const advice = reached
    ? `Raise ${variable} or wait until 00:00 UTC.`
    : `Raise ${variable}, ask for less (a smaller limit costs less), or wait until 00:00 UTC.`;
  throw new UsageError(
    'budget_exceeded',
    `${title} daily budget ${reached ? 'reached' : 'would be exceeded'}: spent ${spentText} today (UTC); this call is estimated at ${formatAmount(estimate.amount, unit)}. ${advice}`,
  );
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

function roundAmount(amount: number): number {
  return Math.round(amount * 1e9) / 1e9;
}

/** A line, or the last record in it when a torn write from a dead process ran into the next record. */
function parseLine(text: string): LedgerLine | undefined {
  const direct = toLine(text);
  if (direct !== undefined) return direct;
  const start = text.lastIndexOf(RECORD_START);
  return start > 0 ? toLine(text.slice(start)) : undefined;
}

function toLine(text: string): LedgerLine | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { t, provider, amount, unit } = value as Record<string, unknown>;
  if (typeof t !== 'number' || typeof amount !== 'number' || !Number.isFinite(amount)) return undefined;
  if (typeof provider !== 'string' || !KNOWN_PROVIDERS.has(provider)) return undefined;
  if (typeof unit !== 'string' || !KNOWN_UNITS.has(unit)) return undefined;
  return { t, provider: provider as ProviderName, amount, unit: unit as CostUnit };
}

function errorCode(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') return error.code;
  return error instanceof Error ? error.name : 'unknown';
}
