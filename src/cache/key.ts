// Cache keys: the same question to the same account always gives the same key, and no secret is in it.

import { createHash } from 'node:crypto';

/**
 * Provider + operation + account hash + canonical parameters → `provider:operation:<sha256 hex>`.
 * The readable prefix helps when listing the cache; the hash covers every part, so two accounts or
 * two parameter sets never share an entry.
 */
export function cacheKey(parts: { provider: string; operation: string; account: string; params: Record<string, unknown> }): string {
  const digest = createHash('sha256')
    .update(canonicalJson({ provider: parts.provider, operation: parts.operation, account: parts.account, params: parts.params }))
    .digest('hex');
  return `${readable(parts.provider)}:${readable(parts.operation)}:${digest}`;
}

/**
 * JSON with object keys sorted and undefined members dropped, so equal parameters serialise equally
 * whatever order they were built in. Arrays keep their order (the caller sorts sets); inside arrays,
 * undefined becomes null, as JSON.stringify does.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(canonical(value, new Set())) ?? 'null';
}

function canonical(value: unknown, ancestors: Set<object>): unknown {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'bigint') throw new TypeError('canonicalJson: a bigint has no JSON form');
    return value;
  }
  const withJson = value as { toJSON?: () => unknown };
  if (typeof withJson.toJSON === 'function') return canonical(withJson.toJSON(), ancestors);
  if (ancestors.has(value)) throw new TypeError('canonicalJson: the value is circular');
  ancestors.add(value);
  let out: unknown;
  if (Array.isArray(value)) {
    out = value.map((item) => {
      const inner = canonical(item, ancestors);
      return inner === undefined || typeof inner === 'function' || typeof inner === 'symbol' ? null : inner;
    });
  } else {
    const entries: Array<[string, unknown]> = [];
    for (const name of Object.keys(value).sort()) {
      const inner = canonical((value as Record<string, unknown>)[name], ancestors);
      if (inner === undefined || typeof inner === 'function' || typeof inner === 'symbol') continue;
      entries.push([name, inner]);
    }
    // fromEntries defines own properties, so a "__proto__" parameter stays data, not a prototype.
    out = Object.fromEntries(entries);
  }
  ancestors.delete(value);
  return out;
}

/** The prefix is for people reading a listing; keep it to a safe alphabet so it cannot carry anything odd. */
function readable(text: string): string {
  return text.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 40);
}
