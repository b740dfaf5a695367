// What every tool does around the service: progress, errors as isError results, compact output.

import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { CallToolResult, ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { CATEGORIES, type DryRun, PROVIDER_NAMES, ROUTES } from '../domain.js';
import { BacklinkGapError, describeError } from '../errors.js';
import type { Logger } from '../log.js';
import type { CallOptions } from '../service/index.js';
import { compact } from '../summary/format.js';
import { quoteLines, thresholdText } from './confirm.js';

export type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

// Parameter descriptions are sent on every tools/list: each tool's description says what its
// detailed format adds, so the shared fields stay terse.
export const providerField = z.enum(PROVIDER_NAMES).optional().describe('Default: the configured one');
export const formatField = z.enum(['concise', 'detailed']).default('concise');
export const freshField = z.boolean().optional().describe('true: bypass the cache (pays again)');
export const dryRunField = z.boolean().optional().describe('true: estimate the cost only, no call');

// The values are checked here (a pipe into the enum) but not spelled out in tools/list, where four
// enum lists in two tools would cost ~440 tokens; every result names the values in its route and
// category fields and facets, and a wrong value is refused with the list.
const categoryValue = z.string().pipe(z.enum(CATEGORIES));
const routeValue = z.string().pipe(z.enum(ROUTES));
/** Category and acquisition-route selection, the same in backlink_gap and list_prospects; only
 *  backlink_gap's spells out the routes (tools/list stays under its token budget). */
export function selectionFields(tool: 'backlink_gap' | 'list_prospects') {
  const gap = tool === 'backlink_gap';
  return {
    category: z.array(categoryValue).optional(),
    exclude_category: z.array(categoryValue).optional(),
    route: gap ? z.array(routeValue).optional().describe(ROUTES.join(' ')) : z.array(routeValue).optional(),
    exclude_route: gap ? z.array(routeValue).optional().describe('e.g. ["paid_listing"]') : z.array(routeValue).optional(),
  };
}

export const ANNOTATIONS = { readOnlyHint: true, openWorldHint: true, idempotentHint: true } as const;

/** Call options for the service: the client's cancellation and, when asked, progress notifications. */
export function callOptions(extra: Extra): CallOptions {
  const token = extra._meta?.progressToken;
  const options: CallOptions = { signal: extra.signal };
  if (token !== undefined) {
    options.progress = (done, total, message) => {
      extra
        .sendNotification({
          method: 'notifications/progress',
          params: { progressToken: token, progress: done, ...(total !== undefined && { total }), ...(message !== undefined && { message }) },
        })
        .catch(() => undefined);
    };
  }
  return options;
}

export function success(text: string, structured: Record<string, unknown>, extraContent: CallToolResult['content'] = []): CallToolResult {
  return { content: [{ type: 'text', text }, ...extraContent], structuredContent: compact(structured) };
}

/** Every failure reaches the model as an isError result that says what to do; never a stack. */
export function failure(error: unknown, logger: Logger, tool: string): CallToolResult {
  if (!(error instanceof BacklinkGapError) && !(error instanceof Error && error.name === 'AbortError')) {
    logger.error(`${tool} failed unexpectedly`, { error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
  }
  return { content: [{ type: 'text', text: describeError(error) }], isError: true };
}

/** Wrap a handler so nothing it throws escapes as a protocol error or crashes the process. */
export function guarded<A>(tool: string, logger: Logger, handler: (args: A, extra: Extra) => Promise<CallToolResult>) {
  return async (args: A, extra: Extra): Promise<CallToolResult> => {
    try {
      return await handler(args, extra);
    } catch (error) {
      return failure(error, logger, tool);
    }
  };
}

export function renderDryRun(dry: DryRun): { text: string; structured: Record<string, unknown> } {
  const lines = quoteLines(dry);
  const text =
    dry.confirmation === 'required'
      ? `Not called yet: the cost is above the confirmation threshold (${thresholdText(dry)} per call).\n${lines.join('\n')}\nShow the user this quote; if they agree, repeat the same call with confirm: true.`
      : dry.confirmation === 'declined'
        ? `Declined: nothing was called or spent.\n${lines.join('\n')}`
        : `Dry run (nothing called):\n${lines.join('\n')}\nRepeat without dry_run to run it.`;
  return { text, structured: { ...dry } };
}

/** Output schemas are sent on every tools/list (issue 11: tools/list ≤ 3,000 tokens with six tools),
 *  so a tool declares one only where a client takes fields into code, and names just those fields,
 *  typed; objects stay open. The other tools still return structuredContent, described in the README. */
