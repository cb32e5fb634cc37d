/**
 * Near-duplicate detection without a model: two texts whose sets of lower-cased words overlap by at
 * least `threshold` (Jaccard) are near-duplicates. Cheap, deterministic, and catches copy-edits such
 * as "fetch a glass of water" / "fetch a glass of cold water". Embedding similarity (for paraphrases)
 * is in cleanReplies.ts, where an embedder is at hand.
 */

export function wordSet(text: string): Set<string> {
  return new Set(text.toLowerCase().match(/[a-z0-9']+/g) ?? []);
}

export function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (a.size === 0 && b.size === 0) return 1;
  let shared = 0;
  for (const w of a) if (b.has(w)) shared++;
  return shared / (a.size + b.size - shared);
}

export interface NearDuplicatePair {
  readonly first: number;
  readonly second: number;
  readonly similarity: number;
}

/** Every pair (first < second) at or above the threshold. O(n^2): fine for a few thousand texts. */
export function findNearDuplicates(texts: readonly string[], threshold = 0.8): NearDuplicatePair[] {
  const sets = texts.map(wordSet);
  const pairs: NearDuplicatePair[] = [];
  for (let i = 0; i < sets.length; i++) {
    for (let j = i + 1; j < sets.length; j++) {
      const similarity = jaccard(sets[i]!, sets[j]!);
      if (similarity >= threshold) pairs.push({ first: i, second: j, similarity });
    }
  }
  return pairs;
}
