// Fallback GPU benchmark: tokens/s of node-llama-cpp with 0, 1, 3 and 8 stacked LoRA adapters, through
// the public API only (getLlama, loadModel with gpuLayers, createContext with lora adapters,
// sequence.evaluate). Plain ESM so that a bare `node` runs it (no tsx).
//
//   node scripts/gpu/lora-bench.mjs --shape tinyllama --vocab <ggml-vocab-llama-spm.gguf> [--gpu cuda|false]
//        [--dir /tmp/gpu-bench] [--prompt 128] [--gen 128] [--reps 5] [--counts 0,1,3,8] [--rank 16]
//        [--flash auto|on|off] [--gpu-layers max|N] [--scale 0.5] [--merged [f16]]
// --merged: for every count >= 2 also measures ONE adapter that merges those n (scripts/gpu/merge-lora.mjs:
// ranks stacked, scales folded in; exact), and reports how many leading greedy tokens match the stacked run.
//
// The last stdout line is JSON with every figure. Prefill = time from submitting the prompt to the first
// generated token (prompt evaluation + one sample). Generation tok/s = (gen - 1) / (time after the first
// token). EOS is yielded and fed back (yieldEogToken), so every run generates exactly --gen tokens.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { writeLlamaModel, writeLoraAdapter, SHAPES } from "./gguf-writer.mjs";
import { mergeLoraAdapters } from "./merge-lora.mjs";

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
    if (a.startsWith("--")) acc.push([a.slice(2), all[i + 1] && !all[i + 1].startsWith("--") ? all[i + 1] : "true"]);
    return acc;
}, []));
const shape = args.shape ?? "tinyllama";
const dir = args.dir ?? "/tmp/gpu-bench";
const vocab = args.vocab ?? "ggml-vocab-llama-spm.gguf";
const promptLen = Number(args.prompt ?? 128);
const genLen = Number(args.gen ?? 128);
const reps = Number(args.reps ?? 5);
const counts = (args.counts ?? "0,1,3,8").split(",").map(Number);
const rank = Number(args.rank ?? 16);
const gpu = args.gpu === "false" ? false : (args.gpu ?? "cuda");
const flash = args.flash === "on" ? true : args.flash === "off" ? false : "auto";
const gpuLayers = args["gpu-layers"] == null ? "max" : (args["gpu-layers"] === "max" ? "max" : Number(args["gpu-layers"]));
const scale = Number(args.scale ?? 0.5);
const merged = args.merged != null;
const mergedF16 = args.merged === "f16";
if (!SHAPES[shape]) throw new Error("unknown shape " + shape);

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const log = (...a) => console.error("[lora-bench]", ...a);

fs.mkdirSync(dir, { recursive: true });
const modelPath = path.join(dir, `random-${shape}.gguf`);
let t = performance.now();
let info = null;
if (!fs.existsSync(modelPath)) info = writeLlamaModel(modelPath, shape, vocab);
const writeModelMs = performance.now() - t;
const maxCount = Math.max(...counts);
const adapterPaths = [];
t = performance.now();
for (let i = 0; i < maxCount; i++) {
    const p = path.join(dir, `random-${shape}-lora-r${rank}-${i}.gguf`);
    if (!fs.existsSync(p)) writeLoraAdapter(p, shape, rank, 777 + i);
    adapterPaths.push(p);
}
const writeAdaptersMs = performance.now() - t;
log(`model ${modelPath} (${(fs.statSync(modelPath).size / 2 ** 30).toFixed(2)} GiB, written in ${writeModelMs.toFixed(0)} ms), ${maxCount} adapters in ${writeAdaptersMs.toFixed(0)} ms`);

const { getLlama, LlamaLogLevel } = await import("node-llama-cpp");
t = performance.now();
const llama = await getLlama({ gpu, build: "never", logLevel: LlamaLogLevel.warn, progressLogs: true });
const getLlamaMs = performance.now() - t;
const devices = gpu ? await llama.getGpuDeviceNames().catch(() => []) : [];
log(`llama.gpu=${llama.gpu} devices=${JSON.stringify(devices)} build=${llama.buildType} (${getLlamaMs.toFixed(0)} ms)`);
if (gpu && llama.gpu !== gpu) throw new Error(`asked for gpu=${gpu} but got ${llama.gpu}`);

t = performance.now();
const model = await llama.loadModel({ modelPath, gpuLayers });
const loadMs = performance.now() - t;
const vram = gpu ? await llama.getVramState() : null;
log(`model loaded in ${loadMs.toFixed(0)} ms, gpuLayers=${model.gpuLayers}, vram used ${vram ? (vram.used / 2 ** 30).toFixed(2) : "-"} GiB`);

// A fixed prompt of exactly promptLen tokens.
const text = "The robot assistant greets the visitor in the hallway, explains where the meeting room is, " +
    "offers to carry the box of tools, and remembers that the visitor prefers short answers. ";
let promptTokens = model.tokenize(text.repeat(Math.ceil(promptLen / 20) + 2));
promptTokens = promptTokens.slice(0, promptLen);
if (promptTokens.length !== promptLen) throw new Error(`prompt has ${promptTokens.length} tokens, wanted ${promptLen}`);

