// link_intersect: sources linking to at least N of the positive targets and to none of the
// negatives, paged like get_backlinks.

import { cacheKey } from '../cache/key.js';
import type { DryRun, IntersectQuery, IntersectResult, Scope, Target } from '../domain.js';
import { DEFAULTS, PROVIDER_TITLES } from '../domain.js';
import { UsageError, invalidInput } from '../errors.js';
import { normalizeTarget } from '../hosts.js';
import { UPSTREAM_PAGE_MAX, decodeCursor, hashOf, nextCursor, positionOf, withoutPaging } from './paging.js';
import { holdForConfirmation } from './confirm.js';
import { provenanceOf } from './spending.js';
import type { CallOptions, IntersectInput, IntersectOutcome, OperationDependencies, Stored, TargetInput } from './types.js';

export function targetOf(value: TargetInput, field: string): Target {
  const raw = typeof value === 'string' ? { target: value, scope: 'root_domain' as Scope } : value;
  if (!raw || typeof raw !== 'object' || typeof raw.target !== 'string') {
    throw invalidInput(field, value, 'expected a domain string or {"target": "...", "scope": "root_domain" | "subdomain" | "page"}');
  }
  const scope = raw.scope ?? 'root_domain';
  const normalized = normalizeTarget(raw.target, `${field}.target`);
  if (scope === 'root_domain') return { target: normalized.domain, scope };
  if (scope === 'subdomain') {
    const host = normalized.kind === 'page' ? new URL(normalized.value).hostname.replace(/^www\./, '') : normalized.value;
    return { target: host, scope };
  }
  const page = normalized.kind === 'page' ? normalized.value : `https://${normalized.value}/`;
  return { target: page, scope };
}

export function createIntersect(deps: OperationDependencies): (input: IntersectInput, options?: CallOptions) => Promise<IntersectOutcome | DryRun> {
  const { registry, spending } = deps;

  async function intersect(input: IntersectInput, options?: CallOptions): Promise<IntersectOutcome | DryRun> {
    const positives = (input.positive_targets ?? []).map((value, index) => targetOf(value, `positive_targets[${index}]`));
    const negatives = (input.negative_targets ?? []).map((value, index) => targetOf(value, `negative_targets[${index}]`));
    if (positives.length === 0) throw invalidInput('positive_targets', input.positive_targets, 'give at least one positive target');
    if (positives.length + negatives.length > 6) {
      throw invalidInput(
        'positive_targets',
        `${positives.length} positive + ${negatives.length} negative`,
        'at most 6 targets in all (positive and negative together); split the question into several calls',
      );
    }
    const seen = new Set<string>();
    for (const target of [...positives, ...negatives]) {
      const id = `${target.scope}:${target.target}`;
      if (seen.has(id)) throw invalidInput('positive_targets', target.target, 'a target appears twice (or is both positive and negative)');
      seen.add(id);
    }
    const minMatching = input.min_matching_targets ?? 1;
    if (minMatching > positives.length) {
      throw invalidInput('min_matching_targets', minMatching, `cannot exceed the number of positive targets (${positives.length})`);
    }
    const sourceScope = input.source_scope ?? 'root_domain';
    const sort = input.sort ?? 'matching_target_count';
    const limit = input.limit ?? DEFAULTS.intersectLimit;
    const providerName = registry.resolve('intersect', input.provider);
    const provider = await registry.get(providerName);
    if (!provider.intersect) throw new UsageError('unsupported', `${PROVIDER_TITLES[providerName]} cannot intersect links.`);
    const base = {
      positive_targets: positives,
      negative_targets: negatives,
      min_matching_targets: minMatching,
      source_scope: sourceScope,
      sort,
    };
    const queryHash = hashOf([providerName, base]);
    const cursor = decodeCursor(input.next_token, 'next_token', queryHash);
    const upstreamLimit = provider.describe().wholeAnswerRows ?? Math.min(UPSTREAM_PAGE_MAX, cursor.s + limit);
    const query: IntersectQuery = { ...base, limit: upstreamLimit, ...(cursor.u !== undefined && { next_token: cursor.u }) };
    const key = cacheKey({
      provider: providerName,
      operation: 'intersect',
      account: provider.describe().account,
      // Order of positives matters to matching_target naming only; sort where order changes nothing.
      params: {
        ...base,
        positive_targets: [...positives].sort(compareTargets),
        negative_targets: [...negatives].sort(compareTargets),
        next_token: cursor.u,
      },
    });
    const accept = (stored: Stored<IntersectResult>) => stored.limit >= upstreamLimit || stored.result.next_token === undefined;
    const items = [{ provider, operation: { kind: 'intersect' as const, query }, key, accept: accept as (stored: Stored<never>) => boolean }];
    if (input.dry_run) return spending.dryRun(providerName, items);
    const held = await holdForConfirmation(spending, deps.config.confirmAbove, providerName, items, input.confirm, options);
    if (held) return held;
    const call = provider.intersect.bind(provider);
    const context = spending.contextFor(options);
    const outcome = await spending.paid<IntersectResult>(provider, { kind: 'intersect', query }, key, input.fresh, accept, context, (charged) => call(query, charged));
    const rows = outcome.result.results.slice(cursor.s, cursor.s + limit);
    const continuation = (served: number) => {
      const token = nextCursor(cursor, served, outcome.result.results.length, outcome.result.next_token, queryHash);
      if (token === undefined) return undefined;
      const args = { ...withoutPaging(input), positive_targets: positives, negative_targets: negatives, source_scope: sourceScope, limit, next_token: token };
      return { next_token: token, next_call: { tool: 'link_intersect', arguments: args } };
    };
    return {
      ...provenanceOf(providerName, outcome),
      positive_targets: positives,
      negative_targets: negatives,
      min_matching_targets: minMatching,
      source_scope: sourceScope,
      results: rows,
      offset: positionOf(cursor),
      ...(outcome.result.total !== undefined && { total: outcome.result.total }),
      ...continuation(rows.length),
      resumeAfter: continuation,
    };
  }

  return intersect;
}

function compareTargets(a: Target, b: Target): number {
  return `${a.scope}:${a.target}`.localeCompare(`${b.scope}:${b.target}`);
}
