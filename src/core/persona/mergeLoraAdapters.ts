/**
 * Merges several LoRA adapters, each at its own scale, into ONE adapter that computes exactly the
 * same sum. llama.cpp applies stacked adapters as separate small graph operations per target matrix,
 * and on a GPU each stacked adapter costs about as much as the next (1.3-1.5 ms per token on an H100
 * for TinyLlama, whatever its rank: docs/gpu.md); one adapter of the summed rank costs like one.
 *
 *   sum_i c_i B_i (A_i x)  =  B' (A' x),   A' = [A_1; A_2; ...] (ranks stacked),
 *                                          B' = [c_1 B_1, c_2 B_2, ...] (side by side),
 *   c_i = scale_i * alpha_i / rank_i (scale_i when the file has no alpha), as llama.cpp's get_scale.
 *
 * The merged file has no alpha and is applied at scale 1. Only F32/F16 adapters can be merged;
 * anything else throws LoraMergeUnsupportedError and the caller stacks them instead.
 */
import { readFileSync } from "node:fs";
import { GGML_TYPE, ggufValue, readGgufHeader, stringKeyValue, tensorElements, type GgufTensorInfo, writeGgufFile } from "../models/GgufHeader.js";
import { decodeFloatTensor, encodeFloatTensor } from "../models/halfFloat.js";

export class LoraMergeUnsupportedError extends Error {
  constructor(file: string, detail: string) {
    super(`cannot merge LoRA adapter ${file}: ${detail}; the adapters are applied stacked instead`);
    this.name = "LoraMergeUnsupportedError";
  }
}

const F32 = GGML_TYPE.F32;
const F16 = GGML_TYPE.F16;

interface ParsedAdapter {
  readonly file: string;
  readonly architecture: string;
  readonly alpha: number;
  readonly tensors: Map<string, GgufTensorInfo>;
  readonly data: Buffer;
  readonly dataStart: number;
}

function parseAdapter(file: string): ParsedAdapter {
  let header;
  try {
    header = readGgufHeader(file);
  } catch (error) {
    throw new LoraMergeUnsupportedError(file, (error as Error).message);
  }
  const adapterType = ggufValue(header, "adapter.type");
  if (adapterType !== undefined && adapterType !== "lora") throw new LoraMergeUnsupportedError(file, `adapter.type is ${String(adapterType)}, not lora`);
  for (const t of header.tensors) {
    if (t.type !== F32 && t.type !== F16) throw new LoraMergeUnsupportedError(file, `tensor ${t.name} has ggml type ${t.type} (only F32 and F16 merge)`);
  }
  const alpha = ggufValue(header, "adapter.lora.alpha");
  return {
    file,
    architecture: String(ggufValue(header, "general.architecture") ?? ""),
    alpha: typeof alpha === "number" ? alpha : 0,
    tensors: new Map(header.tensors.map((t) => [t.name, t])),
    data: readFileSync(file),
    dataStart: header.dataStart,
  };
}

function readTensor(a: ParsedAdapter, t: GgufTensorInfo): Float32Array {
  return decodeFloatTensor(a.data.subarray(a.dataStart + t.offset), t.type, tensorElements(t));
}

export interface MergeInput {
  readonly filePath: string;
  readonly scale: number;
}

export interface MergeResult {
  readonly filePath: string;
  readonly rank: number;
  readonly targets: number;
  readonly bytes: number;
}

/** Writes the merged adapter to outPath (F16 when every input is F16, else F32). */
export function mergeLoraAdapters(inputs: readonly MergeInput[], outPath: string): MergeResult {
  const steps = mergeSteps(inputs, outPath);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/**
 * The same merge, yielding to the event loop every few milliseconds, so that a reply being
 * generated while a new persona's adapter is merged keeps streaming (slower) instead of pausing.
 */
export async function mergeLoraAdaptersAsync(inputs: readonly MergeInput[], outPath: string, sliceMs = 4): Promise<MergeResult> {
  const steps = mergeSteps(inputs, outPath);
  let sliceStart = performance.now();
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    if (performance.now() - sliceStart >= sliceMs) {
      await new Promise((resolve) => setImmediate(resolve));
      sliceStart = performance.now();
    }
  }
}

