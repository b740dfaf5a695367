// The local engine (DuckDB over Parquet): gap answers identical to the in-memory index's, the
// dataset converted once and reused by a later provider without reading the CSV, and converted
// again when the CSV changes.

import { appendFile, cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GapQuery } from '../../src/domain.js';
import { type Logger, silentLogger } from '../../src/log.js';
import { createLocalProvider } from '../../src/providers/local.js';
import { COMPETITORS, YOUR_DOMAIN } from '../../scripts/generate-sample.js';
import type { GapOutcome } from '../../src/service/index.js';
import { testRuntime } from '../helpers/runtime.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/local/${name}/`, import.meta.url));

function recordingLogger(): Logger & { messages: string[] } {
  const messages: string[] = [];
  const record = (message: string) => {
    messages.push(message);
  };
  return { messages, debug: record, info: record, warn: record, error: record };
}

let cacheDir: string;
beforeAll(async () => {
  cacheDir = await mkdtemp(join(tmpdir(), 'blg-engine-'));
});
afterAll(async () => {
  await rm(cacheDir, { recursive: true, force: true });
});

const fixtureQueries: GapQuery[] = [
  { your_domain: 'me.com', competitor_domains: ['a.com', 'b.com', 'c.com'], limit: 100, min_competitors: 1 },
  { your_domain: 'me.com', competitor_domains: ['c.com', 'a.com', 'b.com'], limit: 2, min_competitors: 1 },
  { your_domain: 'me.com', competitor_domains: ['a.com', 'b.com', 'c.com'], limit: 100, min_competitors: 2 },
  { your_domain: 'nobody.com', competitor_domains: ['nowhere.com', 'a.com'], limit: 100, min_competitors: 1 },
  { your_domain: 'nobody.com', competitor_domains: ['nowhere.com'], limit: 10, min_competitors: 1 },
];
const sampleQueries: GapQuery[] = [
  { your_domain: YOUR_DOMAIN, competitor_domains: [...COMPETITORS], limit: 1000, min_competitors: 1 },
  { your_domain: YOUR_DOMAIN, competitor_domains: [...COMPETITORS], limit: 25, min_competitors: 2 },
  { your_domain: YOUR_DOMAIN, competitor_domains: COMPETITORS.slice(0, 2), limit: 50, min_competitors: 1 },
];

describe('local engine: gap answers identical to the in-memory index', () => {
  const cases: Array<[string, string | undefined, GapQuery[]]> = [
    ['the basic fixture', fixture('basic'), fixtureQueries],
    ['the JSONL fixture', fixture('jsonl'), fixtureQueries],
    ['the bundled sample', undefined, sampleQueries],
  ];
  for (const [name, dataPath, queries] of cases) {
    it(`on ${name}`, async () => {
      const paths = dataPath === undefined ? {} : { dataPath };
      const index = createLocalProvider({ ...paths, logger: silentLogger });
      const engine = createLocalProvider({ ...paths, logger: silentLogger, engine: { cacheDir } });
      for (const query of queries) {
        const expected = await index.gap!(query, {});
        expect(expected.prospects.length + (expected.notes?.length ?? 0)).toBeGreaterThan(0);
        expect(await engine.gap!(query, {})).toEqual(expected);
      }
    });
  }
});

describe('local engine: converted once, reused, converted again on change', () => {
  it('a second provider answers from the Parquet files without reading the CSV; an edited CSV is converted again', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'blg-engine-data-'));
    const cache = await mkdtemp(join(tmpdir(), 'blg-engine-cache-'));
    try {
      await cp(fixture('basic'), folder, { recursive: true });
      const query = { your_domain: 'me.com', competitor_domains: ['a.com', 'b.com', 'c.com'], limit: 100, min_competitors: 1 };
      const first = recordingLogger();
      const answer = await createLocalProvider({ dataPath: folder, logger: first, engine: { cacheDir: cache } }).gap!(query, {});
      expect(first.messages).toContain('local dataset converted to Parquet');
      expect(first.messages).toContain('local dataset loaded');
      expect(await readdir(join(cache, 'local'))).toHaveLength(2); // the dataset's folder and the spill folder

      const second = recordingLogger();
      const again = await createLocalProvider({ dataPath: folder, logger: second, engine: { cacheDir: cache } }).gap!(query, {});
      expect(again).toEqual(answer);
      expect(second.messages).toContain('local Parquet reused');
      expect(second.messages).not.toContain('local dataset loaded');

      await appendFile(join(folder, 'links.csv'), 'https://fresh.org/p,https://a.com/,new,false,,\n');
      const third = recordingLogger();
      const changed = await createLocalProvider({ dataPath: folder, logger: third, engine: { cacheDir: cache } }).gap!(query, {});
      expect(third.messages).toContain('local dataset converted to Parquet');
      expect(changed.prospects.map((prospect) => prospect.domain)).toContain('fresh.org');
      expect(answer.prospects.map((prospect) => prospect.domain)).not.toContain('fresh.org');
    } finally {
      await rm(folder, { recursive: true, force: true });
      await rm(cache, { recursive: true, force: true });
    }
  });
});

describe('BACKLINK_GAP_LOCAL_ENGINE=duckdb', () => {
  it('the service answers a gap from Parquet in the cache directory, the same prospects as the index', async () => {
    const question = { your_domain: YOUR_DOMAIN, competitor_domains: [...COMPETITORS], limit: 50 };
    const duck = testRuntime({ BACKLINK_GAP_LOCAL_ENGINE: 'duckdb' });
    const plain = testRuntime();
    try {
      const answer = (await duck.service.gap(question)) as GapOutcome;
      const expected = (await plain.service.gap(question)) as GapOutcome;
      expect(answer.top.map((prospect) => prospect.domain)).toEqual(expected.top.map((prospect) => prospect.domain));
      expect(answer.top.length).toBeGreaterThan(0);
      expect((await readdir(join(duck.dir, 'local'))).some((name) => name.startsWith('v1-'))).toBe(true);
      await expect(readdir(join(plain.dir, 'local'))).rejects.toThrow();
    } finally {
      await Promise.all([duck.dispose(), plain.dispose()]);
    }
  });
});
