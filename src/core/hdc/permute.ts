/** Permute = cyclic rotation of the bits by `shift` positions: encodes order (sequence position, n-gram slot). */
import type { Hypervector } from "./hypervector.js";

export function permute(v: Hypervector, shift = 1): Hypervector {
  const dims = v.length * 32;
  const s = ((shift % dims) + dims) % dims;
  const out = new Uint32Array(v.length);
  if (s === 0) {
    out.set(v);
    return out;
  }
  const wordShift = Math.floor(s / 32);
  const bitShift = s % 32;
  const n = v.length;
  for (let i = 0; i < n; i++) {
    // Output bit j takes input bit (j - s) mod dims.
    const lo = v[(i - wordShift + n) % n]!;
    if (bitShift === 0) {
      out[i] = lo;
    } else {
      const prev = v[(i - wordShift - 1 + 2 * n) % n]!;
      out[i] = ((lo << bitShift) | (prev >>> (32 - bitShift))) >>> 0;
    }
  }
  return out;
}
