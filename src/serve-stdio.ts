// MCP over stdio: nothing but JSON-RPC on stdout, a one-line banner on stderr.

import { deserializeMessage, STDIO_DEFAULT_MAX_BUFFER_SIZE, serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { banner } from './banner.js';
import type { Config } from './config.js';
import type { Logger } from './log.js';
import { createRuntime } from './runtime.js';
import { createServer, toolListSnapshot } from './server.js';

export async function serveStdio(config: Config): Promise<void> {
  const runtime = createRuntime(config);
  const toolList = toolListSnapshot();
  const server = createServer({ service: runtime.service, logger: runtime.logger, tasks: runtime.tasks, ...(toolList && { toolList }) });
  const transport = new BoundedStdioTransport(process.stdin, process.stdout, runtime.logger);
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

/** Bytes kept from each end of a message over the limit, to find its request id. */
const KEPT = 4096;

/**
 * The SDK's stdio transport closes (and the process then exits without a word) when one message is
 * over its buffer limit. This one skips that message instead: it answers the request with a JSON-RPC
 * error naming the limit, logs it, and reads on. Messages within the limit are handled as the SDK does.
 */
export class BoundedStdioTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  private pieces: Buffer[] = [];
  private size = 0;
  private oversize: { bytes: number; head: Buffer; tail: Buffer } | undefined;

  constructor(
    private readonly stdin: NodeJS.ReadableStream,
    private readonly stdout: NodeJS.WritableStream,
    private readonly logger: Logger,
    private readonly maxMessageBytes = STDIO_DEFAULT_MAX_BUFFER_SIZE,
  ) {}

  private readonly onData = (chunk: Buffer | string) => {
    const data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    let start = 0;
    while (start < data.length) {
      const newline = data.indexOf(0x0a, start);
      this.take(data.subarray(start, newline < 0 ? data.length : newline));
      if (newline < 0) break;
      this.endOfLine();
      start = newline + 1;
    }
  };

  private readonly onStreamError = (error: Error) => {
    this.onerror?.(error);
  };

  async start(): Promise<void> {
    this.stdin.on('data', this.onData);
    this.stdin.on('error', this.onStreamError);
  }

  private take(piece: Buffer): void {
    if (piece.length === 0) return;
    if (this.oversize !== undefined) {
      this.oversize.bytes += piece.length;
      this.oversize.tail = lastBytes(Buffer.concat([this.oversize.tail, lastBytes(piece)]));
      return;
    }
    if (this.size + piece.length <= this.maxMessageBytes) {
      this.pieces.push(Buffer.from(piece));
      this.size += piece.length;
      return;
    }
    const sofar = Buffer.concat([...this.pieces, piece]);
    this.oversize = { bytes: sofar.length, head: Buffer.from(sofar.subarray(0, KEPT)), tail: lastBytes(sofar) };
    this.pieces = [];
    this.size = 0;
  }

  private endOfLine(): void {
    if (this.oversize !== undefined) {
      const { bytes, head, tail } = this.oversize;
      this.oversize = undefined;
      this.refuse(bytes, head, tail);
      return;
    }
    const line = Buffer.concat(this.pieces).toString('utf8').replace(/\r$/, '');
    this.pieces = [];
    this.size = 0;
    if (line.trim() === '') return;
    let message: JSONRPCMessage;
    try {
      message = deserializeMessage(line);
    } catch (error) {
      this.onerror?.(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    this.onmessage?.(message);
  }

  private refuse(bytes: number, head: Buffer, tail: Buffer): void {
    const id = requestIdOf(head.toString('utf8'), tail.toString('utf8'));
    const megabytes = (value: number) => `${Math.round((value / 1024 / 1024) * 10) / 10} MB`;
    this.logger.warn('stdin message over the size limit; skipped', { bytes, limit: this.maxMessageBytes, answered: id !== undefined });
    if (id === undefined) return;
    void this.send({
      jsonrpc: '2.0',
      id,
      error: {
        code: -32600,
        message: `Message of ${megabytes(bytes)} is over this server's ${megabytes(this.maxMessageBytes)} limit for one stdio message; it was skipped. Send smaller arguments.`,
      },
    });
  }

  async close(): Promise<void> {
    this.stdin.off('data', this.onData);
    this.stdin.off('error', this.onStreamError);
    if (this.stdin.listenerCount('data') === 0) this.stdin.pause();
    this.pieces = [];
    this.oversize = undefined;
    this.onclose?.();
  }

  send(message: JSONRPCMessage): Promise<void> {
    return new Promise((resolve) => {
      if (this.stdout.write(serializeMessage(message))) resolve();
      else this.stdout.once('drain', resolve);
    });
  }
}

function lastBytes(buffer: Buffer): Buffer {
  return Buffer.from(buffer.subarray(Math.max(0, buffer.length - KEPT)));
}

/** The id of a JSON-RPC request seen only by its two ends: the first member (or second after
 *  "jsonrpc") as most clients write it, or the last member, as the TypeScript SDK writes it. */
function requestIdOf(head: string, tail: string): string | number | undefined {
  const value = '(-?\\d{1,15}|"(?:[^"\\\\]|\\\\.){0,200}")';
  const first = new RegExp(`^\\s*\\{\\s*(?:"jsonrpc"\\s*:\\s*"2\\.0"\\s*,\\s*)?"id"\\s*:\\s*${value}`).exec(head);
  const last = new RegExp(`"id"\\s*:\\s*${value}\\s*\\}\\s*$`).exec(tail.replace(/\r$/, ''));
  const found = first?.[1] ?? last?.[1];
  if (found === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(found);
    return typeof parsed === 'string' || typeof parsed === 'number' ? parsed : undefined;
  } catch {
    return undefined;
  }
}
