/**
 * Character n-gram HDC encoder: needs no data at all. Each n-gram is the binding of its characters'
 * seeded vectors, each permuted by its position; the text is the per-bit sum (+1/-1) over its n-grams.
 * Texts sharing many n-grams ("pick the cup" / "picked a cup") get similar vectors; there are no
 * semantics beyond spelling.
 */
import { permute } from "../hdc/permute.js";
import { hashString } from "../hdc/prng.js";
import { randomHypervector, wordsFor, type Hypervector } from "../hdc/hypervector.js";
import type { TextEmbedder } from "./types.js";

export interface NgramEmbedderOptions {
  /** Output dimension (a multiple of 32; default 1024). */
  readonly dims?: number;
  /** n-gram length (default 3). */
  readonly n?: number;
  readonly seed?: number;
}

export class NgramEmbedder implements TextEmbedder {
  readonly kind = "ngram" as const;
  readonly identity: string;
  readonly dimensions: number;
  private readonly n: number;
  private readonly seed: number;
  /** Per character, its vector permuted for each slot of the n-gram. */
  private readonly charVectors = new Map<string, Hypervector[]>();

  constructor(options: NgramEmbedderOptions = {}) {
    this.dimensions = options.dims ?? 1024;
    wordsFor(this.dimensions);
    this.n = options.n ?? 3;
    if (!Number.isInteger(this.n) || this.n < 1 || this.n > 8) throw new RangeError(`n-gram length must be 1..8, got ${this.n}`);
    this.seed = (options.seed ?? 0x6e67) >>> 0;
    this.identity = `ngram-hdc:n=${this.n}:dims=${this.dimensions}:seed=${this.seed}`;
  }

  private slots(ch: string): Hypervector[] {
    let v = this.charVectors.get(ch);
    if (v === undefined) {
      const base = randomHypervector(this.dimensions, this.seed, hashString(ch, this.seed));
      v = Array.from({ length: this.n }, (_, slot) => permute(base, this.n - 1 - slot));
      this.charVectors.set(ch, v);
    }
    return v;
  }

  embedSync(text: string): Float32Array {
    const chars = [...` ${text.toLowerCase().replace(/\s+/g, " ").trim()} `];
    const out = new Float32Array(this.dimensions);
    const words = this.dimensions / 32;
    const gram = new Uint32Array(words);
    for (let start = 0; start + this.n <= chars.length; start++) {
      gram.fill(0);
      for (let slot = 0; slot < this.n; slot++) {
        const v = this.slots(chars[start + slot]!)[slot]!;
        for (let w = 0; w < words; w++) gram[w] = (gram[w]! ^ v[w]!) >>> 0;
      }
      for (let w = 0; w < words; w++) {
        const word = gram[w]!;
        for (let b = 0; b < 32; b++) out[(w << 5) + b]! += (word >>> b) & 1 ? 1 : -1;
      }
    }
    return out;
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    return texts.map((t) => this.embedSync(t));
  }

  async close(): Promise<void> {}
}
