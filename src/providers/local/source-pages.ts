// Source page URLs of a dataset: stored once per link while loading, deduplicated afterwards by
// sorting their hashes. Interning a million mostly-distinct URLs through a hash table costs a random
// memory access or two per link (slow under virtualised paging); appending and radix-sorting is
// sequential, and only URLs whose hashes collide are compared byte by byte.

/** Page URLs by page id. A page id is the index of the first link seen from that page. */
export class SourcePages {
  constructor(
    private readonly bytes: Buffer,
    /** Start of link i's URL; offsets[i + 1] is its end. */
    private readonly offsets: Uint32Array,
    /** Distinct pages. */
    readonly distinct: number,
  ) {}

  /** Ids range over link indices, so scratch arrays indexed by page id need this many slots. */
  get idLimit(): number {
    return this.offsets.length - 1;
  }

  get(id: number): string {
    return this.bytes.toString('utf8', this.offsets[id]!, this.offsets[id + 1]!);
  }

  /** Byte-wise order (code point order for UTF-8). */
  compare(left: number, right: number): number {
    if (left === right) return 0;
    return compareRanges(this.bytes, this.offsets[left]!, this.offsets[left + 1]!, this.offsets[right]!, this.offsets[right + 1]!);
  }
}

function compareRanges(bytes: Uint8Array, aStart: number, aEnd: number, bStart: number, bEnd: number): number {
  let a = aStart;
  let b = bStart;
  while (a < aEnd && b < bEnd) {
    const difference = bytes[a]! - bytes[b]!;
    if (difference !== 0) return difference;
    a++;
    b++;
  }
  return aEnd - a - (bEnd - b);
}

export class SourcePagesBuilder {
  private bytes: Buffer;
  private used = 0;
  private offsets: Uint32Array;
  private hashes: Int32Array;
  private count = 0;

  constructor(expectedLinks: number, averageBytes = 48) {
    const capacity = Math.max(16, expectedLinks);
    this.bytes = Buffer.allocUnsafe(capacity * averageBytes);
    this.offsets = new Uint32Array(capacity + 1);
    this.hashes = new Int32Array(capacity);
  }

  /** Record the source URL of the next link. */
  add(buffer: Buffer, start: number, end: number): void {
    const length = end - start;
    if (this.used + length > this.bytes.length) {
      const bigger = Buffer.allocUnsafe(Math.max(Math.ceil(this.bytes.length * 1.5), this.used + length));
      this.bytes.copy(bigger, 0, 0, this.used);
      this.bytes = bigger;
    }
    if (this.count + 1 >= this.offsets.length) {
      const offsets = new Uint32Array(Math.ceil(this.offsets.length * 1.5));
      offsets.set(this.offsets);
      this.offsets = offsets;
      const hashes = new Int32Array(offsets.length);
      hashes.set(this.hashes);
      this.hashes = hashes;
    }
    // Hash while copying (same FNV-1a and mix as hashBytes), so each byte is read once.
    const bytes = this.bytes;
    let to = this.used;
    let hash = -2128831035;
    for (let index = start; index < end; index++) {
      const byte = buffer[index]!;
      bytes[to++] = byte;
      hash = Math.imul(hash ^ byte, 16777619);
    }
    hash = Math.imul(hash ^ (hash >>> 16), 0x45d9f3b);
    this.hashes[this.count] = hash ^ (hash >>> 16);
    this.used = to;
    this.offsets[++this.count] = to;
  }

  /** The pages, and for every link the id of its page. */
  finish(): { pages: SourcePages; pageOfLink: Uint32Array } {
    const count = this.count;
    const hashes = this.hashes;
    const bytes = this.bytes;
    const offsets = this.offsets;

    // Stable two-pass radix sort of (hash, link) by hash, carrying the hash along.
    const lowKeys = new Int32Array(count);
    const lowLinks = new Uint32Array(count);
    const buckets = new Uint32Array(65_537);
    for (let link = 0; link < count; link++) buckets[(hashes[link]! & 0xffff) + 1]!++;
    for (let bucket = 0; bucket < 65_536; bucket++) buckets[bucket + 1]! += buckets[bucket]!;
    for (let link = 0; link < count; link++) {
      const hash = hashes[link]!;
      const slot = buckets[hash & 0xffff]!++;
      lowKeys[slot] = hash;
      lowLinks[slot] = link;
    }
    const sortedKeys = hashes.subarray(0, count); // reused: the per-link hashes are no longer needed
    const sortedLinks = new Uint32Array(count);
    buckets.fill(0);
    for (let index = 0; index < count; index++) buckets[(lowKeys[index]! >>> 16) + 1]!++;
    for (let bucket = 0; bucket < 65_536; bucket++) buckets[bucket + 1]! += buckets[bucket]!;
    for (let index = 0; index < count; index++) {
      const hash = lowKeys[index]!;
      const slot = buckets[hash >>> 16]!++;
      sortedKeys[slot] = hash;
      sortedLinks[slot] = lowLinks[index]!;
    }

    const pageOfLink = new Uint32Array(count);
    let distinct = 0;
    const representatives: number[] = [];
    for (let first = 0; first < count; ) {
      let end = first + 1;
      while (end < count && sortedKeys[end] === sortedKeys[first]) end++;
      if (end === first + 1) {
        const link = sortedLinks[first]!;
        pageOfLink[link] = link;
        distinct++;
      } else {
        representatives.length = 0;
        for (let index = first; index < end; index++) {
          const link = sortedLinks[index]!;
          let page = -1;
          for (const candidate of representatives) {
            if (
              compareRanges(bytes, offsets[candidate]!, offsets[candidate + 1]!, offsets[link]!, offsets[link + 1]!) === 0
            ) {
              page = candidate;
              break;
            }
          }
          if (page === -1) {
            representatives.push(link);
            page = link;
            distinct++;
          }
          pageOfLink[link] = page;
        }
      }
      first = end;
    }
    const pages = new SourcePages(bytes.subarray(0, this.used), offsets.subarray(0, count + 1), distinct);
    return { pages, pageOfLink };
  }
}