async function measure(adapters) {
    const t0 = performance.now();
    const context = await model.createContext({
        contextSize: Math.max(512, promptLen + genLen + 64),
        batchSize: Math.max(512, promptLen),
        flashAttention: flash,
        threads: gpu ? undefined : 1,
        lora: adapters.length === 0 ? undefined : { adapters }
    });
    const createMs = performance.now() - t0;
    const seq = context.getSequence();
    const prefill = [], gen = [], totals = [];
    let lastTokens = [];
    for (let r = 0; r < reps + 1; r++) { // run 0 is the warm-up
        await seq.clearHistory();
        const toks = [];
        const start = performance.now();
        let first = 0;
        for await (const tok of seq.evaluate(promptTokens, { temperature: 0, yieldEogToken: true })) {
            if (toks.length === 0) first = performance.now();
            toks.push(tok);
            if (toks.length >= genLen) break;
        }
        const end = performance.now();
        if (toks.length !== genLen) throw new Error(`generated ${toks.length} tokens, wanted ${genLen}`);
        if (r === 0) continue;
        prefill.push(first - start);
        gen.push((genLen - 1) / ((end - first) / 1000));
        totals.push(end - start);
        lastTokens = toks;
    }
    await context.dispose();
    return {
        prefill_ms: +median(prefill).toFixed(2),
        prefill_tok_s: +(promptLen / (median(prefill) / 1000)).toFixed(1),
        gen_tok_s: +median(gen).toFixed(1),
        gen_tok_s_min: +Math.min(...gen).toFixed(1), gen_tok_s_max: +Math.max(...gen).toFixed(1),
        total_ms: +median(totals).toFixed(1),
        create_context_ms: +createMs.toFixed(1),
        tokens: lastTokens
    };
}
const commonPrefix = (a, b) => { let i = 0; while (i < a.length && i < b.length && a[i] === b[i]) i++; return i; };

const rows = [];
for (const n of counts) {
    const m = await measure(adapterPaths.slice(0, n).map((filePath) => ({ filePath, scale })));
    const row = { adapters: n, rank, scale: n === 0 ? null : scale, ...m, first_tokens: m.tokens.slice(0, 8) };
    delete row.tokens;
    rows.push(row);
    log(JSON.stringify(row));
    if (merged && n >= 2) {
        const mp = path.join(dir, `merged-${shape}-r${rank}-n${n}-s${scale}${mergedF16 ? "-f16" : ""}.gguf`);
        const tm = performance.now();
        const info = mergeLoraAdapters(mp, adapterPaths.slice(0, n).map((filePath) => ({ filePath, scale })), { f16: mergedF16 });
        const mergeMs = performance.now() - tm;
        const mm = await measure([{ filePath: mp, scale: 1 }]);
        const mrow = { adapters: n, merged: true, merged_rank: info.rank, merged_type: mergedF16 ? "f16" : "f32", rank, scale,
            merge_ms: +mergeMs.toFixed(0), ...mm, first_tokens: mm.tokens.slice(0, 8),
            tokens_matching_stacked: commonPrefix(mm.tokens, m.tokens) };
        delete mrow.tokens;
        rows.push(mrow);
        log(JSON.stringify(mrow));
    }
}
const base = rows.find((r) => r.adapters === 0 && !r.merged);
for (const r of rows) if (base) {
    r.prefill_slowdown_pct = +((r.prefill_ms / base.prefill_ms - 1) * 100).toFixed(1);
    r.gen_slowdown_pct = +((base.gen_tok_s / r.gen_tok_s - 1) * 100).toFixed(1);
}
console.log("\n| adapters | prefill ms | prefill tok/s | gen tok/s (min-max) | slowdown prefill / gen |\n|---|---|---|---|---|");
for (const r of rows)
    console.log(`| ${r.adapters === 0 ? 0 : r.merged ? `${r.adapters} x r${r.rank} merged into 1 x r${r.merged_rank} (${r.merged_type}; ${r.tokens_matching_stacked}/${genLen} tokens as stacked)` : `${r.adapters} x r${r.rank}`} | ${r.prefill_ms} | ${r.prefill_tok_s} | ${r.gen_tok_s} (${r.gen_tok_s_min}-${r.gen_tok_s_max}) | ${r.adapters === 0 ? "-" : `${r.prefill_slowdown_pct}% / ${r.gen_slowdown_pct}%`} |`);
const result = {
    bench: "scripts/gpu/lora-bench.mjs", shape, shapeSpec: SHAPES[shape], params: info?.params ?? null,
    modelBytes: fs.statSync(modelPath).size, gpu: llama.gpu, devices, gpuLayers: model.gpuLayers,
    flashAttention: flash, promptTokens: promptLen, genTokens: genLen, reps, buildType: llama.buildType,
    loadMs: +loadMs.toFixed(0), vramUsedGiB: vram ? +(vram.used / 2 ** 30).toFixed(2) : null,
    host: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version }, rows
};
await model.dispose();
await llama.dispose();
console.log(JSON.stringify(result));
