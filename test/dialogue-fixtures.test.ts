import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getLlama, LlamaCompletion, type Llama } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeLoraAdapterGguf, writeTinyLlamaGguf } from "./fixtures/gguf/index.js";

let dir: string;
let llama: Llama;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "gguf-fixture-"));
  llama = await getLlama({ gpu: false, build: "never" });
});
afterAll(async () => {
  await llama.dispose();
  rmSync(dir, { recursive: true, force: true });
});

async function greedy(modelPath: string, adapters: { filePath: string; scale: number }[]): Promise<string> {
  const model = await llama.loadModel({ modelPath });
  try {
    const context = await model.createContext({ contextSize: 256, threads: 1, lora: { adapters } });
    const completion = new LlamaCompletion({ contextSequence: context.getSequence() });
    const text = await completion.generateCompletion("The robot said hello to", { maxTokens: 12, temperature: 0 });
    await context.dispose();
    return text;
  } finally {
    await model.dispose();
  }
}

describe("GGUF fixture writers", () => {
  it("writes the same bytes for the same seed and different bytes for another seed", () => {
    const a = writeTinyLlamaGguf(join(dir, "a.gguf"), { seed: 3 });
    const b = writeTinyLlamaGguf(join(dir, "b.gguf"), { seed: 3 });
    const c = writeTinyLlamaGguf(join(dir, "c.gguf"), { seed: 4 });
    expect(readFileSync(a.filePath).equals(readFileSync(b.filePath))).toBe(true);
    expect(readFileSync(a.filePath).equals(readFileSync(c.filePath))).toBe(false);
  });

  it("grafts the real llama SentencePiece vocabulary and the model generates with it", async () => {
    const info = writeTinyLlamaGguf(join(dir, "spm.gguf"), { seed: 1 });
    // The bundle ships with node-llama-cpp, so the graft should work here; the fallback is for elsewhere.
    expect(info.vocab).toBe("llama-spm");
    expect(info.vocabSize).toBe(32000);
    const model = await llama.loadModel({ modelPath: info.filePath });
    const tokens = model.tokenize("hello world");
    expect(tokens.length).toBeGreaterThan(0);
    expect(tokens.length).toBeLessThan(5); // real subwords, not byte fallback
    await model.dispose();
  });

  it("writes a LoRA adapter that llama.cpp accepts and that changes greedy output", async () => {
    const info = writeTinyLlamaGguf(join(dir, "base.gguf"), { seed: 1 });
    const adapter = writeLoraAdapterGguf(join(dir, "lora.gguf"), { model: info, seed: 5, rank: 4 });
    const off = await greedy(info.filePath, [{ filePath: adapter.filePath, scale: 0 }]);
    const on = await greedy(info.filePath, [{ filePath: adapter.filePath, scale: 1 }]);
    const plain = await greedy(info.filePath, []);
    expect(off).toBe(plain); // scale 0 is skipped by llama.cpp
    expect(on).not.toBe(off);
  });

  it("falls back to a synthetic byte vocabulary that tokenizes any text", async () => {
    const info = writeTinyLlamaGguf(join(dir, "syn.gguf"), { vocab: "synthetic", headCount: 2, headCountKv: 1 });
    expect(info.vocab).toBe("synthetic");
    const model = await llama.loadModel({ modelPath: info.filePath });
    expect(model.detokenize(model.tokenize("héllo robot"))).toContain("llo robot");
    await model.dispose();
  });

  it("rejects shapes llama.cpp would abort on", () => {
    expect(() => writeTinyLlamaGguf(join(dir, "bad.gguf"), { embeddingLength: 30, headCount: 4 })).toThrow(/multiple of headCount/);
  });
});
