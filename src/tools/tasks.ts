// Long tool calls as MCP tasks (the SDK's experimental tasks API): a client that asks gets a task at
// once and reads tasks/get (status, progress), tasks/result (the answer); tasks/cancel aborts the
// upstream work. A client that does not ask gets the answer to its call, as before.

import { InMemoryTaskStore } from '@modelcontextprotocol/sdk/experimental/tasks/stores/in-memory.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult, Task, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import type { CreateTaskRequestHandlerExtra, TaskRequestHandlerExtra } from '@modelcontextprotocol/sdk/experimental/tasks/interfaces.js';
import type { ZodObject, ZodRawShape, z } from 'zod';
import type { CallOptions } from '../service/index.js';
import { callOptions } from './result.js';

/** The capability a server with task tools declares. */
export const TASK_CAPABILITIES = { tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } } };

const TASK_TTL_MS = 15 * 60_000;
const POLL_INTERVAL_MS = 500;

/** The in-memory store, plus one thing it lacks: marking a task cancelled aborts its work. */
export class CancellingTaskStore extends InMemoryTaskStore {
  private readonly running = new Map<string, AbortController>();

  track(taskId: string, controller: AbortController): void {
    this.running.set(taskId, controller);
  }

  override async updateTaskStatus(taskId: string, status: Task['status'], statusMessage?: string, sessionId?: string): Promise<void> {
    await super.updateTaskStatus(taskId, status, statusMessage, sessionId);
    if (status === 'cancelled') this.running.get(taskId)?.abort();
    if (status === 'cancelled' || status === 'completed' || status === 'failed') this.running.delete(taskId);
  }
}

/**
 * Register a tool that runs as a task when the client asks (`execution.taskSupport: "optional"`).
 * `work` is the tool's ordinary handler body; its progress becomes the task's status message.
 */
export function registerTaskTool<Shape extends ZodRawShape>(
  server: McpServer,
  store: CancellingTaskStore,
  name: string,
  config: { title: string; description: string; inputSchema: ZodObject<Shape>; annotations: ToolAnnotations; _meta?: Record<string, unknown> },
  work: (args: z.infer<ZodObject<Shape>>, options: CallOptions) => Promise<CallToolResult>,
): void {
  server.experimental.tasks.registerToolTask(
    name,
    { ...config, execution: { taskSupport: 'optional' } },
    {
      async createTask(args: unknown, extra: CreateTaskRequestHandlerExtra) {
        const task = await extra.taskStore.createTask({ ttl: extra.taskRequestedTtl ?? TASK_TTL_MS, pollInterval: POLL_INTERVAL_MS });
        const controller = new AbortController();
        store.track(task.taskId, controller);
        // A client without tasks waits on its own call: its cancellation stops the work too.
        extra.signal.addEventListener('abort', () => controller.abort(extra.signal.reason), { once: true });
        const notify = callOptions(extra).progress;
        const options: CallOptions = {
          signal: controller.signal,
          progress: (done, total, message) => {
            notify?.(done, total, message);
            const status = message ?? `${done}${total !== undefined ? ` of ${total}` : ''} done`;
            extra.taskStore.updateTaskStatus(task.taskId, 'working', status).catch(() => undefined);
          },
        };
        void work(args as z.infer<ZodObject<Shape>>, options).then(
          (result) => extra.taskStore.storeTaskResult(task.taskId, result.isError ? 'failed' : 'completed', result).catch(() => undefined),
          () => undefined,
        );
        return { task };
      },
      async getTask(_args: unknown, extra: TaskRequestHandlerExtra) {
        const task = await extra.taskStore.getTask(extra.taskId);
        if (!task) throw new Error(`Task ${extra.taskId} not found (expired after ${TASK_TTL_MS / 60_000} minutes?)`);
        return task;
      },
      async getTaskResult(_args: unknown, extra: TaskRequestHandlerExtra) {
        return (await extra.taskStore.getTaskResult(extra.taskId)) as CallToolResult;
      },
    },
  );
}
