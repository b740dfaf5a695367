// One export cell's value: flags, dates and numbers as vendors write them. Each reader has a text
// form (for JSON and the rare odd cell) and a byte form over the CSV reader's buffer, which answers
// the common spellings without making a string (a million rows make millions of cells).

import type { RecordView } from './csv.js';

const EMPTY = Buffer.alloc(0);

/** `true` for the many spellings exports use for a set flag. */
export function flag(value: string | undefined): boolean {
  if (value === undefined || value === '' || value === 'false' || value === 'FALSE' || value === '-' || value === '0') return false;
  if (value === 'true' || value === 'TRUE' || value === '+' || value === '1') return true;
  const text = value.trim().toLowerCase();
  return text !== '' && !UNSET.has(text);
}
const UNSET = new Set(['false', 'no', 'n', '0', '-', 'none', 'null', 'live', 'active', 'n/a']);

/** An export's date cell as YYYY-MM-DD ("" when empty or unreadable). */
export function isoDay(value: string | undefined): string {
  if (value === undefined || value === '') return '';
  // Nearly every cell: YYYY-MM-DD, maybe with a time.
  if (value.length >= 10 && value.charCodeAt(4) === 45 && value.charCodeAt(7) === 45 && value.charCodeAt(0) === 50) {
    const day = value.length === 10 ? value : value.slice(0, 10);
    if (/^\d{4}-\d{2}-\d{2}$/.test(day)) return day;
  }
  const text = value.trim();
  if (text === '') return '';
  const iso = /^(\d{4})-(\d{2})-(\d{2})/.exec(text);
  if (iso !== null) return `${iso[1]}-${iso[2]}-${iso[3]}`;
  const day = /^(\d{1,2})[./](\d{1,2})[./](\d{4})$/.exec(text);
  if (day !== null) {
    // Ambiguous d/m vs m/d: only a day above 12 decides; otherwise month first (US exports).
    const [first, second] = [Number(day[1]), Number(day[2])];
    const [month, dayOfMonth] = first > 12 ? [second, first] : [first, second];
    return `${day[3]}-${String(month).padStart(2, '0')}-${String(dayOfMonth).padStart(2, '0')}`;
  }
  if (/^\d+$/.test(text)) {
    // Digits alone are a Unix timestamp or no date: Date.parse reads "0" as 2000-01-01 and "12" as 2001-12-01.
    return /^\d{9,10}$/.test(text) ? new Date(Number(text) * 1000).toISOString().slice(0, 10) : '';
  }
  const parsed = Date.parse(`${text}${/\d{1,2}:\d{2}/.test(text) ? '' : ' 00:00 UTC'}`);
  if (Number.isNaN(parsed)) return '';
  return new Date(parsed).toISOString().slice(0, 10);
}

/** A figure cell: plain, with a percent sign, thousands separators or a decimal comma; undefined when none. */
export function numberOf(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const plain = Number(value);
  if (Number.isFinite(plain) && value.trim() !== '') return plain;
  const text = value.trim().replace(/[%\s]/g, '').replace(/,(?=\d{3}\b)/g, '');
  if (text === '') return undefined;
  const number = Number(text.replace(',', '.'));
  return Number.isFinite(number) ? number : undefined;
}

function isSpace(byte: number): boolean {
  return byte === 32 || (byte >= 9 && byte <= 13);
}

/**
 * One cell as a byte range, trimmed as String#trim trims. Reused: `read` points it at another
 * cell, so a row costs no allocation. A cell that starts or ends with a non-ASCII byte (which may
 * be a Unicode space) is trimmed through its text instead.
 */
export class Cell {
  buffer: Buffer = EMPTY;
  start = 0;
  end = 0;

