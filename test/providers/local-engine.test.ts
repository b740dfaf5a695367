// The local engine (DuckDB over Parquet): gap answers identical to the in-memory index's, the
// dataset converted once and reused by a later provider without reading the CSV, and converted
// again when the CSV changes.

import { appendFile, cp, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BacklinksQuery, GapQuery, IntersectQuery, Target } from '../../src/domain.js';
import { generateDataset } from '../../bench/generate-dataset.js';
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

// Hosts the house rule names (hosts.ts), columns in another order with one extra and no first_seen,
// quoted cells, and a domains.csv naming domains as people write them.
const TRICKY_LINKS = [
  'target_url,Source_URL,extra,anchor,nofollow,last_seen',
  'https://www.a.com/x,https://Joe.WordPress.com/post,1,"Plumbers, Austin",FALSE,2025-03-01',
  'https://a.com/,https://amy.wordpress.com/p,2,home,0,2025-03-02',
  'https://b.com/,https://news.example.co.uk/s,3,"say ""hi""",1,2025-03-01T10:00:00Z',
  'https://b.com/q?x=1,https://user@shop.example.co.uk:8080/p,4,,true,',
  'https://a.com/,https://xn--bcher-kva.de/,5,books,false,2024-12-31',
  'https://c.com/,https://a.b.github.io/page,6,gh,false,2025-01-01',
  'https://c.com/,http://www.news.example.co.uk/other,7,again,false,2025-01-02',
  'https://a.com/,https://writer.blogspot.com/,8,blog,true,2025-02-02',
  'https://b.com/,https://writer.blogspot.com/2,9,blog2,false,2025-02-02',
  'https://me.com/,https://writer.blogspot.com/3,10,mine,false,2025-02-02',
  'https://a.com/,https://www.plain.org/,11,p,false,2025-02-03',
  'https://a.com/,https://a.com/internal,12,self,false,2025-02-03',
].join('\n');
const TRICKY_DOMAINS = [
  'domain,authority,spam_score,backlinks',
  'WWW.Plain.org,40,3,100',
  'joe.wordpress.com,22.5,1.5,',
  'example.co.uk,55,,9',
  'plain.org,99,99,99',
  'nowhere.example,10,1,1',
].join('\n');

async function trickyFolder(links = TRICKY_LINKS, domains = TRICKY_DOMAINS): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'blg-engine-tricky-'));
  await writeFile(join(folder, 'links.csv'), `${links}\n`);
  await writeFile(join(folder, 'domains.csv'), `${domains}\n`);
  return folder;
}

