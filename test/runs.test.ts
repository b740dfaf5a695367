// Gap runs: kept by run_id across restarts, expired after their TTL, and no id reaches the fs unchecked.

import { existsSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { GapRun } from '../src/domain.js';
import { silentLogger } from '../src/log.js';
import { createRunStore, isValidRunId, type RunStoreOptions } from '../src/runs.js';
import { type FakeClock, fakeClock, makeTempDir, recordingLogger, removeTempDir } from './cache/helpers.js';

let dir: string;
let clock: FakeClock;

beforeEach(async () => {
  dir = await makeTempDir();
  clock = fakeClock();
});
afterEach(async () => {
  await removeTempDir(dir);
});

function make(overrides: Partial<RunStoreOptions> = {}) {
  return createRunStore({ mode: 'persistent', dir, ttlSeconds: 30 * 86_400, logger: silentLogger, now: clock.now, ...overrides });
}

function sampleRun(runId: string): GapRun {
  return {
    run_id: runId,
    provider: 'dataforseo',
    your_domain: 'me.com',
    competitor_domains: ['rival.com', 'other.com'],
    min_competitors: 1,
    limit: 100,
    created_at: new Date(clock.now()).toISOString(),
    total_prospects: 1,
    prospects: [
      {
        domain: 'chamber.org',
        competitors: ['rival.com'],
        found_by: ['dataforseo'],
        competitor_overlap: 1,
        tier: 'one',
        category: 'chamber_or_association',
        score: 71.5,
        authority: 48,
      },
    ],
  };
}

describe('run ids', () => {
  it('accepts the ids backlink_gap makes', () => {
    expect(isValidRunId('run_911ef758d78f47ce')).toBe(true);
  });

  it('rejects anything that could leave the runs folder', () => {
    for (const bad of ['../x', '..', 'a/b', 'a\\b', '', 'x'.repeat(65), 'run.json', 'run\u0000', ' run', '%2e%2e']) {
      expect(isValidRunId(bad)).toBe(false);
    }
    expect(isValidRunId('run_AZaz09-_')).toBe(true);
  });
});

describe('run store', () => {
  it('saves and reads a run, and keeps it across a restart', async () => {
    const run = sampleRun('run_0123456789abcdef');
    await make().save(run);
    expect(await make().get(run.run_id)).toEqual(run);
  });

  it('answers undefined for an unknown run', async () => {
    expect(await make().get('run_000000000000')).toBeUndefined();
  });

  it('expires runs after their TTL, in memory and on disk', async () => {
    const store = make({ ttlSeconds: 3600 });
    const run = sampleRun('run_expiring');
    await store.save(run);
    clock.advance(3599_000);
    expect(await store.get(run.run_id)).toEqual(run);
    expect(await make({ ttlSeconds: 3600 }).get(run.run_id)).toEqual(run);
    clock.advance(2_000);
    expect(await store.get(run.run_id)).toBeUndefined();
    expect(await make({ ttlSeconds: 3600 }).get(run.run_id)).toBeUndefined();
    expect(existsSync(join(dir, 'runs', 'run_expiring.json'))).toBe(false);
  });

  it('never touches the file system for an invalid id', async () => {
    const store = make();
    await store.save(sampleRun('run_real'));
    // A well-formed run file outside the runs folder, exactly where `runs/../x.json` points: only a
    // read through the traversal could find it.
    await writeFile(join(dir, 'x.json'), JSON.stringify({ savedAt: clock.now(), run: sampleRun('../x') }));
    expect(await store.get('../x')).toBeUndefined();
    expect(await make().get('../x')).toBeUndefined();
    await expect(store.save(sampleRun('../evil'))).rejects.toMatchObject({ code: 'invalid_input' });
    expect(existsSync(join(dir, 'evil.json'))).toBe(false);
  });

  it('treats a corrupt run file as unknown, removes it and warns once', async () => {
    const logger = recordingLogger();
    const store = make({ logger });
    await store.save(sampleRun('run_corrupt'));
    await writeFile(join(dir, 'runs', 'run_corrupt.json'), '{"savedAt": 1, "run": {"run_id": "run_cor');
    const fresh = make({ logger });
    expect(await fresh.get('run_corrupt')).toBeUndefined();
    expect(await fresh.get('run_corrupt')).toBeUndefined();
    expect(logger.lines.filter((line) => line.level === 'warn')).toHaveLength(1);
    expect(existsSync(join(dir, 'runs', 'run_corrupt.json'))).toBe(false);
  });

  it('treats a run file that parses but holds no run as corrupt: removed, unknown, never a crash', async () => {
    const good = sampleRun('run_badcontent');
    const bad: unknown[] = [
      { ...good, prospects: [null] },
      { ...good, prospects: [{ ...good.prospects[0], score: 'high' }] },
      { ...good, prospects: [{ ...good.prospects[0], competitors: 'rival.com' }] },
      { ...good, competitor_domains: 'rival.com' },
      { ...good, provider: 'ahrefs' },
      { ...good, total_prospects: null },
      [good],
    ];
    for (const run of bad) {
      const logger = recordingLogger();
      await writeFile(join(dir, 'runs', 'run_badcontent.json'), JSON.stringify({ savedAt: clock.now(), run })).catch(async () => {
        await make().save(good);
        await writeFile(join(dir, 'runs', 'run_badcontent.json'), JSON.stringify({ savedAt: clock.now(), run }));
      });
      expect(await make({ logger }).get('run_badcontent')).toBeUndefined();
      expect(logger.lines.some((line) => /corrupt/.test(line.message))).toBe(true);
      expect(existsSync(join(dir, 'runs', 'run_badcontent.json'))).toBe(false);
    }
    await writeFile(join(dir, 'runs', 'run_badcontent.json'), JSON.stringify({ savedAt: clock.now(), run: good }));
    expect(await make().get('run_badcontent')).toEqual(good);
  });

  it('lists stored runs newest first, from memory and after a restart (older files without a head too)', async () => {
    const store = make();
    await store.save(sampleRun('run_first'));
    clock.advance(60_000);
    await store.save({ ...sampleRun('run_second'), your_domain: 'you.com', provider: 'moz' });
    const old = { savedAt: clock.now() - 30_000, run: sampleRun('run_oldformat') };
    await writeFile(join(dir, 'runs', 'run_oldformat.json'), JSON.stringify(old));
    const { utimes } = await import('node:fs/promises');
    await utimes(join(dir, 'runs', 'run_oldformat.json'), old.savedAt / 1000, old.savedAt / 1000);
    clock.advance(60_000);
    const listed = await make().list();
    expect(listed.map((run) => [run.run_id, run.your_domain, run.provider, run.age_seconds])).toEqual([
      ['run_second', 'you.com', 'moz', 60],
      ['run_oldformat', 'me.com', 'dataforseo', 90],
      ['run_first', 'me.com', 'dataforseo', 120],
    ]);
    expect(listed[0]).toMatchObject({ competitor_domains: ['rival.com', 'other.com'], total_prospects: 1 });
    expect(listed.every((run) => run.bytes > 100)).toBe(true);
    expect((await store.list()).map((run) => run.run_id)).toEqual(listed.map((run) => run.run_id));
    expect(await make().list(1)).toHaveLength(1);
  });

  it('sweeps expired run files from disk once a later process saves', async () => {
    await make({ ttlSeconds: 3600 }).save(sampleRun('run_old'));
    clock.advance(2 * 3600_000);
    await make({ ttlSeconds: 3600 }).save(sampleRun('run_new'));
    await vi.waitFor(() => expect(existsSync(join(dir, 'runs', 'run_old.json'))).toBe(false));
    expect(existsSync(join(dir, 'runs', 'run_new.json'))).toBe(true);
  });

  it('leaves no temp files behind after saving', async () => {
    const store = make();
    await Promise.all(Array.from({ length: 10 }, (_, index) => store.save(sampleRun(`run_${index}`))));
    const names = await readdir(join(dir, 'runs'));
    expect(names.filter((name) => !name.endsWith('.json'))).toEqual([]);
    expect(names).toHaveLength(10);
  });

  for (const mode of ['memory', 'off'] as const) {
    it(`keeps runs in memory in ${mode} mode and writes nothing`, async () => {
      const store = make({ mode });
      const run = sampleRun('run_in_memory');
      await store.save(run);
      expect(await store.get(run.run_id)).toEqual(run);
      expect(existsSync(join(dir, 'runs'))).toBe(false);
      expect(await make({ mode }).get(run.run_id)).toBeUndefined();
    });
  }
});
