/**
 * The rows a cue query scores, found without scanning every episode. An episode matches a role only
 * when it stores exactly that filler (a pair's similarity is ~0.5 otherwise), so the posting lists
 * (role -> filler -> rows) give the candidates:
 * - rows holding every cue filler, ordered by the query text's embedding cosine when the query has
 *   a text, else newest first;
 * - when no row holds them all: rows holding the most cue fillers (then newest);
 * - when no row holds any: the text's nearest rows (`nearestToText`), or none.
 * Their hypervectors are then recomputed and scored, so `want` bounds a cue query at any scale.
 */
import type { EpisodeIndex, Filter } from "./EpisodeIndex.js";
import { intersectSorted } from "./sortedRows.js";
import type { Role } from "./types.js";

/** Exact cue matches (the newest) ordered by the query text's embedding cosine. */
const TEXT_ORDERED = 65_536;

export function cueCandidates(
  index: EpisodeIndex,
  cue: readonly (readonly [Role, string])[],
  want: number,
  filter: Filter,
  queryEmbedding: Float32Array | undefined,
  nearestToText: ((want: number) => number[]) | undefined,
): number[] {
  const passes = index.matcher(filter) ?? ((i: number) => index.isLive(i));
  const lists = cue.map(([role, filler]) => index.rowsWith(role, filler)).sort((a, b) => a.length - b.length);
  let rows: readonly number[] = lists.some((l) => l.length === 0) ? [] : lists[0]!;
  for (const list of lists.slice(1)) rows = intersectSorted(rows, list);
  const matches = rows.filter(passes);
  if (matches.length > 0) {
    if (queryEmbedding !== undefined) return index.nearestByEmbedding(matches.slice(-TEXT_ORDERED), queryEmbedding, want);
    return matches.slice(-want).reverse();
  }
  const held = new Map<number, number>();
  for (const list of lists) for (const i of list) held.set(i, (held.get(i) ?? 0) + 1);
  const partial = [...held].filter(([i]) => passes(i)).sort((a, b) => b[1] - a[1] || b[0] - a[0]).map(([i]) => i);
  if (partial.length === 0 && nearestToText !== undefined) return nearestToText(want);
  return partial.slice(0, want);
}
