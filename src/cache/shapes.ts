// What shape each kind of cached answer has, as data: the number a kind's entries are written with.
// Bump a kind's number in the same change that makes its entries read differently (a field renamed,
// a new required field, a mapping that now gives other values). An entry written under another number
// is never served as current: the call is a miss that goes through the normal quote and confirmation,
// and its answer says why it was asked again (a paid answer is not bought again unannounced).
// Keyed by the operation in the cache key (`provider:operation:hash`), or `provider:operation` where
// one provider's entries of that operation have their own shape (pieces are per adapter).

export const CACHE_SHAPES: Readonly<Record<string, number>> = {
  gap: 1,
  backlinks: 1,
  intersect: 1,
  piece: 1,
  check_page: 1,
  site_contact: 1,
};

/** Entries written before shapes were recorded carry none: they were written in the first shape. */
export const FIRST_SHAPE = 1;

/** The current shape of what `key` holds (a key from cacheKey). */
export function shapeOf(key: string, shapes: Readonly<Record<string, number>> = CACHE_SHAPES): number {
  const [provider = '', operation = ''] = key.split(':', 2);
  return shapes[`${provider}:${operation}`] ?? shapes[operation] ?? FIRST_SHAPE;
}
