// list_prospects: page, filter, sort and export a stored gap run, for free.

import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { GAP_VIEW_META } from '../app/resource.js';
import { z } from 'zod';
import type { Logger } from '../log.js';
import type { NextCall, ProspectsInput, ProspectsOutcome, Service } from '../service/index.js';
import { DEFAULTS, type Prospect } from '../domain.js';
import { fitRows, tokenBudget } from '../summary/format.js';
import { conciseProspect } from '../summary/pages.js';
import { renderProspects } from '../summary/prospects.js';
import { ANNOTATIONS, callOptions, formatField, guarded, selectionFields, success } from './result.js';

export const LIST_PROSPECTS_DESCRIPTION = `Read the prospects of a backlink_gap run: filter, sort, page or export them. Free (reads the stored run, or OneClickSEO's).
E.g. shortlist (min_authority 30, dofollow true, max_spam 20), who links to one competitor, q to search. dofollow true keeps prospects with a dofollow link to a competitor.
detailed: each prospect's linking page and dofollow/total links per competitor. format "csv": every matching row.`;

export const listProspectsInput = z.strictObject({
  run_id: z.string().max(200).describe('From backlink_gap'),
  min_authority: z.number().int().min(0).max(100).optional().describe('Authority 0-100 at least'),
  max_spam: z.number().int().min(0).max(100).optional().describe('Spam score at most'),
  dofollow: z.boolean().optional(),
  competitor: z.string().max(2048).optional().describe('Links to this competitor'),
  q: z.string().max(200).optional().describe('Text in the domain or category'),
  sort: z.enum(['score', 'rank', 'backlinks', 'referring_domains', 'overlap']).default('score').describe('rank = authority'),
  order: z.enum(['asc', 'desc']).default('desc'),
  page: z.number().int().min(1).max(10_000).default(1),
  per_page: z.number().int().min(1).max(100).default(50),
  offset: z.number().int().min(0).max(100_000).optional().describe('First row, 0-based, instead of page (next calls give it)'),
  include_platforms: z.boolean().optional().describe('true shows platform/spam domains'),
  ...selectionFields('list_prospects'),
  format: z.enum(['table', 'csv']).default('table').describe('csv: all matching rows as CSV'),
  response_format: formatField,
});

export const listProspectsOutput = z.looseObject({
  data: z.array(z.looseObject({ domain: z.string(), score: z.number() })).optional(),
});

export function registerListProspects(server: McpServer, service: Service, logger: Logger): void {
  server.registerTool(
    'list_prospects',
    {
      title: 'List prospects of a gap run',
      description: LIST_PROSPECTS_DESCRIPTION,
      inputSchema: listProspectsInput,
      outputSchema: listProspectsOutput,
      annotations: ANNOTATIONS,
      _meta: GAP_VIEW_META,
    },
    guarded('list_prospects', logger, async (args: z.infer<typeof listProspectsInput>, extra) => {
      const { format, response_format, ...query } = args;
      if (format === 'csv') {
        const exported = await service.prospectsCsv(query, callOptions(extra));
        return success(exported.csv, { run_id: exported.run_id, meta: { page: 1, per_page: exported.rows, total: exported.rows, total_pages: 1 }, csv: exported.csv });
      }
      const outcome = await service.prospects(query, callOptions(extra));
      const rendered = renderProspectsResult(outcome, response_format, tokenBudget(query.per_page, DEFAULTS.perPage), query);
      return success(rendered.text, rendered.structured);
    }),
  );
}

export function renderProspectsResult(outcome: ProspectsOutcome, format: 'concise' | 'detailed', budget: number, input?: ProspectsInput) {
  const { resumeAfter, ...answer } = outcome;
  const structuredFor = (rows: readonly Prospect[], next: NextCall | undefined) => {
    const { next_call: _call, ...rest } = answer;
    return {
      ...rest,
      data: rows.map((prospect) => {
        if (format === 'detailed') return prospect;
        const { found_by: _foundBy, ...concise } = conciseProspect(prospect);
        return concise;
      }),
      ...(next !== undefined && { next_call: next }),
    };
  };
  const fits = fitRows(
    answer.data,
    (rows) => renderProspects({ ...answer, data: [...rows] }, rows.length, format, input) + JSON.stringify(structuredFor(rows, answer.next_call)),
    budget,
  );
  // Rows cut to fit are not lost: the next call starts at the first row left out, in the same format.
  const following = fits < answer.data.length ? resumeAfter?.(fits) : answer.next_call;
  const next = following && format === 'detailed' ? { ...following, arguments: { ...following.arguments, response_format: 'detailed' } } : following;
  const { next_call: _call, ...rest } = answer;
  const cut: ProspectsOutcome = { ...rest, data: answer.data.slice(0, fits), ...(next !== undefined && { next_call: next }) };
  return { text: renderProspects(cut, fits, format, input, answer.data.length - fits), structured: structuredFor(cut.data, next) };
}
