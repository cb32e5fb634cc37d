/**
 * GGUF headers, read and written without touching tensor data: the key/values are kept as raw bytes
 * (so a rewritten file carries every key exactly as its source had it, types included) and the
 * simple ones are decoded too. Used by the bake (copy a base model, add keys, replace some
 * tensors), by `models list` (a bake's recipe) and by the LoRA merge (adapter tensors).
 *
 * Layout (v3): "GGUF", u32 version, u64 tensor count, u64 kv count, kvs (u64-length key, u32 type,
 * value), tensor infos (name, u32 n_dims, u64 dims innermost first, u32 ggml type, u64 offset),
 * padding to general.alignment (default 32), then the data; offsets are relative to the data start.
 */
import { closeSync, fstatSync, openSync, readSync, writeSync } from "node:fs";

export const GGUF_TYPE = { UINT8: 0, INT8: 1, UINT16: 2, INT16: 3, UINT32: 4, INT32: 5, FLOAT32: 6, BOOL: 7, STRING: 8, ARRAY: 9, UINT64: 10, INT64: 11, FLOAT64: 12 } as const;
export const GGML_TYPE = { F32: 0, F16: 1 } as const;
const SCALAR_SIZE: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };

export type GgufScalar = number | bigint | boolean | string;
export type GgufDecoded = GgufScalar | GgufScalar[];

export interface GgufKeyValue {
  readonly key: string;
  readonly type: number;
  /** The value's bytes as stored (type u32 included), for copying it verbatim. */
  readonly raw: Buffer;
  readonly value: GgufDecoded;
}

export interface GgufTensorInfo {
  readonly name: string;
  /** Innermost first (ggml ne[]): a weight mapping n_in to n_out is [n_in, n_out]. */
  readonly dims: readonly number[];
  readonly type: number;
  /** Relative to the data start. */
  readonly offset: number;
}

export interface GgufHeader {
  readonly file: string;
  readonly version: number;
  readonly kvs: readonly GgufKeyValue[];
  readonly tensors: readonly GgufTensorInfo[];
  readonly alignment: number;
  /** Absolute file offset of the tensor data. */
  readonly dataStart: number;
  readonly fileSize: number;
}

export class GgufFormatError extends Error {
  constructor(file: string, detail: string) {
    super(`${file} is not a usable GGUF file: ${detail}`);
    this.name = "GgufFormatError";
  }
}

class NeedMoreBytes extends Error {}

/** Parses a header from `buf` (which may hold only the file's start: throws NeedMoreBytes then). */
function parse(file: string, buf: Buffer, fileSize: number): GgufHeader {
  const need = (n: number) => {
    if (pos + n > buf.length) {
      if (buf.length >= fileSize) throw new GgufFormatError(file, "truncated header");
      throw new NeedMoreBytes();
    }
  };
  let pos = 0;
  need(24);
  if (buf.toString("ascii", 0, 4) !== "GGUF") throw new GgufFormatError(file, "no GGUF magic");
  const version = buf.readUInt32LE(4);
  if (version < 2) throw new GgufFormatError(file, `GGUF version ${version} is too old`);
  pos = 8;
  const u32 = () => {
    need(4);
    const v = buf.readUInt32LE(pos);
    pos += 4;
    return v;
  };
  const u64 = () => {
    need(8);
    const v = Number(buf.readBigUInt64LE(pos));
    pos += 8;
    return v;
  };
  const str = () => {
    const n = u64();
    need(n);
    const s = buf.toString("utf8", pos, pos + n);
    pos += n;
    return s;
  };
  const scalar = (type: number): GgufScalar => {
    if (type === GGUF_TYPE.STRING) return str();
    const size = SCALAR_SIZE[type];
    if (size === undefined) throw new GgufFormatError(file, `unknown metadata type ${type}`);
    need(size);
    let v: GgufScalar;
    switch (type) {
      case 0: v = buf.readUInt8(pos); break;
      case 1: v = buf.readInt8(pos); break;
      case 2: v = buf.readUInt16LE(pos); break;
      case 3: v = buf.readInt16LE(pos); break;
      case 4: v = buf.readUInt32LE(pos); break;
      case 5: v = buf.readInt32LE(pos); break;
      case 6: v = buf.readFloatLE(pos); break;
      case 7: v = buf.readUInt8(pos) !== 0; break;
      case 10: v = buf.readBigUInt64LE(pos); break;
      case 11: v = buf.readBigInt64LE(pos); break;
      default: v = buf.readDoubleLE(pos);
    }
    pos += size;
    return v;
  };
  const tensorCount = u64();
  const kvCount = u64();
  const kvs: GgufKeyValue[] = [];
  let alignment = 32;
  for (let i = 0; i < kvCount; i++) {
    const key = str();
    const start = pos;
    const type = u32();
    let value: GgufDecoded;
    if (type === GGUF_TYPE.ARRAY) {
      const elem = u32();
      const n = u64();
      const size = SCALAR_SIZE[elem];
      if (elem !== GGUF_TYPE.STRING && size !== undefined && n > 4096) {
        // Big numeric arrays (token scores, types) are skipped, not decoded: only their bytes matter.
        need(n * size);
        pos += n * size;
        value = [];
      } else {
        const items: GgufScalar[] = [];
        for (let k = 0; k < n; k++) items.push(scalar(elem));
        value = items;
      }
    } else {
      value = scalar(type);
    }
    if (key === "general.alignment" && typeof value === "number") alignment = value;
    kvs.push({ key, type, raw: Buffer.from(buf.subarray(start, pos)), value });
  }
  const tensors: GgufTensorInfo[] = [];
  for (let i = 0; i < tensorCount; i++) {
    const name = str();
    const nDims = u32();
    const dims: number[] = [];
    for (let d = 0; d < nDims; d++) dims.push(u64());
    const type = u32();
    const offset = u64();
    tensors.push({ name, dims, type, offset });
  }
  const dataStart = Math.ceil(pos / alignment) * alignment;
  return { file, version, kvs, tensors, alignment, dataStart, fileSize };
}

