/**
 * bench:dialogue's bake figures (same run, same prompt as the rest): generation tokens/s of the
 * base alone, 3 stacked adapters, the 3 merged into one adapter, and the linear bake (no adapters);
 * bake seconds for the benchmark model and, with --bake-tinyllama, for a TinyLlama-shaped F16
 * model with random weights re-quantized to Q4_K_M; pull throughput from a loopback mirror.
 */
import { mkdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Llama, LlamaContextSequence, LlamaModel } from "node-llama-cpp";
import { bakeModel } from "../src/core/persona/bake/bakeModel.js";
import { mergeLoraAdapters } from "../src/core/persona/mergeLoraAdapters.js";
import { ModelRegistry } from "../src/core/persona/ModelRegistry.js";
import { ModelLock } from "../src/core/models/ModelLock.js";
import { pullModel } from "../src/core/models/pullModel.js";
import { TINYLLAMA_1_1B_SHAPE, writeLoraAdapterGguf, writeTinyLlamaGguf } from "../test/fixtures/gguf/index.js";
import { LoopbackMirror } from "../test/fixtures/mirror/LoopbackMirror.js";
import { median, round } from "./benchMath.js";

type Generate = (sequence: LlamaContextSequence, prompt: number[], maxTokens: number, clear: boolean) => Promise<{ tokens: number; firstMs: number; wallMs: number }>;

export interface BakeBenchInput {
  readonly llama: Llama;
  readonly model: LlamaModel;
  readonly modelPath: string;
  readonly adapters: ReadonlyArray<{ name: string; filePath: string; scale: number }>;
  readonly promptTokens: number[];
  readonly tokens: number;
  readonly runs: number;
  readonly threads: number;
  readonly out: string;
  readonly tinyllama: boolean;
  readonly generate: Generate;
  readonly log: (line: string) => void;
}


