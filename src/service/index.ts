// The operations the MCP tools and the CLI share: input checks, provider choice, cache, budget,
// runs and ranking. Tools and the CLI only parse arguments and render what this returns; each
// operation lives in its own file beside the shared pieces (spending, paging).

import { createWebFetcher } from '../http/web.js';
import { createBacklinks } from './backlinks.js';
import { createCheck } from './check.js';
import { createGap } from './gap.js';
import { createIntersect } from './intersect.js';
import { createProspects } from './prospects.js';
import { createSpending } from './spending.js';
import type { OperationDependencies, Service, ServiceDependencies } from './types.js';
import { createUsage } from './usage.js';

export { DEFAULTS, type DryRun, isDryRun } from '../domain.js';
export type * from './types.js';
export type { RunSummary } from '../runs.js';

export function createService(deps: ServiceDependencies): Service {
  const shared: OperationDependencies = { ...deps, now: deps.now ?? Date.now, spending: createSpending(deps) };
  const { prospects, prospectsCsv, loadRun, listRuns } = createProspects(shared);
  const web = deps.web ?? createWebFetcher({ allowLoopback: deps.config.fetchAllowLoopback, logger: deps.logger });
  const backlinks = createBacklinks(shared);
  return {
    gap: createGap(shared, backlinks),
    prospects,
    prospectsCsv,
    backlinks,
    intersect: createIntersect(shared),
    usage: createUsage(shared),
    run: loadRun,
    runs: listRuns,
    check: createCheck({ ...shared, web, loadRun }),
    close: () => web.close(),
  };
}
