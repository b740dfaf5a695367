// The local provider over a folder of vendor exports as downloaded (test/fixtures/local/exports,
// written by generate-exports.ts): every kind recognised by its header and encoding, a ranked gap,
// Search Console's "already links to you", duplicates, lost links, and files that cannot be read.
// Expectations are worked out by hand from the rows in generate-exports.ts.

import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { createLocalProvider, loadDataset } from '../../src/providers/local.js';
import { decodeText } from '../../src/providers/local/decode.js';
import { isoDay, sniffDelimiter } from '../../src/providers/local/exports.js';
import { FILES, searchConsoleZip, table, writeExportsFixture } from '../fixtures/local/generate-exports.js';

const exportsFolder = fileURLToPath(new URL('../fixtures/local/exports/', import.meta.url));
const NOW = new Date('2026-12-01T00:00:00Z');
const COMPETITORS = ['rival-a.com', 'rival-b.com', 'rival-c.com', 'rival-d.com', 'rival-e.com'];
const gapQuery = { your_domain: 'me.com', competitor_domains: COMPETITORS, limit: 100, min_competitors: 1 };

function provider(dataPath = exportsFolder) {
  return createLocalProvider({ dataPath, logger: silentLogger, now: () => NOW });
}

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'local-exports-test-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** A fresh folder holding the named fixture files (and any extra files given). */
async function folderOf(names: string[], extra: Record<string, string | Uint8Array> = {}): Promise<string> {
  const folder = await mkdtemp(join(scratch, 'folder-'));
  for (const name of names) await copyFile(join(exportsFolder, name), join(folder, name));
  for (const [name, content] of Object.entries(extra)) await writeFile(join(folder, name), content);
  return folder;
}

const AHREFS_A = 'rival-a.com-backlinks-subdomains_2026-11-20_09-15-02.csv';
const SEMRUSH_B = 'rival-b.com-backlinks.csv';
const GSC_ZIP = 'me.com-Links-2026-11-25.zip';

