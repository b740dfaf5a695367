// The spending confirmation as MCP speaks it: a one-field form (elicitation/create) for a client
// that declares form elicitation, and the validator the SDK checks that form's answer with.

import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { RequestTaskStore } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { JsonSchemaType, jsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/types.js';
import { z } from 'zod';
import type { DryRun } from '../domain.js';
import type { CallOptions } from '../service/index.js';
import { amountText, estimateText } from '../summary/format.js';
import type { Extra } from './result.js';

export const confirmField = z.boolean().optional().describe('true: accept the quoted cost');

const CONFIRM_FORM = {
  type: 'object',
  properties: { confirm: { type: 'boolean', title: 'Spend it', description: 'Make the paid call at the quoted cost', default: false } },
  required: ['confirm'],
} as const;

const confirmAnswer = z.strictObject({ confirm: z.boolean() });

/** The SDK validates elicitation answers with this. The one form this server sends is checked by hand
 *  (zod), so no JSON Schema engine is built (the SDK's default is ajv, which the bundle leaves out). */
export const CONFIRM_FORM_VALIDATOR: jsonSchemaValidator = {
  getValidator<T>(schema: JsonSchemaType) {
    return (input: unknown) => {
      if (JSON.stringify(schema) !== JSON.stringify(CONFIRM_FORM)) {
        return { valid: false as const, data: undefined, errorMessage: 'backlink-gap-mcp only asks for the spending confirmation form' };
      }
      const parsed = confirmAnswer.safeParse(input);
      return parsed.success
        ? { valid: true as const, data: parsed.data as T, errorMessage: undefined }
        : { valid: false as const, data: undefined, errorMessage: 'expected {"confirm": true|false}' };
    };
  },
};

/** One line per provider: what the call would cost, or that the cache already holds it, and the day's
 *  spend, holds and budget in that provider's unit (a bare "0.06 of budget 2.5" reads as anything). */
export function quoteLines(quote: DryRun): string[] {
  return quote.estimates.map((entry) => {
    const unit = entry.estimate.unit;
    return (
      // formatCost names the provider too ("oneclickseo 7 credits"): the line already starts with it.
      `${entry.provider}: ${entry.cached ? 'already cached, costs 0' : estimateText(entry.estimate)}` +
      `${entry.outdated ? ' (the cached answer is from an older version and cannot be read, so it is bought again)' : ''} · spent today ${amountText(entry.spent_today, unit)}` +
      `${entry.held_today !== undefined ? ` (+${amountText(entry.held_today, unit)} held by calls running)` : ''}` +
      `${entry.daily_budget !== undefined ? ` of budget ${amountText(entry.daily_budget, unit)}` : ''}`
    );
  });
}

/** The confirmation threshold in the providers' unit when they share one ("$0.5"), else the bare number. */
export function thresholdText(quote: DryRun): string {
  const units = new Set(quote.estimates.map((entry) => entry.estimate.unit));
  const [unit] = units;
  const amount = quote.confirm_above ?? 0;
  return units.size === 1 && unit !== undefined && unit !== 'none' ? amountText(amount, unit) : `${amount} in each provider's unit`;
}

/** The user has this long to answer a form sent through a task (delivered when the client next calls tasks/result). */
const TASK_FORM_TIMEOUT_MS = 10 * 60_000;

const formMessage = (quote: DryRun) =>
  `This call is paid and above the confirmation threshold (${thresholdText(quote)} per call):\n${quoteLines(quote).join('\n')}\nSpend it?`;

const accepted = (answer: { action: string; content?: Record<string, unknown> }) => answer.action === 'accept' && answer.content?.confirm === true;

/** Add the form to a call's options when the client can show one; otherwise the quote is the answer. */
export function withConfirmation(server: McpServer, extra: Extra, options: CallOptions): CallOptions {
  if (!server.server.getClientCapabilities()?.elicitation?.form) return options;
  return {
    ...options,
    confirm: async (quote) =>
      accepted(
        await server.server.elicitInput(
          { mode: 'form', message: formMessage(quote), requestedSchema: CONFIRM_FORM as never },
          { signal: extra.signal, relatedRequestId: extra.requestId },
        ),
      ),
  };
}

/**
 * The same for a call running as a task: the form is queued on the task, which shows
 * input_required until the client's tasks/result delivers it and the answer comes back. A client
 * without forms (or a stateless instance, which never saw the client's capabilities) gets the quote
 * as the task's result, saying to repeat the call with confirm: true.
 */
export function withTaskConfirmation(server: McpServer, taskId: string, tasks: RequestTaskStore, options: CallOptions): CallOptions {
  if (!server.server.getClientCapabilities()?.elicitation?.form) return options;
  return {
    ...options,
    confirm: async (quote) => {
      await tasks.updateTaskStatus(taskId, 'input_required', 'Waiting for the user to accept the quoted cost');
      const answer = await server.server.elicitInput(
        { mode: 'form', message: formMessage(quote), requestedSchema: CONFIRM_FORM as never },
        { ...(options.signal && { signal: options.signal }), relatedTask: { taskId }, timeout: TASK_FORM_TIMEOUT_MS },
      );
      await tasks.updateTaskStatus(taskId, 'working', accepted(answer) ? 'Cost accepted' : 'Cost declined');
      return accepted(answer);
    },
  };
}
