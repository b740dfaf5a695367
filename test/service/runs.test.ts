// Stored runs from the outside: a damaged run is an unknown run (never an internal error), an
// unknown id names the stored runs near it, and backlink-gap://runs lists what is stored.

import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { GapOutcome, RunSummary } from '../../src/service/index.js';
import { connectClient } from '../helpers/client.js';
import { type TestRuntime, testRuntime } from '../helpers/runtime.js';

const QUESTION = { your_domain: 'bluebonnetplumbing.com', competitor_domains: ['austinplumbingco.com', 'capitalcityplumbers.com'] };

let runtime: TestRuntime | undefined;
afterEach(async () => {
  await runtime?.dispose();
  runtime = undefined;
});

async function storedRun(): Promise<{ runtime: TestRuntime; runId: string }> {
  runtime = testRuntime();
  const outcome = (await runtime.service.gap({ ...QUESTION, limit: 20 })) as GapOutcome;
  return { runtime, runId: outcome.run_id };
}

describe('stored runs', () => {
  it('a run file with bad content is an unknown run for list_prospects, and is removed', async () => {
    const { runtime, runId } = await storedRun();
    const file = join(runtime.dir, 'runs', `${runId}.json`);
    const stored = JSON.parse(await readFile(file, 'utf8'));
    stored.run.prospects[0].competitors = 42;
    await writeFile(file, JSON.stringify(stored));
    // A new process (runtime) on the same dir reads the file, not the run held in memory.
    const next = testRuntime({}, undefined, runtime.dir);
    try {
      await expect(next.service.prospects({ run_id: runId })).rejects.toMatchObject({ code: 'unknown_run' });
      expect(existsSync(file)).toBe(false);
    } finally {
      await next.close();
    }
  });

  it('an unknown run id names the stored runs near it, with their domains', async () => {
    const { runtime, runId } = await storedRun();
    const typo = `${runId.slice(0, -2)}xx`;
    await expect(runtime.service.prospects({ run_id: typo })).rejects.toThrow(
      new RegExp(`Unknown run_id "${typo}".*Stored runs near it: "${runId}" \\(bluebonnetplumbing\\.com vs austinplumbingco\\.com, capitalcityplumbers\\.com; local; 0 s old\\)`),
    );
    await expect(runtime.service.prospects({ run_id: 'run_nothinglikeit' })).rejects.not.toThrow(/Stored runs near it/);
  });

  it('backlink-gap://runs lists the stored runs', async () => {
    const { runtime, runId } = await storedRun();
    const client = await connectClient({ service: runtime.service, logger: runtime.logger });
    try {
      const { resources } = await client.listResources();
      expect(resources.map((resource) => resource.uri)).toContain('backlink-gap://runs');
      const read = await client.readResource({ uri: 'backlink-gap://runs' });
      const listed = JSON.parse((read.contents[0] as { text: string }).text) as RunSummary[];
      expect(listed).toEqual([
        expect.objectContaining({ run_id: runId, your_domain: QUESTION.your_domain, competitor_domains: QUESTION.competitor_domains, provider: 'local' }),
      ]);
    } finally {
      await client.close();
    }
  });
});
