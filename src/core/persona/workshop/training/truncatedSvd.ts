/**
 * Truncated SVD of a dense matrix, for turning a full fine-tune's weight delta into a LoRA pair.
 *
 * Randomized range finder (Halko, Martinsson, Tropp 2011): Y = M Ω for a Gaussian Ω with rank +
 * oversampling columns, a few power iterations (Y = M Mᵀ Y, re-orthonormalised each time) so that
 * slowly decaying spectra are still captured, Q = orth(Y); then the small matrix B = Qᵀ M is
 * decomposed exactly by one-sided Jacobi rotations, which keep full float64 accuracy (no squaring of
 * the condition number as an eigen-decomposition of B Bᵀ would). M ≈ (Q U_B) Σ Vᵀ.
 * A matrix of rank k <= rank + oversampling is therefore recovered exactly, up to rounding.
 *
 * Matrices are row-major Float64Arrays (rows × cols).
 */
import { createPrng } from "../../../hdc/prng.js";

export interface TruncatedSvd {
  readonly rows: number;
  readonly cols: number;
  readonly rank: number;
  /** rows × rank, orthonormal columns. */
  readonly u: Float64Array;
  /** rank singular values, descending. */
  readonly s: Float64Array;
  /** rank × cols, orthonormal rows (Vᵀ). */
  readonly vt: Float64Array;
  /** ||M||_F², for the share of energy kept: sum(s²) / totalEnergy. */
  readonly totalEnergy: number;
}

export interface TruncatedSvdOptions {
  /** Extra random directions beyond the rank (default 10). */
  readonly oversampling?: number;
  /** Power iterations (default 2). */
  readonly powerIterations?: number;
  readonly seed?: number;
}

/** C (m × p) = A (m × k) · B (k × p). */
function matmul(a: Float64Array, b: Float64Array, m: number, k: number, p: number): Float64Array {
  const c = new Float64Array(m * p);
  for (let i = 0; i < m; i++) {
    const ci = i * p;
    for (let t = 0; t < k; t++) {
      const x = a[i * k + t]!;
      if (x === 0) continue;
      const bt = t * p;
      for (let j = 0; j < p; j++) c[ci + j] = c[ci + j]! + x * b[bt + j]!;
    }
  }
  return c;
}

/** C (k × p) = Aᵀ · B, with A (m × k) and B (m × p). */
function matmulTransposedLeft(a: Float64Array, b: Float64Array, m: number, k: number, p: number): Float64Array {
  const c = new Float64Array(k * p);
  for (let i = 0; i < m; i++) {
    const bi = i * p;
    for (let t = 0; t < k; t++) {
      const x = a[i * k + t]!;
      if (x === 0) continue;
      const ct = t * p;
      for (let j = 0; j < p; j++) c[ct + j] = c[ct + j]! + x * b[bi + j]!;
    }
  }
  return c;
}

/** Orthonormalises the columns of Y (m × l) in place by modified Gram-Schmidt, twice for stability. */
function orthonormalizeColumns(y: Float64Array, m: number, l: number): void {
  for (let pass = 0; pass < 2; pass++) {
    for (let j = 0; j < l; j++) {
      for (let q = 0; q < j; q++) {
        let dot = 0;
        for (let i = 0; i < m; i++) dot += y[i * l + q]! * y[i * l + j]!;
        for (let i = 0; i < m; i++) y[i * l + j] = y[i * l + j]! - dot * y[i * l + q]!;
      }
      let norm = 0;
      for (let i = 0; i < m; i++) norm += y[i * l + j]! ** 2;
      norm = Math.sqrt(norm);
      // A direction with no new content (the matrix's rank is below l) becomes zero, not noise.
      const inv = norm > 1e-300 ? 1 / norm : 0;
      for (let i = 0; i < m; i++) y[i * l + j] = y[i * l + j]! * inv;
    }
  }
}

/**
 * One-sided Jacobi SVD of Bᵀ stored as columns: `w` is cols × l (column j = row j of B).
 * Rotates column pairs until all are orthogonal; the rotations accumulate in `v` (l × l).
 */
