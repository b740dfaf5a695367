// Streaming RFC 4180 CSV and line readers over raw bytes, for datasets of millions of rows.
//
// Why by hand: a million-row links file must load in well under 3 s. Splitting decoded strings
// (or a CSV library building objects per row) spends most of that in string allocation and GC,
// and sliced strings keep whole chunks alive. This reader never decodes: it reports each record
// as byte ranges into a reused chunk, and callers intern or decode only what they keep.

import { open } from 'node:fs/promises';
import { UsageError } from '../../errors.js';

/** One record as byte ranges: field `i` is `buffer[starts[i], ends[i])`. Valid only during the callback. */
export interface RecordView {
  buffer: Buffer;
  starts: Int32Array;
  ends: Int32Array;
  count: number;
  /** 1-based line on which the record starts. */
  line: number;
}

const QUOTE = 34;
const NEWLINE = 10;
const CARRIAGE_RETURN = 13;
const CHUNK_BYTES = 4 * 1024 * 1024;

export function datasetError(file: string, line: number | undefined, message: string): UsageError {
  const where = line === undefined ? file : `${file}:${line}`;
  return new UsageError('dataset_error', `${where}: ${message}`);
}

/** Read `file` in big chunks and hand every complete unit (record or line) to `consume`. */
async function readChunks(
  file: string,
  consume: (view: Buffer, start: number, end: number, atEnd: boolean) => number,
  bytes?: Buffer,
): Promise<void> {
  if (bytes !== undefined) {
    const bom = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
    consume(bytes, bom, bytes.length, true);
    return;
  }
  const handle = await open(file, 'r');
  try {
    let buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    let filled = 0;
    let first = true;
    for (;;) {
      if (filled === buffer.length) {
        // One record longer than the buffer: grow so it fits in one view.
        const bigger = Buffer.allocUnsafe(buffer.length * 2);
        buffer.copy(bigger, 0, 0, filled);
        buffer = bigger;
      }
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, null);
      filled += bytesRead;
      const atEnd = bytesRead === 0;
      let start = 0;
      if (first && filled >= 3 && buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf) start = 3;
      if (first && (filled >= 3 || atEnd)) first = false;
      const view = buffer.subarray(0, filled);
      const consumed = consume(view, start, filled, atEnd);
      if (atEnd) return;
      buffer.copy(buffer, 0, consumed, filled);
      filled -= consumed;
    }
  } finally {
    await handle.close();
  }
}

/**
 * Parse a CSV file record by record. Quoted fields may hold commas, doubled quotes and newlines.
 * Blank lines are skipped. Throws a dataset error naming file and line for an unterminated quote
 * or text after a closing quote.
 */
