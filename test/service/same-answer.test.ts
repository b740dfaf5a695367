// Same question, same answer: a backlink_gap keeps the same prospects whatever the cache held
// before (a larger run, a broader min_competitors), on the bundled sample.

import { afterEach, describe, expect, it } from 'vitest';
import type { GapInput, GapOutcome, Service } from '../../src/service/index.js';
import { isDryRun } from '../../src/service/index.js';
import { type TestRuntime, testRuntime } from '../helpers/runtime.js';

const QUESTION = {
  your_domain: 'bluebonnetplumbing.com',
  competitor_domains: ['austinplumbingco.com', 'capitalcityplumbers.com', 'lonestarrooter.com', 'hillcountryplumbing.com', 'eastsidepipeworks.com'],
};

const runtimes: TestRuntime[] = [];
afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((runtime) => runtime.dispose()));
});

function service(): Service {
  const runtime = testRuntime();
  runtimes.push(runtime);
  return runtime.service;
}

async function answer(on: Service, input: Partial<GapInput>) {
  const outcome = (await on.gap({ ...QUESTION, ...input })) as GapOutcome;
  if (isDryRun(outcome)) throw new Error('unexpected dry run');
  const run = await on.run(outcome.run_id);
  return {
    total: outcome.total_prospects,
    kept: outcome.kept,
    top: outcome.top.map((prospect) => [prospect.domain, prospect.score]),
    facets: outcome.facets,
    run: run.prospects.map((prospect) => prospect.domain),
  };
}

describe('same question, same answer', () => {
  it('a limit 100 answer after a limit 1000 run equals a fresh limit 100 answer', async () => {
    const fresh = await answer(service(), { limit: 100 });
    const warmed = service();
    await answer(warmed, { limit: 1000 });
    const derived = await answer(warmed, { limit: 100 });
    expect(fresh.kept).toBe(100);
    expect(fresh.total).toBeGreaterThan(100);
    expect(derived).toEqual(fresh);
  });

  it('a stricter min_competitors derived from a broad answer equals a fresh one', async () => {
    for (const limit of [20, 1000]) {
      const fresh = await answer(service(), { limit, min_competitors: 2 });
      const warmed = service();
      await answer(warmed, { limit: 1000 });
      const derived = await answer(warmed, { limit, min_competitors: 2 });
      expect(derived).toEqual(fresh);
    }
  });
});
