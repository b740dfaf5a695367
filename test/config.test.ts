// DATAFORSEO_BULK_RANKS switches the extra billed bulk_ranks call (its price is UNVERIFIED).

import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';

describe('DATAFORSEO_BULK_RANKS', () => {
  it('is on by default, off with 0, and a clear error otherwise', () => {
    expect(loadConfig({}).providers.dataforseo.bulkRanks).toBe(true);
    expect(loadConfig({ DATAFORSEO_BULK_RANKS: '0' }).providers.dataforseo.bulkRanks).toBe(false);
    expect(() => loadConfig({ DATAFORSEO_BULK_RANKS: 'no' })).toThrow(/DATAFORSEO_BULK_RANKS.*must be 1/);
  });
});