describe('vendor exports: recognised by header, whatever the encoding and separator', () => {
  it('reads every kind in the folder, each from its header (UTF-16 LE/BE, UTF-8 with and without BOM; tab, comma, semicolon)', async () => {
    const data = await loadDataset(exportsFolder, { now: NOW });
    const kinds = Object.fromEntries(data.exports!.load.sources.map((source) => [source.file, source.kind.id]));
    expect(kinds).toEqual({
      [AHREFS_A]: 'ahrefs-backlinks',
      'rival-a.com-backlinks_semrush.csv': 'semrush-backlinks',
      [SEMRUSH_B]: 'semrush-backlinks',
      'rival-c.com_majestic.csv': 'majestic-backlinks',
      'rival-d.com-backlinks-2025-01-10.csv': 'ahrefs-backlinks-v2',
      'rival-e.com-inbound-links-2026-11-22.csv': 'moz-links',
      'rival-a.com-refdomains-subdomains_2026-11-20.csv': 'ahrefs-refdomains',
      'rival-e.com_linking_domains_2026-11-22.csv': 'moz-domains',
      [`${GSC_ZIP}/Latest links.csv`]: 'gsc-links',
      [`${GSC_ZIP}/Top linked pages.csv`]: 'gsc-pages',
      [`${GSC_ZIP}/Top linking sites.csv`]: 'gsc-sites',
      [`${GSC_ZIP}/Top linking text.csv`]: 'gsc-text',
    });
    expect(data.exports!.load.owners).toEqual([
      { domain: 'me.com', sources: new Set(['alreadylinks.org', 'news.site', 'forum.community']), files: expect.any(Array) },
    ]);
  });

  it('decodes the byte order marks and sniffs the separator', () => {
    const text = 'Source url\tTarget url\n';
    const little = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    const big = Buffer.from(Buffer.from(text, 'utf16le')).swap16();
    expect(decodeText(little)).toBe(text);
    expect(decodeText(Buffer.concat([Buffer.from([0xfe, 0xff]), big]))).toBe(text);
    expect(decodeText(Buffer.from(text, 'utf16le'))).toBe(text);
    expect(decodeText(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('bücher')]))).toBe('bücher');
    expect(sniffDelimiter('a;b;"c,d"')).toBe(';');
    expect(sniffDelimiter('a\tb\t"c,d"')).toBe('\t');
    expect(sniffDelimiter('a,b')).toBe(',');
  });

  it('reads export dates as vendors write them', () => {
    expect(isoDay('2025-03-01 10:00:00')).toBe('2025-03-01');
    expect(isoDay('Mar 4, 2025')).toBe('2025-03-04');
    expect(isoDay('25/12/2025')).toBe('2025-12-25');
    expect(isoDay('1735689600')).toBe('2025-01-01');
    expect(isoDay('')).toBe('');
    expect(isoDay('never')).toBe('');
    // Digits alone are no date (Date.parse read "0" as 2000-01-01 and "12" as 2001-12-01).
    expect(isoDay('0')).toBe('');
    expect(isoDay('12')).toBe('');
  });

  it('counts a link once however two exports spell it (scheme, WWW., capitals, trailing slash, fragment), Unicode hosts too', async () => {
    const semrush = table(
      [
        ['Page ascore', 'Source url', 'Target url', 'Anchor', 'Nofollow'],
        ['10', 'https://www.Blog.org/post/', 'https://rival.com/#top', 'a', 'false'],
        ['10', 'https://BÜCHER.de/partner', 'https://rival.com/', 'b', 'false'],
        ['10', 'https://blog.org/other', 'https://rival.com/', 'c', 'false'],
      ],
      ',',
    );
    const majestic = table(
      [
        ['SourceURL', 'TargetURL', 'AnchorText', 'FlagNoFollow'],
        ['http://blog.org/post', 'http://WWW.rival.com', 'a', '-'],
        ['https://bücher.de/partner/', 'https://rival.com', 'b', '-'],
        ['https://blog.org/post/2', 'https://rival.com/', 'c', '-'],
      ],
      ',',
    );
    const folder = await folderOf([], { 'rival.com-semrush.csv': semrush, 'rival.com-majestic.csv': majestic });
    const sources = (await loadDataset(folder, { now: NOW })).exports!.load.sources;
    expect(sources.map((source) => [source.file, source.taken, source.duplicates])).toEqual([
      ['rival.com-majestic.csv', 3, 0],
      ['rival.com-semrush.csv', 1, 2],
    ]);
  });

  it('a file with text after a closing quote is reported with its line; the others load', async () => {
    const broken = 'Page ascore,Source url,Target url,Anchor,Nofollow\n10,https://a.org/,https://rival.com/,"ok",false\n10,https://b.org/,https://rival.com/,"say "hi"",false\n';
    const folder = await folderOf([SEMRUSH_B], { 'rival.com-backlinks.csv': broken });
    const notes = (await provider(folder).gap!({ your_domain: 'me.com', competitor_domains: ['rival.com', 'rival-b.com'], limit: 10, min_competitors: 1 }, {})).notes!;
    expect(notes.find((note) => note.startsWith('Not read: rival.com-backlinks.csv: line 3: unexpected text after a closing quote'))).toBeDefined();
  });

  it('keeps a link whose lost column says 0, and drops one that says 1 or a date', async () => {
    const folder = await folderOf([], {
      'rival.com-backlinks.csv': table(
        [
          ['Page ascore', 'Source url', 'Target url', 'Anchor', 'Nofollow', 'Lost link'],
          ['10', 'https://kept.org/a', 'https://rival.com/', 'a', 'false', '0'],
          ['10', 'https://gone.org/b', 'https://rival.com/', 'b', 'false', '1'],
          ['10', 'https://gone-too.org/c', 'https://rival.com/', 'c', 'false', '2026-10-01'],
        ],
        ',',
      ),
    });
    const data = await loadDataset(folder, { now: NOW });
    expect(data.exports!.load.sources[0]).toMatchObject({ taken: 1, lost: 2 });
    const result = await provider(folder).gap!({ your_domain: 'me.com', competitor_domains: ['rival.com'], limit: 10, min_competitors: 1 }, {});
    expect(result.prospects.map((prospect) => prospect.domain)).toEqual(['kept.org']);
  });

  it('counts a link once across three exports of one site, however it is spelled, and a repeat inside one export as often as it appears', async () => {
    const header = ['Page ascore', 'Source url', 'Target url', 'Anchor', 'Nofollow'];
    const folder = await folderOf([], {
      // Read in name order: 1 names rival.com first, 2 is the second file to name it, 3 the third.
      '1-rival.com-backlinks.csv': table(
        [header, ['10', 'https://l.org/a', 'https://rival.com/', 'l', 'false'], ['10', 'https://l.org/a', 'https://rival.com/', 'l again', 'false'], ['10', 'https://m.org/page', 'https://rival.com/x', 'm', 'false']],
        ',',
      ),
      '2-rival.com-backlinks.csv': table(
        [
          header,
          ['10', 'https://l.org/a', 'https://rival.com', 'l', 'false'],
          ['10', 'https://n.org/', 'https://rival.com/', 'n', 'false'],
          ['10', 'https://n.org/', 'https://rival.com/', 'n again', 'false'],
          ['10', 'https://only-other.org/', 'https://other.com/', 'o', 'false'],
        ],
        ',',
      ),
      '3-rival.com-backlinks.csv': table(
        [
          header,
          ['10', 'http://WWW.M.org/page/', 'https://www.rival.com/x#top', 'm', 'false'],
          ['10', 'https://n.org', 'http://rival.com/', 'n', 'false'],
          ['10', 'https://new.org/', 'https://rival.com/', 'new', 'false'],
          ['10', 'https://only-other.org/', 'https://other.com/', 'o', 'false'],
        ],
        ',',
      ),
    });
    const data = await loadDataset(folder, { now: NOW });
    const counts = data.exports!.load.sources.map((source) => [source.file, source.taken, source.duplicates]);
    expect(counts).toEqual([
      ['1-rival.com-backlinks.csv', 3, 0],
      ['2-rival.com-backlinks.csv', 3, 1],
      ['3-rival.com-backlinks.csv', 1, 3],
    ]);
    expect(data.linkCount).toBe(7);
  });

  it('reads a links.jsonl among exports like any links file: a line that is not an object is skipped, a link also in a vendor export counts once', async () => {
    const lines = [
      '{"source_url":"https://www.chamber.org/members/","target_url":"https://rival-b.com/","anchor":"Rival B","nofollow":false}',
      'null',
      '{"source_url":"https://fromjson.org/post","target_url":"rival-b.com/services","anchor":"x","nofollow":"true","last_seen":"2026-11-28"}',
    ];
    const folder = await folderOf([SEMRUSH_B], { 'links.jsonl': `${lines.join('\n')}\n` });
    const data = await loadDataset(folder, { now: NOW });
    const jsonl = data.exports!.load.sources.find((source) => source.file === 'links.jsonl')!;
    expect(jsonl).toMatchObject({ rows: 3, taken: 2, skipped: 1, firstSkip: 'line 2: not a JSON object', date: '2026-11-28' });
    const semrush = data.exports!.load.sources.find((source) => source.file === SEMRUSH_B)!;
    expect(semrush.duplicates).toBe(1);
    const backlinks = await provider(folder).backlinks!({ target: 'rival-b.com', target_kind: 'domain', mode: 'as_is', limit: 50 }, {});
    expect(backlinks.backlinks.find((link) => link.source_domain === 'fromjson.org')).toMatchObject({
      target_url: 'https://rival-b.com/services',
      dofollow: false,
    });
  });
});

