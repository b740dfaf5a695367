// get_backlinks: what a domain's (or page's) backlinks look like, grouped for a model.

import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { Logger } from '../log.js';
import type { BacklinksOutcome, Service } from '../service/index.js';
import { type Backlink, DEFAULTS, isDryRun } from '../domain.js';
import { CONCISE_ANCHORS, CONCISE_DOMAINS, renderBacklinks } from '../summary/backlinks.js';
import { fitRows, tokenBudget } from '../summary/format.js';
import { confirmField } from './confirm.js';
import { ANNOTATIONS, dryRunField, failure, formatField, freshField, providerField, renderDryRun, success } from './result.js';
import type { RecordTaskStore } from './task-store.js';
import { registerTaskTool } from './tasks.js';

export const GET_BACKLINKS_DESCRIPTION = `List the links pointing TO a domain, subdomain or page: metrics of its whole profile, top referring domains and anchors (with shares) over every link matching the filters (paid providers: over the links fetched; the answer says which), then the links.
Use to audit a competitor's or your own profile. A prospect's links to competitors are in backlink_gap/list_prospects detailed or link_intersect detailed. mode one_per_domain: one link per referring domain.
Cost: one paid call per page (cached), free with local; dry_run: true estimates.`;

export const getBacklinksInput = z.strictObject({
  target: z.string().max(2048).describe('Domain, subdomain or page URL'),
  mode: z.enum(['as_is', 'one_per_domain', 'one_per_anchor']).default('as_is'),
  limit: z.number().int().min(1).max(1000).default(100),
  dofollow: z.boolean().optional().describe('Only dofollow (true) or nofollow (false) links'),
  anchor: z.string().max(200).optional().describe('Anchor contains this text'),
  min_authority: z.number().int().min(0).max(100).optional(),
  cursor: z.string().max(4096).optional().describe('next_cursor of the previous page'),
  provider: providerField,
  response_format: formatField,
  fresh: freshField,
  dry_run: dryRunField,
  confirm: confirmField,
});

export function registerGetBacklinks(server: McpServer, service: Service, logger: Logger, tasks: RecordTaskStore): void {
  registerTaskTool(
    server,
    tasks,
    'get_backlinks',
    {
      title: 'Backlinks of a domain or page',
      description: GET_BACKLINKS_DESCRIPTION,
      inputSchema: getBacklinksInput,
      annotations: ANNOTATIONS,
    },
    async (args, options) => {
      try {
        const { response_format, ...query } = args;
        // One provider call (a page of links): what is being read is the progress a task shows.
        options.progress?.(0, 1, `reading the backlinks of ${args.target}`);
        const outcome = await service.backlinks(query, options);
        if (isDryRun(outcome)) {
          const dry = renderDryRun(outcome);
          return success(dry.text, dry.structured);
        }
        const rendered = renderBacklinksResult(outcome, response_format, tokenBudget(args.limit, DEFAULTS.backlinksLimit));
        return success(rendered.text, rendered.structured);
      } catch (error) {
        return failure(error, logger, 'get_backlinks');
      }
    },
  );
}

export function renderBacklinksResult(outcome: BacklinksOutcome, format: 'concise' | 'detailed', budget: number) {
  const { resumeAfter, ...answer } = outcome;
  const structuredFor = (rows: readonly Backlink[], paging: Pick<BacklinksOutcome, 'next_cursor' | 'next_call'>) => {
    const { next_cursor: _cursor, next_call: _call, ...rest } = answer;
    // Concise keeps as many summary entries as the text shows.
    const summary =
      format === 'detailed'
        ? rest.summary
        : { ...rest.summary, referring_domains: rest.summary.referring_domains.slice(0, CONCISE_DOMAINS), anchors: rest.summary.anchors.slice(0, CONCISE_ANCHORS) };
    return {
      ...rest,
      summary,
      backlinks: rows.map((row) => {
        if (format === 'detailed') return row;
        const { title: _t, first_seen: _f, last_seen: _l, spam_score: _s, ...concise } = row;
        return concise;
      }),
      ...paging,
    };
  };
  const paging = { ...(answer.next_cursor && { next_cursor: answer.next_cursor }), ...(answer.next_call && { next_call: answer.next_call }) };
  const fits = fitRows(answer.backlinks, (rows) => renderBacklinks({ ...answer, backlinks: [...rows] }, rows.length, format) + JSON.stringify(structuredFor(rows, paging)), budget);
  // Rows cut to fit are not lost: the next page starts at the first row left out.
  const resumed = fits < answer.backlinks.length ? (resumeAfter?.(fits) ?? {}) : paging;
  const cut = { ...answer, ...resumed, backlinks: answer.backlinks.slice(0, fits) };
  return { text: renderBacklinks(cut, fits, format, answer.backlinks.length - fits), structured: structuredFor(cut.backlinks, resumed) };
}
