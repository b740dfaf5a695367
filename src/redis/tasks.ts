// MCP tasks in Redis, shared by every instance: a task started through one instance is read
// (tasks/get, tasks/result, tasks/list) and cancelled through any other. Same contract as tasks.ts
// (TaskRecords); while Redis is unreachable new tasks are kept in this process.
//
// Keys (P = prefix):  P:task:{task_id}  JSON of the record     (expires with the task's TTL)
//                     P:tasks           sorted set: task_id → created at (epoch ms), for listings

import type { Logger } from '../log.js';
import type { TaskRecord, TaskRecords, TaskUpdate } from '../tasks.js';
import type { LazyRedis } from './connection.js';

/** Replace a record unless it ended: one step, so a result and a cancellation cannot both win. */
const UPDATE = `
local current = redis.call('GET', KEYS[1])
if not current then return 'missing' end
local status = cjson.decode(current).status
if status == 'completed' or status == 'failed' or status == 'cancelled' then return 'terminal' end
if ARGV[2] == '' then redis.call('SET', KEYS[1], ARGV[1], 'KEEPTTL') else redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end
return 'updated'
`;

export interface RedisTaskRecordsOptions {
  redis: LazyRedis;
  prefix?: string;
  logger: Logger;
  /** Where tasks go while Redis is unreachable (this process only). */
  fallback: TaskRecords;
}

export function createRedisTaskRecords(options: RedisTaskRecordsOptions): TaskRecords {
  const { redis, logger, fallback } = options;
  const prefix = options.prefix ?? 'blg';
  const taskKey = (taskId: string) => `${prefix}:task:${taskId}`;
  const listKey = `${prefix}:tasks`;
  const client = async () => (await redis.get()).client;
  let warned = false;
  const degrade = (error: unknown) => {
    if (!warned) logger.warn('tasks kept in this process while Redis is unreachable', { error: error instanceof Error ? error.message : String(error) });
    warned = true;
  };
  const parse = (text: string | null): TaskRecord | undefined => {
    if (text === null) return undefined;
    try {
      const record = JSON.parse(text) as TaskRecord;
      return typeof record.taskId === 'string' && typeof record.status === 'string' ? record : undefined;
    } catch {
      return undefined;
    }
  };

  return {
    shared: true,
    async create(record, ttlMs) {
      try {
        await (await client())
          .multi()
          .set(taskKey(record.taskId), JSON.stringify(record), { PX: ttlMs })
          .zAdd(listKey, { score: Date.now(), value: record.taskId })
          .exec();
      } catch (error) {
        degrade(error);
        await fallback.create(record, ttlMs);
      }
    },
    async get(taskId) {
      try {
        return parse(await (await client()).get(taskKey(taskId))) ?? (await fallback.get(taskId));
      } catch (error) {
        degrade(error);
        return fallback.get(taskId);
      }
    },
    async update(record, ttlMs): Promise<TaskUpdate> {
      const local = await fallback.update(record, ttlMs);
      if (local !== 'missing') return local;
      const answer = await (await client()).eval(UPDATE, {
        keys: [taskKey(record.taskId)],
        arguments: [JSON.stringify(record), ttlMs === undefined ? '' : String(Math.max(1, Math.round(ttlMs)))],
      });
      return answer === 'updated' || answer === 'terminal' ? answer : 'missing';
    },
    async list() {
      const local = await fallback.list();
      try {
        const connection = await client();
        const ids = await connection.zRange(listKey, 0, -1);
        if (ids.length === 0) return local;
        const texts = await connection.mGet(ids.map(taskKey));
        const lapsed = ids.filter((_, index) => texts[index] === null);
        if (lapsed.length > 0) await connection.zRem(listKey, lapsed);
        const shared = texts.flatMap((text) => parse(text ?? null) ?? []);
        return [...shared, ...local];
      } catch (error) {
        degrade(error);
        return local;
      }
    },
  };
}
