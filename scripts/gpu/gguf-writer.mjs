// Minimal GGUF v3 writer for benchmark models with random weights (plain ESM, no dependencies, so it
// runs with a bare `node` on the GPU machine). Tokens/s do not depend on the weights' values, only on
// the shapes and the tensor type; the vocabulary is grafted from a vocab-only GGUF (llama.cpp's
// models/ggml-vocab-llama-spm.gguf: 32k SentencePiece tokens) so the tokenizer is a real one.
import fs from "node:fs";

const T = { U8: 0, I8: 1, U16: 2, I16: 3, U32: 4, I32: 5, F32: 6, BOOL: 7, STRING: 8, ARRAY: 9, U64: 10, I64: 11, F64: 12 };
export const GGML = { F32: 0, F16: 1 };
const SCALAR_SIZE = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };

/** Reads the key/value section of a GGUF file; returns [{ key, rawEntry: Buffer }] (raw bytes of each whole entry). */
export function readGgufKvRaw(filePath) {
    const buf = fs.readFileSync(filePath);
    if (buf.toString("latin1", 0, 4) !== "GGUF") throw new Error(`${filePath}: not a GGUF file`);
    let o = 8;
    const nTensors = Number(buf.readBigUInt64LE(o)); o += 8;
    const nKv = Number(buf.readBigUInt64LE(o)); o += 8;
    const readStr = () => { const n = Number(buf.readBigUInt64LE(o)); o += 8; const s = buf.toString("utf8", o, o + n); o += n; return s; };
    const skipValue = (type) => {
        if (type === T.STRING) { const n = Number(buf.readBigUInt64LE(o)); o += 8 + n; }
        else if (type === T.ARRAY) {
            const it = buf.readUInt32LE(o); o += 4;
            const n = Number(buf.readBigUInt64LE(o)); o += 8;
            if (it === T.STRING || it === T.ARRAY) for (let i = 0; i < n; i++) skipValue(it);
            else o += SCALAR_SIZE[it] * n;
        } else o += SCALAR_SIZE[type];
    };
    const out = [];
    for (let i = 0; i < nKv; i++) {
        const start = o;
        const key = readStr();
        const type = buf.readUInt32LE(o); o += 4;
        skipValue(type);
        out.push({ key, rawEntry: buf.subarray(start, o) });
    }
    return { kvs: out, nTensors };
}

function strBuf(s) { const b = Buffer.from(s, "utf8"); const h = Buffer.alloc(8); h.writeBigUInt64LE(BigInt(b.length)); return Buffer.concat([h, b]); }
function kv(key, type, value) {
    const parts = [strBuf(key)];
    const t = Buffer.alloc(4); t.writeUInt32LE(type); parts.push(t);
    let v;
    switch (type) {
        case T.U32: v = Buffer.alloc(4); v.writeUInt32LE(value); break;
        case T.I32: v = Buffer.alloc(4); v.writeInt32LE(value); break;
        case T.F32: v = Buffer.alloc(4); v.writeFloatLE(value); break;
        case T.STRING: v = strBuf(value); break;
        default: throw new Error("unsupported kv type " + type);
    }
    parts.push(v);
    return Buffer.concat(parts);
}

function f32ToF16Bits(val) {
    const f = new Float32Array([val]); const x = new Uint32Array(f.buffer)[0];
    const sign = (x >>> 16) & 0x8000; let e = ((x >>> 23) & 0xff) - 127 + 15; let m = x & 0x7fffff;
    if (e <= 0) return sign; // flush tiny values to zero
    if (e >= 31) return sign | 0x7c00;
    return sign | (e << 10) | (m >>> 13);
}

/** A block of random normal(0, std) values, as F16 or F32 bytes, repeated to fill every tensor. */
function randomBlock(ggmlType, nValues, std, seed) {
    let s = seed >>> 0 || 1;
    const rnd = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return (s + 0.5) / 4294967296; };
    const gauss = () => Math.sqrt(-2 * Math.log(rnd())) * Math.cos(2 * Math.PI * rnd());
    if (ggmlType === GGML.F16) {
        const a = new Uint16Array(nValues);
        for (let i = 0; i < nValues; i++) a[i] = f32ToF16Bits(gauss() * std);
        return Buffer.from(a.buffer);
    }
    const a = new Float32Array(nValues);
    for (let i = 0; i < nValues; i++) a[i] = gauss() * std;
    return Buffer.from(a.buffer);
}