describe('vendor exports: the gap', () => {
  it('ranks who links to the competitors and not to me.com: overlap, then authority from the vendors', async () => {
    const result = await provider().gap!(gapQuery, {});
    expect(result.prospects.map((prospect) => [prospect.domain, prospect.competitors.length, prospect.authority])).toEqual([
      ['chamber.org', 5, 66.5],
      ['directory.net', 2, 52.5],
      ['example.co.uk', 1, 40],
      ['mozdomain.com', 1, 33],
      ['xn--bcher-kva.de', 1, 30],
      ['onlyrefdomain.org', 1, 25],
      ['newsite.io', 1, 20],
      ['oldblog.net', 1, 15],
      ['spammy.xyz', 1, 5],
    ]);
    expect(result.total_prospects).toBe(9);
  });

  it('leaves out the domains Search Console says already link to me.com, lost links, internal links and unreadable files', async () => {
    const domains = (await provider().gap!(gapQuery, {})).prospects.map((prospect) => prospect.domain);
    for (const absent of ['alreadylinks.org', 'news.site', 'forum.community', 'lostlink.com', 'rival-a.com', 'fine.org', 'cut.org']) {
      expect(domains).not.toContain(absent);
    }
  });

  it('counts a link found in two exports once, and keeps each vendor figure beside the median authority', async () => {
    const chamber = (await provider().gap!(gapQuery, {})).prospects[0]!;
    // One link per competitor: the Semrush copy of the Ahrefs link to rival-a and the referring-domain rows add nothing.
    expect(chamber.backlinks).toBe(5);
    expect(chamber.dofollow).toBe(true);
    expect(chamber.spam_score).toBe(1);
    expect(chamber.provider_metrics?.local).toMatchObject({
      authority: 66.5,
      vendor_metrics: { ahrefs_dr: 70, semrush_page_as: 65, majestic_tf: 35, majestic_cf: 40, moz_da: 68 },
    });
    expect(chamber.provider_metrics?.local?.authority_scale).toContain('median of');
  });

  it('carries a few linking-page titles per prospect from the exports that have them (for its category)', async () => {
    const prospects = (await provider().gap!(gapQuery, {})).prospects;
    expect(prospects[0]!.titles).toEqual(['Members | Chamber', 'Members, all of them', 'Members']);
    expect(prospects.find((prospect) => prospect.domain === 'newsite.io')!.titles).toEqual(['New site; hello']);
    expect(prospects.find((prospect) => prospect.domain === 'mozdomain.com')!.titles).toBeUndefined();
  });

  it('maps nofollow, ugc and sponsored to not dofollow, and reads a referring-domains row as one link from the home page', async () => {
    const local = provider();
    const a = await local.backlinks!({ target: 'rival-a.com', target_kind: 'domain', mode: 'as_is', limit: 50 }, {});
    const dofollow = Object.fromEntries(a.backlinks.map((link) => [link.source_url, link.dofollow]));
    expect(dofollow).toEqual({
      'https://www.chamber.org/members': true,
      'https://blog.example.co.uk/post': false,
      'https://directory.net/list': false,
      'https://alreadylinks.org/page': true,
      'https://bücher.de/partner': true,
      'https://newsite.io/': true,
      'https://onlyrefdomain.org/': true,
    });
    const b = await local.backlinks!({ target: 'rival-b.com', target_kind: 'domain', mode: 'as_is', limit: 50 }, {});
    expect(b.backlinks.find((link) => link.source_domain === 'news.site')).toMatchObject({ dofollow: false, anchor: 'Plumbers, Austin' });
    expect(b.backlinks.find((link) => link.source_domain === 'chamber.org')).toMatchObject({ anchor: 'Rival "B"' });
  });

  it('names the files and export dates it used, and warns about the stale one', async () => {
    const notes = (await provider().gap!(gapQuery, {})).notes!.join('\n');
    expect(notes).toContain(`${AHREFS_A} (Ahrefs backlinks, exported 2026-11-20, 6 links)`);
    expect(notes).toContain(`${SEMRUSH_B} (Semrush backlinks, links seen up to 2026-11-19, 3 links)`);
    expect(notes).toMatch(/rival-d\.com-backlinks-2025-01-10\.csv \(Ahrefs backlinks \(older layout\)\) is stale: exported 2025-01-10 .*690 days ago/);
    expect(notes).toContain('No public spec was found for the layout of Moz inbound links');
  });

  it('a backlinks answer names only the files about its target', async () => {
    const notes = (await provider().backlinks!({ target: 'rival-c.com', target_kind: 'domain', mode: 'as_is', limit: 5 }, {})).notes!;
    expect(notes[0]).toMatch(/^From 1 export file: rival-c\.com_majestic\.csv \(Majestic backlinks, links seen up to 2026-11-21, 2 links\)\.$/);
  });

  it('a broken file among good ones: says which file, which line and what to do; adds none of its rows; the others load', async () => {
    const notes = (await provider().gap!(gapQuery, {})).notes!;
    expect(notes).toContain(
      'Not read: rival-b.com-backlinks-part2.csv: line 3: a quoted field never closes: the file is cut short or has a stray "; download the export again.',
    );
    expect(notes.find((note) => note.startsWith('Not read: notes.csv: line 1: header not recognised'))).toBeDefined();
    expect(notes.join(' ')).not.toContain('README.md');
  });
});

