// The view's side of the MCP Apps protocol (io.modelcontextprotocol/ui, 2026-01-26): JSON-RPC over
// postMessage with the host. Written here rather than taken from @modelcontextprotocol/ext-apps'
// App class because that class bundles the SDK's and zod's schemas (509 KB minified, against the
// view's 150 KB budget); the messages are the same, and the tests drive this file with the
// package's own host side (AppBridge), which validates every message it receives.

import type {
  McpUiHostContext,
  McpUiInitializeRequest,
  McpUiInitializeResult,
  McpUiToolInputNotification,
  McpUiToolResultNotification,
} from '@modelcontextprotocol/ext-apps';

const PROTOCOL_VERSION = '2026-01-26';

export interface ToolResult {
  content?: Array<{ type: string; text?: string }>;
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}

export interface HostConnection {
  hostContext: McpUiHostContext;
  /** Whether the host proxies tools/call to the server (hostCapabilities.serverTools). */
  canCallTools: boolean;
  /** Whether the host saves files for the view (hostCapabilities.downloadFile). */
  canDownload: boolean;
  callTool(name: string, args: Record<string, unknown>): Promise<ToolResult>;
  downloadFile(name: string, mimeType: string, text: string): Promise<boolean>;
}

export interface HostHandlers {
  onToolInput?(params: McpUiToolInputNotification['params']): void;
  onToolResult?(result: McpUiToolResultNotification['params']): void;
  onHostContext?(context: McpUiHostContext): void;
  onToolCancelled?(): void;
}

interface JsonRpcMessage {
  jsonrpc: '2.0';
  id?: number | string;
  method?: string;
  params?: Record<string, unknown>;
  result?: unknown;
  error?: { code: number; message: string };
}

/** Connect to the host window (the iframe's parent): initialize, then report size changes. */
export async function connectToHost(handlers: HostHandlers, target: Window = window.parent): Promise<HostConnection> {
  let nextId = 1;
  const pending = new Map<number | string, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  const post = (message: JsonRpcMessage) => target.postMessage(message, '*');
  const request = (method: string, params: Record<string, unknown>): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      post({ jsonrpc: '2.0', id, method, params });
    });
  const notify = (method: string, params: Record<string, unknown> = {}) => post({ jsonrpc: '2.0', method, params });

  let hostContext: McpUiHostContext = {};
  window.addEventListener('message', (event: MessageEvent) => {
    if (event.source !== target) return;
    const message = event.data as JsonRpcMessage;
    if (message === null || typeof message !== 'object' || message.jsonrpc !== '2.0') return;
    if (message.method === undefined && message.id !== undefined) {
      const waiting = pending.get(message.id);
      if (!waiting) return;
      pending.delete(message.id);
      if (message.error) waiting.reject(new Error(message.error.message));
      else waiting.resolve(message.result);
      return;
    }
    const params = message.params ?? {};
    switch (message.method) {
      case 'ui/notifications/tool-input':
        handlers.onToolInput?.(params as McpUiToolInputNotification['params']);
        break;
      case 'ui/notifications/tool-result':
        handlers.onToolResult?.(params as McpUiToolResultNotification['params']);
        break;
      case 'ui/notifications/tool-cancelled':
        handlers.onToolCancelled?.();
        break;
      case 'ui/notifications/host-context-changed':
        hostContext = { ...hostContext, ...params };
        handlers.onHostContext?.(hostContext);
        break;
      default:
        // Requests from the host (teardown, ping) are answered with an empty result.
        if (message.id !== undefined && message.method !== undefined) post({ jsonrpc: '2.0', id: message.id, result: {} });
    }
  });

  const initialize: McpUiInitializeRequest['params'] = {
    appInfo: { name: 'backlink-gap-view', version: '1' },
    appCapabilities: {},
    protocolVersion: PROTOCOL_VERSION,
  };
  const result = (await request('ui/initialize', initialize as unknown as Record<string, unknown>)) as McpUiInitializeResult;
  hostContext = result.hostContext ?? {};
  notify('ui/notifications/initialized');
  handlers.onHostContext?.(hostContext);

  let lastSize = '';
  const observer = new ResizeObserver(() => {
    const size = { width: Math.ceil(document.documentElement.scrollWidth), height: Math.ceil(document.documentElement.scrollHeight) };
    const key = `${size.width}x${size.height}`;
    if (key === lastSize) return;
    lastSize = key;
    notify('ui/notifications/size-changed', size);
  });
  observer.observe(document.documentElement);

  return {
    get hostContext() {
      return hostContext;
    },
    canCallTools: result.hostCapabilities?.serverTools !== undefined,
    canDownload: result.hostCapabilities?.downloadFile !== undefined,
    callTool: async (name, args) => (await request('tools/call', { name, arguments: args })) as ToolResult,
    downloadFile: async (name, mimeType, text) => {
      const answer = (await request('ui/download-file', {
        contents: [{ type: 'resource', resource: { uri: `file:///${encodeURIComponent(name)}`, mimeType, text } }],
      })) as { isError?: boolean };
      return answer.isError !== true;
    },
  };
}
