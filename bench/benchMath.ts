/** Small statistics the benchmarks share (the core's interpolated percentile is computeStats.ts's). */

/** Nearest-rank percentile of unsorted samples (0 for none). */
export function nearestRankPercentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : 0;
}

/** Median of unsorted samples: the mean of the middle two for an even count; NaN for none. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length === 0 ? NaN : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export const round = (x: number, digits = 3) => Number(x.toFixed(digits));
