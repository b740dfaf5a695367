// usage reads each provider's balance upstream at most once a minute, not on every call.

import { afterEach, describe, expect, it } from 'vitest';
import { ProviderError } from '../../src/errors.js';
import { renderUsage } from '../../src/summary/usage.js';
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

describe('usage and dry_run while a paid call is running', () => {
  it('show what the running call holds against the budget, and stop once it has spent', async () => {
    const fake = createFakeProvider('localseodata', { costPerCall: 10 });
    let answer: () => void = () => {};
    const answered = new Promise<void>((resolve) => {
      answer = resolve;
    });
    let started: () => void = () => {};
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    const plain = fake.gapAnswer;
    fake.gapAnswer = async (query, context) => {
      started();
      await answered;
      return plain(query, context);
    };
    runtime = testRuntime({ LOCALSEODATA_DAILY_BUDGET: '100' }, { localseodata: fake });
    const query = { your_domain: 'mine.com', competitor_domains: ['rival.com'], provider: 'localseodata' as const };
    const call = runtime.service.gap(query);
    await running;

    const during = (await runtime.service.usage()).providers.find((entry) => entry.provider === 'localseodata')!;
    expect(during.spent_today).toBe(0);
    expect(during.held_today).toBe(10);
    expect(renderUsage(await runtime.service.usage())).toMatch(/today 0 credits \(\+10 credits held by calls running\) of 100 credits budget/);
    const quote = await runtime.service.gap({ ...query, competitor_domains: ['other.com'], dry_run: true });
    expect(quote).toMatchObject({ dry_run: true, estimates: [{ provider: 'localseodata', spent_today: 0, held_today: 10 }] });

    answer();
    await call;
    const after = (await runtime.service.usage()).providers.find((entry) => entry.provider === 'localseodata')!;
    expect(after.spent_today).toBe(10);
    expect(after.held_today).toBeUndefined();
  });
});
