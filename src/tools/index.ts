// The tools this server registers.

import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Logger } from '../log.js';
import type { Service } from '../service/index.js';
import { registerBacklinkGap } from './backlink-gap.js';
import { registerCheckProspects } from './check-prospects.js';
import { registerGetBacklinks } from './get-backlinks.js';
import { registerLinkIntersect } from './link-intersect.js';
import { registerListProspects } from './list-prospects.js';
import type { RecordTaskStore } from './task-store.js';
import { registerUsage } from './usage.js';

export function registerTools(server: McpServer, service: Service, logger: Logger, tasks: RecordTaskStore): void {
  registerBacklinkGap(server, service, logger, tasks);
  registerListProspects(server, service, logger);
  registerGetBacklinks(server, service, logger, tasks);
  registerLinkIntersect(server, service, logger, tasks);
  registerUsage(server, service, logger);
  registerCheckProspects(server, service, logger, tasks);
}
