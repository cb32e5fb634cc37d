/**
 * The full hypervectors of recently read rows. Episode and text hypervectors are recomputed from
 * the episode and its embedding instead of being kept for every row (2.5 kB per episode at
 * D = 10,240); a cue query reads the same rows several times (scoring, match strength, unbinding
 * the asked role), so the last few hundred are kept. Bounded: at most MAX_ROWS entries.
 */
import type { Hypervector } from "../hdc/hypervector.js";

export interface RowVectors {
  readonly text: Hypervector;
  readonly vector: Hypervector;
}

/** ~1.3 MB at D = 10,240: a constant, not a cost per episode. */
const MAX_ROWS = 512;

export class RowVectorCache {
  private readonly rows = new Map<number, RowVectors>();

  constructor(private readonly compute: (row: number) => RowVectors) {}

  get(row: number): RowVectors {
    const hit = this.rows.get(row);
    if (hit !== undefined) {
      // Re-insert: Map iteration order is insertion order, so the first key is the least recent.
      this.rows.delete(row);
      this.rows.set(row, hit);
      return hit;
    }
    const computed = this.compute(row);
    this.rows.set(row, computed);
    if (this.rows.size > MAX_ROWS) this.rows.delete(this.rows.keys().next().value!);
    return computed;
  }

  /** Forgets a row's vectors (the row was forgotten). */
  drop(row: number): void {
    this.rows.delete(row);
  }
}
