// The SDK's TaskStore over this server's task records (src/tasks.ts: this process, or Redis), plus
// what the SDK's store lacks: a cancelled task aborts its work, here or (shared records) wherever
// it runs. One store per set of records, so every session and stateless request of a process
// sees the same tasks.

import { randomBytes } from 'node:crypto';
import type { CreateTaskOptions, TaskStore } from '@modelcontextprotocol/sdk/experimental/tasks/interfaces.js';
import type { Request, RequestId, Result, Task } from '@modelcontextprotocol/sdk/types.js';
import { isTerminalStatus, type TaskRecord, type TaskRecords } from '../tasks.js';

/** A task lives this long unless the client asks for less (or more, up to MAX_TTL_MS). */
export const DEFAULT_TTL_MS = 15 * 60_000;
const MAX_TTL_MS = 24 * 60 * 60_000;
const PAGE_SIZE = 20;
/** How often a process looks whether a task it runs was cancelled through another instance. */
const WATCH_MS = 1000;

export class RecordTaskStore implements TaskStore {
  private readonly running = new Map<string, AbortController>();
  private watcher: NodeJS.Timeout | undefined;

  constructor(private readonly records: TaskRecords) {}

  /** Abort `controller` when the task is cancelled; forget it when the task ends. */
  track(taskId: string, controller: AbortController): void {
    this.running.set(taskId, controller);
    if (this.records.shared && this.watcher === undefined) {
      this.watcher = setInterval(() => void this.watch(), WATCH_MS);
      this.watcher.unref();
    }
  }

  private async watch(): Promise<void> {
    for (const [taskId, controller] of this.running) {
      let record: TaskRecord | undefined;
      try {
        record = await this.records.get(taskId);
      } catch {
        continue; // Redis unreachable: look again next time.
      }
      if (record?.status === 'cancelled') controller.abort(new DOMException('The task was cancelled', 'AbortError'));
      if (record === undefined || isTerminalStatus(record.status)) this.running.delete(taskId);
    }
    if (this.running.size === 0 && this.watcher !== undefined) {
      clearInterval(this.watcher);
      this.watcher = undefined;
    }
  }

  private async lookup(taskId: string, sessionId: string | undefined): Promise<TaskRecord | undefined> {
    const record = await this.records.get(taskId);
    // A task made in one session is not another session's to read (none over stdio and stateless HTTP).
    if (record && sessionId !== undefined && record.sessionId !== undefined && record.sessionId !== sessionId) return undefined;
    return record;
  }

  async createTask(taskParams: CreateTaskOptions, _requestId: RequestId, _request: Request, sessionId?: string): Promise<Task> {
    const ttl = Math.min(MAX_TTL_MS, Math.max(1000, taskParams.ttl ?? DEFAULT_TTL_MS));
    const createdAt = new Date().toISOString();
    const task: Task = { taskId: randomBytes(16).toString('hex'), status: 'working', ttl, createdAt, lastUpdatedAt: createdAt, pollInterval: taskParams.pollInterval ?? 1000 };
    await this.records.create({ taskId: task.taskId, status: task.status, ...(sessionId !== undefined && { sessionId }), task }, ttl);
    return task;
  }

  async getTask(taskId: string, sessionId?: string): Promise<Task | null> {
    const record = await this.lookup(taskId, sessionId);
    return record ? (record.task as Task) : null;
  }

  async storeTaskResult(taskId: string, status: 'completed' | 'failed', result: Result, sessionId?: string): Promise<void> {
    const record = await this.lookup(taskId, sessionId);
    if (!record) throw new Error(`Task ${taskId} not found`);
    const task = { ...(record.task as Task), status, lastUpdatedAt: new Date().toISOString() };
    const outcome = await this.records.update({ ...record, status, task, result }, task.ttl ?? DEFAULT_TTL_MS);
    if (outcome !== 'updated') throw new Error(`Cannot store a result for task ${taskId}: it is ${outcome === 'terminal' ? 'already finished or cancelled' : 'gone'}`);
    this.running.delete(taskId);
  }

  async getTaskResult(taskId: string, sessionId?: string): Promise<Result> {
    const record = await this.lookup(taskId, sessionId);
    if (!record) throw new Error(`Task ${taskId} not found`);
    if (!record.result) throw new Error(`Task ${taskId} has no result (${record.status})`);
    return record.result as Result;
  }

  async updateTaskStatus(taskId: string, status: Task['status'], statusMessage?: string, sessionId?: string): Promise<void> {
    const record = await this.lookup(taskId, sessionId);
    if (!record) throw new Error(`Task ${taskId} not found`);
    const task: Task = { ...(record.task as Task), status, lastUpdatedAt: new Date().toISOString() };
    if (statusMessage) task.statusMessage = statusMessage;
    const outcome = await this.records.update({ ...record, status, task }, isTerminalStatus(status) ? (task.ttl ?? DEFAULT_TTL_MS) : undefined);
    if (outcome !== 'updated') throw new Error(`Cannot update task ${taskId}: it is ${outcome === 'terminal' ? 'already finished or cancelled' : 'gone'}`);
    if (status === 'cancelled') this.running.get(taskId)?.abort(new DOMException('The task was cancelled', 'AbortError'));
    if (isTerminalStatus(status)) this.running.delete(taskId);
  }

  async listTasks(cursor?: string, sessionId?: string): Promise<{ tasks: Task[]; nextCursor?: string }> {
    const visible = (await this.records.list()).filter((record) => sessionId === undefined || record.sessionId === undefined || record.sessionId === sessionId);
    const start = cursor === undefined ? 0 : visible.findIndex((record) => record.taskId === cursor) + 1;
    if (cursor !== undefined && start === 0) throw new Error(`Invalid cursor: ${cursor}`);
    const page = visible.slice(start, start + PAGE_SIZE);
    const last = page.at(-1);
    return { tasks: page.map((record) => record.task as Task), ...(start + PAGE_SIZE < visible.length && last && { nextCursor: last.taskId }) };
  }
}

const stores = new WeakMap<TaskRecords, RecordTaskStore>();

/** The one store of these records (every server of a process shares it, and so its cancellations). */
export function taskStoreFor(records: TaskRecords): RecordTaskStore {
  let store = stores.get(records);
  if (!store) {
    store = new RecordTaskStore(records);
    stores.set(records, store);
  }
  return store;
}
