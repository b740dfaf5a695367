// Long tool calls as MCP tasks (the SDK's experimental tasks API): a client that asks gets a task at
// once and reads tasks/get (status, progress), tasks/result (the answer); tasks/cancel aborts the
// upstream work. A client that does not ask gets the answer to its call exactly as from an
// ordinary tool: the same handler, run in the call, with no task made.

import type { CreateTaskRequestHandlerExtra, TaskRequestHandlerExtra } from '@modelcontextprotocol/sdk/experimental/tasks/interfaces.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolRequest, CallToolResult, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import type { ZodObject, ZodRawShape, z } from 'zod';
import type { CallOptions } from '../service/index.js';
import { withConfirmation, withTaskConfirmation } from './confirm.js';
import { callOptions, type Extra } from './result.js';
import type { RecordTaskStore } from './task-store.js';
import { DEFAULT_TTL_MS } from './task-store.js';

/** The capability a server with task tools declares. */
export const TASK_CAPABILITIES = { tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } } };

const POLL_INTERVAL_MS = 500;
/** A task's work may take this long (a OneClickSEO run polled to the end), within the task's TTL;
 *  a call without a task keeps BACKLINK_GAP_DEADLINE_MS, since its client is waiting. */
const TASK_DEADLINE_MS = 10 * 60_000;

type Work<Args> = (args: Args, options: CallOptions) => Promise<CallToolResult>;

interface TaskToolConfig<Shape extends ZodRawShape> {
  title: string;
  description: string;
  inputSchema: ZodObject<Shape>;
  outputSchema?: ZodObject<ZodRawShape>;
  annotations: ToolAnnotations;
  _meta?: Record<string, unknown>;
}

/**
 * Register a tool that runs as a task when the client asks (`execution.taskSupport: "optional"`).
 * `work` is the tool's handler body; its progress becomes the task's status message, and a spending
 * confirmation reaches the user through the task (input_required) when the client shows forms.
 */
export function registerTaskTool<Shape extends ZodRawShape>(
  server: McpServer,
  store: RecordTaskStore,
  name: string,
  config: TaskToolConfig<Shape>,
  work: Work<z.infer<ZodObject<Shape>>>,
): void {
  server.experimental.tasks.registerToolTask(
    name,
    { ...config, execution: { taskSupport: 'optional' } },
    {
      async createTask(args: unknown, extra: CreateTaskRequestHandlerExtra) {
        const task = await extra.taskStore.createTask({ ttl: extra.taskRequestedTtl ?? DEFAULT_TTL_MS, pollInterval: POLL_INTERVAL_MS });
        const controller = new AbortController();
        store.track(task.taskId, controller);
        const notify = callOptions(extra).progress;
        const options: CallOptions = {
          signal: controller.signal,
          deadline: Date.now() + Math.min(TASK_DEADLINE_MS, task.ttl ?? TASK_DEADLINE_MS),
          progress: (done, total, message) => {
            notify?.(done, total, message);
            const status = message ?? `${done}${total !== undefined ? ` of ${total}` : ''} done`;
            extra.taskStore.updateTaskStatus(task.taskId, 'working', status).catch(() => undefined);
          },
        };
        void work(args as z.infer<ZodObject<Shape>>, withTaskConfirmation(server, task.taskId, extra.taskStore, options)).then(
          // Refused when the task was cancelled meanwhile: the cancellation stands.
          (result) => extra.taskStore.storeTaskResult(task.taskId, result.isError ? 'failed' : 'completed', result).catch(() => undefined),
          () => undefined,
        );
        return { task };
      },
      async getTask(_args: unknown, extra: TaskRequestHandlerExtra) {
        return extra.taskStore.getTask(extra.taskId);
      },
      async getTaskResult(_args: unknown, extra: TaskRequestHandlerExtra) {
        return (await extra.taskStore.getTaskResult(extra.taskId)) as CallToolResult;
      },
    },
  );
  directPath(server).set(name, (args, extra) => work(args as z.infer<ZodObject<Shape>>, withConfirmation(server, extra, callOptions(extra))));
}

type Direct = (args: unknown, extra: Extra) => Promise<CallToolResult>;

/** The part of McpServer (SDK 1.x) the direct path goes through: none of it is public API. */
interface CallInternals {
  handleAutomaticTaskPolling(tool: unknown, request: CallToolRequest, extra: Extra): Promise<CallToolResult>;
  validateToolInput(tool: unknown, args: unknown, name: string): Promise<unknown>;
  validateToolOutput(tool: unknown, result: CallToolResult, name: string): Promise<void>;
}

const direct = new WeakMap<McpServer, Map<string, Direct>>();

/**
 * For a call without a task, the SDK makes a task anyway and polls it every pollInterval until it
 * ends ("automatic polling"): up to half a second more per call, and a task in tasks/list the client
 * never asked for. Such calls run the tool's handler in the call instead, with the same input and
 * output checks as an ordinary tool.
 */
function directPath(server: McpServer): Map<string, Direct> {
  let handlers = direct.get(server);
  if (handlers) return handlers;
  const known = new Map<string, Direct>();
  handlers = known;
  direct.set(server, known);
  const internals = server as unknown as CallInternals;
  const automatic = internals.handleAutomaticTaskPolling.bind(server);
  internals.handleAutomaticTaskPolling = async (tool, request, extra) => {
    const handler = known.get(request.params.name);
    if (handler === undefined) return automatic(tool, request, extra);
    const args = await internals.validateToolInput(tool, request.params.arguments, request.params.name);
    const result = await handler(args, extra);
    await internals.validateToolOutput(tool, result, request.params.name);
    return result;
  };
  return known;
}
