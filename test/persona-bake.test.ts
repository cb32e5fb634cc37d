import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getLlama, LlamaCompletion, type Llama } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bakeModel, BakeError } from "../src/core/persona/bake/bakeModel.js";
import { readBakeRecipe, recipeMatchesBlend } from "../src/core/persona/bake/bakeRecipe.js";
import { kthLargestMagnitude, mergedDelta } from "../src/core/persona/bake/mergeTaskVectors.js";
import { sha256File } from "../src/core/models/sha256File.js";
import { writeLoraAdapterGguf, writeTinyLlamaGguf, type TinyLlamaModelInfo } from "./fixtures/gguf/index.js";

let dir: string;
let llama: Llama;
let info: TinyLlamaModelInfo;
let adapters: { name: string; filePath: string; scale: number }[];

const PROMPT = "The robot picked up the";

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "persona-bake-"));
  // F32, so the bake's sum is the runtime blend's sum up to float rounding.
  info = writeTinyLlamaGguf(join(dir, "base.gguf"), { seed: 41, embeddingLength: 128, feedForwardLength: 256, blockCount: 2, headCount: 4 });
  const a = writeLoraAdapterGguf(join(dir, "warmth.gguf"), { model: info, seed: 1, rank: 4, alpha: 8 });
  const b = writeLoraAdapterGguf(join(dir, "formal.gguf"), { model: info, seed: 2, rank: 2 });
  const c = writeLoraAdapterGguf(join(dir, "coding.gguf"), { model: info, seed: 3, rank: 3, targets: ["attn_q", "attn_v", "ffn_down"] });
  adapters = [
    { name: "persona.warmth", filePath: a.filePath, scale: 0.7 },
    { name: "persona.formal", filePath: b.filePath, scale: -0.4 },
    { name: "expertise.coding", filePath: c.filePath, scale: 1.0 },
  ];
  llama = await getLlama({ gpu: false, build: "never" });
});
afterAll(async () => {
  await llama.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/** Greedy token ids of a model file, optionally with runtime adapters. */
async function greedyTokens(modelPath: string, lora: { filePath: string; scale: number }[] = []): Promise<number[]> {
  const model = await llama.loadModel({ modelPath });
  try {
    const context = await model.createContext({ contextSize: 256, threads: 1, ...(lora.length ? { lora: { adapters: lora } } : {}) });
    const tokens: number[] = [];
    await new LlamaCompletion({ contextSequence: context.getSequence() }).generateCompletion(PROMPT, {
      maxTokens: 24,
      temperature: 0,
      onToken: (t) => tokens.push(...(t as number[])),
    });
    await context.dispose();
    return tokens;
  } finally {
    await model.dispose();
  }
}

describe("persona bake: exactness on an F32 fixture with three adapters", () => {
  it("the linear bake's greedy output equals the runtime blend token for token; TIES and DARE differ and repeat", async () => {
    const linear = await bakeModel({ basePath: info.filePath, baseName: "fixture", adapters, method: "linear", outPath: join(dir, "linear.gguf") });
    expect(linear.mergedTensors).toBe(2 * 7);
    const blend = await greedyTokens(info.filePath, adapters.map(({ filePath, scale }) => ({ filePath, scale })));
    const base = await greedyTokens(info.filePath);
    const baked = await greedyTokens(linear.outPath);
    expect(blend).toHaveLength(24);
    expect(blend).not.toEqual(base); // the adapters do change the output
    expect(baked).toEqual(blend);

    const ties = await bakeModel({ basePath: info.filePath, adapters, method: "ties", density: 0.3, outPath: join(dir, "ties.gguf") });
    const dare = await bakeModel({ basePath: info.filePath, adapters, method: "dare", density: 0.3, seed: 5, outPath: join(dir, "dare.gguf") });
    const tiesTokens = await greedyTokens(ties.outPath);
    const dareTokens = await greedyTokens(dare.outPath);
    expect(tiesTokens).not.toEqual(blend);
    expect(dareTokens).not.toEqual(blend);
    expect(dareTokens).not.toEqual(tiesTokens);
    // Deterministic: the same recipe gives the same tensors (the recipe's timestamp aside) and tokens.
    const dare2 = await bakeModel({ basePath: info.filePath, adapters, method: "dare", density: 0.3, seed: 5, outPath: join(dir, "dare2.gguf") });
    const ties2 = await bakeModel({ basePath: info.filePath, adapters, method: "ties", density: 0.3, outPath: join(dir, "ties2.gguf") });
    expect(await greedyTokens(dare2.outPath)).toEqual(dareTokens);
    expect(await greedyTokens(ties2.outPath)).toEqual(tiesTokens);
    const dare3 = await bakeModel({ basePath: info.filePath, adapters, method: "dare", density: 0.3, seed: 6, outPath: join(dir, "dare3.gguf") });
    expect(await sha256File(dare3.outPath)).not.toBe(await sha256File(dare2.outPath));
  }, 120_000);

  it("carries its recipe in the GGUF metadata, which matches the live blend within 1e-3", async () => {
    const out = join(dir, "recipe.gguf");
    await bakeModel({ basePath: info.filePath, baseName: "fixture", adapters, method: "linear", outPath: out, weights: { "persona.warmth": 0.85 } });
    const recipe = readBakeRecipe(out)!;
    expect(recipe.method).toBe("linear");
    expect(recipe.base).toEqual({ name: "fixture", file: "base.gguf", sha256: await sha256File(info.filePath) });
    expect(recipe.adapters.map((a) => [a.name, a.scale])).toEqual(adapters.map((a) => [a.name, a.scale]));
    expect(recipe.adapters[0]!.sha256).toBe(await sha256File(adapters[0]!.filePath));
    expect(recipe.weights).toEqual({ "persona.warmth": 0.85 });
    expect(recipe.type).toBe("F32");
    expect(statSync(out).size).toBeGreaterThan(statSync(info.filePath).size);
    expect(readBakeRecipe(info.filePath)).toBeUndefined();

    expect(recipeMatchesBlend(recipe, adapters)).toBe(true);
    expect(recipeMatchesBlend(recipe, adapters.map((a, i) => (i === 0 ? { ...a, scale: a.scale + 0.0009 } : a)))).toBe(true);
    expect(recipeMatchesBlend(recipe, adapters.map((a, i) => (i === 0 ? { ...a, scale: a.scale + 0.002 } : a)))).toBe(false);
    expect(recipeMatchesBlend(recipe, adapters.slice(1))).toBe(false);
    expect(recipeMatchesBlend(recipe, [...adapters, { name: "persona.playful", scale: 0 }])).toBe(true);
    expect(recipeMatchesBlend({ ...recipe, method: "ties" }, adapters)).toBe(false);
  });

  it("refuses a quantized base with the fix, and an adapter for another shape", async () => {
    const other = writeTinyLlamaGguf(join(dir, "other.gguf"), { seed: 2, embeddingLength: 64 });
    const wrong = writeLoraAdapterGguf(join(dir, "wrong.gguf"), { model: other, seed: 9, rank: 2 });
    await expect(bakeModel({ basePath: info.filePath, adapters: [{ name: "persona.warmth", filePath: wrong.filePath, scale: 1 }], method: "linear", outPath: join(dir, "x.gguf") })).rejects.toThrow(BakeError);
    await expect(bakeModel({ basePath: info.filePath, adapters: [], method: "linear", outPath: join(dir, "y.gguf") })).rejects.toThrow(/nothing to bake/);
  });
});

describe("merge arithmetic", () => {
  const pair = (a: number[], b: number[], rank: number, coefficient: number) => ({ a: Float32Array.from(a), b: Float32Array.from(b), rank, coefficient });
  it("TIES keeps the top fraction, elects the sign by mass and sums agreeing entries", () => {
    // n_in = 2, n_out = 2, rank 1: tau = c * b a^T laid out as rows of n_in.
    const p1 = pair([1, 0.1], [1, -2], 1, 1); // tau1 = [1, 0.1, -2, -0.2]
    const p2 = pair([-0.5, 1], [1, 1], 1, 1); // tau2 = [-0.5, 1, -0.5, 1]
    const out = mergedDelta("ties", [p1, p2], 2, 2, { density: 0.5, seed: 1, tensorName: "t" });
    // Keep 2 of 4 each: trimmed1 = [1, 0, -2, 0], trimmed2 = [0, 1, 0, 1].
    expect(Array.from(out)).toEqual([1, 1, -2, 1]);
    // A sign vote: tau3 = [-3, ...] outweighs tau1's +1 in entry 0, so tau1's entry is dropped there.
    const p3 = pair([-3, 0], [1, 0], 1, 1); // tau3 = [-3, 0, 0, 0]
    expect(Array.from(mergedDelta("ties", [p1, p3], 2, 2, { density: 0.5, seed: 1, tensorName: "t" }))).toEqual([-3, 0, -2, 0]);
    expect(Array.from(mergedDelta("linear", [p1, p2], 2, 2, { density: 1, seed: 1, tensorName: "t" })).map((v) => Number(v.toFixed(5)))).toEqual([0.5, 1.1, -2.5, 0.8]);
  });
  it("DARE with density 1 is the linear sum; lower density rescales what it keeps, repeatably", () => {
    const p = pair([1, 2, 3, 4], [1, 1], 1, 0.5);
    const lin = mergedDelta("linear", [p], 4, 2, { density: 1, seed: 1, tensorName: "t" });
    expect(mergedDelta("dare", [p], 4, 2, { density: 1, seed: 1, tensorName: "t" })).toEqual(lin);
    const d = mergedDelta("dare", [p], 4, 2, { density: 0.5, seed: 3, tensorName: "t" });
    expect(mergedDelta("dare", [p], 4, 2, { density: 0.5, seed: 3, tensorName: "t" })).toEqual(d);
    for (let i = 0; i < d.length; i++) expect([0, 2 * lin[i]!]).toContain(d[i]);
  });
  it("kthLargestMagnitude selects by absolute value", () => {
    expect(kthLargestMagnitude(Float32Array.from([3, -5, 1, 4, -2]), 2)).toBe(4);
    expect(kthLargestMagnitude(Float32Array.from([3, -5, 1]), 1)).toBe(5);
    expect(kthLargestMagnitude(Float32Array.from([3, -5, 1]), 3)).toBe(0);
  });
});
