import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { NgramEmbedder } from "../src/core/embedding/NgramEmbedder.js";
import { cleanReplies } from "../src/core/persona/workshop/datasets/cleanReplies.js";
import { generateSynthetic, LlamaReplyGenerator, type ReplyGenerator } from "../src/core/persona/workshop/datasets/syntheticReplies.js";
import { TurnLogStore } from "../src/core/persona/workshop/datasets/TurnLogStore.js";
import { loadContrastItems } from "../src/core/persona/workshop/datasets/starterSets.js";
import { writeTinyLlamaGguf } from "./fixtures/gguf/index.js";

const DATA = join(import.meta.dirname, "..", "data", "personas");
const dir = mkdtempSync(join(tmpdir(), "workshop-sources-"));

describe("turn log (the robot's own conversations)", () => {
  it("stores turns durably across reopen and exports them as messages, filtered by a dimension's range", () => {
    const path = join(dir, "turns.db");
    const store = new TurnLogStore(path);
    store.append({ at: 1, user: "hello", reply: "Hello, lovely to see you!", persona: { warmth: 0.9, formal: 0.2 } });
    store.append({ at: 2, user: "time?", reply: "It is noon.", persona: { warmth: 0.1 } });
    store.append({ at: 3, user: "recall", reply: "From memory: you left the cup.", persona: { warmth: 0.9 }, modelFree: true });
    expect(() => store.append({ at: 4, user: "x", reply: "y", persona: { warmth: 2 } })).toThrow();
    store.close();

    const reopened = new TurnLogStore(path);
    expect(reopened.count()).toBe(3);
    const all = reopened.exportMessages();
    expect(all.examples).toHaveLength(2);
    expect(all.skipped).toEqual({ "model-free reply": 1 });
    expect(all.examples[0]!.messages[0]!.content).toBe("persona warmth=0.9 formal=0.2");
    const warm = reopened.exportMessages({ dimension: "warmth", min: 0.7 });
    expect(warm.examples.map((e) => e.messages[2]!.content)).toEqual(["Hello, lovely to see you!"]);
    expect(warm.skipped["outside warmth range"]).toBe(1);
    reopened.close();
  });
});

describe("Hamster-style cleaning", () => {
  it("drops by length, forbidden phrase, identity leak and embedding near-duplicate, one reason each", async () => {
    const embedder = new NgramEmbedder({ dims: 1024 });
    const { kept, dropped } = await cleanReplies(
      ["Ok.", "I will bring you a glass of water now.", "I will bring you a glass of water now!", "As an AI, I cannot feel cold.", "Shut up and sit down.", "word ".repeat(60), "The bins go out on Thursday."],
      (t) => t,
      { forbiddenPhrases: ["shut up"], embedder, duplicateSimilarity: 0.9 },
    );
    expect(kept).toEqual(["I will bring you a glass of water now.", "The bins go out on Thursday."]);
    expect(dropped).toEqual({ "too short": 1, "too long": 1, "forbidden phrase": 1, "identity leak": 1, "near-duplicate": 1 });
  });
});

describe("synthetic replies", () => {
  const fakes: string[] = [];
  afterAll(() => fakes.splice(0));

  it("asks once per situation and pole with the 55-token limit and reports counts per reason", async () => {
    const prompts: Array<[string, number]> = [];
    const replies = ["Oh no, let me help you with that right away!", "Done.", "As an AI I have no feelings.", "Oh no, let me help you with that right away!"];
    const generator: ReplyGenerator = {
      generate: async (prompt, maxTokens) => {
        prompts.push([prompt, maxTokens]);
        return replies[prompts.length - 1] ?? "";
      },
      close: async () => {},
    };
    const items = loadContrastItems(DATA, "warmth").slice(0, 2);
    const { pairs, report } = await generateSynthetic(generator, { items, poles: { high: "warm and kind", low: "cool and matter-of-fact" }, embedder: new NgramEmbedder({ dims: 512 }) });
    expect(prompts).toHaveLength(4);
    expect(prompts.every(([, max]) => max === 55)).toBe(true);
    expect(prompts[0]![0]).toContain("warm and kind");
    expect(prompts[1]![0]).toContain("cool and matter-of-fact");
    expect(pairs.map((p) => p.pole)).toEqual(["high"]);
    expect(report).toEqual({ generated: 4, kept: 1, dropped: { "too short": 1, "identity leak": 1, "near-duplicate": 1 } });
  });

  it("runs against a real GGUF through node-llama-cpp (fixture model: the text is noise, the counts add up)", async () => {
    const model = writeTinyLlamaGguf(join(dir, "tiny.gguf"), { embeddingLength: 64, blockCount: 2, feedForwardLength: 128 });
    const generator = await LlamaReplyGenerator.load({ modelPath: model.filePath, contextSize: 256 });
    try {
      const items = loadContrastItems(DATA, "playful").slice(0, 1);
      const { pairs, report } = await generateSynthetic(generator, { items, poles: { high: "playful", low: "serious" }, maxTokens: 4 });
      const droppedTotal = Object.values(report.dropped).reduce((a, b) => a + b, 0);
      expect(report.generated).toBe(2);
      expect(pairs.length + droppedTotal).toBe(2);
    } finally {
      await generator.close();
    }
  }, 300_000);
});

describe("style scorer", () => {
  it("places held-out warm replies nearer the warm pole and curt ones nearer the curt pole (GloVe)", async () => {
    const { createEmbedder } = await import("../src/core/embedding/createEmbedder.js");
    const { StyleScorer } = await import("../src/core/persona/workshop/gate/StyleScorer.js");
    const { splitHeldOut } = await import("../src/core/persona/workshop/datasets/heldOutSplit.js");
    const { train, heldOut } = splitHeldOut(loadContrastItems(DATA, "warmth"), (i) => i.situation);
    const embedder = await createEmbedder({ kind: "glove" });
    try {
      const scorer = await StyleScorer.build(embedder, train.map((i) => i.high), train.map((i) => i.low));
      const high = await scorer.score(heldOut.map((i) => i.high));
      const low = await scorer.score(heldOut.map((i) => i.low));
      console.log(`style score of held-out warmth replies: high pole ${high.toFixed(2)}, low pole ${low.toFixed(2)}`);
      expect(high).toBeGreaterThan(0.3);
      expect(low).toBeLessThan(-0.3);
    } finally {
      await embedder.close();
    }
  });
});