export async function bakeFigures(input: BakeBenchInput) {
  const { log } = input;
  const bakeDir = join(input.out, "bake");
  mkdirSync(bakeDir, { recursive: true });

  // ---- bake the benchmark model (linear) and merge the three adapters into one ----
  const cpuSeconds = (since: NodeJS.CpuUsage) => {
    const u = process.cpuUsage(since);
    return (u.user + u.system) / 1e6;
  };
  // CPU seconds beside wall seconds: on a shared machine the wall time mostly measures the others' load.
  let cpu0 = process.cpuUsage();
  const baked = await bakeModel({ basePath: input.modelPath, baseName: "bench", adapters: input.adapters, method: "linear", outPath: join(bakeDir, "linear.gguf") });
  const bakeCpuS = cpuSeconds(cpu0);
  log(`linear bake of the benchmark model: ${baked.mergeSeconds.toFixed(2)} s wall, ${bakeCpuS.toFixed(2)} s CPU (${baked.mergedTensors} tensors)`);
  const merged = mergeLoraAdapters(input.adapters.map((a) => ({ filePath: a.filePath, scale: a.scale })), join(bakeDir, "merged-lora.gguf"));
  const bakedModel = await input.llama.loadModel({ modelPath: baked.outPath });

  const ctx = (model: LlamaModel, lora?: { filePath: string; scale: number }[]) =>
    model.createContext({ contextSize: 1024, sequences: 1, ...(input.threads > 0 ? { threads: input.threads } : {}), ...(lora ? { lora: { adapters: lora } } : {}) });
  const variants = [
    { name: "base", context: await ctx(input.model) },
    { name: "stacked_3", context: await ctx(input.model, input.adapters.map((a) => ({ filePath: a.filePath, scale: a.scale }))) },
    { name: "merged_1", context: await ctx(input.model, [{ filePath: merged.filePath, scale: 1 }]) },
    { name: "baked", context: await ctx(bakedModel) },
  ];
  const sequences = variants.map((v) => v.context.getSequence());
  for (const s of sequences) await input.generate(s, input.promptTokens, 4, true);
  const gen: number[][] = variants.map(() => []);
  // Round robin, so load from elsewhere on the machine hits every variant alike.
  for (let rep = 0; rep < Math.max(3, input.runs); rep++) {
    for (let k = 0; k < variants.length; k++) {
      const r = await input.generate(sequences[k]!, input.promptTokens, input.tokens, true);
      if (r.tokens > 1) gen[k]!.push((r.tokens - 1) / ((r.wallMs - r.firstMs) / 1000));
    }
  }
  for (const v of variants) await v.context.dispose();
  await bakedModel.dispose();
  const tps = Object.fromEntries(variants.map((v, k) => [v.name, round(median(gen[k]!), 2)])) as Record<"base" | "stacked_3" | "merged_1" | "baked", number>;
  log(`generation tok/s: base ${tps.base}, 3 stacked ${tps.stacked_3}, merged into one ${tps.merged_1}, linear bake ${tps.baked}`);

  // ---- pull throughput from a loopback mirror (the benchmark model, through node-llama-cpp's downloader) ----
  const mirror = await LoopbackMirror.start({ files: { "/bench/model-GGUF/resolve/main/model.gguf": input.modelPath } });
  let pull;
  try {
    const home = join(bakeDir, "pull");
    rmSync(home, { recursive: true, force: true });
    const registry = ModelRegistry.fromObject({ root: ".", models: { m: { path: "model.gguf", uri: "hf:bench/model-GGUF/model.gguf" } } }, home);
    const r = await pullModel(registry.entry("m")!, { lock: ModelLock.read(registry.lockPath), hfEndpoint: mirror.url });
    pull = { bytes: r.bytes, seconds: round(r.seconds, 2), mb_per_s: round(r.bytes / 1e6 / r.seconds, 1) };
    log(`pull from the loopback mirror: ${(r.bytes / 1e6).toFixed(0)} MB in ${r.seconds.toFixed(2)} s (download + sha256)`);
    rmSync(home, { recursive: true, force: true });
  } finally {
    await mirror.close();
  }

  // ---- a TinyLlama-shaped F16 bake with re-quantization (2.2 GB written, then deleted) ----
  let tinyllama;
  if (input.tinyllama) {
    const dir = join(input.out, "tinyllama-bake");
    mkdirSync(dir, { recursive: true });
    try {
      let t = performance.now();
      const base = writeTinyLlamaGguf(join(dir, "base-f16.gguf"), { ...TINYLLAMA_1_1B_SHAPE, seed: 3, tensorType: "f16", tiedOutput: false, weightStd: 0.02, minVocabSize: 32000 });
      const adapters = ["persona.warmth", "persona.encouragement", "expertise.teaching"].map((name, i) => ({
        name,
        filePath: writeLoraAdapterGguf(join(dir, `${name}.gguf`), { model: base, seed: 70 + i, rank: 16, tensorType: "f16", weightStd: 0.02 }).filePath,
        scale: [0.8, 0.8, 0.8][i]!,
      }));
      log(`wrote a TinyLlama-shaped F16 model (${(base.bytes / 1e9).toFixed(2)} GB) and 3 rank-16 adapters in ${((performance.now() - t) / 1000).toFixed(1)} s`);
      t = performance.now();
      cpu0 = process.cpuUsage();
      const r = await bakeModel({ basePath: base.filePath, adapters, method: "linear", outPath: join(dir, "baked-q4km.gguf"), quantizeTo: "Q4_K_M", threads: 2 });
      const total = (performance.now() - t) / 1000;
      const mergeCpuS = cpuSeconds(cpu0); // this process only: llama-quantize runs as a child
      tinyllama = { parameters_m: round(base.parameters / 1e6, 1), base_bytes: base.bytes, adapters: 3, rank: 16, merge_s: round(r.mergeSeconds, 1), merge_cpu_s: round(mergeCpuS, 1), quantize_s: round(r.quantizeSeconds, 1), total_s: round(total, 1), output_bytes: statSync(r.outPath).size };
      log(`TinyLlama-shaped bake: merge ${r.mergeSeconds.toFixed(1)} s, quantize to Q4_K_M ${r.quantizeSeconds.toFixed(1)} s`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  return {
    tokens_per_s: tps,
    baked_over_base: round(tps.baked / tps.base),
    stacked_over_base: round(tps.stacked_3 / tps.base),
    merged_over_base: round(tps.merged_1 / tps.base),
    bake_s_bench_model: round(baked.mergeSeconds, 2),
    bake_cpu_s_bench_model: round(bakeCpuS, 2),
    pull,
    ...(tinyllama ? { tinyllama_f16_bake: tinyllama } : {}),
    targets: { baked_ge_0_97_of_base: tps.baked / tps.base >= 0.97 },
  };
}