const ALIGN = 32;
const bytesOf = (t) => (t.type === GGML.F16 ? 2 : 4) * t.dims.reduce((a, b) => a * b, 1);

/**
 * Writes a GGUF file. tensors: [{ name, dims: [ne0, ne1, ...], type: GGML.F16|GGML.F32, fill: "random"|"ones" }].
 * kvsRaw: Buffers of complete key/value entries (from kv() or readGgufKvRaw()).
 */
export function writeGguf(filePath, kvsRaw, tensors, { std = 0.02, seed = 1234 } = {}) {
    const head = Buffer.alloc(24);
    head.write("GGUF", 0, "latin1"); head.writeUInt32LE(3, 4);
    head.writeBigUInt64LE(BigInt(tensors.length), 8); head.writeBigUInt64LE(BigInt(kvsRaw.length), 16);
    const infos = []; let off = 0;
    for (const t of tensors) {
        const nd = Buffer.alloc(4); nd.writeUInt32LE(t.dims.length);
        const dims = Buffer.alloc(8 * t.dims.length); t.dims.forEach((d, i) => dims.writeBigUInt64LE(BigInt(d), 8 * i));
        const ty = Buffer.alloc(4); ty.writeUInt32LE(t.type);
        const of = Buffer.alloc(8); of.writeBigUInt64LE(BigInt(off));
        infos.push(strBuf(t.name), nd, dims, ty, of);
        t._offset = off; off += Math.ceil(bytesOf(t) / ALIGN) * ALIGN;
    }
    let header = Buffer.concat([head, ...kvsRaw, ...infos]);
    header = Buffer.concat([header, Buffer.alloc((ALIGN - (header.length % ALIGN)) % ALIGN)]);
    const fd = fs.openSync(filePath + ".tmp", "w");
    try {
        fs.writeSync(fd, header);
        const blocks = {
            [GGML.F16]: randomBlock(GGML.F16, 4 << 20, std, seed),
            [GGML.F32]: randomBlock(GGML.F32, 2 << 20, std, seed + 1)
        };
        let rot = 0;
        for (const t of tensors) {
            let left = bytesOf(t);
            if (t.fill === "ones") {
                const n = left / 4; const a = new Float32Array(n).fill(1); fs.writeSync(fd, Buffer.from(a.buffer)); left = 0;
            }
            const blk = blocks[t.type];
            while (left > 0) {
                const start = (rot = (rot + 4096 * 7) % (blk.length / 2)) & ~15;
                const n = Math.min(left, blk.length - start);
                fs.writeSync(fd, blk, start, n); left -= n;
            }
            const pad = (ALIGN - (bytesOf(t) % ALIGN)) % ALIGN;
            if (pad) fs.writeSync(fd, Buffer.alloc(pad));
        }
    } finally { fs.closeSync(fd); }
    fs.renameSync(filePath + ".tmp", filePath);
}

export const SHAPES = {
    // TinyLlama-1.1B: 22 layers, dim 2048, FFN 5632, 32 heads, 4 KV heads (GQA), 32k vocab; 1.1B params.
    tinyllama: { n_embd: 2048, n_layer: 22, n_ff: 5632, n_head: 32, n_head_kv: 4, n_ctx: 2048, type: GGML.F16 },
    // The 134M model of /work/shared/notes/baselines.md (dim 768, 12 layers, F32), for a like-for-like GPU row.
    base134m: { n_embd: 768, n_layer: 12, n_ff: 2048, n_head: 12, n_head_kv: 12, n_ctx: 2048, type: GGML.F32 },
    // A tiny shape to check the scripts on a CPU in seconds.
    tiny: { n_embd: 64, n_layer: 2, n_ff: 128, n_head: 4, n_head_kv: 2, n_ctx: 512, type: GGML.F16 }
};