export async function readCsv(
  file: string,
  onRecord: (record: RecordView) => void,
  /** `bytes`: parse these (UTF-8) instead of reading `file`, which then only names it in errors. */
  options: { delimiter?: ',' | '\t' | ';'; bytes?: Buffer } = {},
): Promise<void> {
  const delimiter = (options.delimiter ?? ',').charCodeAt(0);
  let starts = new Int32Array(32);
  let ends = new Int32Array(32);
  let escaped = new Uint8Array(32);
  let scratch = Buffer.allocUnsafe(64 * 1024);
  let line = 1;

  const record: RecordView = { buffer: scratch, starts, ends, count: 0, line: 1 };

  const grow = () => {
    const size = starts.length * 2;
    const nextStarts = new Int32Array(size);
    nextStarts.set(starts);
    const nextEnds = new Int32Array(size);
    nextEnds.set(ends);
    const nextEscaped = new Uint8Array(size);
    nextEscaped.set(escaped);
    starts = nextStarts;
    ends = nextEnds;
    escaped = nextEscaped;
    record.starts = starts;
    record.ends = ends;
  };

  // Rare path: a record with "" inside a quoted field is copied, unescaped, into a scratch buffer.
  const copyUnescaped = (view: Buffer, count: number) => {
    let needed = 0;
    for (let field = 0; field < count; field++) needed += ends[field]! - starts[field]!;
    if (scratch.length < needed) scratch = Buffer.allocUnsafe(needed * 2);
    let position = 0;
    for (let field = 0; field < count; field++) {
      const from = starts[field]!;
      const to = ends[field]!;
      starts[field] = position;
      if (escaped[field] === 1) {
        for (let index = from; index < to; index++) {
          scratch[position++] = view[index]!;
          if (view[index] === QUOTE) index++;
        }
      } else {
        view.copy(scratch, position, from, to);
        position += to - from;
      }
      ends[field] = position;
    }
    return scratch;
  };

  await readChunks(file, (view, begin, end, atEnd) => {
    let position = begin;
    while (position < end) {
      const recordStart = position;
      const recordLine = line;
      let count = 0;
      let anyEscaped = false;
      let index = position;
      let complete = false;
      for (;;) {
        if (count === starts.length) grow();
        escaped[count] = 0;
        if (index < end && view[index] === QUOTE) {
          const contentStart = index + 1;
          let search = contentStart;
          let closing = -1;
          for (;;) {
            const quote = view.indexOf(QUOTE, search);
            if (quote === -1 || quote >= end) break;
            if (quote + 1 < end && view[quote + 1] === QUOTE) {
              escaped[count] = 1;
              anyEscaped = true;
              search = quote + 2;
              continue;
            }
            if (quote + 1 >= end && !atEnd) break; // the next byte decides; wait for it
            closing = quote;
            break;
          }
          if (closing === -1) {
            if (!atEnd) return recordStart;
            throw datasetError(
              file,
              recordLine,
              'unterminated quoted field (a " opens a field that never closes); close the quote or double any " inside the field',
            );
          }
          for (let scan = contentStart; scan < closing; scan++) if (view[scan] === NEWLINE) line++;
          starts[count] = contentStart;
          ends[count] = closing;
          count++;
          index = closing + 1;
          if (index >= end) {
            if (!atEnd) return recordStart;
            complete = true;
            break;
          }
          const after = view[index];
          if (after === delimiter) {
            index++;
            continue;
          }
          if (after === NEWLINE || (after === CARRIAGE_RETURN && (index + 1 >= end || view[index + 1] === NEWLINE))) {
            if (after === CARRIAGE_RETURN) index++;
            if (index < end) index++;
            line++;
            complete = true;
            break;
          }
          throw datasetError(
            file,
            line,
            `unexpected text after a closing quote in field ${count}; quote the whole field and double any " inside it`,
          );
        }
        const fieldStart = index;
        while (index < end) {
          const byte = view[index];
          if (byte === delimiter || byte === NEWLINE) break;
          index++;
        }
        if (index >= end && !atEnd) return recordStart;
        let fieldEnd = index;
        if (fieldEnd > fieldStart && view[fieldEnd - 1] === CARRIAGE_RETURN && (index >= end || view[index] === NEWLINE)) {
          fieldEnd--;
        }
        starts[count] = fieldStart;
        ends[count] = fieldEnd;
        count++;
        if (index < end && view[index] === delimiter) {
          index++;
          if (index >= end && atEnd) {
            if (count === starts.length) grow();
            starts[count] = index;
            ends[count] = index;
            count++;
            complete = true;
            break;
          }
          continue;
        }
        if (index < end) {
          index++;
          line++;
        }
        complete = true;
        break;
      }
      position = index;
      if (!complete) return recordStart;
      if (count === 1 && starts[0] === ends[0]) continue; // blank line
      record.buffer = anyEscaped ? copyUnescaped(view, count) : view;
      record.count = count;
      record.line = recordLine;
      onRecord(record);
    }
    return position;
  }, options.bytes);
}

/**
 * Whether readCsv() over `bytes` surely throws nothing: every quoted field closes and is followed by
 * a separator or a line end. Jumps from quote to quote, so it costs a fraction of a parse; when it
 * says no, parse to find the line and the reason. A quote opens a field only at the start of one
 * (after a separator or a newline); any other quote is text, as in readCsv().
 */
export function quotesClose(bytes: Uint8Array, delimiter: ',' | '\t' | ';'): boolean {
  const separator = delimiter.charCodeAt(0);
  const first = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  const end = bytes.length;
  let quote = bytes.indexOf(QUOTE, first);
  while (quote !== -1) {
    const before = quote === first ? NEWLINE : bytes[quote - 1];
    if (before !== separator && before !== NEWLINE) {
      quote = bytes.indexOf(QUOTE, quote + 1);
      continue;
    }
    // An opening quote: find its closing one, past any doubled quotes.
    let closing = bytes.indexOf(QUOTE, quote + 1);
    while (closing !== -1 && bytes[closing + 1] === QUOTE) closing = bytes.indexOf(QUOTE, closing + 2);
    if (closing === -1) return false;
    const after = closing + 1;
    if (after < end) {
      const next = bytes[after];
      if (next !== separator && next !== NEWLINE && !(next === CARRIAGE_RETURN && (after + 1 >= end || bytes[after + 1] === NEWLINE))) return false;
    }
    quote = bytes.indexOf(QUOTE, after);
  }
  return true;
}

/** Read a file line by line (for JSONL), decoding each non-blank line. */
export async function readLines(file: string, onLine: (text: string, line: number) => void): Promise<void> {
  let line = 1;
  await readChunks(file, (view, begin, end, atEnd) => {
    let position = begin;
    while (position < end) {
      let newline = view.indexOf(NEWLINE, position);
      if (newline >= end) newline = -1;
      if (newline === -1 && !atEnd) return position;
      const stop = newline === -1 ? end : newline;
      const text = view.toString('utf8', position, stop).trim();
      if (text !== '') onLine(text, line);
      line++;
      position = newline === -1 ? end : newline + 1;
    }
    return position;
  });
}
