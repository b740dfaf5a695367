// createServer(deps) → McpServer with the tools, the run resources and the link-building prompt.

import { readFileSync } from 'node:fs';
import { InMemoryTaskMessageQueue } from '@modelcontextprotocol/sdk/experimental/tasks/stores/in-memory.js';
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { type ListToolsResult, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { registerGapView } from './app/resource.js';
import { describeError } from './errors.js';
import type { Logger } from './log.js';
import type { Service } from './service/index.js';
import { createMemoryTaskRecords, type TaskRecords } from './tasks.js';
import { interceptArgumentErrors } from './tools/arguments.js';
import { CONFIRM_FORM_VALIDATOR } from './tools/confirm.js';
import { taskStoreFor } from './tools/task-store.js';
import { TASK_CAPABILITIES } from './tools/tasks.js';
import { registerTools } from './tools/index.js';
import { VERSION } from './version.js';

export interface ServerDependencies {
  service: Service;
  logger: Logger;
  /** The tools/list result as the build captured it from this very server (see toolListSnapshot). */
  toolList?: ListToolsResult;
  /** Where tasks live: pass the runtime's, so every session and stateless request of a process (and,
   *  with Redis, every instance) sees the same tasks; default: this server's own. */
  tasks?: TaskRecords;
}

/** The bundle ships the tools/list answer the build captured from it (scripts/build.mjs), so a client's
 *  first tools/list costs no schema conversion. Absent when running from src/: the SDK converts. */
export function toolListSnapshot(): ListToolsResult | undefined {
  try {
    return JSON.parse(readFileSync(new URL('./tools-list.json', import.meta.url), 'utf8')) as ListToolsResult;
  } catch {
    return undefined;
  }
}

export const SERVER_INSTRUCTIONS =
  'Backlink gap research. Start with backlink_gap (your domain + competitors) to get ranked outreach prospects and a run_id; ' +
  'page, filter or export the run with list_prospects (free). get_backlinks shows the links pointing to a site; link_intersect answers ' +
  'precise "links to A and B but not C" questions. Paid providers cost money per call: answers are cached, dry_run estimates, usage shows spend.';

export function createServer(deps: ServerDependencies): McpServer {
  const tasks = taskStoreFor(deps.tasks ?? createMemoryTaskRecords());
  const server = new McpServer(
    { name: 'backlink-gap-mcp', version: VERSION },
    {
      capabilities: { logging: {}, ...TASK_CAPABILITIES },
      instructions: SERVER_INSTRUCTIONS,
      jsonSchemaValidator: CONFIRM_FORM_VALIDATOR,
      taskStore: tasks,
      // A task's requests to the client (the spending form) wait here for the client's tasks/result;
      // in this server, as their answers come back on its connection.
      taskMessageQueue: new InMemoryTaskMessageQueue(),
      maxTaskQueueSize: 16,
    },
  );
  registerTools(server, deps.service, deps.logger, tasks);
  interceptArgumentErrors(server);
  const toolList = deps.toolList;
  if (toolList) server.server.setRequestHandler(ListToolsRequestSchema, () => toolList);
  else withoutSchemaDialect(server);
  registerRunResources(server, deps.service);
  registerGapView(server);
  registerPlanPrompt(server);
  return server;
}

type ListToolsHandler = (request: unknown, extra: unknown) => ListToolsResult | Promise<ListToolsResult>;

/**
 * The SDK's tools/list answer without the `"$schema": "…draft-07…"` it puts on every input and
 * output schema: ~130 of the 3,000 tokens tools/list may cost, telling a client nothing it uses (the
 * schemas use nothing that differs between JSON Schema dialects). The SDK offers no option for it, so
 * its own handler is wrapped; the build captures this answer for the bundle (toolListSnapshot).
 */
function withoutSchemaDialect(server: McpServer): void {
  const handlers = (server.server as unknown as { _requestHandlers?: Map<string, ListToolsHandler> })._requestHandlers;
  const sdk = handlers?.get('tools/list');
  if (sdk === undefined) return;
  server.server.setRequestHandler(ListToolsRequestSchema, async (request, extra) => {
    const answer = await sdk(request, extra);
    return {
      ...answer,
      tools: answer.tools.map((tool) => ({
        ...tool,
        inputSchema: withoutDialect(tool.inputSchema),
        ...(tool.outputSchema !== undefined && { outputSchema: withoutDialect(tool.outputSchema) }),
      })),
    };
  });
}

function withoutDialect<T extends Record<string, unknown>>(schema: T): T {
  const { $schema: _dialect, ...rest } = schema;
  return rest as T;
}

function registerRunResources(server: McpServer, service: Service): void {
  server.registerResource(
    'gap-run-prospects-csv',
    new ResourceTemplate('backlink-gap://runs/{run_id}/prospects.csv', { list: undefined }),
    { title: 'Gap run prospects (CSV)', description: 'Every ranked prospect of a gap run as CSV', mimeType: 'text/csv' },
    async (uri, variables) => {
      const runId = String(variables.run_id);
      try {
        const exported = await service.prospectsCsv({ run_id: runId });
        return { contents: [{ uri: uri.href, mimeType: 'text/csv', text: exported.csv }] };
      } catch (error) {
        throw new Error(describeError(error));
      }
    },
  );
  server.registerResource(
    'gap-runs',
    'backlink-gap://runs',
    { title: 'Stored gap runs', description: 'Stored gap runs, newest first: run_id, your domain, competitors, provider, age, size', mimeType: 'application/json' },
    async (uri) => {
      const runs = await service.runs();
      return { contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(runs) }] };
    },
  );
  server.registerResource(
    'gap-run',
    new ResourceTemplate('backlink-gap://runs/{run_id}', { list: undefined }),
    { title: 'Gap run (JSON)', description: 'A stored gap run: arguments, totals and every ranked prospect', mimeType: 'application/json' },
    async (uri, variables) => {
      try {
        const run = await service.run(String(variables.run_id));
        return { contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(run) }] };
      } catch (error) {
        throw new Error(describeError(error));
      }
    },
  );
}

