// The spend ledger and the budget guard in Redis, shared by every instance that points at it: the
// same contract as ledger.ts (src/ledger.ts documents it), with each check-and-hold one Lua script,
// so instances making paid calls at once never pass a daily budget by more than one estimate.
//
// Keys (P = prefix):  P:spend:{provider}:{unit}:{day}  spent that UTC day (float, kept 40 days)
//                     P:unit:{provider}                the unit the provider was last charged in
//                     P:holds:{provider}:{unit}        sorted set: hold id → lapses at (epoch ms)
//                     P:held:{provider}:{unit}         hash: hold id → estimate not yet spent
// A spend Redis could not take (unreachable) is kept in this process and written when it is back.

import { randomBytes } from 'node:crypto';
import { type Cost, type CostUnit, PROVIDER_NAMES, type ProviderName } from '../domain.js';
import { budgetRefusal, type Ledger, type Reservation } from '../ledger.js';
import type { Logger } from '../log.js';
import type { LazyRedis } from './connection.js';

const DAY_MS = 86_400_000;
const KEEP_SECONDS = 40 * 86_400;
const MAX_PLAUSIBLE_AMOUNT = 1e9;
const RETRY_MS = 2000;

/** Drop lapsed holds, then refuse or hold: returns {1|0, spent today, held}. */
const RESERVE = `
local now = tonumber(ARGV[1])
local estimate = tonumber(ARGV[2])
local budget = tonumber(ARGV[3])
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)) do redis.call('HDEL', KEYS[3], id) end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local spent = tonumber(redis.call('GET', KEYS[1]) or '0')
local held = 0
for _, value in ipairs(redis.call('HVALS', KEYS[3])) do held = held + tonumber(value) end
if budget >= 0 and spent + held + estimate > budget + 1e-9 then
  return {0, tostring(spent), tostring(held)}
end
redis.call('ZADD', KEYS[2], ARGV[5], ARGV[4])
redis.call('HSET', KEYS[3], ARGV[4], ARGV[2])
-- The keys live as long as their longest hold: a short call's hold must not expire a long one's.
local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')[2]
redis.call('PEXPIREAT', KEYS[2], last)
redis.call('PEXPIREAT', KEYS[3], last)
return {1, tostring(spent), tostring(held)}
`;

/** What live holds (lapse time after now) still hold: the same sum RESERVE checks, without dropping any. */
const HELD = `
local held = 0
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf')) do
  local value = redis.call('HGET', KEYS[2], id)
  if value then held = held + tonumber(value) end
end
return tostring(held)
`;

/** Record a spend and take it off its hold (if any): one step, so no reader sees it twice. */
const SPEND = `
redis.call('INCRBYFLOAT', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('SET', KEYS[3], ARGV[4])
if ARGV[2] ~= '' then
  local left = redis.call('HGET', KEYS[2], ARGV[2])
  if left then
    local rest = tonumber(left) - tonumber(ARGV[1])
    if rest < 0 then rest = 0 end
    redis.call('HSET', KEYS[2], ARGV[2], tostring(rest))
  end
end
return 1
`;

export interface RedisLedgerOptions {
  redis: LazyRedis;
  /** Key prefix (the connection's). */
  prefix?: string;
  logger: Logger;
  now?: () => number;
}

