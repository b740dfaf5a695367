// The local dataset loader: formats, quoting, optional domains.csv, unknown authority, and errors
// that name file and line.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { sourceDomainOf } from '../../src/hosts.js';
import { type LocalDataset, loadDataset, looseUrlKey } from '../../src/providers/local-dataset.js';

const fixtures = fileURLToPath(new URL('../fixtures/local/', import.meta.url));

/** Every link as plain values, in file order. */
function rows(data: LocalDataset) {
  const out = [];
  for (let link = 0; link < data.linkCount; link++) {
    const first = data.linkFirstSeen[link]!;
    const last = data.linkLastSeen[link]!;
    out.push({
      source: data.sourceUrl(data.linkSourcePage[link]!),
      domain: data.domainName(data.linkSourceDomain[link]!),
      target: data.targetUrl(data.linkTargetUrl[link]!),
      anchor: data.anchor(data.linkAnchor[link]!),
      nofollow: data.linkNofollow[link] === 1,
      first_seen: first === 0 ? undefined : data.date(first),
      last_seen: last === 0 ? undefined : data.date(last),
    });
  }
  return out;
}

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'local-dataset-test-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function fileWith(name: string, text: string): Promise<string> {
  const path = join(scratch, `${Math.random().toString(36).slice(2)}-${name}`);
  await writeFile(path, text);
  return path;
}

async function folderWith(files: Record<string, string>): Promise<string> {
  const folder = join(scratch, Math.random().toString(36).slice(2));
  await import('node:fs/promises').then((fs) => fs.mkdir(folder));
  for (const [name, text] of Object.entries(files)) await writeFile(join(folder, name), text);
  return folder;
}

async function failure(promise: Promise<unknown>): Promise<UsageError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(UsageError);
  expect((error as UsageError).code).toBe('dataset_error');
  return error as UsageError;
}

const HEADER = 'source_url,target_url,anchor,nofollow\n';

describe('loadDataset: CSV', () => {
  it('reads quoted commas, doubled quotes and newlines inside quotes, keeping later line numbers right', async () => {
    const data = await loadDataset(join(fixtures, 'basic'));
    const all = rows(data);
    expect(all).toHaveLength(17);
    expect(all[3]).toEqual({
      source: 'https://news.net/story',
      domain: 'news.net',
      target: 'https://a.com/',
      anchor: 'Plumbers, Austin',
      nofollow: false,
      first_seen: '2025-02-01',
      last_seen: '2025-08-01',
    });
    expect(all[4]!.anchor).toBe('The "best" plumber');
    expect(all[4]!.nofollow).toBe(true); // TRUE, any case
    expect(all[11]!.anchor).toBe('Forum\nthread');
    expect(all[10]!.last_seen).toBeUndefined();
    expect(all[12]!.first_seen).toBeUndefined();
    expect(all[5]!.domain).toBe('example.co.uk'); // public-suffix aware
    // The same page linking twice is one page; www.hub.org and hub.org pages stay distinct.
    expect(data.linkSourcePage[3]).toBe(data.linkSourcePage[4]);
    expect(data.distinctPages).toBe(16);
  });

  it('takes columns in any order and ignores extra ones', async () => {
    const path = await fileWith(
      'links.csv',
      'nofollow,extra,anchor,target_url,source_url\n0,x,Hello,https://t.com/,https://s.com/a\n',
    );
    const data = await loadDataset(path);
    expect(rows(data)).toEqual([
      { source: 'https://s.com/a', domain: 's.com', target: 'https://t.com/', anchor: 'Hello', nofollow: false, first_seen: undefined, last_seen: undefined },
    ]);
  });

  it('handles CRLF line endings, a byte order mark and a last line without newline', async () => {
    const path = await fileWith(
      'links.csv',
      '\uFEFFsource_url,target_url,anchor,nofollow\r\nhttps://s.com/a,https://t.com/,"x, y",false\r\nhttps://s.com/b,https://t.com/,z,true',
    );
    const all = rows(await loadDataset(path));
    expect(all.map((row) => [row.source, row.anchor, row.nofollow])).toEqual([
      ['https://s.com/a', 'x, y', false],
      ['https://s.com/b', 'z', true],
    ]);
  });

  it('reads a folder with domains.csv: figures by registrable domain, absent ones unknown (never 0)', async () => {
    const data = await loadDataset(join(fixtures, 'basic'));
    expect(data.figures(data.domainId('hub.org'))).toEqual({ authority: 60, spam_score: 1, backlinks: 50_000, referring_domains: 1200 });
    // Written as www.news.net with empty backlinks: normalised, and the empty cells stay unknown.
    expect(data.figures(data.domainId('news.net'))).toEqual({ authority: 45, spam_score: 3 });
    expect(data.figures(data.domainId('unknown.io'))).toEqual({});
  });

  it('reads a single links file without domains.csv: every authority unknown', async () => {
    const data = await loadDataset(join(fixtures, 'basic', 'links.csv'));
    expect(data.linkCount).toBe(17);
    expect(data.figures(data.domainId('hub.org'))).toEqual({});
    expect(data.files.domains).toBeUndefined();
  });
});

