// Logging to stderr (stdout belongs to the protocol), with every configured secret redacted.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Replace every occurrence of a secret (and its URL-encoded form) by `***`. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length < 4) continue;
    out = out.split(secret).join('***');
    const encoded = encodeURIComponent(secret);
    if (encoded !== secret) out = out.split(encoded).join('***');
  }
  return out;
}

export function createLogger(options: {
  level: LogLevel;
  secrets: readonly string[];
  write?: (line: string) => void;
}): Logger {
  const threshold = ORDER[options.level];
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const emit = (level: Exclude<LogLevel, 'silent'>, message: string, fields?: Record<string, unknown>) => {
    if (ORDER[level] < threshold) return;
    let line = `[backlink-gap-mcp] ${level}: ${message}`;
    if (fields && Object.keys(fields).length > 0) {
      try {
        line += ` ${JSON.stringify(fields)}`;
      } catch {
        line += ' [unserialisable fields]';
      }
    }
    write(`${redact(line, options.secrets)}\n`);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