/** The merge as steps: one per target matrix, then the write. */
function* mergeSteps(inputs: readonly MergeInput[], outPath: string): Generator<void, MergeResult> {
  if (inputs.length === 0) throw new Error("mergeLoraAdapters needs at least one adapter");
  const adapters = inputs.map((i) => parseAdapter(i.filePath));
  const architecture = adapters[0]!.architecture;
  for (const a of adapters) if (a.architecture !== architecture) throw new LoraMergeUnsupportedError(a.file, `architecture ${a.architecture} differs from ${architecture}`);
  const allF16 = adapters.every((a) => [...a.tensors.values()].every((t) => t.type === F16));
  const outType = allF16 ? F16 : F32;

  // Targets in first-seen order; an adapter that lacks a target simply contributes nothing to it.
  const targets: string[] = [];
  const seen = new Set<string>();
  for (const a of adapters) {
    for (const name of a.tensors.keys()) {
      if (!name.endsWith(".lora_a")) continue;
      const base = name.slice(0, -".lora_a".length);
      if (!seen.has(base)) {
        seen.add(base);
        targets.push(base);
      }
    }
  }

  const outTensors: Array<{ name: string; dims: number[]; values: Float32Array }> = [];
  let maxRank = 0;
  for (const base of targets) {
    const parts: Array<{ a: Float32Array; b: Float32Array; r: number; c: number }> = [];
    let nIn = 0;
    let nOut = 0;
    adapters.forEach((adapter, k) => {
      const ta = adapter.tensors.get(`${base}.lora_a`);
      const tb = adapter.tensors.get(`${base}.lora_b`);
      if (!ta || !tb) return;
      const [inDim, r] = ta.dims as [number, number];
      const [rb, outDim] = tb.dims as [number, number];
      if (r !== rb) throw new LoraMergeUnsupportedError(adapter.file, `${base}: lora_a rank ${r} differs from lora_b rank ${rb}`);
      if ((nIn && nIn !== inDim) || (nOut && nOut !== outDim)) throw new LoraMergeUnsupportedError(adapter.file, `${base}: shape differs between adapters`);
      nIn = inDim;
      nOut = outDim;
      const c = adapter.alpha ? (inputs[k]!.scale * adapter.alpha) / r : inputs[k]!.scale;
      parts.push({ a: readTensor(adapter, ta), b: readTensor(adapter, tb), r, c });
    });
    if (parts.length === 0) continue;
    const rank = parts.reduce((s, p) => s + p.r, 0);
    maxRank = Math.max(maxRank, rank);
    // A': r rows of n_in values each, adapters' rows one after another.
    const a = new Float32Array(rank * nIn);
    let row = 0;
    for (const p of parts) {
      a.set(p.a, row * nIn);
      row += p.r;
    }
    // B': n_out rows of `rank` values; row j is c_1 B_1[j,:] then c_2 B_2[j,:] ...
    const b = new Float32Array(nOut * rank);
    for (let j = 0; j < nOut; j++) {
      let col = 0;
      for (const p of parts) {
        for (let q = 0; q < p.r; q++) b[j * rank + col + q] = p.c * p.b[j * p.r + q]!;
        col += p.r;
      }
    }
    outTensors.push({ name: `${base}.lora_a`, dims: [nIn, rank], values: a }, { name: `${base}.lora_b`, dims: [rank, nOut], values: b });
    yield;
  }

  const bytes = writeAdapter(outPath, architecture, outTensors, outType);
  return { filePath: outPath, rank: maxRank, targets: outTensors.length / 2, bytes };
}

function writeAdapter(path: string, architecture: string, tensors: ReadonlyArray<{ name: string; dims: number[]; values: Float32Array }>, type: number): number {
  const kvs = [
    stringKeyValue("general.architecture", architecture),
    stringKeyValue("general.type", "adapter"),
    stringKeyValue("general.name", "merged-persona-lora"),
    stringKeyValue("adapter.type", "lora"),
  ];
  return writeGgufFile(path, kvs, tensors.map((t) => ({ name: t.name, dims: t.dims, type, data: encodeFloatTensor(t.values, type) })));
}
