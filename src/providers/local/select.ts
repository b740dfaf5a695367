// Top-k selection and opaque page tokens for the local provider's ranked answers.

import { createHash } from 'node:crypto';
import { UsageError } from '../../errors.js';

/**
 * The first `k` of `count` candidates in `compare` order, sorted. A bounded heap keeps the work at
 * O(count · log k) so a page of 100 out of 100,000 candidates never sorts all 100,000.
 */
export function selectTop(
  candidates: ArrayLike<number>,
  count: number,
  k: number,
  compare: (left: number, right: number) => number,
): number[] {
  if (k <= 0 || count === 0) return [];
  if (count <= k * 2) {
    const all: number[] = [];
    for (let index = 0; index < count; index++) all.push(candidates[index]!);
    return all.sort(compare).slice(0, k);
  }
  // Max-heap by order: the root is the candidate that would come last among those kept.
  const heap: number[] = [];
  const siftUp = (start: number) => {
    let index = start;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (compare(heap[index]!, heap[parent]!) <= 0) break;
      [heap[index], heap[parent]] = [heap[parent]!, heap[index]!];
      index = parent;
    }
  };
  const siftDown = () => {
    let index = 0;
    const size = heap.length;
    for (;;) {
      const left = index * 2 + 1;
      const right = left + 1;
      let largest = index;
      if (left < size && compare(heap[left]!, heap[largest]!) > 0) largest = left;
      if (right < size && compare(heap[right]!, heap[largest]!) > 0) largest = right;
      if (largest === index) return;
      [heap[index], heap[largest]] = [heap[largest]!, heap[index]!];
      index = largest;
    }
  };
  for (let index = 0; index < count; index++) {
    const candidate = candidates[index]!;
    if (heap.length < k) {
      heap.push(candidate);
      siftUp(heap.length - 1);
    } else if (compare(candidate, heap[0]!) < 0) {
      heap[0] = candidate;
      siftDown();
    }
  }
  return heap.sort(compare);
}

/** A short hash naming a query, so a page token cannot be replayed against another query. */
export function queryHash(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('base64url').slice(0, 16);
}

export function encodePageToken(offset: number, hash: string): string {
  return Buffer.from(JSON.stringify({ o: offset, q: hash })).toString('base64url');
}

/** The offset a token encodes; 0 without a token. A token of another query is refused. */
export function decodePageToken(token: string | undefined, hash: string, field: 'cursor' | 'next_token'): number {
  if (token === undefined) return 0;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const value = parsed as { o?: unknown; q?: unknown } | undefined;
  if (
    value === null ||
    typeof value !== 'object' ||
    typeof value.o !== 'number' ||
    !Number.isSafeInteger(value.o) ||
    value.o < 0 ||
    value.q !== hash
  ) {
    throw new UsageError(
      'invalid_input',
      `${field} does not belong to this query (it came from a call with other arguments, or is damaged); drop ${field} to start from the first page.`,
    );
  }
  return value.o;
}