describe('vendor exports: what a new user holds', () => {
  it('only an Ahrefs export of one competitor, a Semrush export of another, and their Search Console ZIP', async () => {
    const folder = await folderOf([AHREFS_A, SEMRUSH_B, GSC_ZIP]);
    const result = await provider(folder).gap!({ your_domain: 'me.com', competitor_domains: ['rival-a.com', 'rival-b.com'], limit: 10, min_competitors: 1 }, {});
    expect(result.prospects.map((prospect) => [prospect.domain, prospect.competitors, prospect.dofollow])).toEqual([
      ['chamber.org', ['rival-a.com', 'rival-b.com'], true],
      ['directory.net', ['rival-a.com', 'rival-b.com'], true],
      ['example.co.uk', ['rival-a.com'], false],
      ['xn--bcher-kva.de', ['rival-a.com'], true],
    ]);
    expect(result.notes?.join(' ')).not.toContain('has no backlinks');
  });

  it('a single export file as BACKLINK_GAP_DATA, Ahrefs in its UTF-8 comma option with headers in another case', async () => {
    const path = join(await mkdtemp(join(scratch, 'single-')), 'export.csv');
    await writeFile(
      path,
      table(
        [
          ['REFERRING PAGE URL', 'domain rating', 'target_url', 'ANCHOR', 'nofollow'],
          ['https://one.org/a', '12', 'https://rival.com/', 'x', 'false'],
          ['https://two.org/b', '34', 'https://rival.com/', 'y', 'true'],
        ],
        ',',
      ),
    );
    const result = await provider(path).gap!({ your_domain: 'me.com', competitor_domains: ['rival.com'], limit: 10, min_competitors: 1 }, {});
    expect(result.prospects.map((prospect) => [prospect.domain, prospect.authority, prospect.dofollow])).toEqual([
      ['two.org', 34, false],
      ['one.org', 12, true],
    ]);
  });

  it('Search Console sites without its linked-pages sheet: taken as the asked site, and said so', async () => {
    const sites = table([['Site', 'Linking pages', 'Target pages'], ['www.directory.net', '3', '1']], ',');
    const folder = await folderOf([SEMRUSH_B], { 'Top linking sites.csv': sites });
    const result = await provider(folder).gap!({ your_domain: 'me.com', competitor_domains: ['rival-b.com'], limit: 10, min_competitors: 1 }, {});
    expect(result.prospects.map((prospect) => prospect.domain)).toEqual(['chamber.org', 'news.site']);
    expect(result.notes?.join(' ')).toContain("Top linking sites.csv (Search Console) names no site of its own; taken as me.com's");
  });

  it('warns when an export ends exactly at a row cap (probably truncated), and not one row short of it', async () => {
    const rows = (count: number) =>
      table(
        [
          ['Page ascore', 'Source title', 'Source url', 'Target url', 'Anchor', 'Nofollow', 'Last seen'],
          ...Array.from({ length: count }, (_, index) => ['10', 't', `https://site${index}.com/`, 'https://rival.com/', 'a', 'false', '2026-11-01']),
        ],
        ',',
      );
    const capped = await folderOf([], { 'rival.com-backlinks.csv': rows(1000) });
    const notes = (await provider(capped).gap!({ your_domain: 'me.com', competitor_domains: ['rival.com'], limit: 5, min_competitors: 1 }, {})).notes!;
    expect(notes.join('\n')).toContain('rival.com-backlinks.csv (Semrush backlinks) ends at exactly 1,000 rows, a typical export row cap: it is probably truncated');
    const short = await folderOf([], { 'rival.com-backlinks.csv': rows(999) });
    const fine = (await provider(short).gap!({ your_domain: 'me.com', competitor_domains: ['rival.com'], limit: 5, min_competitors: 1 }, {})).notes!;
    expect(fine.join('\n')).not.toContain('truncated');
  });

  it('a folder where nothing can be read says which files and why', async () => {
    const folder = await folderOf(['notes.csv', 'rival-b.com-backlinks-part2.csv']);
    const error = await provider(folder)
      .gap!(gapQuery, {})
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toContain('notes.csv: line 1: header not recognised');
    expect((error as Error).message).toContain('rival-b.com-backlinks-part2.csv: line 3: a quoted field never closes');
  });

  it('a spreadsheet or a ZIP that is not one is reported, the rest still loads', async () => {
    const folder = await folderOf([SEMRUSH_B], { 'rival-b.xlsx': 'PK', 'broken.zip': 'not a zip' });
    const notes = (await provider(folder).gap!({ your_domain: 'me.com', competitor_domains: ['rival-b.com'], limit: 5, min_competitors: 1 }, {})).notes!;
    expect(notes.join('\n')).toContain('Not read: rival-b.xlsx: a spreadsheet, not a CSV; export it again as CSV');
    expect(notes.join('\n')).toContain('Not read: broken.zip: not a readable ZIP');
  });
});

