import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getLlama, LlamaCompletion, type Llama, type LlamaModel } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mergeLoraAdapters, LoraMergeUnsupportedError } from "../src/core/persona/mergeLoraAdapters.js";
import { DialogueEngine } from "../src/core/dialogue/DialogueEngine.js";
import { loadPersonaSpec } from "../src/core/persona/PersonaSpec.js";
import { adapterMix } from "../src/core/persona/blendPersona.js";
import { writeLoraAdapterGguf, writeTinyLlamaGguf, type TinyLlamaModelInfo } from "./fixtures/gguf/index.js";
import { writeFileSync } from "node:fs";

let dir: string;
let llama: Llama;
let info: TinyLlamaModelInfo;
let model: LlamaModel;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "lora-merge-"));
  info = writeTinyLlamaGguf(join(dir, "base.gguf"), { seed: 31 });
  llama = await getLlama({ gpu: false, build: "never" });
  model = await llama.loadModel({ modelPath: info.filePath });
});
afterAll(async () => {
  await model.dispose();
  await llama.dispose();
  rmSync(dir, { recursive: true, force: true });
});

async function greedy(adapters: { filePath: string; scale: number }[]): Promise<string> {
  const context = await model.createContext({ contextSize: 256, threads: 1, ...(adapters.length ? { lora: { adapters } } : {}) });
  const text = await new LlamaCompletion({ contextSequence: context.getSequence() }).generateCompletion("The robot picked up the", { maxTokens: 16, temperature: 0 });
  await context.dispose();
  return text;
}

describe("merging LoRA adapters into one", () => {
  it("gives the same greedy output as the adapters stacked (alpha, negative scales, partial targets)", async () => {
    const a = writeLoraAdapterGguf(join(dir, "a.gguf"), { model: info, seed: 1, rank: 4, alpha: 8 });
    const b = writeLoraAdapterGguf(join(dir, "b.gguf"), { model: info, seed: 2, rank: 2 });
    const c = writeLoraAdapterGguf(join(dir, "c.gguf"), { model: info, seed: 3, rank: 3, targets: ["attn_q", "attn_v", "ffn_down"] });
    const inputs = [
      { filePath: a.filePath, scale: 0.7 },
      { filePath: b.filePath, scale: -0.4 },
      { filePath: c.filePath, scale: 1.0 },
    ];
    const merged = mergeLoraAdapters(inputs, join(dir, "merged.gguf"));
    expect(merged.rank).toBe(9);
    const stacked = await greedy(inputs);
    const single = await greedy([{ filePath: merged.filePath, scale: 1 }]);
    const none = await greedy([]);
    expect(stacked).not.toBe(none);
    expect(single).toBe(stacked);
  });

  it("merges f16 adapters into an f16 adapter that llama.cpp loads", async () => {
    const a = writeLoraAdapterGguf(join(dir, "a16.gguf"), { model: info, seed: 4, rank: 4, tensorType: "f16" });
    const b = writeLoraAdapterGguf(join(dir, "b16.gguf"), { model: info, seed: 5, rank: 4, tensorType: "f16" });
    const merged = mergeLoraAdapters([{ filePath: a.filePath, scale: 0.5 }, { filePath: b.filePath, scale: 0.5 }], join(dir, "m16.gguf"));
    expect(await greedy([{ filePath: merged.filePath, scale: 1 }])).not.toBe(await greedy([]));
  });

  it("refuses what it cannot merge, so the caller stacks instead", () => {
    writeFileSync(join(dir, "junk.gguf"), "not a gguf");
    expect(() => mergeLoraAdapters([{ filePath: join(dir, "junk.gguf"), scale: 1 }], join(dir, "x.gguf"))).toThrow(LoraMergeUnsupportedError);
  });

  it("the engine with mergeAdapters replies exactly as with stacked adapters", async () => {
    const spec = loadPersonaSpec(join(import.meta.dirname, "..", "configs", "personas", "teaching_assistant.yaml"));
    const files = [1, 2, 3].map((i) => writeLoraAdapterGguf(join(dir, `e${i}.gguf`), { model: info, seed: 40 + i, rank: 4 }).filePath);
    const adapters = files.map((filePath, i) => ({ name: `a${i}`, filePath, scale: [0.8, -0.5, 0.6][i]! }));
    const reply = async (mergeAdapters: boolean) => {
      const engine = await DialogueEngine.open({ modelPath: info.filePath, runtime: { ...spec.runtime, gpu: false, threads: 1, contextSize: 512, mergeAdapters }, llama });
      const r = await engine.generate({ mix: adapterMix(adapters), prompt: { system: "You are Robo.", history: [], user: "hello" }, maxTokens: 16, temperature: 0, topP: 1, stop: [] });
      const stats = engine.cacheStats();
      await engine.close();
      return { text: r.text, merged: stats.mergedAdapters };
    };
    const stacked = await reply(false);
    const merged = await reply(true);
    expect(stacked.merged).toBe(0);
    expect(merged.merged).toBe(1);
    expect(merged.text).toBe(stacked.text);
  });
});
