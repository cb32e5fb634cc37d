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
import { closeSync, openSync, readFileSync, writeSync } from "node:fs";

export class LoraMergeUnsupportedError extends Error {
  constructor(file: string, detail: string) {
    super(`cannot merge LoRA adapter ${file}: ${detail}; the adapters are applied stacked instead`);
    this.name = "LoraMergeUnsupportedError";
  }
}

interface TensorInfo {
  readonly name: string;
  readonly dims: number[];
  readonly type: number;
  readonly offset: number;
}

interface ParsedAdapter {
  readonly file: string;
  readonly architecture: string;
  readonly alpha: number;
  readonly tensors: Map<string, TensorInfo>;
  readonly data: Buffer;
  readonly dataStart: number;
}

const F32 = 0;
const F16 = 1;
const SCALAR_SIZE: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };

function parseAdapter(file: string): ParsedAdapter {
  const buf = readFileSync(file);
  if (buf.toString("ascii", 0, 4) !== "GGUF") throw new LoraMergeUnsupportedError(file, "not a GGUF file");
  let pos = 8;
  const u64 = () => {
    const v = Number(buf.readBigUInt64LE(pos));
    pos += 8;
    return v;
  };
  const str = () => {
    const n = u64();
    const s = buf.toString("utf8", pos, pos + n);
    pos += n;
    return s;
  };
  const tensorCount = u64();
  const kvCount = u64();
  let architecture = "";
  let alpha = 0;
  let alignment = 32;
  const skip = (type: number): unknown => {
    if (type === 8) return str();
    if (type === 9) {
      const elem = buf.readUInt32LE(pos);
      pos += 4;
      const n = u64();
      for (let i = 0; i < n; i++) skip(elem);
      return undefined;
    }
    const size = SCALAR_SIZE[type];
    if (size === undefined) throw new LoraMergeUnsupportedError(file, `unknown metadata type ${type}`);
    let value: unknown;
    if (type === 6) value = buf.readFloatLE(pos);
    else if (type === 4) value = buf.readUInt32LE(pos);
    else if (type === 5) value = buf.readInt32LE(pos);
    else if (type === 12) value = buf.readDoubleLE(pos);
    pos += size;
    return value;
  };
  for (let i = 0; i < kvCount; i++) {
    const key = str();
    const type = buf.readUInt32LE(pos);
    pos += 4;
    const value = skip(type);
    if (key === "general.architecture") architecture = String(value);
    else if (key === "adapter.lora.alpha" && typeof value === "number") alpha = value;
    else if (key === "general.alignment" && typeof value === "number") alignment = value;
    else if (key === "adapter.type" && value !== "lora") throw new LoraMergeUnsupportedError(file, `adapter.type is ${String(value)}, not lora`);
  }
  const tensors = new Map<string, TensorInfo>();
  for (let i = 0; i < tensorCount; i++) {
    const name = str();
    const nDims = buf.readUInt32LE(pos);
    pos += 4;
    const dims: number[] = [];
    for (let d = 0; d < nDims; d++) dims.push(u64());
    const type = buf.readUInt32LE(pos);
    pos += 4;
    const offset = u64();
    if (type !== F32 && type !== F16) throw new LoraMergeUnsupportedError(file, `tensor ${name} has ggml type ${type} (only F32 and F16 merge)`);
    tensors.set(name, { name, dims, type, offset });
  }
  const dataStart = Math.ceil(pos / alignment) * alignment;
  return { file, architecture, alpha, tensors, data: buf, dataStart };
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
function halfToFloat(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) {
    if (mant === 0) {
      u32[0] = sign;
      return f32[0]!;
    }
    return (sign ? -1 : 1) * mant * 2 ** -24;
  }
  if (exp === 31) u32[0] = sign | 0x7f800000 | (mant << 13);
  else u32[0] = sign | ((exp - 15 + 127) << 23) | (mant << 13);
  return f32[0]!;
}
let halfTable: Float32Array | undefined;
/** All 65536 halves as floats: a lookup is far faster than decoding bits per element. */
function halves(): Float32Array {
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) halfTable[h] = halfToFloat(h);
  }
  return halfTable;
}

/** Float32 to IEEE half, round to nearest, in one tight loop over the bits (no call per element). */
function toHalves(values: Float32Array): Uint16Array {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < bits.length; i++) {
    const x = bits[i]!;
    const sign = (x >>> 16) & 0x8000;
    const exp = ((x >>> 23) & 0xff) - 112; // rebias 127 -> 15
    const mant = x & 0x7fffff;
    if (exp <= 0) {
      out[i] = exp < -10 ? sign : sign | ((((mant | 0x800000) >>> (1 - exp)) + 0x1000) >>> 13);
    } else if (exp >= 31) {
      out[i] = sign | 0x7c00;
    } else {
      out[i] = (sign | (exp << 10) | (mant >>> 13)) + ((mant >>> 12) & 1);
    }
  }
  return out;
}

function readTensor(a: ParsedAdapter, t: TensorInfo): Float32Array {
  const n = t.dims.reduce((x, y) => x * y, 1);
  const start = a.dataStart + t.offset;
  const size = t.type === F32 ? 4 : 2;
  // Copy into a fresh (aligned) buffer, then view it as typed values.
  const bytes = new Uint8Array(a.data.subarray(start, start + n * size));
  if (t.type === F32) return new Float32Array(bytes.buffer, 0, n);
  const h = new Uint16Array(bytes.buffer, 0, n);
  const table = halves();
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = table[h[i]!]!;
  return out;
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
  const chunks: Buffer[] = [];
  const u32b = (v: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    chunks.push(b);
  };
  const u64b = (v: number) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    chunks.push(b);
  };
  const strb = (s: string) => {
    const bytes = Buffer.from(s, "utf8");
    u64b(bytes.length);
    chunks.push(bytes);
  };
  const kvString = (key: string, value: string) => {
    strb(key);
    u32b(8);
    strb(value);
  };
  chunks.push(Buffer.from("GGUF", "ascii"));
  u32b(3);
  u64b(tensors.length);
  u64b(4);
  kvString("general.architecture", architecture);
  kvString("general.type", "adapter");
  kvString("general.name", "merged-persona-lora");
  kvString("adapter.type", "lora");
  const elemSize = type === F16 ? 2 : 4;
  const align = (n: number) => Math.ceil(n / 32) * 32;
  let offset = 0;
  for (const t of tensors) {
    strb(t.name);
    u32b(t.dims.length);
    for (const d of t.dims) u64b(d);
    u32b(type);
    u64b(offset);
    offset += align(t.values.length * elemSize);
  }
  let header = Buffer.concat(chunks);
  header = Buffer.concat([header, Buffer.alloc(align(header.length) - header.length)]);
  const fd = openSync(path, "w");
  let written = 0;
  const write = (b: Uint8Array) => {
    let done = 0;
    while (done < b.length) done += writeSync(fd, b, done, b.length - done);
    written += b.length;
  };
  try {
    write(header);
    for (const t of tensors) {
      let data: Uint8Array;
      if (type === F16) {
        data = new Uint8Array(toHalves(t.values).buffer);
      } else {
        data = new Uint8Array(t.values.buffer, t.values.byteOffset, t.values.byteLength);
      }
      write(data);
      const pad = align(data.length) - data.length;
      if (pad) write(Buffer.alloc(pad));
    }
  } finally {
    closeSync(fd);
  }
  return written;
}
