// usage: configured providers, spend against budget, balances, cache.

import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { Logger } from '../log.js';
import type { Service } from '../service/index.js';
import { renderUsage } from '../summary/usage.js';
import { callOptions, guarded, success } from './result.js';

export const USAGE_DESCRIPTION = `Show which backlink data providers are configured and what they can do, today's and this month's spend per provider against its daily budget, account balances where the provider reports one, and cache size and hit rate. Free (balance checks are unbilled). Use before a costly research session or when a call was refused for budget.`;

export const usageInput = z.strictObject({});
export function registerUsage(server: McpServer, service: Service, logger: Logger): void {
  server.registerTool(
    'usage',
    {
      title: 'Usage, spend and cache',
      description: USAGE_DESCRIPTION,
      inputSchema: usageInput,
      annotations: { readOnlyHint: true, openWorldHint: true },
    },
    guarded('usage', logger, async (_args: z.infer<typeof usageInput>, extra) => {
      const outcome = await service.usage(callOptions(extra));
      return success(renderUsage(outcome), { ...outcome });
    }),
  );
}