function jacobiOrthogonalize(w: Float64Array, n: number, l: number): Float64Array {
  const v = new Float64Array(l * l);
  for (let i = 0; i < l; i++) v[i * l + i] = 1;
  for (let sweep = 0; sweep < 60; sweep++) {
    let rotated = false;
    for (let p = 0; p < l - 1; p++) {
      for (let q = p + 1; q < l; q++) {
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let i = 0; i < n; i++) {
          const wp = w[i * l + p]!;
          const wq = w[i * l + q]!;
          alpha += wp * wp;
          beta += wq * wq;
          gamma += wp * wq;
        }
        if (Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha * beta) || gamma === 0) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let i = 0; i < n; i++) {
          const wp = w[i * l + p]!;
          const wq = w[i * l + q]!;
          w[i * l + p] = c * wp - s * wq;
          w[i * l + q] = s * wp + c * wq;
        }
        for (let i = 0; i < l; i++) {
          const vp = v[i * l + p]!;
          const vq = v[i * l + q]!;
          v[i * l + p] = c * vp - s * vq;
          v[i * l + q] = s * vp + c * vq;
        }
      }
    }
    if (!rotated) break;
  }
  return v;
}

export function truncatedSvd(matrix: Float64Array, rows: number, cols: number, rank: number, options: TruncatedSvdOptions = {}): TruncatedSvd {
  if (matrix.length !== rows * cols) throw new Error(`matrix has ${matrix.length} values, expected ${rows} x ${cols}`);
  const r = Math.max(1, Math.min(rank, rows, cols));
  const l = Math.min(r + (options.oversampling ?? 10), rows, cols);
  let totalEnergy = 0;
  for (let i = 0; i < matrix.length; i++) totalEnergy += matrix[i]! ** 2;

  // Range finder: Y = M Ω, then power iterations Y = M (Mᵀ Y).
  const prng = createPrng(options.seed ?? 0x5fd, 0);
  const uniform = () => prng() / 4294967296; // [0, 1)
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  const omega = new Float64Array(cols * l);
  for (let i = 0; i < omega.length; i++) omega[i] = gaussian();
  let y = matmul(matrix, omega, rows, cols, l);
  orthonormalizeColumns(y, rows, l);
  for (let it = 0; it < (options.powerIterations ?? 2); it++) {
    const z = matmulTransposedLeft(matrix, y, rows, cols, l); // cols × l
    orthonormalizeColumns(z, cols, l);
    y = matmul(matrix, z, rows, cols, l);
    orthonormalizeColumns(y, rows, l);
  }
  const q = y; // rows × l

  // Bᵀ = Mᵀ Q (cols × l); Jacobi makes its columns orthogonal: Bᵀ V = W, so B = Vᵀ... see below.
  const w = matmulTransposedLeft(matrix, q, rows, cols, l);
  const v = jacobiOrthogonalize(w, cols, l);
  // Now Bᵀ V = W with orthogonal columns w_j = σ_j v'_j, hence B = V Σ V'ᵀ and M ≈ (Q V) Σ V'ᵀ.
  const order = Array.from({ length: l }, (_, j) => {
    let norm = 0;
    for (let i = 0; i < cols; i++) norm += w[i * l + j]! ** 2;
    return { j, sigma: Math.sqrt(norm) };
  }).sort((a, b) => b.sigma - a.sigma);

  const u = new Float64Array(rows * r);
  const s = new Float64Array(r);
  const vt = new Float64Array(r * cols);
  const qv = matmul(q, v, rows, l, l); // rows × l
  for (let k = 0; k < r; k++) {
    const { j, sigma } = order[k]!;
    s[k] = sigma;
    if (sigma === 0) continue;
    for (let i = 0; i < rows; i++) u[i * r + k] = qv[i * l + j]!;
    for (let i = 0; i < cols; i++) vt[k * cols + i] = w[i * l + j]! / sigma;
  }
  return { rows, cols, rank: r, u, s, vt, totalEnergy };
}

export function energyKept(svd: TruncatedSvd): number {
  if (svd.totalEnergy === 0) return 1;
  let kept = 0;
  for (const sigma of svd.s) kept += sigma * sigma;
  return Math.min(1, kept / svd.totalEnergy);
}

/**
 * The LoRA pair of an SVD, split evenly: B = U √Σ (rows × r), A = √Σ Vᵀ (r × cols), so B·A = U Σ Vᵀ.
 * In llama.cpp terms, for a weight with GGUF dims [n_in, n_out] (n_out rows of n_in values),
 * A is lora_a with dims [n_in, r] and B is lora_b with dims [r, n_out].
 */
export function loraFactors(svd: TruncatedSvd): { a: Float32Array; b: Float32Array } {
  const { rows, cols, rank: r } = svd;
  const a = new Float32Array(r * cols);
  const b = new Float32Array(rows * r);
  for (let k = 0; k < r; k++) {
    const root = Math.sqrt(svd.s[k]!);
    for (let i = 0; i < cols; i++) a[k * cols + i] = root * svd.vt[k * cols + i]!;
    for (let i = 0; i < rows; i++) b[i * r + k] = root * svd.u[i * r + k]!;
  }
  return { a, b };
}
