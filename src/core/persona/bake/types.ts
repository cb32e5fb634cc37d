/** Types of a bake: a persona mix written into one GGUF (base + merged adapter deltas). */

/**
 * How the adapters' deltas combine (the seeds' mergekit methods, over task vectors
 * tau_i = c_i B_i A_i with c_i = scale_i * alpha_i / rank_i, exactly as llama.cpp applies them):
 *   linear  sum_i tau_i: task arithmetic, the same function as the runtime blend;
 *   ties    each tau_i trimmed to its `density` largest magnitudes, a sign elected per entry (sign of
 *           the trimmed sum), and the entries that agree with it summed (mergekit ties, normalize: false);
 *   dare    each entry of each tau_i dropped with probability 1 - density and the kept ones scaled by
 *           1 / density (seeded, so repeatable), then summed (mergekit dare_linear).
 */
export type BakeMethod = "linear" | "ties" | "dare";
export const BAKE_METHODS: readonly BakeMethod[] = ["linear", "ties", "dare"];

/** One adapter of a mix, at the llama.cpp scale the runtime blend would apply it with. */
export interface BakeAdapter {
  /** "persona.warmth", "expertise.coding", ... */
  readonly name: string;
  readonly filePath: string;
  readonly scale: number;
}

/** What a baked GGUF carries in its metadata, so anyone can tell what it is and match it. */
export interface BakeRecipe {
  readonly version: 1;
  readonly method: BakeMethod;
  /** ties/dare: fraction of each delta kept. */
  readonly density?: number;
  /** dare: the seed of the drop masks. */
  readonly seed?: number;
  readonly base: { readonly name: string; readonly file: string; readonly sha256: string };
  readonly adapters: ReadonlyArray<{ readonly name: string; readonly file: string; readonly sha256: string; readonly scale: number }>;
  /** The persona weights the scales came from, when known ("persona.warmth" -> 0.9). */
  readonly weights?: Readonly<Record<string, number>>;
  /** The output's tensor type: "F32", "F16", or the llama-quantize type it was re-quantized to. */
  readonly type: string;
  readonly created: string;
}