export function createRedisLedger(options: RedisLedgerOptions): Ledger {
  const { redis, logger } = options;
  const prefix = options.prefix ?? 'blg';
  const client = async () => (await redis.get()).client;
  const now = options.now ?? Date.now;
  const unwritten: Array<{ cost: Cost; hold?: string; at: number }> = [];
  let retry: NodeJS.Timeout | undefined;

  const day = (clock: number) => Math.floor(clock / DAY_MS);
  const spendKey = (provider: ProviderName, unit: CostUnit, dayIndex: number) => `${prefix}:spend:${provider}:${unit}:${dayIndex}`;
  const unitKey = (provider: ProviderName) => `${prefix}:unit:${provider}`;
  const holdsKey = (provider: ProviderName, unit: CostUnit) => `${prefix}:holds:${provider}:${unit}`;
  const heldKey = (provider: ProviderName, unit: CostUnit) => `${prefix}:held:${provider}:${unit}`;

  function plausible(cost: Cost): boolean {
    if (Number.isFinite(cost.amount) && cost.amount >= 0 && cost.amount <= MAX_PLAUSIBLE_AMOUNT) return true;
    logger.warn('ignored an implausible spend amount', { provider: cost.provider, amount: String(cost.amount) });
    return false;
  }

  async function writeSpend(cost: Cost, hold: string | undefined, at: number): Promise<void> {
    await (await client()).eval(SPEND, {
      keys: [spendKey(cost.provider, cost.unit, day(at)), heldKey(cost.provider, cost.unit), unitKey(cost.provider)],
      arguments: [String(cost.amount), hold ?? '', String(KEEP_SECONDS), cost.unit],
    });
  }

  function scheduleRetry(): void {
    if (retry !== undefined) return;
    retry = setTimeout(() => {
      retry = undefined;
      void drain();
    }, RETRY_MS);
    retry.unref();
  }

  async function drain(): Promise<void> {
    while (unwritten.length > 0) {
      const next = unwritten[0]!;
      try {
        await writeSpend(next.cost, next.hold, next.at);
        unwritten.shift();
      } catch {
        scheduleRetry();
        return;
      }
    }
  }

  /** Spend is never lost: what Redis cannot take now is kept and written when it is back. */
  async function spend(cost: Cost, hold?: string): Promise<void> {
    if (!(cost.amount > 0) || !plausible(cost)) return;
    const at = now();
    if (unwritten.length > 0) {
      unwritten.push({ cost, at, ...(hold !== undefined && { hold }) });
      await drain();
      return;
    }
    try {
      await writeSpend(cost, hold, at);
    } catch (error) {
      logger.warn('could not record spend in Redis yet; kept and retried', { provider: cost.provider, error: String(error) });
      unwritten.push({ cost, at, ...(hold !== undefined && { hold }) });
      scheduleRetry();
    }
  }

  /** Spend this process holds for lack of Redis, counted so the guard stays honest meanwhile. */
  function pending(provider: ProviderName, unit: CostUnit, dayIndex?: number): number {
    return unwritten
      .filter((entry) => entry.cost.provider === provider && entry.cost.unit === unit && (dayIndex === undefined || day(entry.at) === dayIndex))
      .reduce((sum, entry) => sum + entry.cost.amount, 0);
  }

  async function spent(provider: ProviderName, period: 'day' | 'month'): Promise<number> {
    const unit = (await (await client()).get(unitKey(provider))) as CostUnit | null;
    if (unit === null) return round(pending(provider, unwritten.find((entry) => entry.cost.provider === provider)?.cost.unit ?? 'credits'));
    const today = day(now());
    if (period === 'day') return round(Number((await (await client()).get(spendKey(provider, unit, today))) ?? 0) + pending(provider, unit, today));
    const first = new Date(now());
    first.setUTCDate(1);
    first.setUTCHours(0, 0, 0, 0);
    const keys: string[] = [];
    for (let index = day(first.getTime()); index <= today; index++) keys.push(spendKey(provider, unit, index));
    const values = await (await client()).mGet(keys);
    return round(values.reduce((sum: number, value) => sum + Number(value ?? 0), 0) + pending(provider, unit));
  }

  return {
    record: (cost) => spend(cost),
    spent,
    async summary() {
      const rows: Array<{ provider: ProviderName; unit: CostUnit; day: number; month: number }> = [];
      for (const provider of PROVIDER_NAMES) {
        const unit = (await (await client()).get(unitKey(provider))) as CostUnit | null;
        if (unit === null) continue;
        rows.push({ provider, unit, day: await spent(provider, 'day'), month: await spent(provider, 'month') });
      }
      return rows;
    },
    async held(provider: ProviderName, unit: CostUnit): Promise<number> {
      const held = await (await client()).eval(HELD, { keys: [holdsKey(provider, unit), heldKey(provider, unit)], arguments: [String(now())] });
      return round(Number(held));
    },
    async reserve(estimate: Cost, dailyBudget: number | undefined, until: number): Promise<Reservation> {
      const id = randomBytes(8).toString('hex');
      const budgeted = dailyBudget !== undefined && estimate.amount > 0;
      // Spend that could not be recorded is not spent: a paid call waits for Redis or refuses.
      if (estimate.amount > 0) await redis.get();
      if (budgeted) {
        // A budget that cannot be checked is not spent: Redis down refuses the call (eval throws).
        const today = day(now());
        const pendingToday = pending(estimate.provider, estimate.unit, today);
        const answer = (await (await client()).eval(RESERVE, {
          keys: [spendKey(estimate.provider, estimate.unit, today), holdsKey(estimate.provider, estimate.unit), heldKey(estimate.provider, estimate.unit)],
          arguments: [String(now()), String(estimate.amount + pendingToday), String(dailyBudget), id, String(until)],
        })) as [number, string, string];
        if (answer[0] !== 1) {
          throw budgetRefusal(estimate, Number(answer[1]) + pendingToday, Number(answer[2]), dailyBudget) ?? new Error('budget refused');
        }
        // The held figure includes pending spend; take it back off so the hold is the estimate alone.
        if (pendingToday > 0) await (await client()).hSet(heldKey(estimate.provider, estimate.unit), id, String(estimate.amount));
      }
      let spentSoFar = 0;
      let settled = false;
      return {
        get spent() {
          return spentSoFar;
        },
        spend: async (cost) => {
          spentSoFar += Number.isFinite(cost.amount) ? cost.amount : 0;
          await spend(cost, budgeted ? id : undefined);
        },
        settle: async () => {
          if (settled || !budgeted) return;
          settled = true;
          const redisClient = await client().catch(() => undefined);
          if (redisClient === undefined) return;
          await Promise.all([redisClient.zRem(holdsKey(estimate.provider, estimate.unit), id), redisClient.hDel(heldKey(estimate.provider, estimate.unit), id)]).catch(
            // The hold lapses by itself at `until`.
            () => undefined,
          );
        },
      };
    },
    async flush() {
      if (retry !== undefined) clearTimeout(retry);
      retry = undefined;
      await drain();
      if (unwritten.length > 0) logger.warn('spend not yet written to Redis at shutdown', { entries: unwritten.length });
    },
  };
}

function round(amount: number): number {
  return Math.round(amount * 1e6) / 1e6;
}