describe('local engine: DuckDB reads the CSV itself, naming domains as the loader does', () => {
  it('answers the same gaps as the index on hosts, quoting and column orders the house rule cares about, without the loader', async () => {
    const folder = await trickyFolder();
    try {
      const logger = recordingLogger();
      const index = createLocalProvider({ dataPath: folder, logger: silentLogger });
      const engine = createLocalProvider({ dataPath: folder, logger, engine: { cacheDir } });
      const queries: GapQuery[] = [
        { your_domain: 'me.com', competitor_domains: ['a.com', 'b.com', 'c.com'], limit: 100, min_competitors: 1 },
        { your_domain: 'nobody.com', competitor_domains: ['b.com', 'a.com'], limit: 3, min_competitors: 1 },
      ];
      for (const query of queries) {
        const expected = await index.gap!(query, {});
        expect(expected.prospects.length).toBeGreaterThan(2);
        expect(await engine.gap!(query, {})).toEqual(expected);
      }
      const domains = (await index.gap!(queries[0]!, {})).prospects.map((prospect) => prospect.domain);
      expect(domains).toEqual(expect.arrayContaining(['joe.wordpress.com', 'amy.wordpress.com', 'example.co.uk', 'xn--bcher-kva.de', 'b.github.io']));
      expect(logger.messages).toContain('local conversion: reading the CSV with DuckDB');
      expect(logger.messages).not.toContain('local conversion: reading through the loader');
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it('a row the fast path does not take (spaces around a cell, an odd nofollow) goes through the loader: same answer, or the same error', async () => {
    const padded = await trickyFolder(TRICKY_LINKS.replace('https://c.com/,https://a.b.github.io/page', 'https://c.com/ ,  https://a.b.github.io/page'));
    const broken = await trickyFolder(TRICKY_LINKS.replace(',books,false,', ',books,maybe,'));
    try {
      const query = { your_domain: 'me.com', competitor_domains: ['a.com', 'b.com', 'c.com'], limit: 100, min_competitors: 1 };
      const logger = recordingLogger();
      const answer = await createLocalProvider({ dataPath: padded, logger, engine: { cacheDir } }).gap!(query, {});
      expect(answer).toEqual(await createLocalProvider({ dataPath: padded, logger: silentLogger }).gap!(query, {}));
      expect(logger.messages).toContain('local conversion: reading through the loader');

      const indexError = await createLocalProvider({ dataPath: broken, logger: silentLogger }).gap!(query, {}).catch((error: Error) => error.message);
      expect(indexError).toMatch(/links\.csv:6: nofollow is "maybe"/);
      const engineError = await createLocalProvider({ dataPath: broken, logger: silentLogger, engine: { cacheDir } }).gap!(query, {}).catch((error: Error) => error.message);
      expect(engineError).toBe(indexError);
    } finally {
      await rm(padded, { recursive: true, force: true });
      await rm(broken, { recursive: true, force: true });
    }
  });

  it('a cell the loader trims or judges, in any column, gives the index answer; URLs with a query or a backslash in place of a path name the same domains', async () => {
    const variants: Array<[string, string]> = [
      [',books,false,', ',  books,false,'],
      [',books,false,', ',books,TRUE ,'],
      ['https://xn--bcher-kva.de/,', 'https://xn--bcher-kva.de/\t,'],
      ['2024-12-31', ' 2024-12-31'],
      ['https://a.com/,https://www.plain.org/', 'https://a.com?x=1,https://www.plain.org?ref=2'],
      ['https://c.com/,https://a.b.github.io/page', 'https://c.com#top,https://a.b.github.io\\page'],
      ['https://b.com/,https://writer.blogspot.com/2', 'HTTPS://B.com/,Http://Writer.Blogspot.com/2'],
    ];
    const query = { your_domain: 'me.com', competitor_domains: ['a.com', 'b.com', 'c.com'], limit: 100, min_competitors: 1 };
    // domains.csv cells padded with spaces and tabs, which both read as trimmed.
    const paddedDomains = TRICKY_DOMAINS.replace('joe.wordpress.com,22.5,1.5,', ' joe.wordpress.com\t,\t22.5 , 1.5,').replace('example.co.uk,55,,9', 'example.co.uk ,55, ,9');
    expect(paddedDomains).not.toBe(TRICKY_DOMAINS);
    {
      const folder = await trickyFolder(TRICKY_LINKS, paddedDomains);
      try {
        const expected = await createLocalProvider({ dataPath: folder, logger: silentLogger }).gap!(query, {});
        expect(expected.prospects.find((prospect) => prospect.domain === 'joe.wordpress.com')?.authority).toBe(22.5);
        expect(await createLocalProvider({ dataPath: folder, logger: silentLogger, engine: { cacheDir } }).gap!(query, {})).toEqual(expected);
      } finally {
        await rm(folder, { recursive: true, force: true });
      }
    }
    for (const [from, to] of variants) {
      expect(TRICKY_LINKS).toContain(from);
      const folder = await trickyFolder(TRICKY_LINKS.replace(from, to));
      try {
        const expected = await createLocalProvider({ dataPath: folder, logger: silentLogger }).gap!(query, {}).catch((error: Error) => error.message);
        const answer = await createLocalProvider({ dataPath: folder, logger: silentLogger, engine: { cacheDir } }).gap!(query, {}).catch((error: Error) => error.message);
        expect(answer, to).toEqual(expected);
      } finally {
        await rm(folder, { recursive: true, force: true });
      }
    }
  });

  it('a cancelled conversion leaves no folder behind, and the next call converts', async () => {
    const folder = await trickyFolder();
    const cache = await mkdtemp(join(tmpdir(), 'blg-engine-cancel-'));
    try {
      const query = { your_domain: 'me.com', competitor_domains: ['a.com', 'b.com'], limit: 10, min_competitors: 1 };
      const controller = new AbortController();
      const logger: Logger = {
        ...silentLogger,
        info(message) {
          if (message === 'local conversion: reading the CSV with DuckDB') controller.abort(new Error('cancelled by the client'));
        },
      };
      const provider = createLocalProvider({ dataPath: folder, logger, engine: { cacheDir: cache } });
      await expect(provider.gap!(query, { signal: controller.signal })).rejects.toThrow('cancelled by the client');
      expect((await readdir(join(cache, 'local'))).filter((name) => name !== 'spill')).toEqual([]);
      const answer = await provider.gap!(query, {});
      expect(answer.prospects.length).toBeGreaterThan(0);
      expect((await readdir(join(cache, 'local'))).filter((name) => name !== 'spill')).toHaveLength(1);
    } finally {
      await rm(folder, { recursive: true, force: true });
      await rm(cache, { recursive: true, force: true });
    }
  });
});

// Every shape of intersect and backlinks question, asked of both engines; pages are followed.
function intersectQueries(targets: string[]): IntersectQuery[] {
  const [a, b, c, d] = targets as [string, string, string, string];
  const root = (target: string): Target => ({ target, scope: 'root_domain' });
  const base = { negative_targets: [], min_matching_targets: 1, source_scope: 'root_domain' as const, sort: 'matching_target_count' as const, limit: 5 };
  return [
    { ...base, positive_targets: [root(a), root(b), root(c)] },
    { ...base, positive_targets: [root(a), root(b), root(c)], min_matching_targets: 2, limit: 100 },
    { ...base, positive_targets: [root(a), root(b)], negative_targets: [root(c)], sort: 'source_domain_authority' },
    { ...base, positive_targets: [root(a), root(b), root(d)], sort: 'source_spam_score', limit: 7 },
    { ...base, positive_targets: [root(a), root(b)], source_scope: 'page', limit: 6 },
    { ...base, positive_targets: [{ target: `blog.${a}`, scope: 'subdomain' }, root(b)], limit: 50 },
    { ...base, positive_targets: [{ target: `https://www.${a}/`, scope: 'page' }, { target: `${b}/services/page-1`, scope: 'page' }], limit: 50 },
    { ...base, positive_targets: [root('nowhere.example'), root(a)], negative_targets: [root('nowhere.example')] },
  ];
}

function backlinksQueries(target: string): BacklinksQuery[] {
  const base = { target, target_kind: 'domain' as const, mode: 'as_is' as const, limit: 7 };
  return [
    base,
    { ...base, mode: 'one_per_domain' },
    { ...base, mode: 'one_per_domain', limit: 3 },
    { ...base, mode: 'one_per_domain', dofollow: true, min_authority: 30 },
    { ...base, mode: 'one_per_domain', dofollow: true },
    { ...base, mode: 'one_per_anchor', limit: 4 },
    { ...base, dofollow: true, min_authority: 30 },
    { ...base, dofollow: false, anchor: 'PLUMB' },
    { ...base, target: `blog.${target}`, target_kind: 'subdomain' },
    { ...base, target: `https://www.${target}/`, target_kind: 'page', mode: 'one_per_domain' },
    { ...base, target: 'nowhere.example' },
  ];
}

async function sameAnswers(dataPath: string | undefined, targets: string[], pages = 3): Promise<number> {
  const paths = dataPath === undefined ? {} : { dataPath };
  const index = createLocalProvider({ ...paths, logger: silentLogger });
  const engine = createLocalProvider({ ...paths, logger: silentLogger, engine: { cacheDir } });
  let rows = 0;
  for (let query of intersectQueries(targets)) {
    for (let page = 0; page < pages; page++) {
      const expected = await index.intersect!(query, {});
      expect(await engine.intersect!(query, {})).toEqual(expected);
      rows += expected.results.length;
      if (expected.next_token === undefined) break;
      query = { ...query, next_token: expected.next_token };
    }
  }
  for (let query of backlinksQueries(targets[0]!)) {
    for (let page = 0; page < pages; page++) {
      const expected = await index.backlinks!(query, {});
      expect(await engine.backlinks!(query, {})).toEqual(expected);
      rows += expected.backlinks.length;
      if (expected.next_cursor === undefined) break;
      query = { ...query, cursor: expected.next_cursor };
    }
  }
  return rows;
}

describe('local engine: intersect and backlinks answers identical to the in-memory index', () => {
  it('on the basic fixture', async () => {
    expect(await sameAnswers(fixture('basic'), ['a.com', 'b.com', 'c.com', 'me.com'])).toBeGreaterThan(10);
  });
  it('on the bundled sample', async () => {
    expect(await sameAnswers(undefined, [...COMPETITORS.slice(0, 3), YOUR_DOMAIN])).toBeGreaterThan(50);
  });
  it('on the tricky CSV', async () => {
    const folder = await trickyFolder();
    try {
      expect(await sameAnswers(folder, ['a.com', 'b.com', 'c.com', 'me.com'])).toBeGreaterThan(10);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
  it('on a folder of vendor exports, with their notes, titles, vendor figures and Search Console owners', async () => {
    const folder = fixture('exports');
    const competitors = ['rival-a.com', 'rival-b.com', 'rival-c.com', 'rival-d.com', 'rival-e.com'];
    const index = createLocalProvider({ dataPath: folder, logger: silentLogger, now: () => new Date('2026-11-28T00:00:00Z') });
    const engine = createLocalProvider({ dataPath: folder, logger: silentLogger, now: () => new Date('2026-11-28T00:00:00Z'), engine: { cacheDir } });
    for (const query of [
      { your_domain: 'me.com', competitor_domains: competitors, limit: 100, min_competitors: 1 },
      { your_domain: 'me.com', competitor_domains: competitors.slice(1, 3), limit: 3, min_competitors: 1 },
      { your_domain: 'other.com', competitor_domains: competitors, limit: 50, min_competitors: 2 },
    ]) {
      const expected = await index.gap!(query, {});
      expect(expected.notes?.length).toBeGreaterThan(0);
      expect(await engine.gap!(query, {})).toEqual(expected);
    }
    const answer = await engine.gap!({ your_domain: 'me.com', competitor_domains: competitors, limit: 100, min_competitors: 1 }, {});
    expect(answer.prospects.some((prospect) => prospect.titles !== undefined)).toBe(true);
    expect(answer.prospects.some((prospect) => prospect.provider_metrics?.local?.vendor_metrics !== undefined)).toBe(true);
    expect(await sameAnswers(folder, competitors)).toBeGreaterThan(10);
  });

  it('on a generated dataset of 20,000 links', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'blg-engine-generated-'));
    try {
      const generated = await generateDataset(folder, { links: 20_000, targets: 6, referringDomains: 3_000 });
      expect(await sameAnswers(folder, generated.targets.slice(0, 4))).toBeGreaterThan(200);
      const query = { your_domain: generated.targets[4]!, competitor_domains: generated.targets.slice(0, 4), limit: 200, min_competitors: 1 };
      const expected = await createLocalProvider({ dataPath: folder, logger: silentLogger }).gap!(query, {});
      expect(await createLocalProvider({ dataPath: folder, logger: silentLogger, engine: { cacheDir } }).gap!(query, {})).toEqual(expected);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  }, 60_000);
});

// Ties everywhere (no domains.csv: every authority unknown, equal link counts) so names decide; pages
// that link to several competitors and pairs whose first links repeat a page, so a prospect's three
// example pages come from more than one competitor; a limit that cuts through a tie.
const TIED_LINKS = [
  'source_url,target_url,anchor,nofollow,first_seen,last_seen',
  'https://zeta.org/p1,https://a.com/,z1,false,,2025-01-01',
  'https://zeta.org/p1,https://b.com/,z2,false,,2025-01-01',
  'https://zeta.org/p1,https://a.com/x,z3,true,,2025-01-02',
  'https://zeta.org/p1,https://a.com/y,z4,false,,2025-01-01',
  'https://zeta.org/p2,https://b.com/,z5,true,,2025-01-03',
  'https://zeta.org/p1,https://b.com/z,z6,false,,2025-01-01',
  'https://zeta.org/p3,https://b.com/,z7,false,,2025-01-01',
  'https://zeta.org/p4,https://b.com/,z8,false,,2025-01-01',
  'https://alpha.org/,https://a.com/,a1,false,,',
  'https://alpha.org/,https://b.com/,a2,false,,',
  'https://beta.org/,https://b.com/,b1,false,,',
  'https://beta.org/2,https://a.com/,b2,true,,',
  'https://gamma.org/,https://a.com/,g1,false,,',
  'https://gamma.org/,https://c.com/,g2,false,,',
  'https://delta.org/,https://c.com/,d1,false,,',
  'https://delta.org/,https://b.com/,d2,false,,',
  'https://mine.org/,https://a.com/,m1,false,,',
  'https://mine.org/,https://me.com/,m2,false,,',
  'https://epsilon.org/,https://a.com/,e1,false,,',
].join('\n');

describe('local engine: gap ranking and details over pair lists', () => {
  it('ties broken by name, a limit through a tie, min_competitors above one, pages across competitors, the same as the index', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'blg-engine-ties-'));
    try {
      await writeFile(join(folder, 'links.csv'), `${TIED_LINKS}\n`);
      const index = createLocalProvider({ dataPath: folder, logger: silentLogger });
      const engine = createLocalProvider({ dataPath: folder, logger: silentLogger, engine: { cacheDir } });
      const queries: GapQuery[] = [
        { your_domain: 'me.com', competitor_domains: ['a.com', 'b.com', 'c.com'], limit: 100, min_competitors: 1 },
        { your_domain: 'me.com', competitor_domains: ['a.com', 'b.com', 'c.com'], limit: 3, min_competitors: 1 },
        { your_domain: 'me.com', competitor_domains: ['c.com', 'b.com', 'a.com'], limit: 2, min_competitors: 2 },
        { your_domain: 'nobody.com', competitor_domains: ['b.com', 'a.com'], limit: 100, min_competitors: 2 },
      ];
      for (const query of queries) {
        const expected = await index.gap!(query, {});
        expect(expected.prospects.length).toBeGreaterThan(0);
        expect(await engine.gap!(query, {})).toEqual(expected);
      }
      const all = await engine.gap!(queries[0]!, {});
      expect(all.prospects.map((prospect) => prospect.domain)).not.toContain('mine.org');
      const zeta = all.prospects.find((prospect) => prospect.domain === 'zeta.org')!;
      expect(zeta.source_pages).toEqual(['https://zeta.org/p1', 'https://zeta.org/p2', 'https://zeta.org/p3']);
      expect(zeta.by_competitor?.['a.com']?.page?.rel?.nofollow).toBe(false);

      // Intersect over the same ties, two rows a page, every page followed, and every shape of question.
      for (const sort of ['matching_target_count', 'source_domain_authority', 'source_spam_score'] as const) {
        for (const min of [1, 2]) {
          let query: IntersectQuery = {
            positive_targets: ['a.com', 'b.com', 'c.com'].map((target) => ({ target, scope: 'root_domain' as const })),
            negative_targets: [{ target: 'me.com', scope: 'root_domain' }],
            min_matching_targets: min,
            source_scope: 'root_domain',
            sort,
            limit: 2,
          };
          let pages = 0;
          for (;;) {
            const expected = await index.intersect!(query, {});
            expect(await engine.intersect!(query, {})).toEqual(expected);
            pages++;
            if (expected.next_token === undefined) break;
            query = { ...query, next_token: expected.next_token };
          }
          expect(pages).toBeGreaterThan(1);
        }
      }
      expect(await sameAnswers(folder, ['a.com', 'b.com', 'c.com', 'me.com'], 5)).toBeGreaterThan(10);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});

describe('local engine: Search Console owners over pair lists', () => {
  it('leaves out of your gap the sites Search Console says already link to you, and only yours', async () => {
    const engine = createLocalProvider({ dataPath: fixture('exports'), logger: silentLogger, now: () => new Date('2026-11-28T00:00:00Z'), engine: { cacheDir } });
    const competitors = ['rival-a.com', 'rival-b.com', 'rival-c.com', 'rival-d.com', 'rival-e.com'];
    const owners = ['alreadylinks.org', 'news.site', 'forum.community'];
    const named = async (you: string) =>
      (await engine.gap!({ your_domain: you, competitor_domains: competitors, limit: 100, min_competitors: 1 }, {})).prospects
        .map((prospect) => prospect.domain)
        .filter((domain) => owners.includes(domain));
    expect((await named('other.com')).length).toBeGreaterThan(0);
    expect(await named('me.com')).toEqual([]);
  });
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
      expect(first.messages).not.toContain('local dataset loaded'); // DuckDB read the CSV itself
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

describe('local engine: two conversions of one dataset at once', () => {
  it('both answer as the index does, and one complete folder is left, not replaced under the first', async () => {
    const folder = await trickyFolder();
    const cache = await mkdtemp(join(tmpdir(), 'blg-engine-race-'));
    try {
      const query = { your_domain: 'me.com', competitor_domains: ['a.com', 'b.com', 'c.com'], limit: 100, min_competitors: 1 };
      const expected = await createLocalProvider({ dataPath: folder, logger: silentLogger }).gap!(query, {});
      const loggers = [recordingLogger(), recordingLogger()];
      const providers = loggers.map((logger) => createLocalProvider({ dataPath: folder, logger, engine: { cacheDir: cache } }));
      const answers = await Promise.all(providers.map((provider) => provider.gap!(query, {})));
      expect(answers).toEqual([expected, expected]);
      expect(loggers.flatMap((logger) => logger.messages).filter((message) => message === 'local dataset converted to Parquet')).toHaveLength(2);
      expect((await readdir(join(cache, 'local'))).filter((name) => name !== 'spill')).toHaveLength(1);
      // Each keeps answering from the files in place (the second rename did not pull them away).
      for (const provider of providers) expect(await provider.gap!(query, {})).toEqual(expected);
      const intersect = { positive_targets: [{ target: 'a.com', scope: 'root_domain' as const }, { target: 'b.com', scope: 'root_domain' as const }], negative_targets: [], min_matching_targets: 1, source_scope: 'root_domain' as const, sort: 'matching_target_count' as const, limit: 10 };
      const [first, second] = await Promise.all(providers.map((provider) => provider.intersect!(intersect, {})));
      expect(first).toEqual(second);
    } finally {
      await rm(folder, { recursive: true, force: true });
      await rm(cache, { recursive: true, force: true });
    }
  });
});

describe('BACKLINK_GAP_LOCAL_ENGINE', () => {
  const question = { your_domain: YOUR_DOMAIN, competitor_domains: [...COMPETITORS], limit: 50 };
  const parquetIn = async (dir: string) => (await readdir(join(dir, 'local')).catch(() => [])).some((name) => name.startsWith('v3-'));

  it('unset, the service answers a gap from Parquet in the cache directory (DuckDB is installed here), the same prospects as the index', async () => {
    const duck = testRuntime();
    const index = testRuntime({ BACKLINK_GAP_LOCAL_ENGINE: 'index' });
    try {
      const answer = (await duck.service.gap(question)) as GapOutcome;
      const expected = (await index.service.gap(question)) as GapOutcome;
      expect(answer.top.map((prospect) => prospect.domain)).toEqual(expected.top.map((prospect) => prospect.domain));
      expect(answer.top.length).toBeGreaterThan(0);
      expect(await parquetIn(duck.dir)).toBe(true);
      expect(await parquetIn(index.dir)).toBe(false);
    } finally {
      await Promise.all([duck.dispose(), index.dispose()]);
    }
  });

  it('unset, a folder of vendor exports is answered by the index (its load is needed anyway); named duckdb, it is converted', async () => {
    const exportsDir = fixture('exports');
    const exportsQuestion = { your_domain: 'me.com', competitor_domains: ['rival-a.com', 'rival-b.com'], limit: 50 };
    const plain = testRuntime({ BACKLINK_GAP_DATA: exportsDir });
    const duck = testRuntime({ BACKLINK_GAP_DATA: exportsDir, BACKLINK_GAP_LOCAL_ENGINE: 'duckdb' });
    try {
      const expected = (await plain.service.gap(exportsQuestion)) as GapOutcome;
      const answer = (await duck.service.gap(exportsQuestion)) as GapOutcome;
      expect(answer.top.map((prospect) => prospect.domain)).toEqual(expected.top.map((prospect) => prospect.domain));
      expect(expected.top.length).toBeGreaterThan(0);
      expect(await parquetIn(plain.dir)).toBe(false);
      expect(await parquetIn(duck.dir)).toBe(true);
    } finally {
      await Promise.all([plain.dispose(), duck.dispose()]);
    }
  });

  it('duckdb, named, converts as the default does', async () => {
    const duck = testRuntime({ BACKLINK_GAP_LOCAL_ENGINE: 'duckdb' });
    try {
      expect(((await duck.service.gap(question)) as GapOutcome).top.length).toBeGreaterThan(0);
      expect(await parquetIn(duck.dir)).toBe(true);
    } finally {
      await duck.dispose();
    }
  });
});
