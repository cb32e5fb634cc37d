/**
 * A deterministic train/held-out split: items are ordered by a hash of their key and the first
 * `fraction` of them are held out. The same key always lands on the same side, so the domain base,
 * both pole fine-tunes and the gate all agree, and the gate never scores text any run trained on.
 */
import { fnv1a32 } from "../../../hdc/prng.js";

export interface Split<T> {
  readonly train: T[];
  readonly heldOut: T[];
}

export function splitHeldOut<T>(items: readonly T[], key: (item: T) => string, fraction = 0.25, seed = 0x9e11): Split<T> {
  const ranked = items.map((item, index) => ({ item, index, rank: fnv1a32(key(item), seed) })).sort((a, b) => a.rank - b.rank || a.index - b.index);
  const heldCount = Math.round(items.length * fraction);
  const held = new Set(ranked.slice(0, heldCount).map((r) => r.index));
  return {
    train: items.filter((_, i) => !held.has(i)),
    heldOut: items.filter((_, i) => held.has(i)),
  };
}