describe('loadDataset: large files', () => {
  it('reads records split across 4 MB read chunks and grows past a low size estimate', async () => {
    // Long rows first (the size estimate samples the head), then many short ones; quoted fields
    // with commas, quotes and newlines are spread so some straddle chunk boundaries.
    const lines: string[] = [];
    const expected: Array<{ source: string; anchor: string }> = [];
    for (let index = 0; index < 60_000; index++) {
      const long = index < 200;
      const anchor =
        index % 7 === 0 ? `multi\nline, "quoted" ${index}` : long ? `anchor ${'x'.repeat(2000)} ${index}` : `a${index}`;
      const field = /[",\n]/.test(anchor) ? `"${anchor.replaceAll('"', '""')}"` : anchor;
      const source = `https://site${index % 5000}.com/page/${index}`;
      lines.push(`${source},https://target${index % 3}.com/,${field},${index % 2 === 0 ? 'true' : 'false'}`);
      expected.push({ source, anchor });
    }
    const text = `${HEADER}${lines.join('\n')}\n`;
    expect(text.length).toBeGreaterThan(4 * 1024 * 1024);
    const data = await loadDataset(await fileWith('links.csv', text));
    expect(data.linkCount).toBe(60_000);
    const all = rows(data);
    expect(all.map((row) => ({ source: row.source, anchor: row.anchor }))).toEqual(expected);
    expect(all[59_999]!.nofollow).toBe(false);
    expect(data.distinctPages).toBe(60_000);
  });
});

describe('loadDataset: source domains', () => {
  it('agree with sourceDomainOf for every shape of host (the loader takes byte-level shortcuts)', async () => {
    const hosts = [
      'example.com',
      'www.example.com',
      'WWW.Example.COM',
      'blog.example.co.uk',
      'www.co.uk',
      'co.uk',
      'www.com',
      'foo.blogspot.com',
      'www.foo.blogspot.com',
      'a.b.c.example.org',
      '192.168.1.20',
      'example.com.',
      'xn--bcher-kva.example',
      'bücher.example',
      'user@example.net',
      'example.com:8080',
      'localhost',
    ];
    const urls = hosts.map((host, index) => `https://${host}/page-${index}`);
    const path = await fileWith('links.csv', `${HEADER}${urls.map((url) => `${url},https://target.com/,a,false`).join('\n')}\n`);
    const data = await loadDataset(path);
    expect(rows(data).map((row) => row.domain)).toEqual(urls.map((url) => sourceDomainOf(url)));
  });
});

describe('loadDataset: JSONL', () => {
  it('reads one object per line, booleans or 0/1 for nofollow, null anchors, blank lines skipped', async () => {
    const data = await loadDataset(join(fixtures, 'jsonl'));
    expect(data.files.format).toBe('jsonl');
    expect(rows(data)).toEqual([
      { source: 'https://www.hub.org/members', domain: 'hub.org', target: 'https://www.a.com/', anchor: 'A Co', nofollow: false, first_seen: '2025-01-01', last_seen: undefined },
      { source: 'https://news.net/story', domain: 'news.net', target: 'https://a.com/', anchor: 'Plumbers, "Austin"', nofollow: true, first_seen: undefined, last_seen: undefined },
      { source: 'https://knows.me/x', domain: 'knows.me', target: 'https://b.com/', anchor: '', nofollow: false, first_seen: undefined, last_seen: undefined },
    ]);
    expect(data.figures(data.domainId('hub.org'))).toEqual({ authority: 60, spam_score: 1 });
  });

  it('names the file and line of a line that is not JSON', async () => {
    const path = await fileWith('links.jsonl', '{"source_url":"https://s.com/","target_url":"https://t.com/","anchor":"a","nofollow":false}\n{"source_url": oops}\n');
    const error = await failure(loadDataset(path));
    expect(error.message).toMatch(/links\.jsonl:2: not valid JSON/);
  });

  it('names a missing key', async () => {
    const path = await fileWith('links.jsonl', '{"source_url":"https://s.com/","anchor":"a","nofollow":false}\n');
    expect((await failure(loadDataset(path))).message).toMatch(/links\.jsonl:1: missing "target_url"/);
  });
});

describe('loadDataset: errors name file, line and the fix', () => {
  it('a header without a required column', async () => {
    const path = await fileWith('links.csv', 'source_url,target_url,anchor\nhttps://s.com/,https://t.com/,a\n');
    const error = await failure(loadDataset(path));
    expect(error.message).toMatch(/links\.csv:1: the header lacks nofollow/);
    expect(error.message).toContain('source_url,target_url,anchor,nofollow');
  });

  it('a bad nofollow value', async () => {
    const path = await fileWith('links.csv', `${HEADER}https://s.com/,https://t.com/,a,false\nhttps://s.com/,https://t.com/,a,yes\n`);
    const error = await failure(loadDataset(path));
    expect(error.message).toMatch(/links\.csv:3: nofollow is "yes"; write true, false, 1 or 0/);
  });

  it('an unterminated quote, reported at the line where the field opens', async () => {
    const path = await fileWith('links.csv', `${HEADER}https://s.com/,https://t.com/,a,false\nhttps://s.com/,https://t.com/,"never closed,false\nmore\n`);
    const error = await failure(loadDataset(path));
    expect(error.message).toMatch(/links\.csv:3: unterminated quoted field/);
  });

  it('text after a closing quote', async () => {
    const path = await fileWith('links.csv', `${HEADER}https://s.com/,https://t.com/,"a"b,false\n`);
    expect((await failure(loadDataset(path))).message).toMatch(/links\.csv:2: unexpected text after a closing quote/);
  });

  it('a line number after a quoted multi-line field counts the lines inside it', async () => {
    const path = await fileWith('links.csv', `${HEADER}https://s.com/,https://t.com/,"two\nlines",false\nhttps://s.com/,https://t.com/,a,maybe\n`);
    expect((await failure(loadDataset(path))).message).toMatch(/links\.csv:4: nofollow is "maybe"/);
  });

  it('a non-http URL', async () => {
    const path = await fileWith('links.csv', `${HEADER}ftp://s.com/file,https://t.com/,a,false\n`);
    const error = await failure(loadDataset(path));
    expect(error.message).toMatch(/links\.csv:2: source_url is "ftp:\/\/s\.com\/file", not an absolute http\(s\) URL/);
  });

  it('a relative target URL', async () => {
    const path = await fileWith('links.csv', `${HEADER}https://s.com/,/contact,a,false\n`);
    expect((await failure(loadDataset(path))).message).toMatch(/links\.csv:2: target_url is "\/contact"/);
  });

  it('a wrong number of fields (an unquoted comma)', async () => {
    const path = await fileWith('links.csv', `${HEADER}https://s.com/,https://t.com/,Plumbers, Austin,false\n`);
    const error = await failure(loadDataset(path));
    expect(error.message).toMatch(/links\.csv:2: found 5 fields but the header has 4; quote any field that contains a comma/);
  });

  it('a bad date', async () => {
    const path = await fileWith('links.csv', 'source_url,target_url,anchor,nofollow,first_seen\nhttps://s.com/,https://t.com/,a,false,14/03/2025\n');
    expect((await failure(loadDataset(path))).message).toMatch(/links\.csv:2: first_seen is "14\/03\/2025"; write an ISO date/);
  });

  it('a bad authority in domains.csv', async () => {
    const folder = await folderWith({
      'links.csv': `${HEADER}https://s.com/,https://t.com/,a,false\n`,
      'domains.csv': 'domain,authority,spam_score\ns.com,50,1\nt.com,high,2\n',
    });
    const error = await failure(loadDataset(folder));
    expect(error.message).toMatch(/domains\.csv:3: authority is "high"; write a number from 0 to 100/);
  });

  it('an authority out of range in domains.csv', async () => {
    const folder = await folderWith({
      'links.csv': `${HEADER}https://s.com/,https://t.com/,a,false\n`,
      'domains.csv': 'domain,authority,spam_score\ns.com,150,1\n',
    });
    expect((await failure(loadDataset(folder))).message).toMatch(/domains\.csv:2: authority is "150"/);
  });

  it('a domains.csv without spam_score', async () => {
    const folder = await folderWith({
      'links.csv': `${HEADER}https://s.com/,https://t.com/,a,false\n`,
      'domains.csv': 'domain,authority\ns.com,50\n',
    });
    expect((await failure(loadDataset(folder))).message).toMatch(/domains\.csv:1: the header lacks spam_score/);
  });

  it('a missing path names the path and BACKLINK_GAP_DATA', async () => {
    const missing = join(scratch, 'no-such-folder');
    const error = await failure(loadDataset(missing));
    expect(error.message).toContain(missing);
    expect(error.message).toContain('BACKLINK_GAP_DATA');
  });

  it('a folder without a links file', async () => {
    const folder = await folderWith({ 'domains.csv': 'domain,authority,spam_score\n' });
    expect((await failure(loadDataset(folder))).message).toMatch(/holds no links\.csv or links\.jsonl/);
  });

  it('an empty links file', async () => {
    const path = await fileWith('links.csv', '');
    expect((await failure(loadDataset(path))).message).toMatch(/links\.csv:1: the file is empty/);
  });
});

describe('looseUrlKey', () => {
  it('ignores scheme, www, case of the host and a trailing slash, but keeps the query', () => {
    expect(looseUrlKey('https://www.Example.com/a/')).toBe('example.com/a');
    expect(looseUrlKey('http://example.com/a')).toBe('example.com/a');
    expect(looseUrlKey('http://example.com/a?x=1#top')).toBe('example.com/a?x=1');
    expect(looseUrlKey('https://example.com')).toBe('example.com');
    // Unusual characters go through the full URL parser and agree with it.
    expect(looseUrlKey('https://example.com/a b/')).toBe(looseUrlKey('https://example.com/a%20b'));
  });
});
