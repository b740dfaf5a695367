// Local data changed is read again: the local provider's cache keys carry the dataset's identity
// (path, size, mtime of each file), so an edited BACKLINK_GAP_DATA is never answered from the past.

import { mkdtempSync, rmSync } from 'node:fs';
import { appendFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { GapOutcome } from '../../src/service/index.js';
import { type TestRuntime, testRuntime } from '../helpers/runtime.js';

const runtimes: TestRuntime[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((runtime) => runtime.dispose()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const row = (source: string, target: string) => `https://${source}/page,https://${target}/,${source} link,false\n`;

describe('an edited local dataset', () => {
  it('is read again by a new process on the same cache dir, and by the same process', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'blg-data-'));
    const cacheDir = mkdtempSync(join(tmpdir(), 'blg-cache-'));
    dirs.push(dataDir, cacheDir);
    const links = join(dataDir, 'links.csv');
    await writeFile(links, `source_url,target_url,anchor,nofollow\n${row('first-site.org', 'rival-one.com')}${row('first-site.org', 'rival-two.com')}`);
    const env = { BACKLINK_GAP_DATA: links };
    const question = { your_domain: 'mine.com', competitor_domains: ['rival-one.com', 'rival-two.com'] };
    const domains = (outcome: unknown) => (outcome as GapOutcome).top.map((prospect) => prospect.domain).sort();

    // Two runtimes on one cache dir stand for two processes; the cache dir is kept between them.
    const first = testRuntime(env, undefined, cacheDir);
    runtimes.push(first);
    expect(domains(await first.service.gap(question))).toEqual(['first-site.org']);

    await appendFile(links, row('second-site.org', 'rival-one.com'));

    const second = testRuntime(env, undefined, cacheDir);
    runtimes.push(second);
    const again = (await second.service.gap(question)) as GapOutcome;
    expect(again.cached).toBe(false);
    expect(domains(again)).toEqual(['first-site.org', 'second-site.org']);
    expect(domains(await first.service.gap(question))).toEqual(['first-site.org', 'second-site.org']);
  });
});
