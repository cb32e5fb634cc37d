/**
 * `persona bake`: base GGUF + the adapters' merged deltas -> one GGUF that runs at the base
 * model's speed (no adapters at run time), with its recipe in the metadata, then re-quantized
 * with llama.cpp's llama-quantize when the caller asks (the base's own type, for a quantized base).
 *
 * The base's target tensors must be F32 or F16 (a bake adds full-precision deltas; a quantized
 * base has to be baked from its unquantized twin, which the registry names). Every other tensor
 * and every metadata key is copied byte for byte. Written to "<out>.partial", fsynced and renamed,
 * so a crash never leaves a half file under the real name.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename } from "node:path";
import { runLlamaTool } from "../../llamaTools/runLlamaTool.js";
import { GGML_TYPE, ggufValue, readAt, readGgufHeader, encodeGgufHeader, tensorElements, type GgufHeader, type GgufTensorInfo } from "../../models/GgufHeader.js";
import { decodeFloatTensor, encodeFloatTensor } from "../../models/halfFloat.js";
import { sha256File } from "../../models/sha256File.js";
import { recipeKeyValue, BAKE_RECIPE_KEY } from "./bakeRecipe.js";
import { mergedDelta, type LoraPair } from "./mergeTaskVectors.js";
import type { BakeAdapter, BakeMethod, BakeRecipe } from "./types.js";

export class BakeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BakeError";
  }
}

/** llama.cpp's LLAMA_FTYPE values (general.file_type) and the llama-quantize name of each. */
const FILE_TYPE_NAMES: Record<number, string> = {
  0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K", 11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L",
  14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S", 17: "Q5_K_M", 18: "Q6_K", 32: "BF16",
};

/** A GGUF model's type as llama-quantize names it ("Q4_K_M"), from general.file_type. */
export function modelFileType(header: GgufHeader): string | undefined {
  const t = ggufValue(header, "general.file_type");
  return typeof t === "number" ? FILE_TYPE_NAMES[t] : undefined;
}

export interface BakeOptions {
  readonly basePath: string;
  /** Registry name of the base (recorded in the recipe); defaults to the file name. */
  readonly baseName?: string;
  /** Known sha256 of the base (from the registry or its lock); computed when absent. */
  readonly baseSha256?: string;
  readonly adapters: readonly BakeAdapter[];
  readonly method: BakeMethod;
  /** ties/dare: fraction kept (default 0.5). */
  readonly density?: number;
  /** dare: mask seed (default 1). */
  readonly seed?: number;
  readonly outPath: string;
  /** llama-quantize type to re-quantize to ("Q4_K_M"); undefined keeps the base's F32/F16. */
  readonly quantizeTo?: string;
  readonly threads?: number;
  readonly weights?: Readonly<Record<string, number>>;
  /** Called after each tensor (stage "merge") and around quantization (stage "quantize"). */
  readonly onProgress?: (stage: "merge" | "quantize", done: number, total: number) => void;
  /** Yield to the event loop this often (ms), so a node keeps serving while it bakes in the background. */
  readonly sliceMs?: number;
}

export interface BakeResult {
  readonly outPath: string;
  readonly recipe: BakeRecipe;
  readonly mergedTensors: number;
  readonly mergeSeconds: number;
  readonly quantizeSeconds: number;
}

interface ParsedAdapter {
  readonly adapter: BakeAdapter;
  readonly header: GgufHeader;
  readonly data: Buffer;
  readonly alpha: number;
  readonly tensors: ReadonlyMap<string, GgufTensorInfo>;
}

function loadAdapter(adapter: BakeAdapter, architecture: unknown): ParsedAdapter {
  const header = readGgufHeader(adapter.filePath);
  if (ggufValue(header, "adapter.type") !== "lora") throw new BakeError(`${adapter.filePath} is not a LoRA adapter (adapter.type is ${String(ggufValue(header, "adapter.type"))})`);
  if (ggufValue(header, "general.architecture") !== architecture) {
    throw new BakeError(`${adapter.filePath} is for architecture ${String(ggufValue(header, "general.architecture"))}, the base is ${String(architecture)}`);
  }
  for (const t of header.tensors) {
    if (t.type !== GGML_TYPE.F32 && t.type !== GGML_TYPE.F16) throw new BakeError(`${adapter.filePath}: tensor ${t.name} is quantized (ggml type ${t.type}); bake needs F32 or F16 adapters`);
  }
  const alpha = ggufValue(header, "adapter.lora.alpha");
  return { adapter, header, data: readFileSync(adapter.filePath), alpha: typeof alpha === "number" ? alpha : 0, tensors: new Map(header.tensors.map((t) => [t.name, t])) };
}

function adapterTensor(p: ParsedAdapter, t: GgufTensorInfo): Float32Array {
  const start = p.header.dataStart + t.offset;
  return decodeFloatTensor(p.data.subarray(start), t.type, tensorElements(t));
}

/** Each tensor's byte span in the data section (up to the next tensor: padding included). */
function tensorSpans(header: GgufHeader): Map<string, number> {
  const sorted = [...header.tensors].sort((a, b) => a.offset - b.offset);
  const dataBytes = header.fileSize - header.dataStart;
  return new Map(sorted.map((t, i) => [t.name, (sorted[i + 1]?.offset ?? dataBytes) - t.offset]));
}

