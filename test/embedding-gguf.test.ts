/** Encoder (c): node-llama-cpp embeddings from a GGUF, on a tiny random-weight llama that the test writes. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LlamaEmbedder } from "../src/core/embedding/LlamaEmbedder.js";
import { writeTinyLlamaGguf } from "./fixtures/gguf/index.js";
import { openSqliteMemory } from "../src/core/memory/sqlite/openSqliteMemory.js";

const dir = mkdtempSync(join(tmpdir(), "embedding-gguf-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("LlamaEmbedder", () => {
  it("embeds through llama.cpp: unit vectors of the model's width, deterministic, text-dependent", async () => {
    const path = join(dir, "tiny.gguf");
    writeTinyLlamaGguf(path, { seed: 3, embeddingLength: 64, vocab: "synthetic" });
    const embedder = await LlamaEmbedder.load({ modelPath: path });
    try {
      expect(embedder.dimensions).toBe(64);
      expect(embedder.identity).toMatch(/^gguf:tiny.gguf:64:[0-9a-f]{16}$/);
      const [a, b, a2] = await embedder.embed(["pick up the red cup", "the garage door is open", "pick up the red cup"]);
      expect(a!.length).toBe(64);
      expect(Math.hypot(...a!)).toBeCloseTo(1, 4);
      expect(Array.from(a2!)).toEqual(Array.from(a!));
      expect(Array.from(b!)).not.toEqual(Array.from(a!));
      // The memory works on top of it, like with any encoder.
      const memory = await openSqliteMemory({ embedder, dims: 2048 });
      await memory.remember([
        { stamp: { sec: 1, nanosec: 0 }, robot_id: "r1", agent: "r1", action: "pick", object: "cup", location: "kitchen", result: "FAILED", description: "pick up the red cup", source: "remember" },
        { stamp: { sec: 2, nanosec: 0 }, robot_id: "r1", agent: "r1", action: "open", object: "door", location: "garage", result: "SUCCEEDED", description: "the garage door is open", source: "remember" },
      ]);
      const r = await memory.recall({ text: "pick up the red cup", k: 1 });
      expect(r.hits[0]!.episode.object).toBe("cup");
    } finally {
      await embedder.close();
    }
  });
});
