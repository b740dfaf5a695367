import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from '../../src/http/client.js';
import { backoffDelay } from '../../src/http/retry.js';

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-03-01T12:00:00Z');
  it('reads seconds', () => {
    expect(parseRetryAfter('30', now)).toBe(30_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
  });
  it('reads an HTTP date relative to now, never negative', () => {
    expect(parseRetryAfter('Sun, 01 Mar 2026 12:00:45 GMT', now)).toBe(45_000);
    expect(parseRetryAfter('Sun, 01 Mar 2026 11:00:00 GMT', now)).toBe(0);
  });
  it('ignores absent and invalid values', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });
});

describe('backoffDelay', () => {
  it('grows the ceiling exponentially and jitters below it', () => {
    expect(backoffDelay(1, 500, () => 0.999)).toBe(499);
    expect(backoffDelay(3, 500, () => 0.999)).toBe(1998);
    expect(backoffDelay(3, 500, () => 0)).toBe(0);
  });
});