  /** Field `index` of `row`; empty when the column is absent or the row is short. */
  read(row: RecordView, index: number | undefined): this {
    if (index === undefined || index >= row.count) return this.clear();
    const buffer = row.buffer;
    let start = row.starts[index]!;
    let end = row.ends[index]!;
    while (start < end && isSpace(buffer[start]!)) start++;
    while (end > start && isSpace(buffer[end - 1]!)) end--;
    if (start < end && (buffer[start]! >= 0x80 || buffer[end - 1]! >= 0x80)) {
      const text = buffer.toString('utf8', start, end);
      const trimmed = text.trim();
      if (trimmed.length !== text.length) {
        this.buffer = Buffer.from(trimmed, 'utf8');
        this.start = 0;
        this.end = this.buffer.length;
        return this;
      }
    }
    this.buffer = buffer;
    this.start = start;
    this.end = end;
    return this;
  }

  clear(): this {
    this.buffer = EMPTY;
    this.start = 0;
    this.end = 0;
    return this;
  }

  get length(): number {
    return this.end - this.start;
  }

  text(): string {
    return this.start === this.end ? '' : this.buffer.toString('utf8', this.start, this.end);
  }

  /** Whether the cell is `word` (lowercase ASCII), in any case. */
  is(word: string): boolean {
    if (this.end - this.start !== word.length) return false;
    for (let index = 0; index < word.length; index++) {
      if ((this.buffer[this.start + index]! | 0x20) !== word.charCodeAt(index)) return false;
    }
    return true;
  }

  /** Whether the cell contains `word` (lowercase ASCII letters), in any case. */
  includes(word: string): boolean {
    const last = this.end - word.length;
    for (let from = this.start; from <= last; from++) {
      let index = 0;
      while (index < word.length && (this.buffer[from + index]! | 0x20) === word.charCodeAt(index)) index++;
      if (index === word.length) return true;
    }
    return false;
  }

  /** The common flag spellings (empty, 0, 1, -, +, true, false in any case) without a string; undefined for others. */
  plainFlag(): boolean | undefined {
    const length = this.end - this.start;
    if (length === 0) return false;
    if (length === 1) {
      const byte = this.buffer[this.start];
      if (byte === 48 || byte === 45) return false; // 0 -
      if (byte === 49 || byte === 43) return true; // 1 +
    }
    if (this.is('false')) return false;
    if (this.is('true')) return true;
    return undefined;
  }

  /** flag() of the cell. */
  flag(): boolean {
    return this.plainFlag() ?? flag(this.text());
  }

  /** Offset of YYYY-MM-DD at the cell's start (what isoDay() returns for it), or -1. */
  plainDay(): number {
    if (this.end - this.start < 10) return -1;
    const buffer = this.buffer;
    const start = this.start;
    if (buffer[start + 4] !== 45 || buffer[start + 7] !== 45) return -1;
    for (let offset = 0; offset < 10; offset++) {
      if (offset === 4 || offset === 7) continue;
      const byte = buffer[start + offset]!;
      if (byte < 48 || byte > 57) return -1;
    }
    return start;
  }

  /** numberOf() of the cell. */
  number(): number | undefined {
    const buffer = this.buffer;
    const length = this.end - this.start;
    if (length === 0) return undefined;
    if (length <= 15) {
      // Plain digits with at most one dot: nearly every figure cell.
      let value = 0;
      let scale = 0;
      let index = this.start;
      for (; index < this.end; index++) {
        const byte = buffer[index]!;
        if (byte === 46 && scale === 0) {
          scale = 1;
          continue;
        }
        if (byte < 48 || byte > 57) break;
        value = value * 10 + (byte - 48);
        if (scale !== 0) scale *= 10;
      }
      if (index === this.end && !(scale === 1 && length === 1)) return scale === 0 ? value : value / scale;
    }
    return numberOf(this.text());
  }
}

/** YYYYMMDD of an ISO day (for "latest"), 0 for "". */
export function dayNumber(day: string): number {
  return day === '' ? 0 : Number(day.slice(0, 4)) * 10_000 + Number(day.slice(5, 7)) * 100 + Number(day.slice(8, 10));
}

/** YYYYMMDD of the plain day at buffer[start]. */
export function dayNumberAt(buffer: Uint8Array, start: number): number {
  let value = 0;
  for (let offset = 0; offset < 10; offset++) if (offset !== 4 && offset !== 7) value = value * 10 + (buffer[start + offset]! - 48);
  return value;
}
