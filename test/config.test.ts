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

describe('BACKLINK_GAP_WEBGRAPH_*', () => {
  it("defaults to Common Crawl's public locations, takes another base (a mirror, a test fake), and checks the parts mode", () => {
    expect(loadConfig({}).webgraphDownload).toEqual({
      infoUrl: 'https://index.commoncrawl.org/graphinfo.json',
      dataUrl: 'https://data.commoncrawl.org/projects/hyperlinkgraph',
      parts: 'auto',
    });
    const mirror = loadConfig({ BACKLINK_GAP_WEBGRAPH_DATA_URL: 'http://127.0.0.1:9000/cc/', BACKLINK_GAP_WEBGRAPH_PARTS: 'listing' }).webgraphDownload;
    expect(mirror).toMatchObject({ dataUrl: 'http://127.0.0.1:9000/cc', parts: 'listing' });
    expect(() => loadConfig({ BACKLINK_GAP_WEBGRAPH_PARTS: 'split' })).toThrow(/BACKLINK_GAP_WEBGRAPH_PARTS.*auto, single or listing/);
    expect(() => loadConfig({ BACKLINK_GAP_WEBGRAPH_INFO_URL: 'ftp://x' })).toThrow(/BACKLINK_GAP_WEBGRAPH_INFO_URL/);
  });
});
