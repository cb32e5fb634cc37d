import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createEpisode } from "../src/core/interfaces/messages.generated.js";
import { Dialogue } from "../src/core/dialogue/Dialogue.js";
import { looksLikeMemoryQuestion, modelFreeAnswer, type AskFn, type RecallFn } from "../src/core/dialogue/grounding.js";
import { loadPersonaSpec } from "../src/core/persona/PersonaSpec.js";
import { specWeights } from "../src/core/persona/blendPersona.js";
import type { PersonaWeights } from "../src/core/persona/types.js";
import { GloveEmbedder } from "../src/core/embedding/index.js";
import { AskEngine } from "../src/core/memory/ask/AskEngine.js";
import { openSqliteMemory } from "../src/core/memory/sqlite/openSqliteMemory.js";

const spec = loadPersonaSpec(join(import.meta.dirname, "..", "configs", "personas", "teaching_assistant.yaml"));
const cheerful = (): PersonaWeights => {
  const w = specWeights(spec);
  return { dimensions: { ...w.dimensions, warmth: 0.9, encouragement: 0.9, formal: 0.2, playful: 0.2 }, experts: w.experts };
};
const unrelated = { ...createEpisode(), id: "ep-1", description: "robot1 tried to pick the cup in the kitchen and succeeded" };
const recall: RecallFn = async () => ({ episodes: [unrelated], scores: [0.9] });

async function realAsk(): Promise<AskFn> {
  const glove = GloveEmbedder.load();
  const memory = await openSqliteMemory({ embedder: glove });
  const t = 1_763_650_000;
  await memory.remember([
    { id: "keys", stamp: { sec: t, nanosec: 0 }, robot_id: "robot1", agent: "robot1", action: "pick", object: "keys", location: "hallway", result: "SUCCEEDED", description: "robot1 tried to pick the keys in the hallway and succeeded", source: "action_outcome", durationS: 9 },
    unrelated,
  ]);
  const engine = new AskEngine(memory, { timeZone: "UTC", threshold: 0.5, now: () => t + 600 }, (w) => glove.embedSync(w));
  return async (question) => engine.ask({ question });
}

describe("model-free chat with Ask", () => {
  it("answers a memory question with Ask's sentence and cites its evidence", async () => {
    const dialogue = new Dialogue({ spec, adapterFiles: {}, recall, ask: await realAsk() });
    const r = await dialogue.turn({ sessionId: "s", text: "How long did it take to pick up the keys?", weights: cheerful(), maxTokens: 55 });
    expect(r.modelFree).toBe(true);
    expect(r.reply).toContain("It took 9 seconds");
    expect(r.citedEpisodes).toEqual(["keys"]);
  });

  it("says plainly it needs its model for anything else, with no cheerful closer, instead of an unrelated episode", async () => {
    const dialogue = new Dialogue({ spec, adapterFiles: {}, recall, ask: await realAsk() });
    const aid = await dialogue.turn({ sessionId: "s", text: "How do I treat a burn on my hand?", weights: cheerful(), maxTokens: 55 });
    expect(aid.reply).toContain("cannot answer that without my language model");
    expect(aid.reply).not.toContain("cup");
    expect(aid.reply).not.toMatch(/keep going|doing great|Happy to help/);
    expect(aid.citedEpisodes).toEqual([]);
    const chat = await dialogue.turn({ sessionId: "s", text: "Nice weather, isn't it?", weights: cheerful(), maxTokens: 55 });
    expect(chat.reply).toContain("cannot answer that without my language model");
  });

  it("says it does not remember a memory question it cannot answer", async () => {
    const dialogue = new Dialogue({ spec, adapterFiles: {}, recall, ask: await realAsk() });
    const r = await dialogue.turn({ sessionId: "s", text: "When did you last pick up the umbrella?", weights: cheerful(), maxTokens: 55 });
    expect(r.reply).toContain("umbrella");
    expect(r.reply).not.toMatch(/keep going|doing great/);
  });

  it("falls back to the recalled episode when there is no Ask service", async () => {
    const dialogue = new Dialogue({ spec, adapterFiles: {}, recall });
    const r = await dialogue.turn({ sessionId: "s", text: "What happened with the cup?", weights: cheerful(), maxTokens: 55 });
    expect(r.reply).toContain("From memory");
  });

  it("tells memory questions from the rest", () => {
    for (const q of ["What did you do today?", "When did you open the door?", "how many times did you fail?", "Did you give Ana the keys?"]) expect(looksLikeMemoryQuestion(q), q).toBe(true);
    for (const q of ["What should I put on a burn?", "can you explain how a qubit works?", "Hello there", "Tell me a joke"]) expect(looksLikeMemoryQuestion(q), q).toBe(false);
    expect(modelFreeAnswer({ answer: "x", abstained: true, kind: "none", episodes: [] }, "hello", { opener: "Happy to help!", closer: "Keep going!" })).toBe(
      "(model-free) Sorry. I cannot answer that without my language model. Without it I can only answer questions about what I did: when, how often, how long, where, who and why.",
    );
  });
});
