import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getLlama, type Llama } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEpisode, type Episode } from "../src/core/interfaces/messages.generated.js";
import { Dialogue } from "../src/core/dialogue/Dialogue.js";
import { DialogueEngine } from "../src/core/dialogue/DialogueEngine.js";
import { FairTurnQueue, QueueTimeoutError, SessionQueueFullError } from "../src/core/dialogue/FairTurnQueue.js";
import type { RecallFn } from "../src/core/dialogue/grounding.js";
import { loadPersonaSpec, type PersonaSpec } from "../src/core/persona/PersonaSpec.js";
import { NO_ADAPTERS, specWeights } from "../src/core/persona/blendPersona.js";
import type { PersonaWeights } from "../src/core/persona/types.js";
import { writeLoraAdapterGguf, writeTinyLlamaGguf } from "./fixtures/gguf/index.js";

const ADAPTERS = ["persona.warmth", "persona.playful", "persona.formal", "persona.encouragement", "expertise.medical", "expertise.coding", "expertise.teaching", "expertise.quantum"];

let dir: string;
let llama: Llama;
let engine: DialogueEngine;
let spec: PersonaSpec;
let adapterFiles: Record<string, string>;

function episode(id: string, description: string): Episode {
  return { ...createEpisode(), id, description, object: "cup", result: "FAILED" };
}
const recall: RecallFn = async () => ({ episodes: [episode("ep-1", "Pick cup from table failed: the gripper slipped"), episode("ep-2", "Wiped the table")], scores: [0.9, 0.1] });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "dialogue-test-"));
  const model = writeTinyLlamaGguf(join(dir, "base.gguf"), { seed: 11 });
  adapterFiles = Object.fromEntries(
    ADAPTERS.map((name, i) => [name, writeLoraAdapterGguf(join(dir, `${name}.gguf`), { model, seed: 100 + i, rank: 4 }).filePath]),
  );
  const base = loadPersonaSpec(join(import.meta.dirname, "..", "configs", "personas", "teaching_assistant.yaml"));
  spec = {
    ...base,
    generation: { ...base.generation, seed: 42 },
    runtime: { ...base.runtime, gpu: false, threads: 1, contextSize: 1024 },
  };
  llama = await getLlama({ gpu: false, build: "never" });
  engine = await DialogueEngine.open({ modelPath: model.filePath, runtime: spec.runtime, llama });
});
afterAll(async () => {
  await engine?.close();
  await llama?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

function weights(dimensions: Partial<PersonaWeights["dimensions"]> = {}): PersonaWeights {
  const w = specWeights(spec);
  return { dimensions: { ...w.dimensions, ...dimensions }, experts: w.experts };
}

describe("dialogue on real llama.cpp (tiny random model, real tokenizer, LoRA adapters)", () => {
  it("keeps a history per session id, and none for an empty one (anonymous callers never see each other's turns)", async () => {
    const histories: number[] = [];
    const spy = Object.create(engine) as DialogueEngine;
    spy.generate = (args) => {
      histories.push(args.prompt.history.length);
      return engine.generate(args);
    };
    const dialogue = new Dialogue({ spec, adapterFiles, engine: spy, recall });
    const say = (sessionId: string) => dialogue.turn({ sessionId, text: "Can you help me learn fractions?", weights: weights(), maxTokens: 4 });
    await say("");
    await say("");
    await say("kid");
    await say("kid");
    expect(histories).toEqual([0, 0, 0, 1]);
  });

  it("with a fixed seed, a changed weight changes the reply and the same weights reproduce it", async () => {
    const dialogue = new Dialogue({ spec, adapterFiles, engine, recall });
    const ask = (w: PersonaWeights, session: string) => dialogue.turn({ sessionId: session, text: "Can you help me learn fractions?", weights: w, maxTokens: 24 });
    const a1 = await ask(weights({ warmth: 0.95 }), "s1");
    const b = await ask(weights({ warmth: 0.05 }), "s2");
    const a2 = await ask(weights({ warmth: 0.95 }), "s3");
    expect(a1.reply.length).toBeGreaterThan(0);
    expect(a1.blend.key).not.toBe(b.blend.key);
    expect(b.reply).not.toBe(a1.reply);
    expect(a2.reply).toBe(a1.reply);
    expect(a2.contextCached).toBe(true);
    expect(a1.citedEpisodes).toEqual(["ep-1"]); // ep-2 is below minScore
    expect(a1.grounded).toBe(true);
  });

  it("holds the hard token limit", async () => {
    const dialogue = new Dialogue({ spec, adapterFiles, engine, recall });
    for (const maxTokens of [1, 7, 55]) {
      const r = await dialogue.turn({ sessionId: `t${maxTokens}`, text: "Tell me a long story about robots", weights: weights(), maxTokens });
      expect(r.tokens).toBeLessThanOrEqual(maxTokens);
      expect(r.tokens).toBeGreaterThan(0);
    }
  });

  it("returns valid JSON {say, gesture} in JSON mode, even when the token limit cuts the model off", async () => {
    const dialogue = new Dialogue({ spec, adapterFiles, engine, recall });
    for (const maxTokens of [12, 55]) {
      const r = await dialogue.turn({ sessionId: `j${maxTokens}`, text: "Wave at me!", weights: weights(), maxTokens, jsonMode: true });
      const parsed = JSON.parse(r.json!) as { say: string; gesture: string };
      expect(typeof parsed.say).toBe("string");
      expect(spec.generation.gestures).toContain(parsed.gesture);
      expect(r.gesture).toBe(parsed.gesture);
      expect(r.tokens).toBeLessThanOrEqual(maxTokens);
    }
    // With room to finish, the grammar itself produces parseable JSON.
    const raw = await engine.generate({
      mix: NO_ADAPTERS,
      prompt: { system: "Answer in JSON.", history: [], user: "hi" },
      maxTokens: 400,
      temperature: 0,
      topP: 1,
      stop: [],
      json: { gestures: ["none", "wave"], sayMaxLength: 40 },
    });
    expect(raw.json?.parsed).toBe(true);
    expect(() => JSON.parse(raw.text)).not.toThrow();
  });

  it("never lets a forbidden phrase out, in the reply or the stream", async () => {
    const free = new Dialogue({ spec: { ...spec, generation: { ...spec.generation, forbiddenPhrases: [] } }, adapterFiles, engine, recall });
    const text = "What did you do today?";
    const first = await free.turn({ sessionId: "f1", text, weights: weights(), maxTokens: 40 });
    // Forbid words that the model really produces with this seed.
    const produced = first.reply.split(/\s+/).filter((w) => /^[A-Za-z]{3,}$/.test(w));
    expect(produced.length).toBeGreaterThan(0);
    const forbidden = produced.slice(0, 3);
    const filtered = new Dialogue({ spec, adapterFiles, engine, recall });
    const pieces: string[] = [];
    const second = await filtered.turn({ sessionId: "f2", text, weights: weights(), maxTokens: 40, forbiddenPhrases: forbidden, onPiece: (p) => pieces.push(p) });
    expect(second.removedPhrases).toBeGreaterThan(0);
    for (const phrase of forbidden) {
      expect(second.reply.toLowerCase()).not.toContain(phrase.toLowerCase());
      for (const p of pieces) expect(p.toLowerCase()).not.toContain(phrase.toLowerCase());
    }
    expect(pieces.join(" ")).toBe(second.reply);
  });

  it("replies ungrounded when memory is unreachable", async () => {
    const dialogue = new Dialogue({ spec, adapterFiles, engine, recall: async () => Promise.reject(new Error("no server")) });
    const r = await dialogue.turn({ sessionId: "u", text: "Where is my cup?", weights: weights(), maxTokens: 10 });
    expect(r.grounded).toBe(false);
    expect(r.citedEpisodes).toEqual([]);
    expect(r.reply.length).toBeGreaterThan(0);
    expect(r.notes.join()).toMatch(/no server/);
  });

  it("stops on cancellation, before or during generation", async () => {
    const dialogue = new Dialogue({ spec: { ...spec, generation: { ...spec.generation, stop: [] } }, adapterFiles, engine });
    const before = new AbortController();
    before.abort();
    const r = await dialogue.turn({ sessionId: "c", text: "Count to a thousand", weights: weights(), maxTokens: 500, signal: before.signal });
    expect(r.stopReason).toBe("abort");
    expect(r.tokens).toBe(0);
    const during = new AbortController();
    let chunks = 0;
    const g = await engine.generate({
      mix: NO_ADAPTERS,
      prompt: { system: "", history: [], user: "Count to a thousand" },
      maxTokens: 500,
      temperature: 0,
      topP: 1,
      stop: [],
      signal: during.signal,
      onText: () => {
        if (++chunks === 3) during.abort();
      },
    });
    expect(g.stopReason).toBe("abort");
    expect(g.tokens).toBeLessThan(20);
  });

  it("answers from memory, marked model-free, without a model", async () => {
    const dialogue = new Dialogue({ spec, adapterFiles: {}, recall });
    const r = await dialogue.turn({ sessionId: "m", text: "What happened with the cup?", weights: weights(), maxTokens: 55 });
    expect(r.modelFree).toBe(true);
    expect(r.reply).toMatch(/^\(model-free\) .*From memory: Pick cup from table failed/);
    const cool = await dialogue.turn({ sessionId: "m", text: "What happened with the cup?", weights: weights({ warmth: 0.1, encouragement: 0.1, playful: 0.1, formal: 0.5 }), maxTokens: 55 });
    expect(cool.reply).toBe("(model-free) From memory: Pick cup from table failed: the gripper slipped.");
    expect(r.reply).not.toBe(cool.reply);
    expect(r.citedEpisodes).toEqual(["ep-1"]);
  });
});

describe("fair turn queue", () => {
  it("alternates between sessions and times out turns that wait too long", async () => {
    const queue = new FairTurnQueue({ timeoutMs: 1000 });
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const runs = [
      queue.run("a", async () => { await gate; order.push("a1"); }),
      queue.run("a", async () => { order.push("a2"); }),
      queue.run("a", async () => { order.push("a3"); }),
      queue.run("b", async () => { order.push("b1"); }),
    ];
    release();
    await Promise.all(runs);
    expect(order).toEqual(["a1", "b1", "a2", "a3"]);

    const closing = new FairTurnQueue();
    const running = closing.run("a", () => new Promise((r) => setTimeout(r, 30)));
    const waiting = closing.run("b", async () => "never");
    closing.rejectWaiting(new Error("shutting down"));
    await expect(waiting).rejects.toThrow("shutting down");
    await running;
    await closing.idle();

    const slow = new FairTurnQueue({ timeoutMs: 20 });
    const blocker = slow.run("x", () => new Promise((r) => setTimeout(r, 200)));
    await expect(slow.run("y", async () => 1)).rejects.toBeInstanceOf(QueueTimeoutError);
    await blocker;
  });

  it("keeps room for other sessions when one session floods it", async () => {
    const queue = new FairTurnQueue({ capacity: 8 });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const first = queue.run("chatty", () => gate);
    const waiting = [queue.run("chatty", async () => 1), queue.run("chatty", async () => 2)];
    await expect(queue.run("chatty", async () => 3)).rejects.toBeInstanceOf(SessionQueueFullError);
    await expect(queue.run("chatty", async () => 3)).rejects.toThrow(/session chatty has 2 turns waiting/);
    const quiet = queue.run("quiet", async () => "heard");
    release();
    await first;
    expect(await quiet).toBe("heard");
    expect(await Promise.all(waiting)).toEqual([1, 2]);
  });
});
