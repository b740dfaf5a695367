// What both HTTP clients (client.ts for providers, web.ts for public pages) read off undici.

import type { Dispatcher } from 'undici';

export function flattenHeaders(headers: Dispatcher.ResponseData['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** The code of a network error: undici wraps system errors (ECONNRESET inside UND_ERR_SOCKET), so the
 *  innermost system code is preferred. */
export function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  let found: string | undefined;
  for (let depth = 0; depth < 4 && current !== null && typeof current === 'object'; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && (found === undefined || found.startsWith('UND_ERR_SOCKET'))) found = code;
    current = (current as { cause?: unknown }).cause;
  }
  return found;
}
