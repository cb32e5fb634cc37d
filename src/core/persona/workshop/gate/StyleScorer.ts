/**
 * A small style scorer built from the starter sets: the mean embedding (GloVe by default) of a
 * dimension's high-pole replies and of its low-pole replies; a reply scores +1 when it lies nearer
 * the high centroid and -1 when nearer the low one (cosine). The mean over replies generated at a
 * given scale says which pole they sound like. Crude on purpose: it needs no model beyond the
 * word vectors, and on a small benchmark model it shows direction, not quality.
 */
import type { TextEmbedder } from "../../../embedding/types.js";
import { cosine } from "../datasets/cleanReplies.js";

function mean(vectors: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(vectors[0]?.length ?? 0);
  for (const v of vectors) for (let i = 0; i < v.length; i++) out[i] = out[i]! + v[i]! / vectors.length;
  return out;
}

export class StyleScorer {
  private constructor(
    private readonly embedder: TextEmbedder,
    private readonly high: Float32Array,
    private readonly low: Float32Array,
  ) {}

  static async build(embedder: TextEmbedder, highReplies: readonly string[], lowReplies: readonly string[]): Promise<StyleScorer> {
    return new StyleScorer(embedder, mean(await embedder.embed(highReplies)), mean(await embedder.embed(lowReplies)));
  }

  /** Mean over replies of sign(cos(high) - cos(low)), in [-1, 1]; empty replies count 0. */
  async score(replies: readonly string[]): Promise<number> {
    if (replies.length === 0) return 0;
    const vectors = await this.embedder.embed(replies);
    let sum = 0;
    vectors.forEach((v, i) => {
      if (!replies[i]!.trim()) return;
      sum += Math.sign(cosine(v, this.high) - cosine(v, this.low));
    });
    return sum / replies.length;
  }
}
