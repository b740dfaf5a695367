// check_prospects: fetch linking pages live (free) to see if competitor links are still there and how to ask the site.

import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { Logger } from '../log.js';
import type { Service } from '../service/index.js';
import { renderCheckResult } from '../summary/check.js';
import { TOKEN_CAP } from '../summary/format.js';
import { failure, success } from './result.js';
import type { RecordTaskStore } from './task-store.js';
import { registerTaskTool } from './tasks.js';

export const CHECK_PROSPECTS_DESCRIPTION = `Fetch linking pages live (free): is each competitor link still there (rel, anchor, text around it), does the page link to you, status, title; how to ask the site (mailto; contact, write-for-us, advertise, submit-listing, membership, sponsorship pages).
run_id (+ domains, default top 10) stores results into the run; or urls + competitor_domains. Cached 7 days; honours robots.txt; public addresses only.`;

const domainString = z.string().max(2048);

export const checkProspectsInput = z.strictObject({
  run_id: z.string().max(200).optional().describe('From backlink_gap'),
  domains: z.array(domainString).max(25).optional().describe('Prospects of the run'),
  urls: z.array(domainString).max(50).optional().describe('Linking pages, instead of run_id'),
  competitor_domains: z.array(domainString).max(20).optional().describe('With urls'),
  your_domain: domainString.optional().describe('With urls'),
  fresh: z.boolean().optional().describe('true: refetch within the 7-day cache'),
  response_format: z.enum(['concise', 'detailed']).default('concise').describe('detailed: longer context'),
});

export function registerCheckProspects(server: McpServer, service: Service, logger: Logger, tasks: RecordTaskStore): void {
  registerTaskTool(
    server,
    tasks,
    'check_prospects',
    {
      title: 'Check prospects live',
      description: CHECK_PROSPECTS_DESCRIPTION,
      inputSchema: checkProspectsInput,
      annotations: { readOnlyHint: true, openWorldHint: true },
    },
    async (args, options) => {
      try {
        const { response_format, ...input } = args;
        const outcome = await service.check(input, options);
        const rendered = renderCheckResult(outcome, response_format, TOKEN_CAP);
        return success(rendered.text, rendered.structured);
      } catch (error) {
        return failure(error, logger, 'check_prospects');
      }
    },
  );
}
