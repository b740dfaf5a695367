// Identities over every file of one load of exports, kept as integers over bytes: the registrable
// domain of a URL or host cell (worked out once per distinct scheme-and-host, never per row), the
// comparable form of a link for counting a link found in two exports once, and the (referring
// domain, target) pairs a referring-domains row must not double.

import { domainOfHost, hostOf } from '../../hosts.js';
import { BytePool } from './byte-pool.js';
import type { Cell } from './export-cells.js';

const SLASH = 47;
const QUESTION = 63;
const HASH = 35;
const COLON = 58;

/** Offset of `://` in buffer[start, end), or -1. */
function schemeEnd(buffer: Uint8Array, start: number, end: number): number {
  for (let index = start; index + 2 < end; index++) {
    if (buffer[index] === COLON && buffer[index + 1] === SLASH && buffer[index + 2] === SLASH) return index;
  }
  return -1;
}

/** Whether the cell starts with http:// or https:// (any case). */
export function isHttpUrl(cell: Cell): boolean {
  const { buffer, start } = cell;
  if (cell.length < 8) return false;
  for (let offset = 0; offset < 4; offset++) if ((buffer[start + offset]! | 0x20) !== 'http'.charCodeAt(offset)) return false;
  let index = start + 4;
  if ((buffer[index]! | 0x20) === 115) index++; // s
  return buffer[index] === COLON && buffer[index + 1] === SLASH && buffer[index + 2] === SLASH;
}

/**
 * The registrable domain of `[scheme://]host` when the host is plain (lowercase letters, digits,
 * hyphens, the last label starting with a letter) with one dot once `www.` is gone: then it is its own registrable domain (or a suffix
 * or unknown name, which domainOfHost keeps as it is too), with no URL parse or suffix lookup.
 * Undefined for anything else (ports, user info, capitals, Unicode, deeper hosts).
 */
function plainDomain(buffer: Buffer, start: number, scheme: number, stop: number): string | undefined {
  let from = start;
  if (scheme !== -1) {
    const length = scheme - start;
    if (length !== 4 && length !== 5) return undefined;
    if (buffer[start] !== 104 || buffer[start + 1] !== 116 || buffer[start + 2] !== 116 || buffer[start + 3] !== 112) return undefined; // http
    if (length === 5 && buffer[start + 4] !== 115) return undefined; // s
    from = scheme + 3;
  }
  if (stop - from >= 4 && buffer[from] === 119 && buffer[from + 1] === 119 && buffer[from + 2] === 119 && buffer[from + 3] === 46) from += 4;
  let dot = -1;
  for (let index = from; index < stop; index++) {
    const byte = buffer[index]!;
    if (byte === 46) {
      if (dot !== -1) return undefined;
      dot = index;
    } else if (!((byte >= 97 && byte <= 122) || (byte >= 48 && byte <= 57) || byte === 45)) return undefined;
  }
  // The last label must start with a letter: one of digits would make the URL parser read an IPv4 address.
  if (dot <= from || dot >= stop - 1 || buffer[dot + 1]! < 97) return undefined;
  return buffer.toString('latin1', from, stop);
}

function growInt32(array: Int32Array<ArrayBuffer>, needed: number, fill: number): Int32Array<ArrayBuffer> {
  if (needed <= array.length) return array;
  const bigger = new Int32Array(Math.max(needed, array.length * 2)).fill(fill);
  bigger.set(array);
  return bigger;
}

/** Registrable domains by dense index, and the domain of each distinct scheme-and-host seen in a cell. */
export class DomainTable {
  readonly names: string[] = [];
  private readonly ids = new Map<string, number>();
  private readonly authorities: BytePool;
  /** Per authority id: its domain's index, or -1 when it is not a URL or host. */
  private authorityDomain: Int32Array<ArrayBuffer>;
  /** The last authority looked up per memo slot: a file's target column repeats one. */
  private readonly lastBytes = [Buffer.alloc(256), Buffer.alloc(256)];
  private readonly lastLength = [-1, -1];
  private readonly lastDomain = [-1, -1];

