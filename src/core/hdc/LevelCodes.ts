/**
 * Level (thermometer) codes for scalars: neighbouring levels share most bits and the two ends are
 * unrelated (half the bits differ), so similarity falls off linearly with the scalar distance.
 * Built by flipping a growing prefix of a seeded random bit order of a seeded base vector.
 */
import { createPrng, fnv1a32 } from "./prng.js";
import { randomHypervector, wordsFor, type Hypervector } from "./hypervector.js";

export interface LevelCodesOptions {
  readonly dims: number;
  readonly seed: number;
  readonly min: number;
  readonly max: number;
  /** Number of distinct levels (>= 2). */
  readonly levels: number;
  /** Distinguishes level codes of different quantities under one seed. */
  readonly name?: string;
}

export class LevelCodes {
  readonly options: Required<LevelCodesOptions>;
  private readonly codes: Hypervector[] = [];

  constructor(options: LevelCodesOptions) {
    const resolved = { name: "level", ...options };
    wordsFor(resolved.dims);
    if (!(resolved.max > resolved.min)) throw new RangeError(`level codes need max > min, got [${resolved.min}, ${resolved.max}]`);
    if (!Number.isInteger(resolved.levels) || resolved.levels < 2) throw new RangeError(`level codes need >= 2 levels, got ${resolved.levels}`);
    this.options = resolved;
    const stream = fnv1a32(resolved.name);
    const base = randomHypervector(resolved.dims, resolved.seed, stream);
    // A seeded Fisher-Yates order of bit positions: level i flips the first flipsAt(i) of them.
    const order = new Uint32Array(resolved.dims);
    for (let i = 0; i < order.length; i++) order[i] = i;
    const next = createPrng(resolved.seed, stream ^ 0x5bd1e995);
    for (let i = order.length - 1; i > 0; i--) {
      const j = next() % (i + 1);
      const t = order[i]!;
      order[i] = order[j]!;
      order[j] = t;
    }
    const current = base.slice();
    let flipped = 0;
    for (let level = 0; level < resolved.levels; level++) {
      const target = Math.round((level * (resolved.dims / 2)) / (resolved.levels - 1));
      for (; flipped < target; flipped++) {
        const bit = order[flipped]!;
        current[bit >>> 5] = (current[bit >>> 5]! ^ (1 << (bit & 31))) >>> 0;
      }
      this.codes.push(current.slice());
    }
  }

  /** Level index of a value (clamped into [min, max]). */
  levelOf(value: number): number {
    const { min, max, levels } = this.options;
    if (!Number.isFinite(value)) throw new RangeError(`level code of a non-finite value ${value}`);
    const t = (Math.min(max, Math.max(min, value)) - min) / (max - min);
    return Math.round(t * (levels - 1));
  }

  encode(value: number): Hypervector {
    return this.codes[this.levelOf(value)]!;
  }

  level(index: number): Hypervector {
    const code = this.codes[index];
    if (code === undefined) throw new RangeError(`level ${index} is outside 0..${this.codes.length - 1}`);
    return code;
  }
}
