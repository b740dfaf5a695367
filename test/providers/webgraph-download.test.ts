// Which release `webgraph fetch` downloads and where the files land, against a loopback Common Crawl:
// the newest fully published release by default, a named one, an unknown one (refused with the
// list), parts named by a `.paths.gz` listing (imported as one host-level release), a listing that
// points outside its release, and a release from the generator downloaded byte for byte and
// answering a gap as its original files do.

import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateWebGraph } from '../../bench/generate-webgraph.js';
import type { WebgraphDownloadSettings } from '../../src/config.js';
import { createDownloader, type Downloader } from '../../src/http/download.js';
import { createLogger } from '../../src/log.js';
import { createCommonCrawlProvider } from '../../src/providers/commoncrawl.js';
import { importRelease } from '../../src/providers/local/engine/webgraph.js';
import { downloadDirectory, downloadRelease } from '../../src/providers/local/webgraph-download.js';
import { type FakeCommonCrawl, startFakeCommonCrawl } from '../helpers/fake-commoncrawl.js';

const NEWEST = 'cc-main-2026-jul-aug-sep';
const OLDER = 'cc-main-2026-mar-apr-may';

/** A tiny domain-level release in Common Crawl's format: gzipped, tab-separated, reversed names. */
function release(name: string, level = 'domain'): Record<string, Buffer> {
  const vertices = gzipSync('0\tcom.alpha\t2\n1\tcom.beta\t1\n2\torg.gamma\t1\n');
  const edges = gzipSync('0\t1\n0\t2\n2\t1\n');
  const ranks = gzipSync('#harmonicc_pos\t#harmonicc_val\t#pr_pos\t#pr_val\t#host_rev\t#n_hosts\n1\t3.5\t1\t0.4\tcom.beta\t1\n2\t2.0\t2\t0.3\torg.gamma\t1\n3\t1.0\t3\t0.2\tcom.alpha\t2\n');
  return {
    [`${name}/${level}/${name}-${level}-vertices.txt.gz`]: vertices,
    [`${name}/${level}/${name}-${level}-edges.txt.gz`]: edges,
    [`${name}/${level}/${name}-${level}-ranks.txt.gz`]: ranks,
  };
}

let server: FakeCommonCrawl;
let downloader: Downloader;
let cacheDir: string;
const settings = (parts: WebgraphDownloadSettings['parts'] = 'auto'): WebgraphDownloadSettings => ({ infoUrl: server.infoUrl, dataUrl: server.dataUrl, parts });

afterEach(async () => {
  await downloader.close();
  await server.close();
  rmSync(cacheDir, { recursive: true, force: true });
});

