// The commoncrawl provider over a web graph written in Common Crawl's own format: answers checked
// against a brute-force reading of the same files, registrable domains, re-import, cancel, the host
// level, "all" merging through the service, and the CLI import in a child process.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateWebGraph } from '../../bench/generate-webgraph.js';
import { loadConfig } from '../../src/config.js';
import { isDryRun } from '../../src/domain.js';
import { domainOfHost } from '../../src/hosts.js';
import { createLogger } from '../../src/log.js';
import { createCommonCrawlProvider } from '../../src/providers/commoncrawl.js';
import { importRelease } from '../../src/providers/local/engine/webgraph.js';
import { sampleDataPath } from '../../src/providers/local.js';
import type { Provider } from '../../src/providers/provider.js';
import { createProviderRegistry } from '../../src/providers/registry.js';
import type { GapOutcome } from '../../src/service/index.js';
import { CLI, ROOT } from '../proof/harness.js';
import { testRuntime } from '../helpers/runtime.js';

const logger = createLogger({ level: 'silent', secrets: [] });
const temp = (prefix: string) => mkdtempSync(join(tmpdir(), `blg-webgraph-${prefix}-`));
const folders: string[] = [];
const providers: Provider[] = [];
afterAll(async () => {
  for (const provider of providers) await provider.close?.();
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

function providerFor(cacheDir: string, release?: string): Provider {
  const provider = createCommonCrawlProvider({ cacheDir, logger, ...(release !== undefined && { release }) });
  providers.push(provider);
  return provider;
}

/** The generated files read back without the engine: sites by the public suffix list, ranks by name. */
function bruteForce(files: { vertices: string; edges: string; ranks: string }) {
  const lines = (file: string) => gunzipSync(readFileSync(file)).toString('utf8').split('\n').filter(Boolean);
  const siteOfVertex = new Map<number, string>();
  const positionOfReversed = new Map<string, number>();
  for (const line of lines(files.ranks).slice(1)) {
    const cells = line.split('\t');
    positionOfReversed.set(cells[4]!, Number(cells[0]));
  }
  const best = new Map<string, number>();
  for (const line of lines(files.vertices)) {
    const [id, reversed] = line.split('\t') as [string, string];
    const site = domainOfHost(reversed.split('.').reverse().join('.'));
    siteOfVertex.set(Number(id), site);
    const position = positionOfReversed.get(reversed) ?? Number.POSITIVE_INFINITY;
    best.set(site, Math.min(best.get(site) ?? Number.POSITIVE_INFINITY, position));
  }
  const referrers = new Map<string, Set<string>>();
  for (const line of lines(files.edges)) {
    const [from, to] = line.split('\t').map(Number) as [number, number];
    const source = siteOfVertex.get(from)!;
    const target = siteOfVertex.get(to)!;
    if (source === target) continue;
    if (!referrers.has(target)) referrers.set(target, new Set());
    referrers.get(target)!.add(source);
  }
  const byRank = (left: string, right: string) => best.get(left)! - best.get(right)! || (left < right ? -1 : left > right ? 1 : 0);
  const largest = [...referrers.entries()].sort((a, b) => b[1].size - a[1].size || byRank(a[0], b[0])).map(([site]) => site);
  return { referrers, byRank, largest, sites: [...best.keys()], of: (site: string) => referrers.get(site) ?? new Set<string>() };
}

/** A hand-written release (for names the generator does not make). */
function writeRelease(dir: string, release: string, level: 'domain' | 'host', reversedNames: string[], edges: Array<[number, number]>) {
  const gz = (name: string, text: string) => writeFileSync(join(dir, `${release}-${level}-${name}.txt.gz`), gzipSync(text));
  gz('vertices', reversedNames.map((name, id) => (level === 'domain' ? `${id}\t${name}\t1\n` : `${id}\t${name}\n`)).join(''));
  gz('edges', [...edges].sort((a, b) => a[0] - b[0] || a[1] - b[1]).map(([from, to]) => `${from}\t${to}\n`).join(''));
  const header = `#harmonicc_pos\t#harmonicc_val\t#pr_pos\t#pr_val\t#host_rev${level === 'domain' ? '\t#n_hosts' : ''}\n`;
  gz('ranks', header + reversedNames.map((name, id) => `${id + 1}\t${100 - id}.5\t${id + 1}\t0.0${id + 1}\t${name}${level === 'domain' ? '\t1' : ''}\n`).join(''));
}

const context = {};

describe('commoncrawl over a generated domain-level release', () => {
  let cacheDir: string;
  let truth: ReturnType<typeof bruteForce>;
  let provider: Provider;

  beforeAll(async () => {
    const dir = temp('release');
    cacheDir = temp('cache');
    folders.push(dir, cacheDir);
    const graph = await generateWebGraph(dir, { edges: 900, vertices: 120, seed: 7 });
    truth = bruteForce(graph.levels[0]!.files);
    const imported = await importRelease(dir, { cacheDir });
    expect(imported.converted).toBe(true);
    provider = providerFor(cacheDir);
  });

  it('answers a gap as a brute force over the same edges does, strongest first', async () => {
    const [a, b, c, you] = truth.largest as [string, string, string, string];
    const competitors = [a, b, c];
    const result = await provider.gap!({ your_domain: you, competitor_domains: competitors, limit: 1000, min_competitors: 1 }, context);
    const mine = truth.of(you);
    const expected = [...new Set(competitors.flatMap((site) => [...truth.of(site)]))]
      .filter((site) => !mine.has(site) && site !== you && !competitors.includes(site))
      .map((site) => ({ site, count: competitors.filter((competitor) => truth.of(competitor).has(site)).length }))
      .sort((left, right) => right.count - left.count || truth.byRank(left.site, right.site));
    expect(result.total_prospects).toBe(expected.length);
    expect(result.prospects.map((prospect) => prospect.domain)).toEqual(expected.map((row) => row.site));
    for (const prospect of result.prospects) {
      expect(prospect.competitors).toEqual(competitors.filter((competitor) => truth.of(competitor).has(prospect.domain)));
      expect(prospect.dofollow).toBeUndefined();
      expect(prospect.found_by).toEqual(['commoncrawl']);
    }
    // Authority follows the harmonic-centrality rank, and says so.
    const authorities = result.prospects.filter((prospect) => prospect.competitors.length === 3).map((prospect) => prospect.authority ?? -1);
    expect(authorities).toEqual([...authorities].sort((left, right) => right - left));
    expect(result.prospects[0]!.provider_metrics?.commoncrawl?.authority_scale).toMatch(/harmonic centrality rank/);
    const notes = result.notes!.join(' ');
    expect(notes).toContain('cc-main-2026-jan-feb-mar, domain level');
    expect(notes).toMatch(/no anchors.*no linking pages.*no nofollow\/dofollow/);
    expect(notes).toContain('one crawl window');

    const strict = await provider.gap!({ your_domain: you, competitor_domains: competitors, limit: 1000, min_competitors: 2 }, context);
    expect(strict.prospects.map((prospect) => prospect.domain)).toEqual(expected.filter((row) => row.count >= 2).map((row) => row.site));
  });

  it('says which competitors have no links and that you are not in the release, and still answers', async () => {
    const [a, b] = truth.largest as [string, string];
    const unlinked = truth.sites.find((site) => truth.of(site).size === 0)!;
    expect(unlinked).toBeDefined();
    const competitors = [a, 'nowhere.example', unlinked, b];
    const result = await provider.gap!({ your_domain: 'not-in-graph.example', competitor_domains: competitors, limit: 1000, min_competitors: 1 }, context);
    const expected = [...new Set([...truth.of(a), ...truth.of(b)])].filter((site) => !competitors.includes(site));
    expect(result.prospects.map((prospect) => prospect.domain).sort()).toEqual(expected.sort());
    expect(result.total_prospects).toBe(expected.length);
    const notes = result.notes!.join(' ');
    expect(notes).toContain('nowhere.example has no links in this release.');
    expect(notes).toContain(`${unlinked} has no links in this release.`);
    expect(notes).not.toContain(`${a} has no links`);
    expect(notes).toContain('not-in-graph.example is not in this release');
  });

  it('answers intersect and backlinks as the brute force does, with dofollow unknown', async () => {
    const [a, b, c, d] = truth.largest as [string, string, string, string];
    const intersect = await provider.intersect!(
      {
        positive_targets: [a, b, c].map((target) => ({ target, scope: 'root_domain' as const })),
        negative_targets: [{ target: d, scope: 'root_domain' }],
        min_matching_targets: 2,
        source_scope: 'root_domain',
        sort: 'matching_target_count',
        limit: 50,
      },
      context,
    );
    const expected = [...new Set([a, b, c].flatMap((site) => [...truth.of(site)]))]
      .filter((site) => !truth.of(d).has(site))
      .map((site) => ({ site, count: [a, b, c].filter((target) => truth.of(target).has(site)).length }))
      .filter((row) => row.count >= 2)
      .sort((left, right) => right.count - left.count || truth.byRank(left.site, right.site));
    expect(intersect.total).toBe(expected.length);
    expect(intersect.results.map((row) => row.source)).toEqual(expected.slice(0, 50).map((row) => row.site));

    // By authority (rank order), paged with next_token.
    const byRank = [...new Set([a, b].flatMap((site) => [...truth.of(site)]))].filter((site) => !truth.of(d).has(site)).sort(truth.byRank);
    const ask = (next_token?: string) =>
      provider.intersect!(
        {
          positive_targets: [a, b].map((target) => ({ target, scope: 'root_domain' as const })),
          negative_targets: [{ target: d, scope: 'root_domain' }],
          min_matching_targets: 1,
          source_scope: 'root_domain',
          sort: 'source_domain_authority',
          limit: 7,
          ...(next_token !== undefined && { next_token }),
        },
        context,
      );
    const page1 = await ask();
    const page2 = await ask(page1.next_token);
    expect(page1.total).toBe(byRank.length);
    expect([...page1.results, ...page2.results].map((row) => row.source)).toEqual(byRank.slice(0, 14));

    const referring = [...truth.of(a)].sort(truth.byRank);
    const first = await provider.backlinks!({ target: a, target_kind: 'domain', mode: 'one_per_domain', limit: 10 }, context);
    expect(first.total).toBe(referring.length);
    expect(first.metrics.ref_domains).toBe(referring.length);
    expect(first.backlinks.map((row) => row.source_domain)).toEqual(referring.slice(0, 10));
    expect(first.backlinks.every((row) => row.dofollow === undefined && row.anchor === '')).toBe(true);
    const second = await provider.backlinks!({ target: a, target_kind: 'domain', mode: 'one_per_domain', limit: 10, cursor: first.next_cursor! }, context);
    expect(second.backlinks.map((row) => row.source_domain)).toEqual(referring.slice(10, 20));
    const strong = await provider.backlinks!({ target: a, target_kind: 'domain', mode: 'one_per_domain', limit: 1000, min_authority: 50 }, context);
    expect(strong.backlinks.length).toBeGreaterThan(0);
    expect(strong.backlinks.every((row) => (row.authority ?? 0) >= 50)).toBe(true);
    expect(strong.total).toBe(first.backlinks.length > 0 ? strong.backlinks.length : 0);
  });
});

describe('registrable domains and the host level', () => {
  it('maps co.uk, github.io, a trailing dot and punycode to their sites, and answers a subdomain', async () => {
    const dir = temp('names');
    const cacheDir = temp('names-cache');
    folders.push(dir, cacheDir);
    const names = [
      'com.target', // 0
      'com.target.blog', // 1
      'uk.co.example.news', // 2
      'uk.co.example.www', // 3
      'io.github.alice', // 4
      'io.github.bob.docs', // 5
      'com.trailing.', // 6
      'de.xn--bcher-kva.www', // 7
      'com.target.www', // 8
    ];
    writeRelease(dir, 'cc-main-2026-test', 'host', names, [
      [2, 0],
      [3, 0],
      [4, 0],
      [5, 1],
      [6, 0],
      [7, 1],
      [8, 0], // inside target.com: internal, not a backlink
    ]);
    const imported = await importRelease(dir, { cacheDir });
    expect(imported.manifest.level).toBe('host');
    expect(imported.manifest.internal_edges).toBe(1);
    const provider = providerFor(cacheDir);
    const site = await provider.backlinks!({ target: 'target.com', target_kind: 'domain', mode: 'one_per_domain', limit: 100 }, context);
    expect(site.backlinks.map((row) => row.source_domain).sort()).toEqual(
      ['alice.github.io', 'bob.github.io', 'example.co.uk', 'trailing.com', 'xn--bcher-kva.de'].sort(),
    );
    // Two hosts of example.co.uk link: one referring domain with two host-level links.
    expect(site.summary?.referring_domains.find((row) => row.domain === 'example.co.uk')?.links).toBe(2);
    const blog = await provider.backlinks!({ target: 'blog.target.com', target_kind: 'subdomain', mode: 'one_per_domain', limit: 100 }, context);
    expect(blog.backlinks.map((row) => row.source_domain).sort()).toEqual(['bob.github.io', 'xn--bcher-kva.de']);
    expect(blog.notes!.join(' ')).toContain('host level');
  });

  it('reads a level split into parts under vertices/ and edges/, as webgraph fetch stores it', async () => {
    const dir = temp('parts');
    const cacheDir = temp('parts-cache');
    folders.push(dir, cacheDir);
    writeRelease(dir, 'cc-main-2026-parts', 'domain', ['com.a', 'com.b', 'com.target', 'org.c'], [[0, 2], [1, 2], [3, 2], [3, 0]]);
    const whole = (name: string) => gunzipSync(readFileSync(join(dir, `cc-main-2026-parts-domain-${name}.txt.gz`))).toString('utf8').split('\n').filter(Boolean);
    for (const kind of ['vertices', 'edges']) {
      const lines = whole(kind);
      mkdirSync(join(dir, kind));
      writeFileSync(join(dir, kind, 'part-00000.txt.gz'), gzipSync(`${lines.slice(0, 2).join('\n')}\n`));
      writeFileSync(join(dir, kind, 'part-00001.txt.gz'), gzipSync(`${lines.slice(2).join('\n')}\n`));
      rmSync(join(dir, `cc-main-2026-parts-domain-${kind}.txt.gz`));
    }
    const imported = await importRelease(dir, { cacheDir, release: 'cc-main-2026-parts', level: 'domain' });
    expect(imported.manifest.source.map((entry) => entry.file.slice(dir.length + 1))).toEqual([
      'vertices/part-00000.txt.gz',
      'vertices/part-00001.txt.gz',
      'edges/part-00000.txt.gz',
      'edges/part-00001.txt.gz',
      'cc-main-2026-parts-domain-ranks.txt.gz',
    ]);
    const provider = providerFor(cacheDir);
    const answer = await provider.backlinks!({ target: 'target.com', target_kind: 'domain', mode: 'one_per_domain', limit: 10 }, context);
    expect(answer.backlinks.map((row) => row.source_domain)).toEqual(['a.com', 'b.com', 'c.org']);
  });

  it('imports a generated host-level graph and answers gaps by registrable domain', async () => {
    const dir = temp('host');
    const cacheDir = temp('host-cache');
    folders.push(dir, cacheDir);
    const graph = await generateWebGraph(dir, { edges: 800, vertices: 150, seed: 3, levels: ['host'] });
    const truth = bruteForce(graph.levels[0]!.files);
    await importRelease(dir, { cacheDir, level: 'host' });
    const provider = providerFor(cacheDir);
    const [a, b, you] = truth.largest as [string, string, string];
    const result = await provider.gap!({ your_domain: you, competitor_domains: [a, b], limit: 1000, min_competitors: 1 }, context);
    const expected = [...new Set([...truth.of(a), ...truth.of(b)])].filter((site) => !truth.of(you).has(site) && ![a, b, you].includes(site));
    expect(result.prospects.map((prospect) => prospect.domain).sort()).toEqual(expected.sort());
    expect(result.notes!.join(' ')).toContain('host level');
  });
});

describe('configuration, re-import and cancel', () => {
  it('is not configured, saying how to import, while no release is imported', async () => {
    const cacheDir = temp('empty');
    folders.push(cacheDir);
    const registry = createProviderRegistry(loadConfig({ BACKLINK_GAP_CACHE_DIR: cacheDir }), { logger });
    expect(registry.isConfigured('commoncrawl')).toBe(false);
    expect(registry.configured()).not.toContain('commoncrawl');
    await expect(registry.get('commoncrawl')).rejects.toThrow(/not configured.*webgraph import DIR/);
    expect(() => registry.resolve('gap', 'commoncrawl')).toThrow(/webgraph import DIR/);
    const named = createProviderRegistry(loadConfig({ BACKLINK_GAP_CACHE_DIR: cacheDir, BACKLINK_GAP_WEBGRAPH_RELEASE: 'cc-main-2020-jan' }), { logger });
    await expect(named.get('commoncrawl')).rejects.toThrow(/cc-main-2020-jan.*not imported/);
  });

  it('answers from the newest release by its crawl months, or from the one BACKLINK_GAP_WEBGRAPH_RELEASE names', async () => {
    const cacheDir = temp('two-cache');
    folders.push(cacheDir);
    // Imported in this order on purpose: "jul-aug-sep" sorts before "mar-apr-may" as text but is newer.
    for (const [release, source] of [
      ['cc-main-2026-jul-aug-sep', 'com.newer'],
      ['cc-main-2026-mar-apr-may', 'com.older'],
    ] as const) {
      const dir = temp('two');
      folders.push(dir);
      writeRelease(dir, release, 'domain', [source, 'com.target'], [[0, 1]]);
      await importRelease(dir, { cacheDir });
    }
    const ask = async (provider: Provider) =>
      (await provider.backlinks!({ target: 'target.com', target_kind: 'domain', mode: 'one_per_domain', limit: 10 }, context)).backlinks.map((row) => row.source_domain);
    expect(await ask(providerFor(cacheDir))).toEqual(['newer.com']);
    expect(await ask(providerFor(cacheDir, 'cc-main-2026-mar-apr-may'))).toEqual(['older.com']);
    const config = loadConfig({ BACKLINK_GAP_CACHE_DIR: cacheDir, BACKLINK_GAP_WEBGRAPH_RELEASE: 'cc-main-2026-mar-apr-may' });
    expect(config.webgraphRelease).toBe('cc-main-2026-mar-apr-may');
    expect(() => loadConfig({ BACKLINK_GAP_WEBGRAPH_RELEASE: '../etc' })).toThrow(/BACKLINK_GAP_WEBGRAPH_RELEASE must be a release name/);
  });

  it('converts a changed release again, and its answers and account change with it', async () => {
    const dir = temp('changed');
    const cacheDir = temp('changed-cache');
    folders.push(dir, cacheDir);
    writeRelease(dir, 'cc-main-2026-test', 'domain', ['com.a', 'com.b', 'com.target'], [[0, 2]]);
    expect((await importRelease(dir, { cacheDir })).converted).toBe(true);
    expect((await importRelease(dir, { cacheDir })).converted).toBe(false);
    const provider = providerFor(cacheDir);
    const account = provider.describe().account;
    const before = await provider.backlinks!({ target: 'target.com', target_kind: 'domain', mode: 'one_per_domain', limit: 10 }, context);
    expect(before.backlinks.map((row) => row.source_domain)).toEqual(['a.com']);

    writeRelease(dir, 'cc-main-2026-test', 'domain', ['com.a', 'com.b', 'com.target', 'org.c'], [[0, 2], [1, 2], [3, 2]]);
    const again = await importRelease(dir, { cacheDir });
    expect(again.converted).toBe(true);
    expect(provider.describe().account).not.toBe(account);
    const after = await provider.backlinks!({ target: 'target.com', target_kind: 'domain', mode: 'one_per_domain', limit: 10 }, context);
    expect(after.backlinks.map((row) => row.source_domain)).toEqual(['a.com', 'b.com', 'c.org']);
    expect(readdirSync(join(cacheDir, 'webgraph')).filter((name) => name !== '.open')).toEqual(['cc-main-2026-test-domain']);
  });

  it('a query running when a re-import lands answers from the files it started on, the next one from the new files', async () => {
    const dirA = temp('swap-a');
    const dirB = temp('swap-b');
    const cacheDir = temp('swap-cache');
    const side = temp('swap-side');
    folders.push(dirA, dirB, cacheDir, side);
    const truthA = bruteForce((await generateWebGraph(dirA, { edges: 900, vertices: 120, seed: 7 })).levels[0]!.files);
    const truthB = bruteForce((await generateWebGraph(dirB, { edges: 900, vertices: 120, seed: 8 })).levels[0]!.files);
    const { folder } = await importRelease(dirA, { cacheDir });
    // The same release converted from changed files, beside the cache, to be swapped in at once below.
    const next = await importRelease(dirB, { cacheDir: side });
    // Links left by a process that died (its pid exited) are removed when a graph opens.
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    const stale = join(cacheDir, 'webgraph', '.open', hostname().replace(/[^A-Za-z0-9.-]/g, '_'), `cc-main-2026-jan-feb-mar-domain-${dead}-abcdef`);
    mkdirSync(stale, { recursive: true });
    const provider = providerFor(cacheDir);
    const [a, b, c, you] = truthA.largest as [string, string, string, string];
    const expected = (truth: ReturnType<typeof bruteForce>) =>
      [...new Set([a, b, c].flatMap((site) => [...truth.of(site)]))]
        .filter((site) => !truth.of(you).has(site) && ![a, b, c, you].includes(site))
        .map((site) => ({ site, count: [a, b, c].filter((competitor) => truth.of(competitor).has(site)).length }))
        .sort((left, right) => right.count - left.count || truth.byRank(left.site, right.site))
        .map((row) => row.site);
    expect(expected(truthA)).not.toEqual(expected(truthB));
    const gap = () => provider.gap!({ your_domain: you, competitor_domains: [a, b, c], limit: 1000, min_competitors: 1 }, context);
    // The graph is open (another target asked), so the gap below reads its lists from the files.
    await provider.backlinks!({ target: truthA.largest[5]!, target_kind: 'domain', mode: 'one_per_domain', limit: 5 }, context);

    expect(existsSync(stale)).toBe(false);

    const running = gap();
    // importRelease's swap (the folder steps aside, the new one is renamed in, the old one removed),
    // done at once here so that the first gap is surely still running when the second one starts.
    renameSync(folder, `${folder}.old-test`);
    renameSync(next.folder, folder);
    rmSync(`${folder}.old-test`, { recursive: true, force: true });
    const after = gap();
    expect((await running).prospects.map((prospect) => prospect.domain)).toEqual(expected(truthA));
    expect((await after).prospects.map((prospect) => prospect.domain)).toEqual(expected(truthB));
    expect((await gap()).prospects.map((prospect) => prospect.domain)).toEqual(expected(truthB));
    // The old graph closed once its query ended: only the new graph still holds files.
    const [machine] = readdirSync(join(cacheDir, 'webgraph', '.open'));
    const pins = join(cacheDir, 'webgraph', '.open', machine!);
    expect(readdirSync(pins)).toHaveLength(1);
    await provider.close?.();
    expect(readdirSync(pins)).toEqual([]);
  });

  it('a cancelled import stops and leaves no partial folder', async () => {
    const dir = temp('cancel');
    const cacheDir = temp('cancel-cache');
    folders.push(dir, cacheDir);
    await generateWebGraph(dir, { edges: 2000, vertices: 200, seed: 5 });
    const controller = new AbortController();
    const importing = importRelease(dir, {
      cacheDir,
      signal: controller.signal,
      onProgress: (progress) => {
        if (progress.phase === 'names') controller.abort(new Error('stopped by the test'));
      },
    });
    await expect(importing).rejects.toThrow('stopped by the test');
    const root = join(cacheDir, 'webgraph');
    expect(existsSync(root) ? readdirSync(root) : []).toEqual([]);
    expect(createProviderRegistry(loadConfig({ BACKLINK_GAP_CACHE_DIR: cacheDir }), { logger }).isConfigured('commoncrawl')).toBe(false);
  });
});

describe('provider "all" and the CLI', () => {
  it('merges with the local sample through the service', async () => {
    const dir = temp('all');
    const cacheDir = temp('all-cache');
    folders.push(dir);
    writeRelease(
      dir,
      'cc-main-2026-test',
      'domain',
      ['com.austinplumbingco', 'com.capitalcityplumbers', 'org.greateraustinbusiness', 'org.webgraph-only'],
      [[2, 0], [3, 0], [3, 1]],
    );
    await importRelease(dir, { cacheDir });
    const runtime = testRuntime({ BACKLINK_GAP_DATA: sampleDataPath() }, undefined, cacheDir);
    try {
      const outcome = await runtime.service.gap({
        your_domain: 'bluebonnetplumbing.com',
        competitor_domains: ['austinplumbingco.com', 'capitalcityplumbers.com'],
        provider: 'all',
      });
      if (isDryRun(outcome)) throw new Error('unexpected dry run');
      const { prospects } = await runtime.service.run((outcome as GapOutcome).run_id);
      const both = prospects.find((prospect) => prospect.domain === 'greateraustinbusiness.org');
      expect(both?.found_by.sort()).toEqual(['commoncrawl', 'local']);
      const graphOnly = prospects.find((prospect) => prospect.domain === 'webgraph-only.org');
      expect(graphOnly?.found_by).toEqual(['commoncrawl']);
      expect(graphOnly?.competitors).toEqual(['austinplumbingco.com', 'capitalcityplumbers.com']);
      expect(prospects.some((prospect) => prospect.found_by.length === 1 && prospect.found_by[0] === 'local')).toBe(true);
    } finally {
      await runtime.dispose();
    }
  });

  it('webgraph import DIR converts through the command line, progress on stderr only', async () => {
    const dir = temp('cli');
    const cacheDir = temp('cli-cache');
    folders.push(dir, cacheDir);
    await generateWebGraph(dir, { edges: 500, vertices: 80, seed: 11 });
    const run = (args: string[]) =>
      spawnSync(process.execPath, [CLI, ...args], {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', HOME: cacheDir, BACKLINK_GAP_CACHE_DIR: cacheDir },
        input: '',
        timeout: 60_000,
        encoding: 'utf8',
      });
    const imported = run(['webgraph', 'import', dir]);
    expect(imported.stderr).toContain('Imported cc-main-2026-jan-feb-mar (domain level)');
    expect(imported.status).toBe(0);
    expect(imported.stdout).toBe('');
    const json = run(['webgraph', 'import', dir, '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ converted: false, release: 'cc-main-2026-jan-feb-mar', level: 'domain' });
    const missing = run(['webgraph', 'import', join(dir, 'nope')]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/not a folder that can be read/);
    const help = run(['--help']);
    expect(help.stdout).toMatch(/^ {2}webgraph +\S.+$/m);
  });

  it('DuckDB loads on the first web graph query, not when the provider is built', () => {
    const dir = temp('lazy');
    const cacheDir = temp('lazy-cache');
    folders.push(dir, cacheDir);
    writeRelease(dir, 'cc-main-2026-test', 'domain', ['com.a', 'com.b', 'com.target'], [[0, 2], [1, 2]]);
    const env = { PATH: process.env.PATH ?? '', HOME: cacheDir, BACKLINK_GAP_CACHE_DIR: cacheDir, NODE_DEBUG: 'module' };
    const run = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, env, input: '', timeout: 60_000, encoding: 'utf8' });
    expect(run(['webgraph', 'import', dir]).status).toBe(0);
    // usage builds every configured provider and describes it: commoncrawl is configured, DuckDB stays out.
    const usage = run(['usage']);
    expect(usage.stdout).toMatch(/commoncrawl/);
    expect(usage.stderr).not.toMatch(/duckdb/i);
    const gap = run(['gap', 'target.com', '--competitors', 'a.com', '--provider', 'commoncrawl']);
    expect(gap.status).toBe(0);
    expect(gap.stderr).toMatch(/@duckdb/);
  });
});