export async function bakeModel(options: BakeOptions): Promise<BakeResult> {
  const method = options.method;
  const density = options.density ?? 0.5;
  const seed = options.seed ?? 1;
  if (method !== "linear" && !(density > 0 && density <= 1)) throw new BakeError(`density must lie in (0, 1], got ${density}`);
  if (options.adapters.length === 0) throw new BakeError("nothing to bake: no adapter has a non-zero scale (the base model alone is the bake)");
  const started = performance.now();
  const base = readGgufHeader(options.basePath);
  const architecture = ggufValue(base, "general.architecture");
  const adapters = options.adapters.map((a) => loadAdapter(a, architecture));

  const targets = base.tensors.filter((t) => adapters.some((p) => p.tensors.has(`${t.name}.lora_a`)));
  const unknown = adapters.flatMap((p) => [...p.tensors.keys()].filter((n) => n.endsWith(".lora_a") && !base.tensors.some((t) => `${t.name}.lora_a` === n)));
  if (unknown.length > 0) throw new BakeError(`adapter tensors ${unknown.slice(0, 3).join(", ")} have no matching tensor in the base ${options.basePath}`);
  for (const t of targets) {
    if (t.type !== GGML_TYPE.F32 && t.type !== GGML_TYPE.F16) {
      throw new BakeError(`the base ${basename(options.basePath)} is quantized (${t.name} has ggml type ${t.type}); bake from its unquantized (F16) twin and re-quantize, e.g. npm run models -- pull tinyllama-chat-f16`);
    }
  }

  const [baseSha256, ...adapterShas] = await Promise.all([options.baseSha256 ?? sha256File(options.basePath), ...options.adapters.map((a) => sha256File(a.filePath))]);
  const baseType = modelFileType(base) ?? "F32";
  const recipe: BakeRecipe = {
    version: 1,
    method,
    ...(method !== "linear" ? { density } : {}),
    ...(method === "dare" ? { seed } : {}),
    base: { name: options.baseName ?? basename(options.basePath), file: basename(options.basePath), sha256: baseSha256! },
    adapters: options.adapters.map((a, i) => ({ name: a.name, file: basename(a.filePath), sha256: adapterShas[i]!, scale: a.scale })),
    ...(options.weights ? { weights: options.weights } : {}),
    type: options.quantizeTo ?? baseType,
    created: new Date().toISOString(),
  };

  const kvs = [...base.kvs.filter((kv) => kv.key !== BAKE_RECIPE_KEY), recipeKeyValue(recipe)];
  const header = encodeGgufHeader(kvs, base.tensors, base.alignment);
  const unquantizedPath = options.quantizeTo ? `${options.outPath}.unquantized.partial` : `${options.outPath}.partial`;
  const spans = tensorSpans(base);
  const targetNames = new Set(targets.map((t) => t.name));
  const inFd = openSync(options.basePath, "r");
  const outFd = openSync(unquantizedPath, "w");
  let merged = 0;
  let sliceStart = performance.now();
  try {
    writeAll(outFd, header, 0);
    let done = 0;
    for (const t of base.tensors) {
      const span = spans.get(t.name)!;
      const bytes = readAt(inFd, base.dataStart + t.offset, span);
      if (targetNames.has(t.name)) {
        const [nIn, nOut] = t.dims as [number, number];
        const pairs: LoraPair[] = [];
        for (const p of adapters) {
          const ta = p.tensors.get(`${t.name}.lora_a`);
          const tb = p.tensors.get(`${t.name}.lora_b`);
          if (!ta || !tb) continue;
          const rank = ta.dims[1]!;
          if (ta.dims[0] !== nIn || tb.dims[0] !== rank || tb.dims[1] !== nOut) throw new BakeError(`${p.adapter.filePath}: ${t.name} has shape ${ta.dims}/${tb.dims}, the base has [${nIn}, ${nOut}]`);
          pairs.push({ a: adapterTensor(p, ta), b: adapterTensor(p, tb), rank, coefficient: p.alpha ? (p.adapter.scale * p.alpha) / rank : p.adapter.scale });
        }
        const delta = mergedDelta(method, pairs, nIn, nOut, { density, seed, tensorName: t.name });
        const w = decodeFloatTensor(bytes, t.type, nIn * nOut);
        for (let i = 0; i < w.length; i++) w[i]! += delta[i]!;
        const encoded = encodeFloatTensor(w, t.type);
        Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength).copy(bytes, 0);
        merged++;
      }
      writeAll(outFd, bytes, header.length + t.offset);
      options.onProgress?.("merge", ++done, base.tensors.length);
      if (options.sliceMs !== undefined && performance.now() - sliceStart >= options.sliceMs) {
        await new Promise((r) => setImmediate(r));
        sliceStart = performance.now();
      }
    }
    fsyncSync(outFd);
  } catch (error) {
    closeSync(outFd);
    closeSync(inFd);
    rmSync(unquantizedPath, { force: true });
    throw error;
  }
  closeSync(outFd);
  closeSync(inFd);
  const mergeSeconds = (performance.now() - started) / 1000;

  let quantizeSeconds = 0;
  if (options.quantizeTo) {
    const q0 = performance.now();
    const partial = `${options.outPath}.partial`;
    options.onProgress?.("quantize", 0, 1);
    try {
      await runLlamaTool("llama-quantize", [unquantizedPath, partial, options.quantizeTo, String(options.threads ?? 2)]);
    } finally {
      rmSync(unquantizedPath, { force: true });
    }
    options.onProgress?.("quantize", 1, 1);
    quantizeSeconds = (performance.now() - q0) / 1000;
  }
  renameSync(`${options.outPath}.partial`, options.outPath);
  return { outPath: options.outPath, recipe, mergedTensors: merged, mergeSeconds, quantizeSeconds };
}

function writeAll(fd: number, bytes: Uint8Array, position: number): void {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done, position + done);
}