/** Writes a llama-architecture model of the given shape, vocabulary grafted from vocabGguf. */
export function writeLlamaModel(filePath, shapeName, vocabGguf) {
    const s = SHAPES[shapeName];
    const { kvs } = readGgufKvRaw(vocabGguf);
    const tok = kvs.filter((k) => k.key.startsWith("tokenizer.")).map((k) => k.rawEntry);
    const tokensEntry = kvs.find((k) => k.key === "tokenizer.ggml.tokens");
    // array of strings: count at offset 8 + keylen + 4 (type) + 4 (item type)
    const klen = Number(tokensEntry.rawEntry.readBigUInt64LE(0));
    const n_vocab = Number(tokensEntry.rawEntry.readBigUInt64LE(8 + klen + 4 + 4));
    const head_dim = s.n_embd / s.n_head, n_kv = head_dim * s.n_head_kv;
    const kvsRaw = [
        kv("general.architecture", T.STRING, "llama"),
        kv("general.name", T.STRING, `random-${shapeName}`),
        kv("general.file_type", T.U32, s.type === GGML.F16 ? 1 : 0),
        kv("llama.context_length", T.U32, s.n_ctx),
        kv("llama.embedding_length", T.U32, s.n_embd),
        kv("llama.block_count", T.U32, s.n_layer),
        kv("llama.feed_forward_length", T.U32, s.n_ff),
        kv("llama.rope.dimension_count", T.U32, head_dim),
        kv("llama.attention.head_count", T.U32, s.n_head),
        kv("llama.attention.head_count_kv", T.U32, s.n_head_kv),
        kv("llama.attention.layer_norm_rms_epsilon", T.F32, 1e-5),
        kv("llama.rope.freq_base", T.F32, 10000),
        kv("llama.vocab_size", T.U32, n_vocab),
        ...tok
    ];
    const W = s.type;
    const tensors = [
        { name: "token_embd.weight", dims: [s.n_embd, n_vocab], type: W },
        { name: "output_norm.weight", dims: [s.n_embd], type: GGML.F32, fill: "ones" },
        { name: "output.weight", dims: [s.n_embd, n_vocab], type: W }
    ];
    for (let i = 0; i < s.n_layer; i++) {
        const b = `blk.${i}.`;
        tensors.push(
            { name: b + "attn_norm.weight", dims: [s.n_embd], type: GGML.F32, fill: "ones" },
            { name: b + "attn_q.weight", dims: [s.n_embd, s.n_embd], type: W },
            { name: b + "attn_k.weight", dims: [s.n_embd, n_kv], type: W },
            { name: b + "attn_v.weight", dims: [s.n_embd, n_kv], type: W },
            { name: b + "attn_output.weight", dims: [s.n_embd, s.n_embd], type: W },
            { name: b + "ffn_norm.weight", dims: [s.n_embd], type: GGML.F32, fill: "ones" },
            { name: b + "ffn_gate.weight", dims: [s.n_embd, s.n_ff], type: W },
            { name: b + "ffn_up.weight", dims: [s.n_embd, s.n_ff], type: W },
            { name: b + "ffn_down.weight", dims: [s.n_ff, s.n_embd], type: W }
        );
    }
    writeGguf(filePath, kvsRaw, tensors);
    const params = tensors.reduce((a, t) => a + t.dims.reduce((x, y) => x * y, 1), 0);
    return { n_vocab, params };
}

/** Writes a LoRA adapter GGUF: rank r on q, k, v, o, gate, up and down of every layer (alpha = r: scale 1). */
export function writeLoraAdapter(filePath, shapeName, rank, seed) {
    const s = SHAPES[shapeName];
    const n_kv = (s.n_embd / s.n_head) * s.n_head_kv;
    const kvsRaw = [
        kv("general.architecture", T.STRING, "llama"),
        kv("general.type", T.STRING, "adapter"),
        kv("adapter.type", T.STRING, "lora"),
        kv("adapter.lora.alpha", T.F32, rank)
    ];
    const targets = [
        ["attn_q", s.n_embd, s.n_embd], ["attn_k", s.n_embd, n_kv], ["attn_v", s.n_embd, n_kv],
        ["attn_output", s.n_embd, s.n_embd], ["ffn_gate", s.n_embd, s.n_ff], ["ffn_up", s.n_embd, s.n_ff],
        ["ffn_down", s.n_ff, s.n_embd]
    ];
    const tensors = [];
    for (let i = 0; i < s.n_layer; i++)
        for (const [name, nIn, nOut] of targets) {
            tensors.push({ name: `blk.${i}.${name}.weight.lora_a`, dims: [nIn, rank], type: s.type });
            tensors.push({ name: `blk.${i}.${name}.weight.lora_b`, dims: [rank, nOut], type: s.type });
        }
    writeGguf(filePath, kvsRaw, tensors, { std: 0.05, seed });
}
