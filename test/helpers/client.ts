// An MCP client connected in memory to a server built over a runtime's service: the whole MCP path a
// host takes (schemas, tool results, notifications), with no transport or process in between.

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult, ClientCapabilities } from '@modelcontextprotocol/sdk/types.js';
import { createServer, type ServerDependencies } from '../../src/server.js';

export async function connectClient(
  dependencies: ServerDependencies,
  options: { name?: string; capabilities?: ClientCapabilities; before?: (client: Client) => void } = {},
): Promise<Client> {
  const server = createServer(dependencies);
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: options.name ?? 'test', version: '1.0.0' }, options.capabilities ? { capabilities: options.capabilities } : {});
  options.before?.(client);
  await client.connect(clientSide);
  return client;
}

/** tools/call as a host makes it; an error result is returned, not thrown, so tests can read it. */
export async function callTool(client: Client, name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}
