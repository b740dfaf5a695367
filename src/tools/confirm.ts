// The spending confirmation as MCP speaks it: a one-field form (elicitation/create) for a client
// that declares form elicitation, and the validator the SDK checks that form's answer with.

import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { JsonSchemaType, jsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/types.js';
import { z } from 'zod';
import type { DryRun } from '../domain.js';
import type { CallOptions } from '../service/index.js';
import { formatCost } from '../summary/format.js';
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

/** One line per provider: what the call would cost, or that the cache already holds it. */
export function quoteLines(quote: DryRun): string[] {
  return quote.estimates.map(
    (entry) =>
      `${entry.provider}: ${entry.cached ? 'already cached, costs 0' : `~${formatCost(entry.estimate)}`} · spent today ${entry.spent_today}` +
      `${entry.held_today !== undefined ? ` (+${entry.held_today} held by calls running)` : ''}` +
      `${entry.daily_budget !== undefined ? ` of budget ${entry.daily_budget}` : ''}`,
  );
}

/** Add the form to a call's options when the client can show one; otherwise the quote is the answer. */
export function withConfirmation(server: McpServer, extra: Extra, options: CallOptions): CallOptions {
  if (!server.server.getClientCapabilities()?.elicitation?.form) return options;
  return {
    ...options,
    confirm: async (quote) => {
      const message = `This call is paid and above the confirmation threshold (${quote.confirm_above} per call):\n${quoteLines(quote).join('\n')}\nSpend it?`;
      const answer = await server.server.elicitInput(
        { mode: 'form', message, requestedSchema: CONFIRM_FORM as never },
        { signal: extra.signal, relatedRequestId: extra.requestId },
      );
      return answer.action === 'accept' && answer.content?.confirm === true;
    },
  };
}
