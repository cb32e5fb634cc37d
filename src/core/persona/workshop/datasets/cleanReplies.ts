/**
 * Hamster-style cleaning of generated replies: length bounds, forbidden phrases, identity leaks
 * ("as an AI"), and near-duplicates by embedding similarity. Every dropped reply is counted under
 * exactly one reason (the first check it fails, in the order above).
 */
import type { TextEmbedder } from "../../../embedding/types.js";
import { countReason, type ReasonCounts } from "../types.js";

export interface CleanOptions {
  readonly minWords?: number;
  readonly maxWords?: number;
  readonly forbiddenPhrases?: readonly string[];
  /** Cosine similarity at or above which a reply duplicates an earlier kept one. Default 0.95. */
  readonly duplicateSimilarity?: number;
  readonly embedder?: TextEmbedder;
}

export const IDENTITY_LEAKS: readonly RegExp[] = [
  /\bas an ai\b/i,
  /\bas a (large )?language model\b/i,
  /\bi am (just )?an? (ai|artificial intelligence|chatbot|language model)\b/i,
  /\bi('m| am) not able to (feel|have feelings)\b/i,
  /\bopenai\b|\bchatgpt\b/i,
];

export interface CleanResult<T> {
  readonly kept: T[];
  readonly dropped: ReasonCounts;
}

/** Cosine similarity of two embeddings (0 when either is all zeros). */
export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na && nb ? dot / Math.sqrt(na * nb) : 0;
}

export async function cleanReplies<T>(candidates: readonly T[], text: (item: T) => string, options: CleanOptions = {}): Promise<CleanResult<T>> {
  const minWords = options.minWords ?? 2;
  const maxWords = options.maxWords ?? 45;
  const forbidden = (options.forbiddenPhrases ?? []).map((p) => p.toLowerCase());
  const dropped: ReasonCounts = {};
  const survivors: T[] = [];
  for (const item of candidates) {
    const reply = text(item).trim();
    const words = reply.split(/\s+/).filter(Boolean).length;
    if (words < minWords) countReason(dropped, "too short");
    else if (words > maxWords) countReason(dropped, "too long");
    else if (forbidden.some((p) => reply.toLowerCase().includes(p))) countReason(dropped, "forbidden phrase");
    else if (IDENTITY_LEAKS.some((r) => r.test(reply))) countReason(dropped, "identity leak");
    else survivors.push(item);
  }
  if (!options.embedder || survivors.length === 0) return { kept: survivors, dropped };
  const threshold = options.duplicateSimilarity ?? 0.95;
  const vectors = await options.embedder.embed(survivors.map((s) => text(s)));
  const kept: T[] = [];
  const keptVectors: Float32Array[] = [];
  survivors.forEach((item, i) => {
    const v = vectors[i]!;
    if (keptVectors.some((k) => cosine(k, v) >= threshold)) {
      countReason(dropped, "near-duplicate");
      return;
    }
    kept.push(item);
    keptVectors.push(v);
  });
  return { kept, dropped };
}
