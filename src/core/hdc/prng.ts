/**
 * Seeded, integer-only pseudo-random numbers. Only Math.imul and 32-bit shifts are used, so
 * a (seed, key) pair gives the same stream on every machine and Node version: item-memory
 * vectors must be identical across restarts and machines.
 */

/** FNV-1a over the UTF-16 code units of a string, folded with a seed; 32 bits, unmixed. */
export function fnv1a32(text: string, seed = 0): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** FNV-1a then a finaliser, so that similar strings get unrelated 32-bit values. */
export function hashString(text: string, seed = 0): number {
  return mix32(fnv1a32(text, seed));
}

/** A bijective 32-bit finaliser (murmur3 fmix32): spreads nearby inputs far apart. */
export function mix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** xoshiro128** seeded through splitmix32; returns a function yielding uint32 values. */
export function createPrng(seed: number, stream = 0): () => number {
  let state = (mix32(seed) ^ mix32(stream + 0x9e3779b9)) >>> 0;
  const splitmix = (): number => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();
  if ((a | b | c | d) === 0) a = 1;
  return (): number => {
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result;
  };
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** Standard normal samples (Box-Muller) from a uint32 stream. */
export function createGaussian(next: () => number): () => number {
  let spare: number | undefined;
  return (): number => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    // (x + 1) / 2^32 is in (0, 1]: log never sees 0.
    const u = (next() + 1) / 4294967296;
    const v = next() / 4294967296;
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}