function registerPlanPrompt(server: McpServer): void {
  server.registerPrompt(
    'link_building_plan',
    {
      title: 'Link-building plan',
      description: 'Walk through gap → filter → shortlist → linking pages → outreach angles per route for your domain and competitors.',
      argsSchema: {
        your_domain: z.string().describe('Your site, e.g. mybusiness.com'),
        competitors: z.string().describe('Competitor domains, comma-separated'),
      },
    },
    ({ your_domain, competitors }) => {
      const list = competitors
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean);
      const text = [
        `Build a link-building plan for ${your_domain} against ${list.join(', ')}.`,
        '',
        `1. Call backlink_gap with your_domain "${your_domain}" and competitor_domains ${JSON.stringify(list)} (use dry_run: true first if a paid provider is configured, and tell me the estimate).`,
        '2. From its facets, say how many prospects link to all, several and one competitor, and which categories dominate.',
        '3. Call list_prospects on the run_id with min_authority 20, max_spam 30, dofollow true and include_platforms false; if fewer than 10 remain, relax min_authority.',
        '4. Shortlist 10-15 prospects: prefer those linking to several competitors, then authority, then dofollow links (df 4/12 = 4 of 12 links to competitors are dofollow).',
        '5. For the 3 best, call list_prospects with the run_id, q set to the prospect domain and response_format "detailed": it shows, per competitor, the page that links to it and its links and dofollow links, so the pitch can point at that page. Where it says pages unknown, make the call it names only if its cost is acceptable.',
        '6. Write one outreach angle per prospect from its route and linking page where shown (membership: join and get listed; free_listing: claim or create the listing; paid_listing: say it costs; editorial: a local story or expert quote; resource_page: ask to be added; sponsorship_or_event: sponsor or attend; partner_or_supplier: a partner page; institutional_list: get on the official list; community_profile and review_platform: a profile, not spam), else from its category.',
        '7. End with a table: domain, route or category, why (competitors linked, authority, dofollow/total), the linking page, angle, first step. Offer the CSV export (list_prospects format "csv").',
      ].join('\n');
      return { messages: [{ role: 'user', content: { type: 'text', text } }] };
    },
  );
}