  constructor(expectedAuthorities = 16_384) {
    this.authorities = new BytePool(expectedAuthorities, 32);
    this.authorityDomain = new Int32Array(Math.max(1024, expectedAuthorities)).fill(-1);
  }

  /** The index of a registrable domain, added when new. */
  id(name: string): number {
    let id = this.ids.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.names.push(name);
      this.ids.set(name, id);
    }
    return id;
  }

  /** Index of the registrable domain of a URL or host cell; -1 when it is neither. `memo`: 0 or 1, one per column. */
  ofCell(cell: Cell, memo = 0): number {
    // The answer depends only on what comes before the path: the same few hosts repeat.
    const { buffer, start, end } = cell;
    const scheme = schemeEnd(buffer, start, end);
    let stop = scheme === -1 ? start : scheme + 3;
    for (; stop < end; stop++) {
      const byte = buffer[stop];
      if (byte === SLASH || byte === QUESTION || byte === HASH) break;
    }
    const length = stop - start;
    const last = this.lastBytes[memo]!;
    if (length === this.lastLength[memo]) {
      let index = 0;
      while (index < length && last[index] === buffer[start + index]) index++;
      if (index === length) return this.lastDomain[memo]!;
    }
    const before = this.authorities.size;
    const authority = this.authorities.intern(buffer, start, stop);
    let domain: number;
    if (authority < before) domain = this.authorityDomain[authority]!;
    else {
      const plain = plainDomain(buffer, start, scheme, stop);
      const host = plain ?? hostOf(buffer.toString('utf8', start, stop));
      domain = host === undefined ? -1 : this.id(plain ?? domainOfHost(host));
      this.authorityDomain = growInt32(this.authorityDomain, authority + 1, -1);
      this.authorityDomain[authority] = domain;
    }
    if (length <= last.length) {
      for (let index = 0; index < length; index++) last[index] = buffer[start + index]!;
      this.lastLength[memo] = length;
      this.lastDomain[memo] = domain;
    }
    return domain;
  }
}

/**
 * Links by their comparable form: no scheme, no fragment, host lowercase without `www.` or a
 * trailing dot, path without trailing slashes. Remembers which file had each link first, so a
 * link repeated inside one file counts as often as it appears and one in two files counts once.
 *
 * A link can be in two files only if its target domain is, and most target domains are in one
 * file (one export per competitor). So a domain's links are only hashed and listed (appends, no
 * table) until a second file names that domain; then its links go into the lookup table and
 * every later link to it is looked up. Keys are compared by two independent 32-bit hashes: two
 * different links to one domain would have to agree on both (about 1 in 10^19 for a pair).
 */
export class LinkKeys {
  /** Per listed link: its key's two hashes and the previous listed link to the same domain (-1: none). */
  private firstHash: Int32Array<ArrayBuffer>;
  private secondHash: Int32Array<ArrayBuffer>;
  private previous: Int32Array<ArrayBuffer>;
  private listed = 0;
  /** Per target domain: the file that first had a link to it (-1: none yet), its last listed link, whether it is looked up. */
  private owner = new Int32Array(1024).fill(-1);
  private last = new Int32Array(1024).fill(-1);
  private checked = new Uint8Array(1024);
  /** Looked-up keys: slots of (first hash, second hash, file + 1); file + 1 = 0 marks an empty slot. */
  private table = new Int32Array(3 * 1024);
  private mask = 1023;
  private size = 0;
  private scratch = Buffer.allocUnsafe(4096);
  private used = 0;

  constructor(expectedLinks = 65_536) {
    const capacity = Math.max(1024, expectedLinks);
    this.firstHash = new Int32Array(capacity);
    this.secondHash = new Int32Array(capacity);
    this.previous = new Int32Array(capacity);
  }

