// Interns byte strings to dense integer ids without creating JS strings: one growing byte buffer,
// an offsets table and an open-addressing hash table. A million URLs cost their bytes plus ~16 bytes
// each, instead of a JS string and a Map entry each (and the garbage collector never walks them).

function hashBytes(buffer: Uint8Array, start: number, end: number): number {
  let hash = -2128831035; // FNV-1a offset basis as a signed 32-bit value
  for (let index = start; index < end; index++) hash = Math.imul(hash ^ buffer[index]!, 16777619);
  // FNV's low bits are weak and the table indexes by low bits: mix the high ones down.
  hash = Math.imul(hash ^ (hash >>> 16), 0x45d9f3b);
  return hash ^ (hash >>> 16);
}

export class BytePool {
  private bytes: Buffer;
  private used = 0;
  private offsets: Uint32Array;
  /** Slots of (hash, id + 1, byte offset, byte length); id + 1 = 0 marks an empty slot. Keeping offset
   *  and length in the slot means a lookup touches one random cache line before comparing bytes. */
  private table: Int32Array;
  private mask: number;
  private slotMask: number;
  size = 0;
  private sealed = false;

  constructor(expectedEntries = 1024, averageBytes = 32) {
    const entries = Math.max(16, expectedEntries);
    this.bytes = Buffer.allocUnsafe(Math.max(1024, entries * averageBytes));
    this.offsets = new Uint32Array(entries + 1);
    let tableSize = 16;
    while (tableSize < entries * 1.5) tableSize *= 2;
    this.table = new Int32Array(tableSize * 4);
    this.mask = tableSize - 1;
    this.slotMask = tableSize * 4 - 1;
  }

  /** The id of `buffer[start, end)`, adding it when new (a new id equals the previous `size`). */
  intern(buffer: Buffer, start: number, end: number): number {
    if (this.sealed) throw new Error('BytePool is sealed');
    const hash = hashBytes(buffer, start, end);
    const length = end - start;
    const table = this.table;
    let slot = (hash & this.mask) << 2;
    for (;;) {
      const stored = table[slot + 1]!;
      if (stored === 0) break;
      if (table[slot] === hash && table[slot + 3] === length && this.sameBytes(table[slot + 2]!, buffer, start, length)) {
        return stored - 1;
      }
      slot = (slot + 4) & this.slotMask;
    }
    return this.add(buffer, start, end, hash, slot);
  }

  /** The id of `buffer[start, end)`, or -1 when absent. */
  find(buffer: Buffer, start: number, end: number): number {
    if (this.sealed) throw new Error('BytePool is sealed');
    const hash = hashBytes(buffer, start, end);
    const length = end - start;
    const table = this.table;
    let slot = (hash & this.mask) << 2;
    for (;;) {
      const stored = table[slot + 1]!;
      if (stored === 0) return -1;
      if (table[slot] === hash && table[slot + 3] === length && this.sameBytes(table[slot + 2]!, buffer, start, length)) {
        return stored - 1;
      }
      slot = (slot + 4) & this.slotMask;
    }
  }

  get(id: number): string {
    return this.bytes.toString('utf8', this.offsets[id]!, this.offsets[id + 1]!);
  }

  /** Byte-wise order of two entries (code point order for UTF-8). */
  compare(left: number, right: number): number {
    if (left === right) return 0;
    let a = this.offsets[left]!;
    const aEnd = this.offsets[left + 1]!;
    let b = this.offsets[right]!;
    const bEnd = this.offsets[right + 1]!;
    const bytes = this.bytes;
    while (a < aEnd && b < bEnd) {
      const difference = bytes[a]! - bytes[b]!;
      if (difference !== 0) return difference;
      a++;
      b++;
    }
    return aEnd - a - (bEnd - b);
  }

  /**
   * Keep the strings, drop the lookup table: after loading, ids are only turned back into text.
   * Spare capacity is kept as a view rather than copied, so the peak never holds two copies.
   */
  seal(): void {
    this.bytes = this.bytes.subarray(0, this.used);
    this.offsets = this.offsets.subarray(0, this.size + 1);
    this.table = new Int32Array(0);
    this.sealed = true;
  }

  private sameBytes(from: number, buffer: Uint8Array, start: number, length: number): boolean {
    const bytes = this.bytes;
    for (let index = 0; index < length; index++) if (bytes[from + index] !== buffer[start + index]) return false;
    return true;
  }

  private add(buffer: Buffer, start: number, end: number, hash: number, slot: number): number {
    const length = end - start;
    if (this.used + length > this.bytes.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.used + length));
      this.bytes.copy(bigger, 0, 0, this.used);
      this.bytes = bigger;
    }
    if (this.size + 1 >= this.offsets.length) {
      const offsets = new Uint32Array(this.offsets.length * 2);
      offsets.set(this.offsets);
      this.offsets = offsets;
    }
    const id = this.size++;
    const bytes = this.bytes;
    let to = this.used;
    // A loop beats Buffer#copy for the short strings interned here (no per-call overhead).
    for (let index = start; index < end; index++) bytes[to++] = buffer[index]!;
    this.offsets[id + 1] = to;
    this.table[slot] = hash;
    this.table[slot + 1] = id + 1;
    this.table[slot + 2] = this.used;
    this.table[slot + 3] = length;
    this.used = to;
    if (this.size * 4 > (this.mask + 1) * 3) this.rehash();
    return id;
  }

  private rehash(): void {
    const old = this.table;
    const size = (this.mask + 1) * 2;
    const table = new Int32Array(size * 4);
    const slotMask = size * 4 - 1;
    for (let slot = 0; slot < old.length; slot += 4) {
      if (old[slot + 1] === 0) continue;
      let target = (old[slot]! & (size - 1)) << 2;
      while (table[target + 1] !== 0) target = (target + 4) & slotMask;
      table.set(old.subarray(slot, slot + 4), target);
    }
    this.table = table;
    this.mask = size - 1;
    this.slotMask = slotMask;
  }
}
