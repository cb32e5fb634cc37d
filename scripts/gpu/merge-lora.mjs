// Merges stacked LoRA adapters into ONE adapter that computes exactly the same thing:
//   sum_i c_i B_i A_i x  ==  B' A' x   with A' = [A_1; A_2; ...] (ranks stacked), B' = [c_1 B_1, c_2 B_2, ...],
// where c_i = scale_i * alpha_i / rank_i (llama.cpp's get_scale; c_i = scale_i without alpha).
// The merged file has no adapter.lora.alpha and is meant to be loaded with scale 1.
//
//   node scripts/gpu/merge-lora.mjs out.gguf a.gguf:0.5 b.gguf:0.5 c.gguf:0.8 [--f16]
//
// Output tensors are F32 (exact up to float32 rounding of c_i * B) unless --f16.
import fs from "node:fs";

const TY = { STRING: 8, ARRAY: 9 };
const SCALAR_SIZE = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };

// F16 -> F32 through a 65536-entry table; F32 -> F16 with round-to-nearest-even, no allocation per value.
const F16_TABLE = (() => {
    const t = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) {
        const s = (h & 0x8000) ? -1 : 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
        t[h] = e === 0 ? s * m * 2 ** -24 : e === 31 ? (m ? NaN : s * Infinity) : s * (1 + m / 1024) * 2 ** (e - 15);
    }
    return t;
})();
const scratchF = new Float32Array(1), scratchU = new Uint32Array(scratchF.buffer);
function f32ToF16(val) {
    scratchF[0] = val; const x = scratchU[0];
    const sign = (x >>> 16) & 0x8000; const e = ((x >>> 23) & 0xff) - 127 + 15; const m = x & 0x7fffff;
    if (e <= 0) return sign; // tiny values flush to zero (|v| < 6e-5: irrelevant for LoRA factors here)
    if (e >= 31) return sign | 0x7c00;
    let r = (e << 10) | (m >>> 13);
    const rest = m & 0x1fff;
    if (rest > 0x1000 || (rest === 0x1000 && (r & 1))) r++;
    return sign | r;
}

/** Reads a GGUF: { kv: Map(key -> {type, raw, value?}), tensors: Map(name -> {dims, type, data: Float32Array}) } */
export function readGguf(filePath) {
    const buf = fs.readFileSync(filePath);
    if (buf.toString("latin1", 0, 4) !== "GGUF") throw new Error(`${filePath}: not GGUF`);
    let o = 8;
    const nT = Number(buf.readBigUInt64LE(o)); o += 8;
    const nKv = Number(buf.readBigUInt64LE(o)); o += 8;
    const str = () => { const n = Number(buf.readBigUInt64LE(o)); o += 8; const s = buf.toString("utf8", o, o + n); o += n; return s; };
    const value = (t) => {
        if (t === TY.STRING) return str();
        if (t === TY.ARRAY) {
            const it = buf.readUInt32LE(o); o += 4; const n = Number(buf.readBigUInt64LE(o)); o += 8;
            const a = []; for (let i = 0; i < n; i++) a.push(value(it)); return a;
        }
        const at = o; o += SCALAR_SIZE[t];
        switch (t) {
            case 4: return buf.readUInt32LE(at); case 5: return buf.readInt32LE(at); case 6: return buf.readFloatLE(at);
            case 7: return buf[at] !== 0; case 10: return buf.readBigUInt64LE(at); default: return null;
        }
    };
    const kv = new Map();
    for (let i = 0; i < nKv; i++) { const k = str(); const t = buf.readUInt32LE(o); o += 4; kv.set(k, { type: t, value: value(t) }); }
    const infos = [];
    for (let i = 0; i < nT; i++) {
        const name = str(); const nd = buf.readUInt32LE(o); o += 4;
        const dims = []; for (let d = 0; d < nd; d++) { dims.push(Number(buf.readBigUInt64LE(o))); o += 8; }
        const type = buf.readUInt32LE(o); o += 4; const off = Number(buf.readBigUInt64LE(o)); o += 8;
        infos.push({ name, dims, type, off });
    }
    const align = Number(kv.get("general.alignment")?.value ?? 32);
    const dataStart = Math.ceil(o / align) * align;
    const tensors = new Map();
    for (const t of infos) {
        const n = t.dims.reduce((a, b) => a * b, 1);
        const at = dataStart + t.off; let data;
        if (t.type === 0) { data = new Float32Array(n); new Uint8Array(data.buffer).set(buf.subarray(at, at + 4 * n)); }
        else if (t.type === 1) {
            const h = new Uint16Array(n); new Uint8Array(h.buffer).set(buf.subarray(at, at + 2 * n));
            data = new Float32Array(n); for (let i = 0; i < n; i++) data[i] = F16_TABLE[h[i]];
        } else throw new Error(`${filePath}: ${t.name} has type ${t.type}; only F32 and F16 are supported`);
        tensors.set(t.name, { dims: t.dims, type: t.type, data });
    }
    return { kv, tensors };
}

