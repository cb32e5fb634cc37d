/**
 * The free-text prefilter: the rows nearest to a query by Hamming distance of their short codes
 * (row i's code at codes[i * codeWords ..]), chosen by a counting select over the distance
 * histogram (O(n), no sort).
 *
 * Optionally two passes (coarseFactor > 0, from 4 x the coarse pool): the first COARSE_BITS bits of
 * every code (a coarser SimHash: the code is itself a prefix of the text SimHash) keep
 * coarseFactor x `want` rows, and the whole code picks `want` among those. Off by default: at 1M
 * episodes bench:memory measured it 10% faster than one pass (59 vs 66 ms p50, load ~10) but with
 * recall@10 0.96 instead of 0.9975.
 *
 * The codes themselves can live here: `allocate` puts them in WebAssembly memory when SIMD is
 * available (simdHamming.ts), and a one-pass query over them then runs the SIMD scan.
 */
import { SimdHamming } from "./simdHamming.js";

export const COARSE_BITS = 64;
export const COARSE_FACTOR = 16;

export class CodePrefilter {
  /** Distances, reused across queries (2 MB at 1M episodes). */
  private distances = new Uint16Array(0);

  /** Rows the coarse pass keeps per wanted row (COARSE_FACTOR); 0 = one pass over the whole code, the default (bench:memory compares both). */
  coarseFactor = 0;

  /** The SIMD scan over codes in WebAssembly memory; undefined: the JavaScript loop (no SIMD, or simd: false). */
  private readonly simd: SimdHamming | undefined;

  constructor(
    readonly codeWords: number,
    options: { readonly simd?: boolean } = {},
  ) {
    this.simd = options.simd === false ? undefined : SimdHamming.create(codeWords, 16);
  }

  /** Whether queries over codes from `allocate` run the SIMD scan. */
  get usesSimd(): boolean {
    return this.simd !== undefined;
  }

  /**
   * Storage for `capacity` rows of codes holding `previous`'s rows: in WebAssembly memory (grown in
   * place, so `previous` must be the array this returned last) when SIMD is available, else a new array.
   */
  allocate(capacity: number, previous?: Uint32Array): Uint32Array {
    if (this.simd !== undefined && (previous === undefined || previous === this.simd.codes)) return this.simd.resize(capacity);
    const codes = new Uint32Array(capacity * this.codeWords);
    if (previous !== undefined) codes.set(previous.subarray(0, Math.min(previous.length, codes.length)));
    return codes;
  }

  /** Indices of the `want` rows nearest by code, ascending (ties at the cut-off: lowest index first). */
  nearest(codes: Uint32Array, n: number, query: Uint32Array, want: number, matches?: (i: number) => boolean): Int32Array {
    const coarseWords = Math.min(COARSE_BITS / 32, this.codeWords);
    const pool = want * this.coarseFactor;
    // The coarse pass saves only when it drops most rows: below 4x the pool one pass is cheaper.
    if (coarseWords === this.codeWords || pool === 0 || n < pool * 4) {
      if (this.simd !== undefined && codes === this.simd.codes) return this.simdScan(n, query, want, matches);
      return this.scan(codes, n, query, this.codeWords, want, matches);
    }
    const coarse = this.scan(codes, n, query, coarseWords, pool, matches);
    return this.scan(codes, n, query, this.codeWords, want, undefined, coarse);
  }

  /** Nearest `want` by the first `words` words of each code, over every row or over `rows` (ascending). */
  private scan(
    codes: Uint32Array,
    n: number,
    query: Uint32Array,
    words: number,
    want: number,
    matches?: (i: number) => boolean,
    rows?: Int32Array,
  ): Int32Array {
    const cw = this.codeWords;
    const bits = words * 32;
    const excluded = bits + 1;
    const m = rows === undefined ? n : rows.length;
    if (this.distances.length < m) this.distances = new Uint16Array(Math.max(m, this.distances.length * 2));
    const dist = this.distances;
    const histogram = new Int32Array(bits + 2);
    for (let r = 0; r < m; r++) {
      const i = rows === undefined ? r : rows[r]!;
      if (matches !== undefined && !matches(i)) {
        dist[r] = excluded;
        continue;
      }
      const at = i * cw;
      // Unrolled by two: this loop is the whole cost of a 1M-episode query.
      let d = 0;
      let j = 0;
      for (; j + 1 < words; j += 2) {
        let x = (codes[at + j]! ^ query[j]!) >>> 0;
        x = x - ((x >>> 1) & 0x55555555);
        x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
        let y = (codes[at + j + 1]! ^ query[j + 1]!) >>> 0;
        y = y - ((y >>> 1) & 0x55555555);
        y = (y & 0x33333333) + ((y >>> 2) & 0x33333333);
        d += (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) + (Math.imul((y + (y >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
      }
      if (j < words) {
        let x = (codes[at + j]! ^ query[j]!) >>> 0;
        x = x - ((x >>> 1) & 0x55555555);
        x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
        d += Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
      }
      dist[r] = d;
      histogram[d]!++;
    }
    return select(dist, histogram, m, bits, want, rows);
  }

  /** The one pass over every row, in WebAssembly; rows `matches` refuses leave the histogram. */
  private simdScan(n: number, query: Uint32Array, want: number, matches?: (i: number) => boolean): Int32Array {
    const bits = this.codeWords * 32;
    const { distances, histogram } = this.simd!.distances(query, n);
    if (matches !== undefined) {
      for (let i = 0; i < n; i++) {
        if (matches(i)) continue;
        histogram[distances[i]!]!--;
        distances[i] = bits + 1;
      }
    }
    return select(distances, histogram, n, bits, want);
  }
}

/**
 * The `want` rows of smallest distance, in row order, by a counting select over the histogram:
 * the smallest cut-off whose cumulative count reaches `want`, and at the cut-off the lowest rows.
 */
function select(dist: Uint16Array, histogram: Int32Array, m: number, bits: number, want: number, rows?: Int32Array): Int32Array {
  let cut = 0;
  let below = 0;
  for (; cut <= bits; cut++) {
    if (below + histogram[cut]! >= want) break;
    below += histogram[cut]!;
  }
  // Past the last distance (fewer rows than `want`): every row, none at the cut-off (excluded rows sit there).
  let atCut = cut > bits ? 0 : Math.min(want - below, histogram[cut]!);
  const out = new Int32Array(Math.min(want, m));
  let o = 0;
  for (let r = 0; r < m && o < out.length; r++) {
    const d = dist[r]!;
    if (d < cut || (d === cut && atCut-- > 0)) out[o++] = rows === undefined ? r : rows[r]!;
  }
  return out.subarray(0, o);
}
