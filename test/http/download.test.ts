// Resumable downloads against a loopback server: a whole file, Ctrl-C then resume with Range, a
// broken connection resumed within the same call, a server that ignores Range, and a short body.

import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDownloader, type Downloader } from '../../src/http/download.js';
import { type FakeCommonCrawl, startFakeCommonCrawl } from '../helpers/fake-commoncrawl.js';

const FILE = 'rel/domain/rel-domain-edges.txt.gz';
const bytes = randomBytes(3 * 1024 * 1024 + 17);
let server: FakeCommonCrawl;
let downloader: Downloader;
let dir: string;

beforeEach(async () => {
  server = await startFakeCommonCrawl(['rel'], { [FILE]: bytes });
  downloader = createDownloader({ backoffBaseMs: 1, maxAttempts: 3 });
  dir = mkdtempSync(join(tmpdir(), 'blg-download-'));
});
afterEach(async () => {
  await downloader.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const url = () => `${server.dataUrl}/${FILE}`;
const gets = () => server.seen.filter((request) => request.method === 'GET');

describe('downloadFile', () => {
  it('downloads a file whole, checks its size, and does not fetch it again once complete', async () => {
    const destination = join(dir, 'edges.txt.gz');
    const result = await downloader.download({ url: url(), destination });
    expect(result).toMatchObject({ bytes: bytes.length, sizeChecked: true, alreadyComplete: false, resumedFrom: 0 });
    expect(readFileSync(destination).equals(bytes)).toBe(true);
    expect(existsSync(`${destination}.partial`)).toBe(false);
    const again = await downloader.download({ url: url(), destination });
    expect(again.alreadyComplete).toBe(true);
    expect(gets()).toHaveLength(1);
  });

  it('interrupted (Ctrl-C) keeps a partial; the next run asks for the rest with Range and the file is byte-identical', async () => {
    const destination = join(dir, 'edges.txt.gz');
    server.misbehave.set(FILE, { stallAfter: 1024 * 1024 });
    const controller = new AbortController();
    const first = downloader.download({ url: url(), destination, signal: controller.signal });
    await server.stalled();
    // Let the bytes already sent reach the file before the interruption.
    await new Promise((resolve) => setTimeout(resolve, 200));
    controller.abort();
    const error = await first.catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'cancelled' });
    expect(String((error as Error).message)).toMatch(/run the same command again to resume/);
    const kept = statSync(`${destination}.partial`).size;
    expect(kept).toBeGreaterThan(0);
    expect(existsSync(destination)).toBe(false);

    const resumed = await downloader.download({ url: url(), destination });
    expect(resumed.resumedFrom).toBe(kept);
    const last = gets().at(-1)!;
    expect(last.headers.range).toBe(`bytes=${kept}-`);
    expect(last.headers['if-range']).toMatch(/^"/);
    expect(readFileSync(destination).equals(bytes)).toBe(true);
  });

  it('a connection that breaks mid-body is resumed within the same call', async () => {
    const destination = join(dir, 'edges.txt.gz');
    server.misbehave.set(FILE, { breakAfter: 512 * 1024 });
    const result = await downloader.download({ url: url(), destination });
    expect(readFileSync(destination).equals(bytes)).toBe(true);
    expect(result.bytes).toBe(bytes.length);
    expect(gets()).toHaveLength(2);
    expect(gets()[1]!.headers.range).toMatch(/^bytes=\d+-$/);
  });

  it('a line that breaks more often than the attempts allow still finishes, as long as each attempt moves forward', async () => {
    const destination = join(dir, 'edges.txt.gz');
    server.misbehave.set(FILE, { breakEvery: 400 * 1024 });
    const result = await downloader.download({ url: url(), destination });
    expect(gets().length).toBeGreaterThan(3);
    expect(result.bytes).toBe(bytes.length);
    expect(readFileSync(destination).equals(bytes)).toBe(true);
  });

  it('a server that ignores Range sends the whole file again: the partial is replaced, not appended to', async () => {
    const destination = join(dir, 'edges.txt.gz');
    server.misbehave.set(FILE, { stallAfter: 700 * 1024 });
    const controller = new AbortController();
    const first = downloader.download({ url: url(), destination, signal: controller.signal });
    await server.stalled();
    await new Promise((resolve) => setTimeout(resolve, 200));
    controller.abort();
    await first.catch(() => undefined);
    expect(statSync(`${destination}.partial`).size).toBeGreaterThan(0);

    server.misbehave.set(FILE, { ignoreRange: true });
    const result = await downloader.download({ url: url(), destination });
    expect(gets().at(-1)!.headers.range).toMatch(/^bytes=/);
    expect(result.restarted).toBe(true);
    expect(result.resumedFrom).toBe(0);
    expect(readFileSync(destination).equals(bytes)).toBe(true);
  });

  it('a body shorter than its Content-Length is refused with what to do, and never becomes the file', async () => {
    const destination = join(dir, 'edges.txt.gz');
    server.misbehave.set(FILE, { shortBy: 1000, ignoreRange: true });
    const error = await downloader.download({ url: url(), destination }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'upstream_unavailable' });
    const message = String((error as Error).message);
    expect(message).toMatch(/3\.0 MB/);
    expect(message).toMatch(/nothing was imported: run the same command again to resume/);
    expect(existsSync(destination)).toBe(false);
    // Attempts that take the file further than before are not counted, so at least 3 and a bounded few more.
    expect(gets().length).toBeGreaterThanOrEqual(3);
  });
});
