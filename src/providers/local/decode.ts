// Bytes of an export file to text: vendors write UTF-8 (with or without a BOM) or UTF-16 (Ahrefs' default).

import { transcode } from 'node:buffer';

const REPLACEMENT = Buffer.from('\ufffd', 'utf8');

type Encoding = 'utf-8' | 'utf-8-bom' | 'utf-16le' | 'utf-16be' | 'utf-16le-bom' | 'utf-16be-bom';

/** UTF-8 with or without BOM, UTF-16 LE/BE with a BOM, or without one when its zero bytes say so. */
function encodingOf(bytes: Uint8Array): Encoding {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return 'utf-8-bom';
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return 'utf-16le-bom';
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return 'utf-16be-bom';
  let evenZeros = 0;
  let oddZeros = 0;
  const sample = Math.min(bytes.length, 1024);
  for (let index = 0; index < sample; index++) {
    if (bytes[index] === 0) {
      if (index % 2 === 0) evenZeros++;
      else oddZeros++;
    }
  }
  if (oddZeros > sample / 4 && evenZeros === 0) return 'utf-16le';
  if (evenZeros > sample / 4 && oddZeros === 0) return 'utf-16be';
  return 'utf-8';
}

/** Text of an export, in whichever of those encodings it came. */
export function decodeText(bytes: Uint8Array): string {
  switch (encodingOf(bytes)) {
    case 'utf-8-bom':
      return new TextDecoder('utf-8').decode(bytes.subarray(3));
    case 'utf-16le-bom':
      return new TextDecoder('utf-16le').decode(bytes.subarray(2));
    case 'utf-16be-bom':
      return new TextDecoder('utf-16be').decode(bytes.subarray(2));
    case 'utf-16le':
      return new TextDecoder('utf-16le').decode(bytes);
    case 'utf-16be':
      return new TextDecoder('utf-16be').decode(bytes);
    case 'utf-8':
      return new TextDecoder('utf-8').decode(bytes);
  }
}

/**
 * The same text as UTF-8 bytes: the bytes themselves when they already are (BOM and all), else
 * transcoded from UTF-16 in one native pass, with no JS string of the whole file in between.
 */
export function utf8Bytes(bytes: Uint8Array): Buffer {
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const encoding = encodingOf(bytes);
  if (encoding === 'utf-8' || encoding === 'utf-8-bom') return buffer;
  let units = encoding.endsWith('-bom') ? buffer.subarray(2) : buffer;
  // An odd last byte is half a character, which decodeText() reads as U+FFFD: so does this.
  const odd = units.length % 2 === 1;
  if (odd) units = units.subarray(0, units.length - 1);
  if (encoding.startsWith('utf-16be')) units = Buffer.from(units).swap16();
  let utf8: Buffer;
  try {
    utf8 = transcode(units, 'utf16le', 'utf8');
  } catch {
    // A lone surrogate (a file cut mid-character, or written so): through text, which makes it U+FFFD.
    utf8 = Buffer.from(units.toString('utf16le'), 'utf8');
  }
  return odd ? Buffer.concat([utf8, REPLACEMENT]) : utf8;
}
