/**
 * The compact GloVe file written by src/cli/convert-glove.ts and read by GloveEmbedder:
 *
 *   magic "GLOVEI8\0" | u32 count | u32 dims | u32 vocabBytes | vocab (UTF-8, '\n'-joined, in
 *   frequency-rank order) | zero pad to 4 | f32 scale[count] | i8 vector[count * dims]
 *
 * Each vector is L2-normalized and then quantized to int8 with its own scale (max |x| / 127): the
 * cosine error is ~1e-3, and 100k words x 100 dims fit in ~10 MB instead of the 307 MB JSON.
 */
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { GloveFormatError } from "./errors.js";

const MAGIC = "GLOVEI8\0";

export interface GloveTable {
  readonly words: readonly string[];
  readonly dims: number;
  readonly scales: Float32Array;
  readonly vectors: Int8Array;
  /** sha256 of the file, first 16 hex digits: part of the encoder identity. */
  readonly hash: string;
}

export function encodeGloveTable(words: readonly string[], dims: number, unitVectors: Float32Array): Buffer {
  if (unitVectors.length !== words.length * dims) throw new RangeError("vector data does not match words x dims");
  const vocab = Buffer.from(words.join("\n"), "utf8");
  const headerBytes = 8 + 12 + vocab.length;
  const pad = (4 - (headerBytes % 4)) % 4;
  const out = Buffer.alloc(headerBytes + pad + words.length * 4 + words.length * dims);
  out.write(MAGIC, 0, "latin1");
  out.writeUInt32LE(words.length, 8);
  out.writeUInt32LE(dims, 12);
  out.writeUInt32LE(vocab.length, 16);
  vocab.copy(out, 20);
  let scaleAt = headerBytes + pad;
  let vecAt = scaleAt + words.length * 4;
  for (let w = 0; w < words.length; w++) {
    let max = 0;
    for (let i = 0; i < dims; i++) max = Math.max(max, Math.abs(unitVectors[w * dims + i]!));
    const scale = max > 0 ? max / 127 : 1;
    out.writeFloatLE(scale, scaleAt);
    scaleAt += 4;
    for (let i = 0; i < dims; i++) out.writeInt8(Math.round(unitVectors[w * dims + i]! / scale), vecAt++);
  }
  return out;
}

export function writeGloveFile(path: string, words: readonly string[], dims: number, unitVectors: Float32Array): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, encodeGloveTable(words, dims, unitVectors));
}

export function readGloveFile(path: string): GloveTable {
  const buf = readFileSync(path);
  if (buf.length < 20 || buf.toString("latin1", 0, 8) !== MAGIC) throw new GloveFormatError(path, "bad magic");
  const count = buf.readUInt32LE(8);
  const dims = buf.readUInt32LE(12);
  const vocabBytes = buf.readUInt32LE(16);
  const headerBytes = 20 + vocabBytes;
  const scaleAt = headerBytes + ((4 - (headerBytes % 4)) % 4);
  const vecAt = scaleAt + count * 4;
  if (buf.length !== vecAt + count * dims) throw new GloveFormatError(path, `size ${buf.length} does not match ${count} words x ${dims} dims`);
  const words = buf.toString("utf8", 20, headerBytes).split("\n");
  if (words.length !== count) throw new GloveFormatError(path, `vocabulary has ${words.length} words, header says ${count}`);
  const copy = new Uint8Array(buf.length - scaleAt);
  copy.set(buf.subarray(scaleAt));
  return {
    words,
    dims,
    scales: new Float32Array(copy.buffer, 0, count),
    vectors: new Int8Array(copy.buffer, count * 4, count * dims),
    hash: createHash("sha256").update(buf).digest("hex").slice(0, 16),
  };
}
