// MCP tasks' state between calls: what tasks/get, tasks/result and tasks/list read. Kept in this
// process by default; with BACKLINK_GAP_REDIS_URL in Redis (src/redis/tasks.ts), so any instance
// answers for a task another one started. Records are plain JSON; src/tools/task-store.ts is the
// SDK-facing store built on them.

const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

/** Whether a task status is final (no further change, result or cancellation). */
export function isTerminalStatus(status: string): boolean {
  return TERMINAL.has(status);
}

export interface TaskRecord {
  taskId: string;
  /** working, input_required, completed, failed or cancelled. */
  status: string;
  /** The MCP session that created the task; absent over stdio and stateless HTTP. */
  sessionId?: string;
  /** The task as tasks/get shows it. */
  task: Record<string, unknown>;
  /** What tasks/result answers, once the task completed or failed. */
  result?: Record<string, unknown>;
}

export type TaskUpdate = 'updated' | 'terminal' | 'missing';

export interface TaskRecords {
  /** True when other processes read and write the same records (a task may be cancelled elsewhere). */
  readonly shared: boolean;
  create(record: TaskRecord, ttlMs: number): Promise<void>;
  /** Undefined when unknown or expired. */
  get(taskId: string): Promise<TaskRecord | undefined>;
  /**
   * Replace the record of a task that has not ended, in one step (so a result stored on one instance
   * and a cancellation on another cannot both win): `terminal` when it already ended, `missing` when
   * it is unknown. `ttlMs` restarts its lifetime; without it the lifetime is kept.
   */
  update(record: TaskRecord, ttlMs?: number): Promise<TaskUpdate>;
  /** Every live task, oldest first. */
  list(): Promise<TaskRecord[]>;
}

/** Records in this process only (stdio, one HTTP instance). Expired ones are dropped as they are met. */
export function createMemoryTaskRecords(now: () => number = Date.now): TaskRecords {
  const held = new Map<string, { record: TaskRecord; expiresAt: number }>();
  const live = (taskId: string) => {
    const entry = held.get(taskId);
    if (entry && entry.expiresAt <= now()) {
      held.delete(taskId);
      return undefined;
    }
    return entry;
  };
  return {
    shared: false,
    async create(record, ttlMs) {
      for (const taskId of held.keys()) live(taskId);
      held.set(record.taskId, { record: structuredClone(record), expiresAt: now() + ttlMs });
    },
    async get(taskId) {
      const entry = live(taskId);
      return entry ? structuredClone(entry.record) : undefined;
    },
    async update(record, ttlMs) {
      const entry = live(record.taskId);
      if (!entry) return 'missing';
      if (isTerminalStatus(entry.record.status)) return 'terminal';
      held.set(record.taskId, { record: structuredClone(record), expiresAt: ttlMs === undefined ? entry.expiresAt : now() + ttlMs });
      return 'updated';
    },
    async list() {
      return [...held.keys()].flatMap((taskId) => {
        const entry = live(taskId);
        return entry ? [structuredClone(entry.record)] : [];
      });
    },
  };
}
