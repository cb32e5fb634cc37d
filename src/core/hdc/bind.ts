/** Bind = XOR: self-inverse, so unbind(bind(a, b), a) = b, and the result is dissimilar to both inputs. */
import { assertSameDims, type Hypervector } from "./hypervector.js";

export function bind(a: Hypervector, b: Hypervector, out: Hypervector = new Uint32Array(a.length)): Hypervector {
  assertSameDims(a, b);
  for (let i = 0; i < a.length; i++) out[i] = (a[i]! ^ b[i]!) >>> 0;
  return out;
}

/** XOR is its own inverse; the alias makes query code read as what it does. */
export const unbind = bind;

/** Binds a whole list (e.g. role ⊗ filler ⊗ position). */
export function bindAll(vectors: readonly Hypervector[]): Hypervector {
  const first = vectors[0];
  if (first === undefined) throw new RangeError("bindAll needs at least one vector");
  const out = first.slice();
  for (let k = 1; k < vectors.length; k++) bind(out, vectors[k]!, out);
  return out;
}
