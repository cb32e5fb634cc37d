/**
 * The arithmetic of a bake, per target matrix, as pure functions over Float32Arrays laid out as
 * ggml stores a weight with dims [n_in, n_out]: n_out rows of n_in values.
 *
 * A LoRA pair has lora_a dims [n_in, r] (r rows of n_in: A) and lora_b dims [r, n_out] (n_out rows
 * of r: B); llama.cpp adds c * B (A x) to W x, so the task vector is tau = c * B A.
 */
import { createPrng, fnv1a32 } from "../../hdc/prng.js";
import type { BakeMethod } from "./types.js";

export interface LoraPair {
  readonly a: Float32Array;
  readonly b: Float32Array;
  readonly rank: number;
  /** scale * alpha / rank (scale when the adapter has no alpha). */
  readonly coefficient: number;
}

/** out += c * B A (out has n_out * n_in entries). */
export function addLoraProduct(out: Float32Array, pair: LoraPair, nIn: number, nOut: number): void {
  const { a, b, rank, coefficient } = pair;
  for (let j = 0; j < nOut; j++) {
    const row = j * nIn;
    for (let q = 0; q < rank; q++) {
      const bjq = coefficient * b[j * rank + q]!;
      if (bjq === 0) continue;
      const aRow = q * nIn;
      for (let x = 0; x < nIn; x++) out[row + x]! += bjq * a[aRow + x]!;
    }
  }
}

/** The k-th largest |value| (k >= 1), by quickselect on a copy. */
export function kthLargestMagnitude(values: Float32Array, k: number): number {
  const n = values.length;
  if (k <= 0) return Infinity;
  if (k >= n) return 0;
  const m = new Float32Array(n);
  for (let i = 0; i < n; i++) m[i] = Math.abs(values[i]!);
  // Select index n - k in ascending order.
  const target = n - k;
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const pivot = m[(lo + hi) >>> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (m[i]! < pivot) i++;
      while (m[j]! > pivot) j--;
      if (i <= j) {
        const t = m[i]!;
        m[i] = m[j]!;
        m[j] = t;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else break;
  }
  return m[target]!;
}

export interface MergeOptions {
  readonly density: number;
  readonly seed: number;
  /** Names the tensor, so each (tensor, adapter) gets its own repeatable DARE mask. */
  readonly tensorName: string;
}

/** The merged delta of one target matrix: linear, TIES or DARE over the adapters' task vectors. */
export function mergedDelta(method: BakeMethod, pairs: readonly LoraPair[], nIn: number, nOut: number, options: MergeOptions): Float32Array {
  const n = nIn * nOut;
  const out = new Float32Array(n);
  if (method === "linear") {
    for (const p of pairs) addLoraProduct(out, p, nIn, nOut);
    return out;
  }
  const tau = new Float32Array(n);
  if (method === "dare") {
    const keep = options.density;
    const threshold = Math.floor(keep * 4294967296);
    const rescale = 1 / keep;
    pairs.forEach((p, i) => {
      tau.fill(0);
      addLoraProduct(tau, p, nIn, nOut);
      const random = createPrng(options.seed, fnv1a32(`${options.tensorName}#${i}`));
      for (let x = 0; x < n; x++) if (random() < threshold) out[x]! += tau[x]! * rescale;
    });
    return out;
  }
  // TIES: trim each, elect a sign from the trimmed sum, then sum what agrees with it.
  const trimmed: Float32Array[] = [];
  const k = Math.max(1, Math.round(options.density * n));
  for (const p of pairs) {
    const t = new Float32Array(n);
    addLoraProduct(t, p, nIn, nOut);
    const cut = kthLargestMagnitude(t, k);
    for (let x = 0; x < n; x++) if (Math.abs(t[x]!) < cut) t[x] = 0;
    trimmed.push(t);
  }
  const elected = tau; // reuse: the trimmed sum, whose sign is the elected one
  for (const t of trimmed) for (let x = 0; x < n; x++) elected[x]! += t[x]!;
  for (const t of trimmed) {
    for (let x = 0; x < n; x++) {
      const v = t[x]!;
      if (v !== 0 && (v > 0) === (elected[x]! > 0)) out[x]! += v;
    }
  }
  return out;
}
