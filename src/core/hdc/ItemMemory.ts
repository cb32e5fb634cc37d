/**
 * Item memory (codebook) of one role: every symbol gets a random hypervector derived from
 * (memory seed, role, symbol) alone, so the same symbol has the same vector after a restart and
 * on another machine, without storing the vectors. Cleanup finds the known symbol nearest to a noisy
 * vector (what unbinding a role from a bundle gives).
 */
import { hammingAt } from "./hamming.js";
import { randomHypervector, wordsFor, type Hypervector } from "./hypervector.js";
import { hashString } from "./prng.js";

export interface CleanupResult {
  readonly symbol: string;
  /** 1 - normalized Hamming distance of the best symbol. */
  readonly similarity: number;
  /** Similarity of the runner-up ('' / 0.5 when only one symbol is known). */
  readonly runnerUp: string;
  readonly runnerUpSimilarity: number;
}

export class ItemMemory {
  readonly dims: number;
  readonly seed: number;
  readonly role: string;
  private readonly words: number;
  private readonly bySymbol = new Map<string, number>();
  private readonly symbols: string[] = [];
  /** Known vectors, contiguous (row i = symbols[i]) so cleanup scans one array. */
  private matrix: Uint32Array;

  constructor(dims: number, seed: number, role: string) {
    this.words = wordsFor(dims);
    this.dims = dims;
    this.seed = seed >>> 0;
    this.role = role;
    this.matrix = new Uint32Array(this.words * 16);
  }

  /** The vector of a symbol without registering it (pure function of seed, role, symbol). */
  vectorOf(symbol: string): Hypervector {
    const index = this.bySymbol.get(symbol);
    if (index !== undefined) return this.matrix.slice(index * this.words, (index + 1) * this.words);
    return randomHypervector(this.dims, this.seed, hashString(`${this.role}\u0000${symbol}`, this.seed));
  }

  /** Registers the symbol as a cleanup candidate and returns its vector. */
  add(symbol: string): Hypervector {
    const known = this.bySymbol.get(symbol);
    if (known !== undefined) return this.matrix.subarray(known * this.words, (known + 1) * this.words);
    const v = this.vectorOf(symbol);
    const index = this.symbols.length;
    if ((index + 1) * this.words > this.matrix.length) {
      const grown = new Uint32Array(this.matrix.length * 2);
      grown.set(this.matrix);
      this.matrix = grown;
    }
    this.matrix.set(v, index * this.words);
    this.symbols.push(symbol);
    this.bySymbol.set(symbol, index);
    return this.matrix.subarray(index * this.words, (index + 1) * this.words);
  }

  has(symbol: string): boolean {
    return this.bySymbol.has(symbol);
  }

  get size(): number {
    return this.symbols.length;
  }

  knownSymbols(): readonly string[] {
    return this.symbols;
  }

  /** Nearest registered symbol to `noisy`; undefined when no symbol is registered. */
  cleanup(noisy: Hypervector): CleanupResult | undefined {
    if (noisy.length !== this.words) throw new RangeError(`cleanup needs a ${this.dims}-bit vector`);
    let best = -1;
    let bestD = Infinity;
    let second = -1;
    let secondD = Infinity;
    for (let i = 0; i < this.symbols.length; i++) {
      const d = hammingAt(noisy, 0, this.matrix, i * this.words, this.words);
      if (d < bestD) {
        second = best;
        secondD = bestD;
        best = i;
        bestD = d;
      } else if (d < secondD) {
        second = i;
        secondD = d;
      }
    }
    if (best < 0) return undefined;
    return {
      symbol: this.symbols[best]!,
      similarity: 1 - bestD / this.dims,
      runnerUp: second >= 0 ? this.symbols[second]! : "",
      runnerUpSimilarity: second >= 0 ? 1 - secondD / this.dims : 0.5,
    };
  }
}
