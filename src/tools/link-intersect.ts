// link_intersect: sources linking to several of a set of targets and to none of others (Moz semantics).

import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { Logger } from '../log.js';
import type { IntersectOutcome, Service } from '../service/index.js';
import { DEFAULTS, type IntersectRow, isDryRun } from '../domain.js';
import { fitRows, tokenBudget } from '../summary/format.js';
import { renderIntersect } from '../summary/intersect.js';
import { confirmField } from './confirm.js';
import { ANNOTATIONS, dryRunField, failure, formatField, freshField, providerField, renderDryRun, success } from './result.js';
import type { RecordTaskStore } from './task-store.js';
import { registerTaskTool } from './tasks.js';

export const LINK_INTERSECT_DESCRIPTION = `Sources linking to at least min_matching_targets (default 1) of positive_targets and to none of negative_targets, e.g. 2+ competitors but not you.
A target is a domain (root_domain) or {target, scope: page | subdomain | root_domain}; at most 6 in all. source_scope root_domain gives domains (detailed: the page linking to each target), page gives pages.
For what backlink_gap does not answer (pages, subdomains, "links to A and B"). Cost: one paid call per page (cached), free with local.`;

const scopedTarget = z.union([
  z.string().max(2048),
  z.strictObject({ target: z.string().max(2048), scope: z.enum(['page', 'subdomain', 'root_domain']).default('root_domain') }),
]);

export const linkIntersectInput = z.strictObject({
  positive_targets: z.array(scopedTarget).min(1).max(6).describe('Sources must link to these (at least min_matching_targets of them)'),
  negative_targets: z.array(scopedTarget).max(5).optional().describe('Sources must link to none of these'),
  min_matching_targets: z.number().int().min(1).max(6).optional(),
  source_scope: z.enum(['page', 'root_domain']).default('root_domain'),
  sort: z.enum(['source_domain_authority', 'source_spam_score', 'matching_target_count']).default('matching_target_count'),
  limit: z.number().int().min(1).max(50).default(25),
  next_token: z.string().max(4096).optional(),
  provider: providerField,
  response_format: formatField,
  fresh: freshField,
  dry_run: dryRunField,
  confirm: confirmField,
});

export function registerLinkIntersect(server: McpServer, service: Service, logger: Logger, tasks: RecordTaskStore): void {
  registerTaskTool(
    server,
    tasks,
    'link_intersect',
    {
      title: 'Link intersect',
      description: LINK_INTERSECT_DESCRIPTION,
      inputSchema: linkIntersectInput,
      annotations: ANNOTATIONS,
    },
    async (args, options) => {
      try {
        const { response_format, ...query } = args;
        const outcome = await service.intersect(query, options);
        if (isDryRun(outcome)) {
          const dry = renderDryRun(outcome);
          return success(dry.text, dry.structured);
        }
        const rendered = renderIntersectResult(outcome, response_format, tokenBudget(args.limit, DEFAULTS.intersectLimit));
        return success(rendered.text, rendered.structured);
      } catch (error) {
        return failure(error, logger, 'link_intersect');
      }
    },
  );
}

export function renderIntersectResult(outcome: IntersectOutcome, format: 'concise' | 'detailed', budget: number) {
  const { resumeAfter, ...answer } = outcome;
  const structuredFor = (rows: readonly IntersectRow[], paging: Pick<IntersectOutcome, 'next_token' | 'next_call'>) => {
    const { next_token: _token, next_call: _call, ...rest } = answer;
    return {
      ...rest,
      results: rows.map((row) => {
        if (format === 'detailed') return row;
        const { title: _t, ...concise } = row;
        return concise;
      }),
      ...paging,
    };
  };
  const paging = { ...(answer.next_token && { next_token: answer.next_token }), ...(answer.next_call && { next_call: answer.next_call }) };
  const fits = fitRows(
    answer.results,
    (rows) => renderIntersect({ ...answer, results: [...rows] }, rows.length, format) + JSON.stringify(structuredFor(rows, paging)),
    budget,
  );
  // Rows cut to fit are not skipped: the next call starts at the first row left out.
  const resumed = fits < answer.results.length ? (resumeAfter?.(fits) ?? {}) : paging;
  const cut = { ...answer, ...resumed, results: answer.results.slice(0, fits) };
  return { text: renderIntersect(cut, fits, format, answer.results.length - fits), structured: structuredFor(cut.results, resumed) };
}