describe('downloadRelease', () => {
  beforeEach(async () => {
    // The newest release is listed but only its vertices are published so far.
    const newest = release(NEWEST);
    const partial = { [`${NEWEST}/domain/${NEWEST}-domain-vertices.txt.gz`]: newest[`${NEWEST}/domain/${NEWEST}-domain-vertices.txt.gz`]! };
    server = await startFakeCommonCrawl([NEWEST, OLDER], { ...partial, ...release(OLDER) });
    downloader = createDownloader({ backoffBaseMs: 1, maxAttempts: 2 });
    cacheDir = mkdtempSync(join(tmpdir(), 'blg-webgraph-'));
  });

  it('by default takes the newest release whose files are all published, into the cache in Common Crawl names', async () => {
    const events: string[] = [];
    const done = await downloadRelease({
      settings: settings(),
      cacheDir,
      level: 'domain',
      downloader,
      onEvent: (event) => {
        if (event.type === 'release') events.push(event.note ?? '');
      },
    });
    expect(done.release).toBe(OLDER);
    expect(done.dir).toBe(downloadDirectory(cacheDir, OLDER, 'domain'));
    expect(done.dir).toBe(join(cacheDir, 'webgraph', 'downloads', OLDER, 'domain'));
    expect(events[0]).toMatch(new RegExp(`${NEWEST} is listed but not fully published`));
    expect(done.files.map((file) => file.path)).toEqual([
      `${OLDER}-domain-vertices.txt.gz`,
      `${OLDER}-domain-ranks.txt.gz`,
      `${OLDER}-domain-edges.txt.gz`,
    ]);
    expect(readFileSync(join(done.dir, `${OLDER}-domain-edges.txt.gz`)).equals(server.files.get(`${OLDER}/domain/${OLDER}-domain-edges.txt.gz`)!)).toBe(true);
  });

  it('refuses to start when the disk cannot hold the files, saying how much is needed and what to do', async () => {
    const error = await downloadRelease({ settings: settings(), cacheDir, level: 'domain', downloader, freeBytes: async () => 10 }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'invalid_input' });
    expect(String((error as Error).message)).toMatch(/needs \d+ B more to download, but .* has 10 B free.*BACKLINK_GAP_CACHE_DIR/);
    expect(server.seen.filter((request) => request.method === 'GET' && request.path.startsWith('/data/'))).toHaveLength(0);
  });

  it('refuses an unknown release, naming the ones the list has', async () => {
    const error = await downloadRelease({ settings: settings(), cacheDir, level: 'domain', release: 'cc-main-1999-jan', downloader }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'invalid_input' });
    expect(String((error as Error).message)).toContain(`unknown release "cc-main-1999-jan"`);
    expect(String((error as Error).message)).toContain(`${NEWEST}, ${OLDER} (newest first)`);
  });

  it('a named release with files missing says which, and downloads nothing', async () => {
    const error = await downloadRelease({ settings: settings(), cacheDir, level: 'domain', release: NEWEST, downloader }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'not_found' });
    expect(String((error as Error).message)).toMatch(/edges\.txt\.gz .*not fully published|no .*edges\.txt\.gz/);
    expect(server.seen.filter((request) => request.method === 'GET' && request.path.startsWith('/data/'))).toHaveLength(0);
  });
});

describe('downloadRelease with parts', () => {
  const HOST = `${OLDER}/host`;
  beforeEach(async () => {
    const files = release(OLDER, 'host');
    const parts: Record<string, Buffer> = {
      [`${HOST}/vertices/part-00000.txt.gz`]: gzipSync('0\tcom.alpha\n1\tcom.alpha.www\n'),
      [`${HOST}/vertices/part-00001.txt.gz`]: gzipSync('2\tcom.beta\n3\torg.gamma.blog\n'),
      [`${HOST}/edges/part-00000.txt.gz`]: gzipSync('0\t2\n1\t0\n1\t2\n'),
      [`${HOST}/edges/part-00001.txt.gz`]: gzipSync('3\t0\n3\t2\n'),
    };
    const listing = (kind: string) =>
      gzipSync(
        Object.keys(parts)
          .filter((path) => path.includes(`/${kind}/`))
          .map((path) => `projects/hyperlinkgraph/${path}`)
          .join('\n'),
      );
    server = await startFakeCommonCrawl([OLDER], {
      [`${HOST}/${OLDER}-host-ranks.txt.gz`]: files[`${HOST}/${OLDER}-host-ranks.txt.gz`]!,
      [`${HOST}/${OLDER}-host-vertices.paths.gz`]: listing('vertices'),
      [`${HOST}/${OLDER}-host-edges.paths.gz`]: listing('edges'),
      ...parts,
    });
    downloader = createDownloader({ backoffBaseMs: 1, maxAttempts: 2 });
    cacheDir = mkdtempSync(join(tmpdir(), 'blg-webgraph-'));
  });

  it('follows a .paths.gz listing when the single file is absent: parts land at their path under the level', async () => {
    const done = await downloadRelease({ settings: settings(), cacheDir, level: 'host', downloader });
    expect(done.files.map((file) => file.path).sort()).toEqual(
      [
        `${OLDER}-host-vertices.paths.gz`,
        `${OLDER}-host-edges.paths.gz`,
        `${OLDER}-host-ranks.txt.gz`,
        'vertices/part-00000.txt.gz',
        'vertices/part-00001.txt.gz',
        'edges/part-00000.txt.gz',
        'edges/part-00001.txt.gz',
      ].sort(),
    );
    expect(readFileSync(join(done.dir, 'vertices', 'part-00001.txt.gz')).equals(server.files.get(`${HOST}/vertices/part-00001.txt.gz`)!)).toBe(true);

    // The parts import as one host-level release: alpha.com's two hosts and gamma.com link to beta.com.
    const imported = await importRelease(done.dir, { cacheDir, level: 'host', release: OLDER });
    expect(imported.manifest).toMatchObject({ level: 'host', vertices: 4, edges: 5 });
    const provider = createCommonCrawlProvider({ cacheDir, logger: createLogger({ level: 'silent', secrets: [] }) });
    try {
      const answer = await provider.backlinks!({ target: 'beta.com', target_kind: 'domain', mode: 'one_per_domain', limit: 10 }, {} as never);
      expect(answer.backlinks.map((link) => link.source_domain).sort()).toEqual(['alpha.com', 'gamma.org']);
    } finally {
      await provider.close?.();
    }
  });

  it('BACKLINK_GAP_WEBGRAPH_PARTS=single does not look for a listing', async () => {
    const error = await downloadRelease({ settings: settings('single'), cacheDir, level: 'host', release: OLDER, downloader }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'not_found' });
    expect(String((error as Error).message)).toContain('BACKLINK_GAP_WEBGRAPH_PARTS=auto');
  });

  it('refuses a listing that names a file outside its release, before downloading from it', async () => {
    server.files.set(`${HOST}/${OLDER}-host-edges.paths.gz`, gzipSync(`projects/hyperlinkgraph/${OLDER}/host/../../other/secret.txt.gz\n`));
    const error = await downloadRelease({ settings: settings(), cacheDir, level: 'host', downloader }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'invalid_response' });
    expect(server.seen.some((request) => request.path.includes('secret'))).toBe(false);
  });
});

