/** Encoder (b): an ONNX sentence model from a local folder through @huggingface/transformers' real pipeline. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { TransformersEmbedder } from "../src/core/embedding/TransformersEmbedder.js";
import { writeTinyBert } from "./fixtures/onnx/writeTinyBert.js";
import { openSqliteMemory } from "../src/core/memory/sqlite/openSqliteMemory.js";

const dir = mkdtempSync(join(tmpdir(), "embedding-onnx-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("TransformersEmbedder", () => {
  it("loads a local BERT-shaped ONNX model offline and mean-pools unit vectors", async () => {
    const info = writeTinyBert(join(dir, "tiny-bert"), { hiddenSize: 32, seed: 5 });
    const embedder = await TransformersEmbedder.load({ modelDir: info.dir });
    const transformers = await import("@huggingface/transformers");
    expect(transformers.env.allowRemoteModels).toBe(false);
    try {
      expect(embedder.dimensions).toBe(32);
      expect(embedder.identity).toMatch(/^onnx:tiny-bert:32:mean:[0-9a-f]{16}$/);
      const [a, b, a2] = await embedder.embed(["The robot picked up the red cup", "opened the garage door", "the robot picked up the red cup"]);
      expect(a!.length).toBe(32);
      expect(Math.hypot(...a!)).toBeCloseTo(1, 4);
      // BertNormalizer lowercases: the two spellings are the same tokens, hence the same vector.
      for (let i = 0; i < 32; i++) expect(a2![i]!).toBeCloseTo(a![i]!, 5);
      expect(Math.abs(a![0]! - b![0]!) + Math.abs(a![1]! - b![1]!)).toBeGreaterThan(1e-4);
      const memory = await openSqliteMemory({ embedder, dims: 2048 });
      await memory.remember([
        { stamp: { sec: 1, nanosec: 0 }, robot_id: "r1", agent: "r1", action: "pick", object: "cup", location: "kitchen", result: "FAILED", description: "the robot picked up the red cup", source: "remember" },
        { stamp: { sec: 2, nanosec: 0 }, robot_id: "r1", agent: "r1", action: "open", object: "door", location: "garage", result: "SUCCEEDED", description: "opened the garage door", source: "remember" },
      ]);
      expect((await memory.recall({ text: "opened the garage door", k: 1 })).hits[0]!.episode.object).toBe("door");
    } finally {
      await embedder.close();
    }
  });
});
