// The seeded random numbers every generator of test and bench data draws from (the sample, the 1M-link
// dataset, vendor exports, the web graph), so a seed always gives byte-identical files.

/** mulberry32: a fast 32-bit PRNG; returns a function giving numbers in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}
