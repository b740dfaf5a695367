// Issue 6 proof 6: a server SIGKILLed while writing cache entries and runs restarts on the same cache
// dir with every completed answer served from the cache and no corrupt entry served.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../helpers/fake-upstream.js';
import { DATAFORSEO_KEYS, stdioSession, tempDir, textOf, upstreamEnv } from './harness.js';

const CALLS = 60;
const KILL_AFTER = 20;
const CONCURRENCY = 6;

let upstream: FakeUpstream;
beforeAll(async () => {
  upstream = await startFakeUpstream();
  // Slow enough that calls overlap and the kill lands while others are mid-flight or mid-write.
  upstream.setDefault((request) => ({ kind: 'slow', ms: request.url.includes('intersection') ? 40 : 25 }));
});
afterAll(async () => {
  await upstream?.close();
});

type Structured = Record<string, unknown> & { cached?: boolean; run_id?: string; backlinks?: unknown[]; prospects?: unknown[] };

const argsFor = (index: number): [string, Record<string, unknown>] =>
  index % 2 === 0
    ? ['get_backlinks', { target: `crash-${index}.com`, provider: 'dataforseo', limit: 50 }]
    : ['backlink_gap', { your_domain: `crash-${index}.com`, competitor_domains: ['forbes.com', 'cnn.com'], provider: 'dataforseo' }];

/** What must be identical between the first answer and a replay (provenance differs by design). */
const dataOf = (structured: Structured) => structured.backlinks ?? structured.prospects;

describe('crash safety of the persistent cache and runs', () => {
  it('SIGKILL mid-way, restart on the same dir: completed answers come from the cache, nothing corrupt is served', { timeout: 120_000 }, async () => {
    const dir = tempDir('crash');
    const env = { ...DATAFORSEO_KEYS, ...upstreamEnv(upstream.origin), BACKLINK_GAP_CACHE_DIR: dir };
    const first = await stdioSession(env);
    const completed = new Map<number, Structured>();
    let next = 0;
    let killed = false;
    const worker = async () => {
      while (next < CALLS && !killed) {
        const index = next;
        next += 1;
        const [tool, args] = argsFor(index);
        try {
          const result = await first.call(tool, args);
          if (!result.isError && !killed) completed.set(index, result.structuredContent as Structured);
        } catch {
          // Calls cut off by the kill.
        }
        if (completed.size >= KILL_AFTER && !killed) {
          killed = true;
          process.kill(first.pid, 'SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    await first.close().catch(() => undefined);
    expect(killed).toBe(true);
    expect(completed.size).toBeGreaterThanOrEqual(KILL_AFTER);

    const second = await stdioSession(env);
    try {
      for (const [index, before] of completed) {
        const [tool, args] = argsFor(index);
        const requestsBefore = upstream.requests.length;
        const again = await second.call(tool, args);
        expect(again.isError, `${tool} #${index}: ${textOf(again)}`).toBeFalsy();
        const after = again.structuredContent as Structured;
        expect(after.cached, `${tool} #${index} was answered before the kill but not cached`).toBe(true);
        expect(upstream.requests.length).toBe(requestsBefore);
        expect((dataOf(before) ?? []).length, `${tool} #${index} answered no rows`).toBeGreaterThan(0);
        expect(dataOf(after)).toEqual(dataOf(before));
        if (before.run_id !== undefined) {
          // The run the first process stored is readable after the crash.
          const page = await second.call('list_prospects', { run_id: before.run_id, per_page: 100 });
          expect(page.isError, textOf(page)).toBeFalsy();
        }
      }
      // Calls cut off by the kill: each is either a hit with correct data or a clean refetch.
      const reference = new Map<string, unknown>();
      for (const [index, before] of completed) reference.set(argsFor(index)[0], dataOf(before));
      for (let index = 0; index < CALLS; index += 1) {
        if (completed.has(index)) continue;
        const [tool, args] = argsFor(index);
        const result = await second.call(tool, args);
        expect(result.isError, `${tool} #${index}: ${textOf(result)}`).toBeFalsy();
        expect(dataOf(result.structuredContent as Structured)).toEqual(reference.get(tool));
      }
    } finally {
      await second.close();
    }
  });
});