  /** Whether another file already had the link from `source` to `target` (of domain `targetDomain`); if not, it is now this file's. */
  seenElsewhere(source: Cell, target: Cell, targetDomain: number, file: number): boolean {
    this.used = 0;
    this.append(source);
    this.reserve(1);
    this.scratch[this.used++] = 9; // tab
    this.append(target);
    const scratch = this.scratch;
    let first = -2128831035; // FNV-1a, as hashBytes
    let second = 0x27d4eb2f; // a multiplicative hash with other constants: independent of the first
    for (let index = 0; index < this.used; index++) {
      const byte = scratch[index]!;
      first = Math.imul(first ^ byte, 16777619);
      second = Math.imul(second + byte, 0x9e3779b1) ^ (second >>> 15);
    }
    first = Math.imul(first ^ (first >>> 16), 0x45d9f3b);
    first ^= first >>> 16;
    second = Math.imul(second ^ (second >>> 13), 0x85ebca6b);
    second ^= second >>> 16;

    if (targetDomain >= this.owner.length) this.growDomains(targetDomain + 1);
    const owner = this.owner[targetDomain]!;
    if (this.checked[targetDomain] === 0) {
      if (owner === -1 || owner === file) {
        this.owner[targetDomain] = file;
        this.list(first, second, targetDomain);
        return false;
      }
      // A second file names this domain: its links so far (all from the owner) go into the table.
      for (let link = this.last[targetDomain]!; link !== -1; link = this.previous[link]!) this.insert(this.firstHash[link]!, this.secondHash[link]!, owner);
      this.checked[targetDomain] = 1;
    }
    const stored = this.insert(first, second, file);
    return stored !== file;
  }

  private list(first: number, second: number, domain: number): void {
    const link = this.listed++;
    if (link === this.firstHash.length) {
      const size = Math.ceil(link * 1.5);
      this.firstHash = growInt32(this.firstHash, size, 0);
      this.secondHash = growInt32(this.secondHash, size, 0);
      this.previous = growInt32(this.previous, size, 0);
    }
    this.firstHash[link] = first;
    this.secondHash[link] = second;
    this.previous[link] = this.last[domain]!;
    this.last[domain] = link;
  }

  /** The file the key is stored with: the one stored already, or `file` when it is new (then stored). */
  private insert(first: number, second: number, file: number): number {
    const table = this.table;
    let slot = first & this.mask;
    for (;;) {
      const stored = table[slot * 3 + 2]!;
      if (stored === 0) break;
      if (table[slot * 3] === first && table[slot * 3 + 1] === second) return stored - 1;
      slot = (slot + 1) & this.mask;
    }
    table[slot * 3] = first;
    table[slot * 3 + 1] = second;
    table[slot * 3 + 2] = file + 1;
    if (++this.size * 4 > (this.mask + 1) * 3) this.rehash();
    return file;
  }

  private rehash(): void {
    const old = this.table;
    const slots = (this.mask + 1) * 2;
    const table = new Int32Array(slots * 3);
    const mask = slots - 1;
    for (let slot = 0; slot < old.length; slot += 3) {
      if (old[slot + 2] === 0) continue;
      let target = old[slot]! & mask;
      while (table[target * 3 + 2] !== 0) target = (target + 1) & mask;
      table[target * 3] = old[slot]!;
      table[target * 3 + 1] = old[slot + 1]!;
      table[target * 3 + 2] = old[slot + 2]!;
    }
    this.table = table;
    this.mask = mask;
  }

  private growDomains(needed: number): void {
    this.owner = growInt32(this.owner, needed, -1);
    this.last = growInt32(this.last, needed, -1);
    const checked = new Uint8Array(this.owner.length);
    checked.set(this.checked);
    this.checked = checked;
  }

