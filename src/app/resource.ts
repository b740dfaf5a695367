// The gap view as an MCP App resource (io.modelcontextprotocol/ui), and the same view as a
// standalone HTML report with a run embedded. The HTML is built by scripts/build.mjs into dist/app.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { GapRun } from '../domain.js';
import { UsageError } from '../errors.js';
import { packageRoot } from '../package-root.js';
import type { ViewRun } from './model.js';

export const GAP_VIEW_URI = 'ui://backlink-gap/gap-view.html';
/** The MCP Apps MIME type (ext-apps' RESOURCE_MIME_TYPE). */
export const MCP_APP_MIME_TYPE = 'text/html;profile=mcp-app';
/** `_meta` of the tools whose results the view shows (backlink_gap, list_prospects): the current key
 *  and the legacy `ui/resourceUri` older hosts read, exactly what ext-apps' registerAppTool writes.
 *  Its helpers are not imported: their module builds the whole App class's schemas, ~24 ms at every
 *  start for two object spreads. */
export const GAP_VIEW_META = { ui: { resourceUri: GAP_VIEW_URI }, 'ui/resourceUri': GAP_VIEW_URI };

let html: Promise<string> | undefined;

/** The built view; an error that says to build when dist/app is missing (a clone before `npm run build`). */
export function gapViewHtml(): Promise<string> {
  const reading =
    html ??
    readFile(join(packageRoot(), 'dist', 'app', 'gap-view.html'), 'utf8').catch(() => {
      html = undefined;
      throw new UsageError('config_error', 'The gap view is not built: run `npm run build` in the package folder.');
    });
  html = reading;
  return reading;
}

export function registerGapView(server: McpServer): void {
  server.registerResource(
    'Backlink gap view',
    GAP_VIEW_URI,
    { mimeType: MCP_APP_MIME_TYPE, description: 'Interactive matrix of a gap run: prospects × competitors, overlap counts, filters, shortlist export' },
    async () => ({ contents: [{ uri: GAP_VIEW_URI, mimeType: MCP_APP_MIME_TYPE, text: await gapViewHtml() }] }),
  );
}

/** The view's data from a stored run (every prospect, in rank order). */
export function viewRunOf(run: GapRun): ViewRun {
  return {
    run_id: run.run_id,
    your_domain: run.your_domain,
    competitor_domains: run.competitor_domains,
    total: run.prospects.length,
    prospects: run.prospects,
    provider: run.provider,
    ...(run.synthetic && { synthetic: true }),
  };
}

/** A standalone report: the view with the run embedded, readable offline in any browser. */
export async function standaloneReport(run: ViewRun): Promise<string> {
  // JSON inside <script> must not close the element or open a comment; \u003c keeps the JSON valid.
  const data = JSON.stringify(run).replaceAll('<', '\\u003c');
  const page = await gapViewHtml();
  return page.replace('<!--RUN-->', () => `<script type="application/json" id="bg-run">${data}</script>`);
}
