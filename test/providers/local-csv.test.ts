// The check that lets a vendor export be parsed once: quotesClose() says a file's quotes all close,
// and then readCsv() must read it to its end, or a broken file would add the rows before its break.

import { describe, expect, it } from 'vitest';
import { quotesClose, readCsv } from '../../src/providers/local/csv.js';

async function throws(text: string, delimiter: ',' | '\t' | ';'): Promise<boolean> {
  try {
    await readCsv('test.csv', () => {}, { delimiter, bytes: Buffer.from(text, 'utf8') });
    return false;
  } catch {
    return true;
  }
}

describe('quotesClose', () => {
  it('says yes only for text readCsv reads to its end, over every short mix of quotes, separators and line ends', async () => {
    // Deterministic: all strings over a small alphabet up to length 5 (3,906), and the same with a tab separator.
    const alphabet = ['a', ',', '"', '\n', '\r'];
    let checked = 0;
    let clean = 0;
    const visit = async (text: string): Promise<void> => {
      for (const [delimiter, written] of [
        [',', text],
        ['\t', text.replaceAll(',', '\t')],
      ] as const) {
        const said = quotesClose(Buffer.from(written, 'utf8'), delimiter);
        if (said) {
          clean++;
          expect(await throws(written, delimiter), JSON.stringify(written)).toBe(false);
        }
        checked++;
      }
      if (text.length < 5) for (const character of alphabet) await visit(text + character);
    };
    await visit('');
    expect(checked).toBeGreaterThan(7_000);
    expect(clean).toBeGreaterThan(checked / 4);
  });

  it('says no for the broken shapes vendors produce, which readCsv reports by line', async () => {
    for (const text of ['a,b\n"cut short,c\n', 'a,b\n"say "hi"",c\n', '\ufeff"x"y,z\n']) {
      expect(quotesClose(Buffer.from(text, 'utf8'), ','), JSON.stringify(text)).toBe(false);
      expect(await throws(text, ','), JSON.stringify(text)).toBe(true);
    }
    expect(quotesClose(Buffer.from('a,"b, ""c""",d\r\n"e"\n', 'utf8'), ',')).toBe(true);
  });
});
