// Bytes of an export file to text: vendors write UTF-8 (with or without a BOM) or UTF-16 (Ahrefs' default).

/** Text of an export: UTF-8 with or without BOM, UTF-16 LE/BE with a BOM, or without one when its zero bytes say so. */
export function decodeText(bytes: Uint8Array): string {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return new TextDecoder('utf-8').decode(bytes.subarray(3));
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes.subarray(2));
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes.subarray(2));
  let evenZeros = 0;
  let oddZeros = 0;
  const sample = Math.min(bytes.length, 1024);
  for (let index = 0; index < sample; index++) {
    if (bytes[index] === 0) {
      if (index % 2 === 0) evenZeros++;
      else oddZeros++;
    }
  }
  if (oddZeros > sample / 4 && evenZeros === 0) return new TextDecoder('utf-16le').decode(bytes);
  if (evenZeros > sample / 4 && oddZeros === 0) return new TextDecoder('utf-16be').decode(bytes);
  return new TextDecoder('utf-8').decode(bytes);
}

/** The same text as UTF-8 bytes (the bytes themselves when they already are, BOM and all). */
export function utf8Bytes(bytes: Uint8Array): Buffer {
  const utf16 =
    (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff) || looksUtf16(bytes);
  if (!utf16) return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Buffer.from(decodeText(bytes), 'utf8');
}

function looksUtf16(bytes: Uint8Array): boolean {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return false;
  let zeros = 0;
  const sample = Math.min(bytes.length, 1024);
  for (let index = 0; index < sample; index++) if (bytes[index] === 0) zeros++;
  return zeros > sample / 4;
}
