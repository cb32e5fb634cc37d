/**
 * Hamming distance and similarity. popcount uses the SWAR bit trick: on V8 it beat a 16-bit lookup
 * table by ~20% (see shared/notes/baselines.md), and it needs no table in cache.
 */
import { assertSameDims, type Hypervector } from "./hypervector.js";

export function popcount32(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
}

export function hamming(a: Hypervector, b: Hypervector): number {
  assertSameDims(a, b);
  return hammingAt(a, 0, b, 0, a.length);
}

/**
 * Distance between `words` words of `a` from offset `ai` and of `b` from `bi`: lets a search scan a
 * contiguous matrix of vectors without allocating a view per row.
 */
export function hammingAt(a: Uint32Array, ai: number, b: Uint32Array, bi: number, words: number): number {
  let d0 = 0;
  let d1 = 0;
  let i = 0;
  for (; i + 1 < words; i += 2) {
    let x = (a[ai + i]! ^ b[bi + i]!) >>> 0;
    x = x - ((x >>> 1) & 0x55555555);
    x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
    d0 += Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
    let y = (a[ai + i + 1]! ^ b[bi + i + 1]!) >>> 0;
    y = y - ((y >>> 1) & 0x55555555);
    y = (y & 0x33333333) + ((y >>> 2) & 0x33333333);
    d1 += Math.imul((y + (y >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
  }
  if (i < words) d0 += popcount32((a[ai + i]! ^ b[bi + i]!) >>> 0);
  return d0 + d1;
}

/** 1 - normalized Hamming distance: 1 for identical, ~0.5 for unrelated, 0 for complements. */
export function similarity(a: Hypervector, b: Hypervector): number {
  return 1 - hamming(a, b) / (a.length * 32);
}