  private reserve(bytes: number): void {
    if (this.used + bytes <= this.scratch.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.scratch.length * 2, this.used + bytes));
    this.scratch.copy(bigger, 0, 0, this.used);
    this.scratch = bigger;
  }

  private append(cell: Cell): void {
    const { buffer, end: cellEnd } = cell;
    const scheme = schemeEnd(buffer, cell.start, cellEnd);
    const start = scheme === -1 ? cell.start : scheme + 3;
    let end = cellEnd;
    for (let index = start; index < end; index++) {
      if (buffer[index] === HASH) {
        end = index;
        break;
      }
    }
    let slash = end;
    let ascii = true;
    for (let index = start; index < end; index++) {
      const byte = buffer[index]!;
      if (byte === SLASH) {
        slash = index;
        break;
      }
      if (byte >= 0x80) ascii = false;
    }
    this.reserve(end - start);
    const scratch = this.scratch;
    const hostStart = this.used;
    if (ascii) {
      let from = start;
      // `www.` in any case is left out (the host is compared lowercase).
      if (
        slash - from >= 4 &&
        (buffer[from]! | 0x20) === 119 &&
        (buffer[from + 1]! | 0x20) === 119 &&
        (buffer[from + 2]! | 0x20) === 119 &&
        buffer[from + 3] === 46
      ) {
        from += 4;
      }
      for (let index = from; index < slash; index++) {
        const byte = buffer[index]!;
        scratch[this.used++] = byte >= 65 && byte <= 90 ? byte | 0x20 : byte;
      }
    } else {
      // A host in Unicode: lowercase it as String#toLowerCase does.
      let host = buffer.toString('utf8', start, slash).toLowerCase();
      if (host.startsWith('www.')) host = host.slice(4);
      const bytes = Buffer.from(host, 'utf8');
      this.reserve(bytes.length + (end - slash));
      for (let index = 0; index < bytes.length; index++) this.scratch[this.used++] = bytes[index]!;
    }
    const written = this.scratch;
    if (this.used > hostStart && written[this.used - 1] === 46) this.used--;
    let pathEnd = end;
    while (pathEnd > slash && buffer[pathEnd - 1] === SLASH) pathEnd--;
    for (let index = slash; index < pathEnd; index++) written[this.used++] = buffer[index]!;
  }
}

/** A set of (referring domain, target domain) index pairs. */
export class PairSet {
  /** Slots of (first + 1, second); first + 1 = 0 marks an empty slot. */
  private table = new Int32Array(2 * 65_536);
  private mask = 65_535;
  private size = 0;

  /** Adds the pair; false when it was already there. */
  add(first: number, second: number): boolean {
    let slot = this.slotOf(first, second);
    const table = this.table;
    for (;;) {
      const stored = table[slot * 2]!;
      if (stored === 0) break;
      if (stored === first + 1 && table[slot * 2 + 1] === second) return false;
      slot = (slot + 1) & this.mask;
    }
    table[slot * 2] = first + 1;
    table[slot * 2 + 1] = second;
    if (++this.size * 4 > (this.mask + 1) * 3) this.rehash();
    return true;
  }

  has(first: number, second: number): boolean {
    let slot = this.slotOf(first, second);
    for (;;) {
      const stored = this.table[slot * 2]!;
      if (stored === 0) return false;
      if (stored === first + 1 && this.table[slot * 2 + 1] === second) return true;
      slot = (slot + 1) & this.mask;
    }
  }

  private slotOf(first: number, second: number): number {
    let hash = Math.imul(first, 0x9e3779b1) ^ Math.imul(second + 0x7f4a7c15, 0x85ebca6b);
    hash = Math.imul(hash ^ (hash >>> 15), 0x2c1b3c6d);
    return (hash ^ (hash >>> 13)) & this.mask;
  }

  private rehash(): void {
    const old = this.table;
    this.table = new Int32Array(old.length * 2);
    this.mask = this.mask * 2 + 1;
    for (let slot = 0; slot < old.length; slot += 2) {
      const stored = old[slot]!;
      if (stored === 0) continue;
      let target = this.slotOf(stored - 1, old[slot + 1]!);
      while (this.table[target * 2] !== 0) target = (target + 1) & this.mask;
      this.table[target * 2] = stored;
      this.table[target * 2 + 1] = old[slot + 1]!;
    }
  }
}
