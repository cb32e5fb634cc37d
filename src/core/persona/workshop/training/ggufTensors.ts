/**
 * Reads F32 weight tensors out of a GGUF model (node-llama-cpp's readGgufFileInfo gives names, dims,
 * types and file offsets) and writes a LoRA adapter GGUF in the layout llama.cpp loads:
 * general.type=adapter, adapter.type=lora, adapter.lora.alpha, and per target
 * `<weight>.lora_a` with dims [n_in, r] and `<weight>.lora_b` with dims [r, n_out].
 */
import { closeSync, openSync, readSync } from "node:fs";
import { readGgufFileInfo } from "node-llama-cpp";
import { f32KeyValue, stringKeyValue, u32KeyValue, writeGgufFile } from "../../../models/GgufHeader.js";

const GGML_F32 = 0;
const ALIGNMENT = 32;

export interface GgufTensorRef {
  readonly name: string;
  /** ggml order, innermost first: a weight mapping n_in to n_out is [n_in, n_out]. */
  readonly dims: readonly number[];
  readonly ggmlType: number;
  readonly fileOffset: number;
}

export interface GgufModelTensors {
  readonly architecture: string;
  readonly fileType: number | undefined;
  readonly tensors: ReadonlyMap<string, GgufTensorRef>;
}

export class QuantizedBaseError extends Error {
  constructor(file: string, detail: string) {
    super(
      `${file} is not a full-precision model (${detail}). llama-finetune trains F32 models only and the adapter is extracted from F32 weights: ` +
        `pull the F16 entry of this model (or convert it to F16/F32 with llama.cpp's convert script) and train from that`,
    );
    this.name = "QuantizedBaseError";
  }
}

export async function readModelTensors(file: string): Promise<GgufModelTensors> {
  const info = await readGgufFileInfo(file, { logWarnings: false, ignoreKeys: ["tokenizer.ggml.tokens", "tokenizer.ggml.scores", "tokenizer.ggml.token_type", "tokenizer.ggml.merges"] });
  const tensors = new Map<string, GgufTensorRef>();
  for (const t of info.fullTensorInfo ?? info.tensorInfo ?? []) {
    tensors.set(t.name, { name: t.name, dims: t.dimensions.map(Number), ggmlType: Number(t.ggmlType), fileOffset: Number(t.fileOffset) });
  }
  const general = info.metadata.general as { architecture?: string; file_type?: number } | undefined;
  return { architecture: String(general?.architecture ?? "llama"), fileType: general?.file_type === undefined ? undefined : Number(general.file_type), tensors };
}

/** The 2-D weights that are not F32 or F16 (quantized): training from such a base is refused. */
export function quantizedWeights(model: GgufModelTensors): string[] {
  return [...model.tensors.values()].filter((t) => t.dims.length === 2 && t.ggmlType !== 0 && t.ggmlType !== 1).map((t) => t.name);
}

export function readF32Tensor(file: string, tensor: GgufTensorRef): Float32Array {
  if (tensor.ggmlType !== GGML_F32) throw new Error(`${file}: tensor ${tensor.name} has ggml type ${tensor.ggmlType}, expected F32`);
  const count = tensor.dims.reduce((a, b) => a * b, 1);
  const out = new Float32Array(count);
  const bytes = new Uint8Array(out.buffer);
  const fd = openSync(file, "r");
  try {
    let done = 0;
    while (done < bytes.length) {
      const n = readSync(fd, bytes, done, bytes.length - done, tensor.fileOffset + done);
      if (n === 0) throw new Error(`${file}: tensor ${tensor.name} is truncated`);
      done += n;
    }
  } finally {
    closeSync(fd);
  }
  return out;
}

export type AdapterMetadataValue = { readonly type: "string"; readonly value: string } | { readonly type: "f32"; readonly value: number } | { readonly type: "u32"; readonly value: number };

export interface LoraTensorPair {
  /** The base weight's name, e.g. blk.0.attn_q.weight. */
  readonly target: string;
  readonly nIn: number;
  readonly nOut: number;
  readonly rank: number;
  /** r rows of n_in values. */
  readonly a: Float32Array;
  /** n_out rows of r values. */
  readonly b: Float32Array;
}

/**
 * Writes an F32 LoRA adapter; returns its size in bytes. Without alpha llama.cpp applies B·A at
 * exactly the context's scale, whatever each target's rank (with alpha it would be alpha / rank).
 */
export function writeLoraAdapter(file: string, architecture: string, alpha: number | undefined, pairs: readonly LoraTensorPair[], extra: ReadonlyArray<readonly [string, AdapterMetadataValue]> = []): number {
  const tensors = pairs.flatMap((p) => [
    { name: `${p.target}.lora_a`, dims: [p.nIn, p.rank], values: p.a },
    { name: `${p.target}.lora_b`, dims: [p.rank, p.nOut], values: p.b },
  ]);
  const metadata: Array<readonly [string, AdapterMetadataValue]> = [
    ["general.architecture", { type: "string", value: architecture }],
    ["general.type", { type: "string", value: "adapter" }],
    ["general.alignment", { type: "u32", value: ALIGNMENT }],
    ["adapter.type", { type: "string", value: "lora" }],
    ...(alpha === undefined ? [] : [["adapter.lora.alpha", { type: "f32", value: alpha }] as const]),
    ...extra,
  ];
  // The header bytes come from the one GGUF writer (src/core/models/GgufHeader.ts).
  const kvs = metadata.map(([key, v]) => (v.type === "string" ? stringKeyValue(key, v.value) : v.type === "u32" ? u32KeyValue(key, v.value) : f32KeyValue(key, v.value)));
  const data = tensors.map((t) => ({ name: t.name, dims: t.dims, type: GGML_F32, data: new Uint8Array(t.values.buffer, t.values.byteOffset, t.values.byteLength) }));
  return writeGgufFile(file, kvs, data, ALIGNMENT);
}