describe('downloadRelease of a generated release, then import', () => {
  let generatedDir: string;
  let largest: string[];
  beforeEach(async () => {
    generatedDir = mkdtempSync(join(tmpdir(), 'blg-webgraph-generated-'));
    const graph = await generateWebGraph(generatedDir, { edges: 4000, vertices: 300, seed: 12, release: OLDER });
    largest = graph.levels[0]!.largestTargets;
    const files: Record<string, Buffer> = {};
    for (const name of readdirSync(generatedDir)) files[`${OLDER}/domain/${name}`] = readFileSync(join(generatedDir, name));
    server = await startFakeCommonCrawl([OLDER], files);
    downloader = createDownloader({ backoffBaseMs: 1, maxAttempts: 2 });
    cacheDir = mkdtempSync(join(tmpdir(), 'blg-webgraph-'));
  });
  afterEach(() => rmSync(generatedDir, { recursive: true, force: true }));

  it('downloads the files byte for byte, and the import answers a gap as the original files do', async () => {
    const done = await downloadRelease({ settings: settings(), cacheDir, level: 'domain', downloader });
    for (const name of readdirSync(generatedDir)) expect(readFileSync(join(done.dir, name)).equals(readFileSync(join(generatedDir, name)))).toBe(true);

    const logger = createLogger({ level: 'silent', secrets: [] });
    const gapFrom = async (dir: string, cache: string) => {
      const imported = await importRelease(dir, { cacheDir: cache, level: 'domain', release: OLDER });
      const provider = createCommonCrawlProvider({ cacheDir: cache, logger });
      try {
        const answer = await provider.gap!({ your_domain: largest[5]!, competitor_domains: largest.slice(0, 5), limit: 50, min_competitors: 2 }, {} as never);
        return { links: imported.manifest.links, prospects: answer.prospects.map((prospect) => [prospect.domain, prospect.competitors.length]) };
      } finally {
        await provider.close?.();
      }
    };
    const fetched = await gapFrom(done.dir, cacheDir);
    const originalCache = mkdtempSync(join(tmpdir(), 'blg-webgraph-original-'));
    try {
      const original = await gapFrom(generatedDir, originalCache);
      expect(fetched.prospects.length).toBeGreaterThan(0);
      expect(fetched).toEqual(original);
    } finally {
      rmSync(originalCache, { recursive: true, force: true });
    }
  });
});
