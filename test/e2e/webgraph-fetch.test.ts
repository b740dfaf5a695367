// `webgraph fetch` as a user runs it (the built CLI), against a loopback Common Crawl serving a small
// release in Common Crawl's format: a whole fetch then import then a gap from provider commoncrawl;
// Ctrl-C mid-download then the same command resumes with Range; an unknown release is refused with
// the available ones. No test reaches the internet.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FakeCommonCrawl, startFakeCommonCrawl } from '../helpers/fake-commoncrawl.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RELEASE = 'cc-main-2026-mar-apr-may';
const OLDER = 'cc-main-2025-dec-jan-feb';
const YOU = 'bluebonnetplumbing.com';
const COMPETITORS = ['austinplumbingco.com', 'capitalcityplumbers.com'];

/** A domain-level release in Common Crawl's format: ids in the order of the sorted reversed names. */
function releaseFiles(name: string, links: Array<[string, string]>, padding = 0): Record<string, Buffer> {
  const reverse = (domain: string) => domain.split('.').reverse().join('.');
  const domains = [...new Set(links.flat())];
  for (let index = 0; index < padding; index += 1) domains.push(`filler${index}.example.org`);
  const reversed = domains.map(reverse).sort();
  const id = new Map(reversed.map((value, index) => [value, index]));
  const vertices = reversed.map((value, index) => `${index}\t${value}\t1\n`).join('');
  const edges = links
    .map(([from, to]) => [id.get(reverse(from))!, id.get(reverse(to))!] as const)
    .sort((a, b) => a[0] - b[0] || a[1] - b[1])
    .map(([from, to]) => `${from}\t${to}\n`)
    .join('');
  const ranks = `#harmonicc_pos\t#harmonicc_val\t#pr_pos\t#pr_val\t#host_rev\t#n_hosts\n${reversed.map((value, index) => `${index + 1}\t${(1000 - index).toFixed(1)}\t${index + 1}\t0.001\t${value}\t1\n`).join('')}`;
  const base = `${name}/domain/${name}-domain`;
  // Level 0: the vertices file stays large enough to be sent in several chunks.
  return { [`${base}-vertices.txt.gz`]: gzipSync(vertices, { level: 0 }), [`${base}-edges.txt.gz`]: gzipSync(edges), [`${base}-ranks.txt.gz`]: gzipSync(ranks) };
}

const LINKS: Array<[string, string]> = [
  ['citynews.org', COMPETITORS[0]!],
  ['citynews.org', COMPETITORS[1]!],
  ['plumbersguild.org', COMPETITORS[0]!],
  ['plumbersguild.org', YOU],
  ['homeblog.net', COMPETITORS[1]!],
  [COMPETITORS[0]!, COMPETITORS[1]!],
];

let server: FakeCommonCrawl;
let cacheDir: string;
beforeAll(async () => {
  server = await startFakeCommonCrawl([RELEASE, OLDER], { ...releaseFiles(RELEASE, LINKS, 40_000), ...releaseFiles(OLDER, LINKS) });
});
afterAll(async () => {
  await server.close();
});
afterEach(() => {
  rmSync(cacheDir, { recursive: true, force: true });
});

function cli(args: string[], onStderr?: (text: string, child: ReturnType<typeof spawn>) => void): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'dist', 'cli.js'), ...args], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: cacheDir,
        BACKLINK_GAP_CACHE_DIR: cacheDir,
        BACKLINK_GAP_WEBGRAPH_INFO_URL: server.infoUrl,
        BACKLINK_GAP_WEBGRAPH_DATA_URL: server.dataUrl,
        BACKLINK_GAP_DUCKDB_MEMORY: '512MB',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      onStderr?.(stderr, child);
    });
    child.on('close', (code) => resolve({ stdout, stderr, code }));
  });
}

describe('webgraph fetch', () => {
  it('downloads the newest release with progress on stderr, imports it, and provider commoncrawl answers a gap', async () => {
    cacheDir = mkdtempSync(join(tmpdir(), 'blg-fetch-e2e-'));
    const fetched = await cli(['webgraph', 'fetch', '--json']);
    expect(fetched.code, fetched.stderr).toBe(0);
    const result = JSON.parse(fetched.stdout) as { release: string; level: string; downloads: string; files: Array<{ path: string; bytes: number }> };
    expect(result).toMatchObject({ release: RELEASE, level: 'domain' });
    expect(result.downloads).toBe(join(cacheDir, 'webgraph', 'downloads', RELEASE, 'domain'));
    expect(result.files.map((file) => file.path)).toEqual([`${RELEASE}-domain-vertices.txt.gz`, `${RELEASE}-domain-ranks.txt.gz`, `${RELEASE}-domain-edges.txt.gz`]);
    // A pipe gets whole lines, never a redrawn bar.
    expect(fetched.stderr).toContain(`${RELEASE}-domain-edges.txt.gz: `);
    expect(fetched.stderr).toMatch(/size checked/);
    expect(fetched.stderr).not.toContain('\r');

    const gap = await cli(['gap', YOU, '--competitors', COMPETITORS.join(','), '--provider', 'commoncrawl', '--json']);
    expect(gap.code, gap.stderr).toBe(0);
    const domains = (JSON.parse(gap.stdout) as { prospects: Array<{ domain: string }> }).prospects.map((prospect) => prospect.domain);
    expect(domains).toContain('citynews.org');
    expect(domains).toContain('homeblog.net');
    expect(domains).not.toContain('plumbersguild.org');
  });

  it('Ctrl-C keeps a partial download; the same command resumes it with Range', async () => {
    cacheDir = mkdtempSync(join(tmpdir(), 'blg-fetch-e2e-'));
    const vertices = `${RELEASE}/domain/${RELEASE}-domain-vertices.txt.gz`;
    server.misbehave.set(vertices, { stallAfter: 256 * 1024 });
    const stalled = server.stalled();
    let interrupted = false;
    const first = await cli(['webgraph', 'fetch', '--release', RELEASE], (_text, child) => {
      if (interrupted) return;
      interrupted = true;
      void stalled.then(() => setTimeout(() => child.kill('SIGINT'), 300));
    });
    server.release();
    expect(first.code, first.stderr).toBe(130);
    expect(first.stderr).toMatch(/run the same command again to resume/);
    const downloads = join(cacheDir, 'webgraph', 'downloads', RELEASE, 'domain');
    expect(readdirSync(downloads)).toContain(`${RELEASE}-domain-vertices.txt.gz.partial`);

    const again = await cli(['webgraph', 'fetch', '--release', RELEASE]);
    expect(again.code, again.stderr).toBe(0);
    const resumed = server.seen.filter((request) => request.method === 'GET' && request.path.endsWith('vertices.txt.gz')).at(-1)!;
    expect(resumed.headers.range).toMatch(/^bytes=\d+-$/);
    expect(again.stderr).toMatch(/resumed from/);
    expect(existsSync(join(downloads, `${RELEASE}-domain-vertices.txt.gz.partial`))).toBe(false);
  });

  it('refuses an unknown release, naming the available ones', async () => {
    cacheDir = mkdtempSync(join(tmpdir(), 'blg-fetch-e2e-'));
    const result = await cli(['webgraph', 'fetch', '--release', 'cc-main-2020-jan']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`unknown release "cc-main-2020-jan"`);
    expect(result.stderr).toContain(`${RELEASE}, ${OLDER} (newest first)`);
  });
});
