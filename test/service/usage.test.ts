// usage reads each provider's balance upstream at most once a minute, not on every call.

import { afterEach, describe, expect, it } from 'vitest';
import { ProviderError } from '../../src/errors.js';
import { createFakeProvider } from '../helpers/fake-provider.js';
import { type TestRuntime, testRuntime } from '../helpers/runtime.js';

let runtime: TestRuntime | undefined;
afterEach(async () => {
  await runtime?.dispose();
  runtime = undefined;
});

describe('usage balances', () => {
  it('reads a balance upstream at most once a minute, and again after a failure', async () => {
    const fake = createFakeProvider('localseodata');
    let calls = 0;
    let fail = false;
    fake.balance = async () => {
      calls += 1;
      if (fail) throw new ProviderError({ code: 'upstream_unavailable', provider: 'localseodata', message: 'LocalSEOData balance endpoint down (503).' });
      return { amount: 1000 - calls, unit: 'credits' };
    };
    runtime = testRuntime({}, { localseodata: fake });
    const balance = async () => (await runtime!.service.usage()).providers.find((entry) => entry.provider === 'localseodata');

    const first = await Promise.all([balance(), balance(), balance()]);
    expect(first.map((entry) => entry?.balance?.amount)).toEqual([999, 999, 999]);
    runtime.clock.now += 59_000;
    expect((await balance())?.balance?.amount).toBe(999);
    expect(calls).toBe(1);

    runtime.clock.now += 2_000;
    fail = true;
    expect((await balance())?.balance_error).toMatch(/balance endpoint down/);
    fail = false;
    expect((await balance())?.balance?.amount).toBe(997);
    expect(calls).toBe(3);
  });
});