/** Reads a GGUF file's header (metadata and tensor infos), never its tensor data. */
export function readGgufHeader(file: string): GgufHeader {
  const fd = openSync(file, "r");
  try {
    const fileSize = fstatSync(fd).size;
    for (let size = Math.min(fileSize, 1 << 20); ; size = Math.min(fileSize, size * 4)) {
      const buf = Buffer.alloc(size);
      let got = 0;
      while (got < size) {
        const n = readSync(fd, buf, got, size - got, got);
        if (n === 0) break;
        got += n;
      }
      try {
        return parse(file, buf.subarray(0, got), fileSize);
      } catch (error) {
        if (!(error instanceof NeedMoreBytes) || size >= fileSize) throw error;
      }
    }
  } finally {
    closeSync(fd);
  }
}

/** A decoded metadata value, or undefined. */
export function ggufValue(header: GgufHeader, key: string): GgufDecoded | undefined {
  return header.kvs.find((kv) => kv.key === key)?.value;
}

/** Elements in a tensor. */
export function tensorElements(t: GgufTensorInfo): number {
  return t.dims.reduce((a, b) => a * b, 1);
}

/** Encodes a string key/value (for keys a writer adds). */
export function stringKeyValue(key: string, value: string): GgufKeyValue {
  const v = Buffer.from(value, "utf8");
  const raw = Buffer.alloc(4 + 8 + v.length);
  raw.writeUInt32LE(GGUF_TYPE.STRING, 0);
  raw.writeBigUInt64LE(BigInt(v.length), 4);
  v.copy(raw, 12);
  return { key, type: GGUF_TYPE.STRING, raw, value };
}

/** Encodes a u32 key/value. */
export function u32KeyValue(key: string, value: number): GgufKeyValue {
  const raw = Buffer.alloc(8);
  raw.writeUInt32LE(GGUF_TYPE.UINT32, 0);
  raw.writeUInt32LE(value >>> 0, 4);
  return { key, type: GGUF_TYPE.UINT32, raw, value };
}

/** Encodes a f32 key/value. */
export function f32KeyValue(key: string, value: number): GgufKeyValue {
  const raw = Buffer.alloc(8);
  raw.writeUInt32LE(GGUF_TYPE.FLOAT32, 0);
  raw.writeFloatLE(value, 4);
  return { key, type: GGUF_TYPE.FLOAT32, raw, value };
}

/**
 * The bytes of a GGUF header (v3) with these key/values and tensor infos, padded to `alignment`;
 * the tensor data follows it, each tensor at its info's offset from there.
 */
export function encodeGgufHeader(kvs: readonly GgufKeyValue[], tensors: readonly GgufTensorInfo[], alignment = 32): Buffer {
  const chunks: Buffer[] = [];
  const u32 = (v: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    chunks.push(b);
  };
  const u64 = (v: number) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    chunks.push(b);
  };
  const str = (s: string) => {
    const bytes = Buffer.from(s, "utf8");
    u64(bytes.length);
    chunks.push(bytes);
  };
  chunks.push(Buffer.from("GGUF", "ascii"));
  u32(3);
  u64(tensors.length);
  u64(kvs.length);
  for (const kv of kvs) {
    str(kv.key);
    chunks.push(kv.raw);
  }
  for (const t of tensors) {
    str(t.name);
    u32(t.dims.length);
    for (const d of t.dims) u64(d);
    u32(t.type);
    u64(t.offset);
  }
  const header = Buffer.concat(chunks);
  return Buffer.concat([header, Buffer.alloc(Math.ceil(header.length / alignment) * alignment - header.length)]);
}

/** One tensor to write: its info (offset is computed) and its bytes in the info's type. */
export interface GgufTensorData {
  readonly name: string;
  readonly dims: readonly number[];
  readonly type: number;
  readonly data: Uint8Array;
}

/** Writes a whole GGUF file (header, then each tensor aligned); returns its size in bytes. */
export function writeGgufFile(path: string, kvs: readonly GgufKeyValue[], tensors: readonly GgufTensorData[], alignment = 32): number {
  const align = (n: number) => Math.ceil(n / alignment) * alignment;
  let offset = 0;
  const infos = tensors.map((t) => {
    const info = { name: t.name, dims: t.dims, type: t.type, offset };
    offset += align(t.data.byteLength);
    return info;
  });
  const fd = openSync(path, "w");
  let written = 0;
  const write = (b: Uint8Array) => {
    let done = 0;
    while (done < b.length) done += writeSync(fd, b, done, b.length - done);
    written += b.length;
  };
  try {
    write(encodeGgufHeader(kvs, infos, alignment));
    for (const t of tensors) {
      write(t.data);
      const pad = align(t.data.byteLength) - t.data.byteLength;
      if (pad) write(Buffer.alloc(pad));
    }
  } finally {
    closeSync(fd);
  }
  return written;
}

/** Reads `bytes` bytes at `position` of an open file. */
export function readAt(fd: number, position: number, bytes: number): Buffer {
  const buf = Buffer.allocUnsafe(bytes);
  let got = 0;
  while (got < bytes) {
    const n = readSync(fd, buf, got, bytes - got, position + got);
    if (n === 0) throw new Error(`unexpected end of file at ${position + got}`);
    got += n;
  }
  return buf;
}
