/**
 * Binary hypervectors, bit-packed into Uint32Array: bit i of the vector is bit (i % 32) of word
 * floor(i / 32). Dimensions are a multiple of 32 so every word is full and popcount needs no mask.
 */
import { createPrng } from "./prng.js";

export type Hypervector = Uint32Array;

export class DimensionError extends Error {
  constructor(detail: string) {
    super(`hypervector dimension: ${detail}`);
    this.name = "DimensionError";
  }
}

/** Words needed for `dims` bits; throws unless dims is a positive multiple of 32. */
export function wordsFor(dims: number): number {
  if (!Number.isInteger(dims) || dims <= 0 || dims % 32 !== 0) {
    throw new DimensionError(`${dims} is not a positive multiple of 32; choose e.g. 10240`);
  }
  return dims / 32;
}

export function zeros(dims: number): Hypervector {
  return new Uint32Array(wordsFor(dims));
}

/** A uniformly random hypervector from a seeded stream (deterministic for the same seed and stream). */
export function randomHypervector(dims: number, seed: number, stream = 0): Hypervector {
  const out = new Uint32Array(wordsFor(dims));
  const next = createPrng(seed, stream);
  for (let i = 0; i < out.length; i++) out[i] = next();
  return out;
}

export function assertSameDims(a: Hypervector, b: Hypervector): void {
  if (a.length !== b.length) {
    throw new DimensionError(`cannot combine ${a.length * 32} and ${b.length * 32} bits; every vector of one memory has the same dimension`);
  }
}

export function getBit(v: Hypervector, i: number): number {
  return ((v[i >>> 5] ?? 0) >>> (i & 31)) & 1;
}

export function equals(a: Hypervector, b: Hypervector): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
