// Cache keys: stable for equal questions, distinct for different ones, and free of secrets.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cacheKey, canonicalJson } from '../../src/cache/key.js';

describe('canonicalJson', () => {
  it('sorts object keys at every depth and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: undefined, c: [3, 1] }, e: undefined })).toBe('{"a":{"c":[3,1]},"b":1}');
  });

  it('keeps array order (the caller sorts sets) and turns undefined in arrays into null', () => {
    expect(canonicalJson(['b', 'a'])).not.toBe(canonicalJson(['a', 'b']));
    expect(canonicalJson([undefined, 1])).toBe('[null,1]');
  });

  it('gives the same text whatever order an object was built in', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (record) => {
        const reversed = Object.fromEntries(Object.entries(record).reverse());
        expect(canonicalJson(reversed)).toBe(canonicalJson(record));
        expect(JSON.parse(canonicalJson(record))).toEqual(JSON.parse(JSON.stringify(record)));
      }),
    );
  });

  it('keeps a "__proto__" parameter as data', () => {
    expect(canonicalJson(JSON.parse('{"__proto__":{"x":1},"a":2}'))).toBe('{"__proto__":{"x":1},"a":2}');
  });

  it('refuses circular values instead of overflowing', () => {
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    expect(() => canonicalJson(loop)).toThrow(/circular/);
  });
});

describe('cacheKey', () => {
  const base = { provider: 'dataforseo', operation: 'gap', account: 'a1b2c3', params: { your_domain: 'me.com', limit: 100 } };

  it('is readable-prefixed and a sha256 hex digest', () => {
    expect(cacheKey(base)).toMatch(/^dataforseo:gap:[0-9a-f]{64}$/);
  });

  it('is stable across parameter order and absent members', () => {
    expect(cacheKey({ ...base, params: { limit: 100, your_domain: 'me.com', cursor: undefined } })).toBe(cacheKey(base));
  });

  it('differs by account, operation, provider and parameters', () => {
    const keys = new Set([
      cacheKey(base),
      cacheKey({ ...base, account: 'other' }),
      cacheKey({ ...base, operation: 'backlinks' }),
      cacheKey({ ...base, provider: 'moz' }),
      cacheKey({ ...base, params: { ...base.params, limit: 101 } }),
    ]);
    expect(keys.size).toBe(5);
  });

  it('never contains the account text', () => {
    const key = cacheKey({ ...base, account: 'sk_live_SECRET' });
    expect(key).not.toContain('sk_live_SECRET');
    expect(key).not.toContain('SECRET');
  });
});
