// get_backlinks: links to a domain, subdomain or page, fetched in upstream pages through the cache
// and served in our own pages with a cursor.

import { cacheKey } from '../cache/key.js';
import { summarizeBacklinks } from '../analysis/backlinks-summary.js';
import type { BacklinksQuery, BacklinksResult, BacklinksSummary, DryRun } from '../domain.js';
import { DEFAULTS, PROVIDER_TITLES } from '../domain.js';
import { UsageError } from '../errors.js';
import { normalizeTarget } from '../hosts.js';
import { UPSTREAM_PAGE_MAX, decodeCursor, hashOf, nextCursor, withoutPaging } from './paging.js';
import { holdForConfirmation } from './confirm.js';
import { provenanceOf } from './spending.js';
import type { BacklinksInput, BacklinksOutcome, CallOptions, OperationDependencies, Stored } from './types.js';

export function createBacklinks(deps: OperationDependencies): (input: BacklinksInput, options?: CallOptions) => Promise<BacklinksOutcome | DryRun> {
  const { registry, spending } = deps;

  async function backlinks(input: BacklinksInput, options?: CallOptions): Promise<BacklinksOutcome | DryRun> {
    const target = normalizeTarget(input.target, 'target');
    const mode = input.mode ?? 'as_is';
    const limit = input.limit ?? DEFAULTS.backlinksLimit;
    const providerName = registry.resolve('backlinks', input.provider);
    const provider = await registry.get(providerName);
    if (!provider.backlinks) throw new UsageError('unsupported', `${PROVIDER_TITLES[providerName]} cannot list backlinks.`);
    const anchor = input.anchor?.trim() || undefined;
    const filters = {
      target: target.value,
      target_kind: target.kind,
      mode,
      ...(input.dofollow !== undefined && { dofollow: input.dofollow }),
      ...(anchor !== undefined && { anchor }),
      ...(input.min_authority !== undefined && { min_authority: input.min_authority }),
    };
    const queryHash = hashOf([providerName, filters]);
    const cursor = decodeCursor(input.cursor, 'cursor', queryHash);
    const upstreamLimit = provider.describe().wholeAnswerRows ?? Math.min(UPSTREAM_PAGE_MAX, cursor.s + limit);
    const query: BacklinksQuery = { ...filters, limit: upstreamLimit, ...(cursor.u !== undefined && { cursor: cursor.u }) };
    const key = cacheKey({
      provider: providerName,
      operation: 'backlinks',
      account: provider.describe().account,
      params: { ...filters, cursor: cursor.u },
    });
    const accept = (stored: Stored<BacklinksResult>) =>
      stored.limit >= upstreamLimit || stored.result.next_cursor === undefined;
    const items = [{ provider, operation: { kind: 'backlinks' as const, query }, key, accept: accept as (stored: Stored<never>) => boolean }];
    if (input.dry_run) return spending.dryRun(providerName, items);
    const held = await holdForConfirmation(spending, deps.config.confirmAbove, providerName, items, input.confirm, options);
    if (held) return held;
    const call = provider.backlinks.bind(provider);
    const context = spending.contextFor(options);
    const outcome = await spending.paid<BacklinksResult>(provider, { kind: 'backlinks', query }, key, input.fresh, accept, context, (charged) => call(query, charged));
    const rows = outcome.result.backlinks.slice(cursor.s, cursor.s + limit);
    const next = nextCursor(cursor, rows.length, outcome.result.backlinks.length, outcome.result.next_cursor, queryHash);
    return {
      ...provenanceOf(providerName, outcome),
      target: target.value,
      mode,
      metrics: outcome.result.metrics,
      summary: summaryOf(outcome.result),
      backlinks: rows,
      total: outcome.result.total,
      ...(next !== undefined && {
        next_cursor: next,
        next_call: { tool: 'get_backlinks', arguments: { ...withoutPaging(input), target: target.value, mode, limit, cursor: next } },
      }),
      resumeAfter: (served: number) => {
        const cursorAfter = nextCursor(cursor, served, outcome.result.backlinks.length, outcome.result.next_cursor, queryHash);
        if (cursorAfter === undefined) return undefined;
        return {
          next_cursor: cursorAfter,
          next_call: { tool: 'get_backlinks', arguments: { ...withoutPaging(input), target: target.value, mode, limit, cursor: cursorAfter } },
        };
      },
    };
  }

  return backlinks;
}

/** The provider's summary over every matching link, else one over the rows fetched (which cover
 *  every match when the provider had no more to give); each anchor with its share of the links. */
function summaryOf(result: BacklinksResult): BacklinksSummary {
  const complete = result.next_cursor === undefined && result.backlinks.length >= result.total;
  const summary = result.summary ?? summarizeBacklinks(result.backlinks, complete ? 'matching' : 'fetched');
  const share = (links: number) => (summary.covered_links > 0 ? Math.round((links / summary.covered_links) * 1000) / 1000 : 0);
  return { ...summary, anchors: summary.anchors.map((anchor) => ({ ...anchor, share: share(anchor.links) })) };
}
