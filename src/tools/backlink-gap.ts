// backlink_gap: who links to my competitors but not to me, ranked, kept as a run.

import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { GAP_VIEW_META } from '../app/resource.js';
import { z } from 'zod';
import type { Logger } from '../log.js';
import type { GapOutcome, Service } from '../service/index.js';
import { DEFAULTS, isDryRun, PROVIDER_NAMES } from '../domain.js';
import { TOKEN_CAP, estimateTokens, fitRows, tokenBudget } from '../summary/format.js';
import { renderGap } from '../summary/gap.js';
import { conciseProspect } from '../summary/pages.js';
import { confirmField } from './confirm.js';
import { ANNOTATIONS, dryRunField, failure, formatField, freshField, renderDryRun, selectionFields, success } from './result.js';
import type { RecordTaskStore } from './task-store.js';
import { registerTaskTool } from './tasks.js';

export const BACKLINK_GAP_DESCRIPTION = `Find link-building prospects: sites linking to your competitors but not to you (a backlink gap). Use it first for backlinks, outreach targets or why competitors outrank you.
Returns the top prospects by score (authority, competitors linked, dofollow, spam, category), counts by tier/category/authority and a run_id; list_prospects reads the run (up to limit) for free.
Rows: "df 4/12" = 4 of its 12 links to competitors are dofollow; route = how such a link is usually obtained; a linking page (detailed: one per competitor).
Cost: one paid call per provider (cached), free with local; dry_run: true estimates.`;

const domainString = z.string().max(2048);

export const backlinkGapInput = z.strictObject({
  your_domain: domainString.describe('Your site: domain or URL'),
  competitor_domains: z.array(domainString).min(1).max(20).describe('1-20 competitor domains'),
  limit: z.number().int().min(1).max(1000).default(100).describe('Prospects the run keeps'),
  min_competitors: z.number().int().min(1).max(20).optional().describe('At least this many competitors linked'),
  top: z.number().int().min(1).max(50).default(15).describe('Rows shown now'),
  include_platforms: z.boolean().optional().describe('true shows platform/spam domains'),
  ...selectionFields('backlink_gap'),
  provider: z.enum([...PROVIDER_NAMES, 'all']).optional().describe('"all" merges every configured one'),
  response_format: formatField,
  fresh: freshField,
  dry_run: dryRunField,
  confirm: confirmField,
});

export const backlinkGapOutput = z.looseObject({
  run_id: z.string().optional(),
  total_prospects: z.number().optional(),
  prospects: z.array(z.looseObject({ domain: z.string(), score: z.number() })).optional(),
});

export function registerBacklinkGap(server: McpServer, service: Service, logger: Logger, tasks: RecordTaskStore): void {
  registerTaskTool(
    server,
    tasks,
    'backlink_gap',
    {
      title: 'Backlink gap',
      description: BACKLINK_GAP_DESCRIPTION,
      inputSchema: backlinkGapInput,
      outputSchema: backlinkGapOutput,
      annotations: ANNOTATIONS,
      _meta: GAP_VIEW_META,
    },
    async (args, options) => {
      try {
        const outcome = await service.gap(args, options);
        if (isDryRun(outcome)) {
          const dry = renderDryRun(outcome);
          return success(dry.text, dry.structured);
        }
        const rendered = renderGapResult(outcome, args.response_format, tokenBudget(args.top, DEFAULTS.top));
        return success(rendered.text, rendered.structured, [
          {
            type: 'resource_link',
            uri: `backlink-gap://runs/${outcome.run_id}/prospects.csv`,
            name: `prospects-${outcome.run_id}.csv`,
            mimeType: 'text/csv',
            description: `All ${outcome.kept} ranked prospects of run ${outcome.run_id} as CSV`,
          },
        ]);
      } catch (error) {
        return failure(error, logger, 'backlink_gap');
      }
    },
  );
}

/** Text and structured content of a gap, cut by rows (never mid-row) to stay under the token cap. */
export function renderGapResult(
  outcome: GapOutcome,
  format: 'concise' | 'detailed',
  budget: number,
): { text: string; structured: Record<string, unknown> } {
  const structuredFor = (count: number) => {
    const { top, ...rest } = outcome;
    const prospects = top.slice(0, count).map((prospect) => {
      return format === 'detailed' ? prospect : conciseProspect(prospect);
    });
    return { ...rest, prospects };
  };
  const fits = fitRows(
    outcome.top,
    (rows) => renderGap(outcome, rows, format, 0) + JSON.stringify(structuredFor(rows.length)),
    budget,
  );
  const cut = outcome.top.length - fits;
  if (cut === 0) return checked(renderGap(outcome, outcome.top, format, 0), structuredFor(fits));
  // Rows cut to fit are not lost: the next call starts at the first of them (the run's rows in the same
  // order and selection), and the structured counts say what the text says.
  const { page: _page, ...selection } = outcome.next_call.arguments;
  const resumed: GapOutcome = {
    ...outcome,
    left_out: { ...outcome.left_out, below_top: outcome.left_out.below_top + cut },
    next_call: {
      tool: 'list_prospects',
      arguments: { ...selection, offset: fits, ...(format === 'detailed' && { response_format: 'detailed' }) },
    },
  };
  const { top: _top, ...rest } = resumed;
  const structured = { ...rest, prospects: structuredFor(fits).prospects };
  return checked(renderGap(resumed, outcome.top.slice(0, fits), format, 0), structured);
}

function checked(text: string, structured: Record<string, unknown>): { text: string; structured: Record<string, unknown> } {
  if (estimateTokens(text) > TOKEN_CAP) throw new Error('gap rendering exceeded the token cap');
  return { text, structured };
}
