// The bundled synthetic sample (data/sample): loads from the package, is labelled synthetic, and holds
// the market the README describes. Also checks that the generator reproduces the committed files.

import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { createLocalProvider, sampleDataPath } from '../../src/providers/local.js';
import { COMPETITORS, generateSample, YOUR_DOMAIN } from '../../scripts/generate-sample.js';

const gapQuery = { your_domain: YOUR_DOMAIN, competitor_domains: [...COMPETITORS], limit: 1000, min_competitors: 1 };

describe('bundled sample', () => {
  it('resolves to data/sample at the package root', () => {
    expect(resolve(sampleDataPath())).toBe(resolve(fileURLToPath(new URL('../../data/sample/', import.meta.url))));
  });

  it('loads without BACKLINK_GAP_DATA and says it is synthetic', async () => {
    const local = createLocalProvider({ logger: silentLogger });
    expect(local.describe().title).toContain('bundled synthetic sample');
    const result = await local.gap!(gapQuery, {});
    expect(result.synthetic).toBe(true);
    expect(result.notes?.[0]).toMatch(/synthetic/i);
    expect(result.cost).toEqual({ amount: 0, unit: 'none', provider: 'local' });
    const backlinks = await local.backlinks!({ target: COMPETITORS[0], target_kind: 'domain', mode: 'as_is', limit: 5 }, {});
    expect(backlinks.synthetic).toBe(true);
    expect(backlinks.notes?.[0]).toMatch(/synthetic/i);
    const intersect = await local.intersect!(
      {
        positive_targets: COMPETITORS.map((target) => ({ target, scope: 'root_domain' as const })),
        negative_targets: [{ target: YOUR_DOMAIN, scope: 'root_domain' }],
        min_matching_targets: 2,
        source_scope: 'root_domain',
        sort: 'matching_target_count',
        limit: 10,
      },
      {},
    );
    expect(intersect.synthetic).toBe(true);
    expect(intersect.results.length).toBeGreaterThan(0);
  });

  it('has prospects linking to all five competitors, a long tail linking to one, and unknown authority', async () => {
    const result = await createLocalProvider({ logger: silentLogger }).gap!(gapQuery, {});
    const allFive = result.prospects.filter((prospect) => prospect.competitors.length === 5);
    expect(allFive.length).toBeGreaterThanOrEqual(3);
    expect(result.prospects[0]!.competitors).toEqual([...COMPETITORS]);
    expect(result.prospects.filter((prospect) => prospect.competitors.length === 1).length).toBeGreaterThan(50);
    expect(result.prospects.some((prospect) => prospect.authority === undefined)).toBe(true);
    expect(result.prospects.some((prospect) => (prospect.spam_score ?? 0) > 60)).toBe(true);
    expect(result.total_prospects).toBeGreaterThan(100);
    // Referring domains that also link to you are not gaps; competitors are not prospects.
    const domains = new Set(result.prospects.map((prospect) => prospect.domain));
    for (const competitor of COMPETITORS) expect(domains.has(competitor)).toBe(false);
    const alreadyLinking = await createLocalProvider({ logger: silentLogger }).backlinks!(
      { target: YOUR_DOMAIN, target_kind: 'domain', mode: 'one_per_domain', limit: 1000 },
      {},
    );
    expect(alreadyLinking.total).toBeGreaterThan(10);
    for (const row of alreadyLinking.backlinks) expect(domains.has(row.source_domain)).toBe(false);
  });

  it('is what scripts/generate-sample.ts generates, and stays under 200 KB', async () => {
    const generated = generateSample();
    const [links, domains] = await Promise.all([
      readFile(join(sampleDataPath(), 'links.csv'), 'utf8'),
      readFile(join(sampleDataPath(), 'domains.csv'), 'utf8'),
    ]);
    expect(links).toBe(generated.links);
    expect(domains).toBe(generated.domains);
    expect(links.length + domains.length).toBeLessThan(200 * 1024);
  });
});