function strBuf(s) { const b = Buffer.from(s, "utf8"); const h = Buffer.alloc(8); h.writeBigUInt64LE(BigInt(b.length)); return Buffer.concat([h, b]); }
function kvString(k, v) { const t = Buffer.alloc(4); t.writeUInt32LE(TY.STRING); return Buffer.concat([strBuf(k), t, strBuf(v)]); }

/** inputs: [{ filePath, scale }]; returns { targets, rank } */
export function mergeLoraAdapters(outPath, inputs, { f16 = false } = {}) {
    const adapters = inputs.map(({ filePath, scale }) => {
        const g = readGguf(filePath);
        const alpha = Number(g.kv.get("adapter.lora.alpha")?.value ?? 0);
        return { g, scale, alpha, arch: g.kv.get("general.architecture")?.value };
    });
    const arch = adapters[0].arch;
    const names = [...new Set(adapters.flatMap((a) => [...a.g.tensors.keys()].filter((n) => n.endsWith(".lora_a")).map((n) => n.slice(0, -7))))];
    const out = [];
    let maxRank = 0;
    for (const base of names) {
        const parts = adapters.map((a) => {
            const A = a.g.tensors.get(base + ".lora_a"), B = a.g.tensors.get(base + ".lora_b");
            if (!A || !B) return null;
            const r = A.dims[1]; if (B.dims[0] !== r) throw new Error(`${base}: rank mismatch`);
            const c = a.alpha ? a.scale * a.alpha / r : a.scale;
            return { A, B, r, c };
        }).filter((p) => p && p.c !== 0);
        if (parts.length === 0) continue;
        const nIn = parts[0].A.dims[0], nOut = parts[0].B.dims[1], R = parts.reduce((s, p) => s + p.r, 0);
        maxRank = Math.max(maxRank, R);
        const A = new Float32Array(nIn * R); let off = 0;
        for (const p of parts) { A.set(p.A.data, off); off += p.A.data.length; }
        const B = new Float32Array(R * nOut);
        for (let j = 0; j < nOut; j++) {
            let col = 0;
            for (const p of parts) {
                for (let k = 0; k < p.r; k++) B[j * R + col + k] = p.c * p.B.data[j * p.r + k];
                col += p.r;
            }
        }
        out.push({ name: base + ".lora_a", dims: [nIn, R], data: A }, { name: base + ".lora_b", dims: [R, nOut], data: B });
    }
    const type = f16 ? 1 : 0, bpe = f16 ? 2 : 4, ALIGN = 32;
    const head = Buffer.alloc(24); head.write("GGUF", 0, "latin1"); head.writeUInt32LE(3, 4);
    const kvs = [kvString("general.architecture", arch), kvString("general.type", "adapter"), kvString("adapter.type", "lora")];
    head.writeBigUInt64LE(BigInt(out.length), 8); head.writeBigUInt64LE(BigInt(kvs.length), 16);
    const infos = []; let dataOff = 0;
    for (const t of out) {
        const nd = Buffer.alloc(4); nd.writeUInt32LE(2);
        const d = Buffer.alloc(16); d.writeBigUInt64LE(BigInt(t.dims[0]), 0); d.writeBigUInt64LE(BigInt(t.dims[1]), 8);
        const ty = Buffer.alloc(4); ty.writeUInt32LE(type); const of = Buffer.alloc(8); of.writeBigUInt64LE(BigInt(dataOff));
        infos.push(strBuf(t.name), nd, d, ty, of);
        dataOff += Math.ceil(t.data.length * bpe / ALIGN) * ALIGN;
    }
    let header = Buffer.concat([head, ...kvs, ...infos]);
    header = Buffer.concat([header, Buffer.alloc((ALIGN - header.length % ALIGN) % ALIGN)]);
    const fd = fs.openSync(outPath + ".tmp", "w");
    fs.writeSync(fd, header);
    for (const t of out) {
        let b;
        if (f16) { const h = new Uint16Array(t.data.length); for (let i = 0; i < h.length; i++) h[i] = f32ToF16(t.data[i]); b = Buffer.from(h.buffer); }
        else b = Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
        fs.writeSync(fd, b);
        const pad = (ALIGN - b.length % ALIGN) % ALIGN; if (pad) fs.writeSync(fd, Buffer.alloc(pad));
    }
    fs.closeSync(fd); fs.renameSync(outPath + ".tmp", outPath);
    return { targets: out.length / 2, rank: maxRank };
}

if (import.meta.url === `file://${process.argv[1]}`) {
    const args = process.argv.slice(2);
    const f16 = args.includes("--f16");
    const [outPath, ...rest] = args.filter((a) => a !== "--f16");
    const inputs = rest.map((s) => { const i = s.lastIndexOf(":"); return { filePath: s.slice(0, i), scale: Number(s.slice(i + 1)) }; });
    const t = performance.now();
    const r = mergeLoraAdapters(outPath, inputs, { f16 });
    console.log(JSON.stringify({ out: outPath, ...r, ms: Math.round(performance.now() - t) }));
}
