// Money: every billed request counted once, the budget reserved before a call leaves, concurrent
// calls (in one process or several on one cache dir) kept within one request of the budget.

import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ProviderError } from '../../src/errors.js';
import { createLedger } from '../../src/ledger.js';
import { silentLogger } from '../../src/log.js';
import { createFakeProvider, prospect } from '../helpers/fake-provider.js';
import { type TestRuntime, testRuntime } from '../helpers/runtime.js';
import { BUDGET_ROWS, ROWS_PER_CALL, type MozLikeOptions, mozLike } from './fixtures/moz-like.js';

let runtime: TestRuntime | undefined;
afterEach(async () => {
  await runtime?.dispose();
  runtime = undefined;
});

function setup(options: MozLikeOptions = {}) {
  const fake = mozLike(options);
  runtime = testRuntime({ MOZ_DAILY_BUDGET: String(BUDGET_ROWS) }, { moz: fake });
  return { service: runtime.service, ledger: runtime.ledger, fake };
}

const targets = (count: number) => Array.from({ length: count }, (_, index) => `target-${index}.com`);

describe('budget reservation', () => {
  for (const perRequest of [false, true]) {
    it(`10 concurrent calls against a 1,000-row budget stay within it (${perRequest ? 'spend per request' : 'cost of the result'})`, async () => {
      const { service, ledger, fake } = setup({ perRequest });
      const settled = await Promise.allSettled(targets(10).map((target) => service.intersect({ positive_targets: [target], provider: 'moz' })));
      const refused = settled.filter((entry) => entry.status === 'rejected');
      for (const entry of refused) expect((entry as PromiseRejectedResult).reason).toMatchObject({ code: 'budget_exceeded' });
      expect(fake.calls.intersect).toHaveLength(4);
      expect(refused).toHaveLength(6);
      // Each call counted once: per-request spend is not counted again from the result's cost.
      expect(await ledger.spent('moz', 'day')).toBe(4 * ROWS_PER_CALL);
      expect(await ledger.spent('moz', 'day')).toBeLessThanOrEqual(BUDGET_ROWS + ROWS_PER_CALL);
    });
  }

  it('names what calls still running hold when it refuses', async () => {
    const { service } = setup({ delayMs: 50 });
    const running = targets(4).map((target) => service.intersect({ positive_targets: [target], provider: 'moz' }));
    await new Promise((resolve) => setTimeout(resolve, 10));
    await expect(service.intersect({ positive_targets: ['late.com'], provider: 'moz' })).rejects.toThrow(
      /spent 0 of 1000 rows today \(UTC\) \(and 1000 rows held by calls still running\); this call is estimated at 250 rows/,
    );
    await Promise.all(running);
  });

  it('records the spend of a call that failed after billed pages, and counts it against the budget', async () => {
    const { service, ledger } = setup({ failAfterPages: true });
    await expect(service.intersect({ positive_targets: ['gone.com'], provider: 'moz' })).rejects.toMatchObject({ code: 'expired' });
    expect(await ledger.spent('moz', 'day')).toBe(ROWS_PER_CALL);
    // What failed released its hold but not its spend: 750 rows remain, three more calls fit.
    const settled = await Promise.allSettled(targets(4).map((target) => service.intersect({ positive_targets: [target], provider: 'moz' })));
    expect(settled.filter((entry) => entry.status === 'rejected' && entry.reason.code === 'budget_exceeded')).toHaveLength(1);
    expect(await ledger.spent('moz', 'day')).toBe(ROWS_PER_CALL * 4);
  });

  it('a fan-out where one provider charged and then failed records both providers’ spend', async () => {
    const paying = createFakeProvider('localseodata', { prospects: [prospect('chamber.org', ['a.com'])] });
    const failing = createFakeProvider('dataforseo', { unit: 'usd', costPerCall: 0.02 });
    failing.gapAnswer = async (_query, context) => {
      context.spend?.({ provider: 'dataforseo', amount: 0.02, unit: 'usd' });
      throw new ProviderError({ code: 'upstream_unavailable', provider: 'dataforseo', message: 'DataForSEO answered 503.' });
    };
    runtime = testRuntime({}, { localseodata: paying, dataforseo: failing });
    const outcome = await runtime.service.gap({ your_domain: 'me.com', competitor_domains: ['a.com'], provider: 'all' });
    expect(outcome).toMatchObject({ providers: expect.arrayContaining([expect.objectContaining({ provider: 'dataforseo', status: 'error' })]) });
    expect(await runtime.ledger.spent('localseodata', 'day')).toBe(10);
    expect(await runtime.ledger.spent('dataforseo', 'day')).toBe(0.02);
  });

  it('two processes sharing a cache dir stay within the budget together', { timeout: 60_000 }, async () => {
    runtime = testRuntime();
    const script = fileURLToPath(new URL('./fixtures/spender-process.ts', import.meta.url));
    const { dir } = runtime;
    const run = (label: string) =>
      new Promise<string>((resolve, reject) => {
        execFile(process.execPath, ['--import', 'tsx', script, dir, label, '6'], { timeout: 50_000 }, (error, stdout, stderr) => {
          if (error) reject(new Error(`${label} failed: ${error.message}\n${stderr}`));
          else resolve(stdout);
        });
      });
    const outputs = await Promise.all([run('one'), run('two')]);
    const ok = outputs.reduce((sum, text) => sum + Number(/ok=(\d+)/.exec(text)?.[1] ?? Number.NaN), 0);
    const refused = outputs.reduce((sum, text) => sum + Number(/refused=(\d+)/.exec(text)?.[1] ?? Number.NaN), 0);
    expect(ok + refused).toBe(12);
    const spent = await createLedger({ mode: 'persistent', dir, logger: silentLogger }).spent('moz', 'day');
    expect(spent).toBe(ok * ROWS_PER_CALL);
    expect(spent).toBeLessThanOrEqual(BUDGET_ROWS + ROWS_PER_CALL);
    expect(ok).toBeGreaterThan(0);
  });
});
