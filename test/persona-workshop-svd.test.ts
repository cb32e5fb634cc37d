import { copyFileSync, mkdtempSync, openSync, writeSync, closeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createPrng } from "../src/core/hdc/prng.js";
import { energyKept, loraFactors, truncatedSvd } from "../src/core/persona/workshop/training/truncatedSvd.js";
import { extractLora, rescaleLora } from "../src/core/persona/workshop/training/extractLora.js";
import { readF32Tensor, readModelTensors } from "../src/core/persona/workshop/training/ggufTensors.js";
import { writeTinyLlamaGguf } from "./fixtures/gguf/index.js";

function randomMatrix(rows: number, cols: number, seed: number): Float64Array {
  const prng = createPrng(seed, 1);
  return Float64Array.from({ length: rows * cols }, () => (prng() / 4294967296) * 2 - 1);
}

/** rows × cols matrix of exactly rank k: sum of k outer products with decaying weights. */
function lowRank(rows: number, cols: number, k: number, seed: number): Float64Array {
  const left = randomMatrix(rows, k, seed);
  const right = randomMatrix(k, cols, seed + 1);
  const m = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let t = 0; t < k; t++) for (let j = 0; j < cols; j++) m[i * cols + j] = m[i * cols + j]! + left[i * k + t]! * right[t * cols + j]! * 2 ** -t;
  return m;
}

function relativeError(m: Float64Array, rows: number, cols: number, a: Float32Array | Float64Array, b: Float32Array | Float64Array, r: number): number {
  let err = 0;
  let norm = 0;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      let v = 0;
      for (let k = 0; k < r; k++) v += b[i * r + k]! * a[k * cols + j]!;
      err += (v - m[i * cols + j]!) ** 2;
      norm += m[i * cols + j]! ** 2;
    }
  }
  return Math.sqrt(err / norm);
}

describe("truncated SVD", () => {
  it("recovers a delta of known rank exactly and keeps all of its energy", () => {
    const m = lowRank(96, 160, 6, 3);
    const svd = truncatedSvd(m, 96, 160, 8);
    const { a, b } = loraFactors(svd);
    const error = relativeError(m, 96, 160, a, b, svd.rank);
    console.log(`rank-6 delta at r=8: relative error ${error.toExponential(2)}, energy kept ${energyKept(svd).toFixed(6)}`);
    expect(error).toBeLessThan(1e-6); // float32 factors
    expect(energyKept(svd)).toBeGreaterThan(1 - 1e-9);
    expect(svd.s[6]).toBeLessThan(1e-9 * svd.s[0]!);
  });

  it("truncating below the rank keeps the top singular values' share, and the error matches it", () => {
    const m = lowRank(64, 48, 10, 9);
    const full = truncatedSvd(m, 64, 48, 10);
    const top3 = truncatedSvd(m, 64, 48, 3, { powerIterations: 4 });
    const expected = (full.s[0]! ** 2 + full.s[1]! ** 2 + full.s[2]! ** 2) / full.totalEnergy;
    console.log(`rank-10 delta at r=3: energy kept ${energyKept(top3).toFixed(4)} (exact ${expected.toFixed(4)})`);
    expect(energyKept(top3)).toBeCloseTo(expected, 6);
    const { a, b } = loraFactors(top3);
    // Eckart-Young: the best rank-3 error is exactly the energy left over.
    expect(relativeError(m, 64, 48, a, b, 3)).toBeCloseTo(Math.sqrt(1 - expected), 4);
  });

  it("a random full-rank matrix at low rank keeps a partial share, below 1", () => {
    const svd = truncatedSvd(randomMatrix(40, 40, 5), 40, 40, 4);
    expect(energyKept(svd)).toBeGreaterThan(0.1);
    expect(energyKept(svd)).toBeLessThan(0.6);
  });
});

describe("LoRA extraction from two GGUF models", () => {
  it("writes an adapter whose B·A equals the planted delta, skipping unchanged weights", async () => {
    const dir = mkdtempSync(join(tmpdir(), "extract-"));
    const base = writeTinyLlamaGguf(join(dir, "base.gguf"), { vocab: "synthetic", embeddingLength: 64, blockCount: 2, feedForwardLength: 128 });
    const tuned = join(dir, "tuned.gguf");
    copyFileSync(base.filePath, tuned);
    const model = await readModelTensors(base.filePath);
    const target = model.tensors.get("blk.1.ffn_up.weight")!;
    const [nIn, nOut] = target.dims as [number, number];
    const delta = lowRank(nOut, nIn, 3, 11);
    const weights = readF32Tensor(base.filePath, target);
    const changed = Float32Array.from(weights, (w, i) => w + 2 * delta[i]!);
    const fd = openSync(tuned, "r+");
    writeSync(fd, new Uint8Array(changed.buffer), 0, changed.byteLength, target.fileOffset);
    closeSync(fd);

    const report = await extractLora({ toward: tuned, away: base.filePath, outPath: join(dir, "adapter.gguf"), rank: 4, factor: 0.5 });
    expect(report.targets.map((t) => t.target)).toEqual(["blk.1.ffn_up.weight"]);
    expect(report.unchanged).toContain("blk.0.attn_q.weight");
    expect(report.energyKept).toBeGreaterThan(0.999999);

    const adapter = await readModelTensors(report.outPath);
    const a = readF32Tensor(report.outPath, adapter.tensors.get("blk.1.ffn_up.weight.lora_a")!);
    const b = readF32Tensor(report.outPath, adapter.tensors.get("blk.1.ffn_up.weight.lora_b")!);
    expect(adapter.tensors.get("blk.1.ffn_up.weight.lora_a")!.dims).toEqual([nIn, 4]);
    expect(adapter.tensors.get("blk.1.ffn_up.weight.lora_b")!.dims).toEqual([4, nOut]);
    // The planted difference was 2·delta and the factor ½, so B·A must equal delta.
    expect(relativeError(delta, nOut, nIn, a, b, 4)).toBeLessThan(1e-5);

    // At another strength (how far +1 goes): the rewritten adapter's B·A is 3·delta, as an
    // extraction with three times the factor gives, with the same energy share.
    const rescaled = rescaleLora(report, 3);
    const again = await readModelTensors(rescaled.outPath);
    const a3 = readF32Tensor(rescaled.outPath, again.tensors.get("blk.1.ffn_up.weight.lora_a")!);
    const b3 = readF32Tensor(rescaled.outPath, again.tensors.get("blk.1.ffn_up.weight.lora_b")!);
    expect(relativeError(Float64Array.from(delta, (d) => 3 * d), nOut, nIn, a3, b3, 4)).toBeLessThan(1e-5);
    const direct = await extractLora({ toward: tuned, away: base.filePath, outPath: join(dir, "adapter-x3.gguf"), rank: 4, factor: 1.5 });
    expect(rescaled.energyKept).toBeCloseTo(direct.energyKept, 9);
    expect(rescaled.targets[0]!.deltaNorm).toBeCloseTo(direct.targets[0]!.deltaNorm, 3);
    expect(rescaled.bytes).toBe(direct.bytes);
    expect(() => rescaleLora(report, 0)).toThrow(/positive multiple/);
  });
});
