// MCP over stdio: nothing but JSON-RPC on stdout, a one-line banner on stderr.

import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Config } from './config.js';
import { createRuntime } from './runtime.js';
import { createServer, toolListSnapshot } from './server.js';
import { banner } from './banner.js';

export async function serveStdio(config: Config): Promise<void> {
  const runtime = createRuntime(config);
  const toolList = toolListSnapshot();
  const server = createServer({ service: runtime.service, logger: runtime.logger, ...(toolList && { toolList }) });
  const transport = new StdioServerTransport();
  let closing = false;
  const shutdown = async (code: number) => {
    if (closing) return;
    closing = true;
    await runtime.close();
    await server.close().catch(() => undefined);
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));
  process.stdin.on('end', () => void shutdown(0));
  process.on('unhandledRejection', (reason) => {
    runtime.logger.error('unhandled rejection (the call it belonged to has failed; the server goes on)', {
      reason: reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason),
    });
  });
  await server.connect(transport);
  process.stderr.write(`${banner(runtime, 'stdio')}\n`);
}