describe('vendor exports: a folder that changes', () => {
  it('a new export dropped into the folder is read on the next call, under a new account', async () => {
    const folder = await folderOf([SEMRUSH_B]);
    const local = provider(folder);
    const query = { your_domain: 'me.com', competitor_domains: ['rival-b.com', 'rival-c.com'], limit: 10, min_competitors: 1 };
    const before = local.describe().account;
    expect((await local.gap!(query, {})).prospects.map((prospect) => prospect.domain)).not.toContain('forum.community');
    await copyFile(join(exportsFolder, 'rival-c.com_majestic.csv'), join(folder, 'rival-c.com_majestic.csv'));
    expect(local.describe().account).not.toBe(before);
    expect((await local.gap!(query, {})).prospects.map((prospect) => prospect.domain)).toContain('forum.community');
  });
});

describe('vendor exports fixture', () => {
  it('is what generate-exports.ts writes', async () => {
    const folder = join(scratch, 'regenerated');
    writeExportsFixture(folder);
    const names = (await readdir(folder)).sort();
    expect(names).toEqual((await readdir(exportsFolder)).sort());
    for (const name of names) expect(await readFile(join(folder, name)), name).toEqual(await readFile(join(exportsFolder, name)));
    expect(Object.keys(FILES).length + 1).toBe(names.length);
    expect(searchConsoleZip()).toEqual(new Uint8Array(await readFile(join(exportsFolder, GSC_ZIP))));
  });
});
