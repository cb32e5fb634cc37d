import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getLlama, type Llama } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DialogueEngine } from "../src/core/dialogue/DialogueEngine.js";
import { GloveEmbedder } from "../src/core/embedding/GloveEmbedder.js";
import { specWeights } from "../src/core/persona/blendPersona.js";
import { hashedBagOfWords } from "../src/core/persona/ExpertRouter.js";
import { memberBlend } from "../src/core/persona/panel/memberBlend.js";
import { PanelOfTakes } from "../src/core/persona/panel/PanelOfTakes.js";
import { PanelRouter } from "../src/core/persona/panel/PanelRouter.js";
import { loadPersonaSpec, parsePersonaSpec, PersonaSpecError, type PersonaSpec } from "../src/core/persona/PersonaSpec.js";
import { writeLoraAdapterGguf, writeTinyLlamaGguf } from "./fixtures/gguf/index.js";

const ADAPTERS = ["persona.warmth", "persona.playful", "persona.formal", "persona.encouragement", "expertise.medical", "expertise.coding", "expertise.teaching", "expertise.quantum"];
const HAMSTER = join(import.meta.dirname, "..", "configs", "personas", "hamster_panel.yaml");

let dir: string;
let llama: Llama;
let engine: DialogueEngine;
let spec: PersonaSpec;
let adapterFiles: Record<string, string>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "panel-test-"));
  const model = writeTinyLlamaGguf(join(dir, "base.gguf"), { seed: 13 });
  adapterFiles = Object.fromEntries(ADAPTERS.map((name, i) => [name, writeLoraAdapterGguf(join(dir, `${name}.gguf`), { model, seed: 500 + i, rank: 4 }).filePath]));
  const base = loadPersonaSpec(HAMSTER);
  spec = { ...base, generation: { ...base.generation, seed: 5 }, runtime: { ...base.runtime, gpu: false, threads: 1, contextSize: 512 } };
  llama = await getLlama({ gpu: false, build: "never" });
  engine = await DialogueEngine.open({ modelPath: model.filePath, runtime: spec.runtime, llama });
});
afterAll(async () => {
  await engine?.close();
  await llama?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe("panel spec", () => {
  it("ships a hamster panel of six perspectives with trigger keywords and their own mixes", () => {
    const panel = loadPersonaSpec(HAMSTER).panel!;
    expect(panel.members.map((m) => m.name)).toEqual(["eriksonian", "adlerian", "behavioral", "cognitive", "business", "finance"]);
    for (const m of panel.members) {
      expect(m.keywords.length).toBeGreaterThanOrEqual(8);
      expect(Object.keys(m.weights.persona).length).toBeGreaterThan(0);
    }
    expect(panel.maxTakeTokens).toBe(55);
  });

  it("refuses duplicate members, takes over 55 tokens and weights out of range, naming the field", () => {
    const base = loadPersonaSpec(HAMSTER);
    const member = base.panel!.members[0]!;
    const bad = (panel: unknown) => () => parsePersonaSpec({ ...base, panel });
    expect(bad({ members: [member, member] })).toThrow(/member names must be unique/);
    expect(bad({ maxTakeTokens: 56, members: [member] })).toThrow(/panel\.maxTakeTokens/);
    expect(bad({ members: [{ ...member, weights: { persona: { warmth: 1.5 } } }] })).toThrow(PersonaSpecError);
  });
});

describe("panel router", () => {
  it("picks members by trigger keywords first, more hits first", () => {
    const router = new PanelRouter(spec.panel!);
    const chosen = router.choose("I keep procrastinating and worry that I will always be a failure", 3);
    expect(chosen.map((c) => c.member.name)).toEqual(["cognitive", "behavioral", expect.any(String)]);
    expect(chosen[0]).toMatchObject({ matchedBy: "keywords", keywords: ["worry", "always", "failure"] });
    expect(chosen[1]).toMatchObject({ matchedBy: "keywords", keywords: ["procrastinating"] });
    expect(chosen[0]!.score).toBeGreaterThan(chosen[1]!.score);
    expect(chosen[2]!.matchedBy).toBe("embedding");
    expect(chosen[2]!.score).toBeLessThan(0.5);
  });

  it("falls back to the nearest members by embedding when no keyword matches", () => {
    const glove = GloveEmbedder.load();
    const router = new PanelRouter(spec.panel!, (t) => glove.embedSync(t));
    const chosen = router.choose("Our shop lost half its buyers to the new store across the street", 2);
    expect(chosen.every((c) => c.matchedBy === "embedding" && c.keywords.length === 0)).toBe(true);
    expect(chosen[0]!.member.name).toBe("business");
    // Nearest first: the similarities are in descending order over the whole ranking.
    const ranked = router.rank("Our shop lost half its buyers to the new store across the street");
    expect(ranked.map((c) => c.similarity)).toEqual([...ranked.map((c) => c.similarity)].sort((a, b) => b - a));
    // Without data, the hashed encoder still finds the member whose example shares the words.
    const hashed = new PanelRouter(spec.panel!, hashedBagOfWords());
    const nearest = hashed.choose("Nothing is left in my account at the end of the month", 1)[0]!;
    expect(nearest).toMatchObject({ matchedBy: "embedding", keywords: [] });
    expect(nearest.member.name).toBe("finance");
  });

  it("0 perspectives means the panel's default count; more than the panel gives the whole panel", () => {
    const router = new PanelRouter(spec.panel!);
    expect(router.choose("anything", 0)).toHaveLength(spec.panel!.defaultPerspectives);
    expect(router.choose("anything", 40)).toHaveLength(6);
  });
});

describe("panel of takes on the fixture model", () => {
  it("gives N takes in router order, each within 55 tokens, each from its member's own mix, streamed tagged", async () => {
    const panel = new PanelOfTakes({ spec, panel: spec.panel!, adapterFiles, engine });
    const streamed: Array<[string, string]> = [];
    const problem = "I keep procrastinating on my startup and worry my customers will leave";
    const result = await panel.takes({ problem, perspectives: 3, weights: specWeights(spec), temperature: 0, onPiece: (member, piece) => void streamed.push([member, piece]) });
    expect(result.modelFree).toBe(false);
    expect(result.takes.map((t) => t.member)).toEqual(panel.classify(problem, 3).map((c) => c.member.name));
    const scaleVectors = new Set<string>();
    for (const take of result.takes) {
      expect(take.tokens).toBeGreaterThan(0);
      expect(take.tokens).toBeLessThanOrEqual(55);
      const member = spec.panel!.members.find((m) => m.name === take.member)!;
      expect(take.adapters).toEqual(memberBlend(spec, member, specWeights(spec), { adapterFiles }).adapters);
      scaleVectors.add(take.adapters.map((a) => `${a.name}@${a.scale}`).join(","));
      // What streamed for this member, joined, is exactly its take.
      expect(streamed.filter(([m]) => m === take.member).map(([, p]) => p).join(" ")).toBe(take.take);
    }
    expect(scaleVectors.size).toBe(3); // three members, three different mixes
  });

  it("holds a lower request limit, and in reduce mode applies at most the reduced adapter count", async () => {
    const panel = new PanelOfTakes({ spec, panel: spec.panel!, adapterFiles, engine });
    const result = await panel.takes({ problem: "money worries", perspectives: 2, weights: specWeights(spec), maxTokens: 8, maxAdapters: 1, temperature: 0 });
    for (const take of result.takes) {
      expect(take.tokens).toBeLessThanOrEqual(8);
      expect(take.adapters.length).toBeLessThanOrEqual(1);
    }
  });

  it("answers model-free, plainly marked, without a model or when paused", async () => {
    const panel = new PanelOfTakes({ spec, panel: spec.panel!, adapterFiles, engine });
    const result = await panel.takes({ problem: "I feel stuck in my career", perspectives: 2, weights: specWeights(spec), modelFree: true });
    expect(result.modelFree).toBe(true);
    expect(result.takes[0]).toMatchObject({ member: "eriksonian", tokens: 0, stopReason: "model-free", adapters: [] });
    expect(result.takes[0]!.take).toMatch(/^Model-free: the Eriksonian take looks at identity/);
  });
});
