import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createChatRequest, createEpisode, createRecallResponse, type ChatResponse, type PersonaState } from "../src/core/interfaces/messages.generated.js";
import { startDialogueNode, type DialogueNode } from "../src/nodes/dialogue.js";
import { InProcessGraph } from "../src/ros/inprocess/InProcessGraph.js";
import type { ParameterValue } from "../src/ros/GraphPort.js";
import { writeLoraAdapterGguf, writeTinyLlamaGguf } from "./fixtures/gguf/index.js";

const ADAPTERS = ["persona.warmth", "persona.playful", "persona.formal", "persona.encouragement", "expertise.medical", "expertise.coding", "expertise.teaching", "expertise.quantum"];
let dir: string;
let modelPath: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "dialogue-node-"));
  const model = writeTinyLlamaGguf(join(dir, "base.gguf"), { seed: 21 });
  modelPath = model.filePath;
  ADAPTERS.forEach((name, i) => writeLoraAdapterGguf(join(dir, `${name}.gguf`), { model, seed: 300 + i, rank: 4 }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Rig {
  graph: InProcessGraph;
  dialogue: DialogueNode;
  chat(text: string, extra?: Partial<ReturnType<typeof createChatRequest>>): Promise<ChatResponse>;
  /** Resolves the next time memory is asked; memory answers when `release` is called (or at once if not held). */
  memory: { hold: boolean; calls: number; release: () => void; called: Promise<void> };
  states: PersonaState[];
  stream: string[];
}

async function rig(overrides: Record<string, ParameterValue> = {}, withMemory = true): Promise<Rig> {
  const graph = new InProcessGraph({ logLevel: "silent" });
  let notifyCalled!: () => void;
  const memory: Rig["memory"] = { hold: false, calls: 0, release: () => {}, called: new Promise((r) => (notifyCalled = r)) };
  if (withMemory) {
    const memoryNode = graph.createNode("memory");
    memoryNode.createService("embodied_assistant/srv/Recall", "~/recall", async () => {
      memory.calls++;
      notifyCalled();
      if (memory.hold) await new Promise<void>((r) => (memory.release = r));
      return { ...createRecallResponse(), success: true, episodes: [{ ...createEpisode(), id: "ep-7", description: "Picked up the red cup in the kitchen" }], scores: [0.8] };
    });
  }
  const dialogue = await startDialogueNode(graph, {
    parameterOverrides: { model_path: modelPath, adapter_dir: dir, gpu: "cpu", threads: 1, context_size: 1024, seed: 7, memory_timeout_ms: 500, ...overrides },
  });
  const client = graph.createNode("user").createClient("embodied_assistant/srv/Chat", "/dialogue/chat");
  const listener = graph.createNode("listener");
  const states: PersonaState[] = [];
  const stream: string[] = [];
  listener.createSubscription("embodied_assistant/msg/PersonaState", "/dialogue/persona_state", (m) => void states.push(m), { depth: 10, durability: "transient_local" });
  listener.createSubscription("std_msgs/msg/String", "/dialogue/reply_stream", (m) => void stream.push(m.data), 100);
  return {
    graph,
    dialogue,
    memory,
    states,
    stream,
    chat: (text, extra = {}) => client.call({ ...createChatRequest(), session_id: "s", text, ...extra }, { timeoutMs: 30_000 }),
  };
}

async function close(r: Rig) {
  await r.dialogue.close();
  await r.graph.shutdown();
}
const weightOf = (res: ChatResponse, name: string) => res.persona_weights[res.persona_names.indexOf(name)];

describe("dialogue node on the in-process graph", () => {
  it("chats with a persona vector, routed experts, citations and timings, and streams the reply", async () => {
    const r = await rig();
    const res = await r.chat("My python code has a bug", { session_id: "a" });
    expect(res.success).toBe(true);
    expect(res.model_free).toBe(false);
    expect(res.reply.length).toBeGreaterThan(0);
    expect(res.routed_experts[0]).toBe("coding");
    expect(res.expert_gates[0]).toBeGreaterThanOrEqual(0.5);
    expect(res.persona_names).toHaveLength(8);
    expect(res.cited_episodes).toEqual(["ep-7"]);
    expect(res.grounded).toBe(true);
    expect(res.tokens).toBeGreaterThan(0);
    expect(res.tokens).toBeLessThanOrEqual(55);
    expect(res.total_ms).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(r.stream.join(" ")).toBe(res.reply);
    await close(r);
  });

  it("applies a parameter set between two turns to the second turn, and the same weights reproduce the reply", async () => {
    const r = await rig();
    const text = "Please tell me about your day";
    const first = await r.chat(text, { session_id: "p1" });
    expect(r.dialogue.node.setParameters({ "persona.warmth": 0.05, "persona.encouragement": 0.05 }).successful).toBe(true);
    const second = await r.chat(text, { session_id: "p2" });
    expect(weightOf(first, "persona.warmth")).toBeCloseTo(0.85, 5);
    expect(weightOf(second, "persona.warmth")).toBeCloseTo(0.05, 5);
    expect(second.reply).not.toBe(first.reply);
    r.dialogue.node.setParameters({ "persona.warmth": 0.85, "persona.encouragement": 0.9 });
    const third = await r.chat(text, { session_id: "p3" });
    expect(third.reply).toBe(first.reply);
    // persona_state announced each change, with the adapters the next turn applies.
    await new Promise((resolve) => setTimeout(resolve, 20));
    const cold = r.states.find((s) => Math.abs((s.dimension_weights[0] ?? 1) - 0.05) < 1e-6);
    expect(cold?.active_adapters).toContain("persona.warmth");
    expect(cold?.model_loaded).toBe(true);
    await close(r);
  });

  it("never changes the persona mid-reply: a set during a turn applies to the next one", async () => {
    const r = await rig();
    r.memory.hold = true;
    const during = r.chat("What is a qubit?", { session_id: "m1" });
    await r.memory.called; // the turn has started (weights read) and waits on memory
    expect(r.dialogue.node.setParameters({ "persona.formal": 1.0 }).successful).toBe(true);
    r.memory.hold = false;
    r.memory.release();
    const res = await during;
    expect(weightOf(res, "persona.formal")).toBeCloseTo(0.3, 5);
    const next = await r.chat("What is a qubit?", { session_id: "m2" });
    expect(weightOf(next, "persona.formal")).toBe(1);
    await close(r);
  });

  it("applies temperature and memory_timeout_ms set at run time to the next turn", async () => {
    const r = await rig();
    const setOk = (values: Record<string, ParameterValue>) => expect(r.dialogue.node.setParameters(values).successful).toBe(true);
    setOk({ temperature: 0 });
    const greedy = await r.chat("Tell me about the kitchen", { session_id: "t1" });
    setOk({ temperature: 2 });
    const hot = await r.chat("Tell me about the kitchen", { session_id: "t2" });
    setOk({ temperature: 0 });
    const greedyAgain = await r.chat("Tell me about the kitchen", { session_id: "t3" });
    expect(greedyAgain.reply).toBe(greedy.reply);
    expect(hot.reply).not.toBe(greedy.reply);

    // Started with 500 ms; memory answers after ~900 ms, within the new 3000 ms.
    setOk({ memory_timeout_ms: 3000 });
    r.memory.hold = true;
    const pending = r.chat("What happened with the cup?", { session_id: "t4" });
    await r.memory.called;
    await new Promise((resolve) => setTimeout(resolve, 900));
    r.memory.release();
    const grounded = await pending;
    expect(grounded.grounded, grounded.message).toBe(true);
    await close(r);
  });

  it("a corrupt persona file runs the node degraded: model-free, neutral persona, the reason at ERROR", async () => {
    const graph = new InProcessGraph({ logLevel: "silent" });
    const bad = join(dir, "bad-persona.yaml");
    writeFileSync(bad, "name: [unclosed\n");
    const node = await startDialogueNode(graph, { parameterOverrides: { persona_file: bad, model_path: modelPath } });
    expect(node.engine).toBeUndefined();
    expect(node.weights().dimensions.warmth).toBe(0.5);
    const res = await graph.createNode("user").createClient("embodied_assistant/srv/Chat", "/dialogue/chat").call({ ...createChatRequest(), text: "hello" });
    expect(res.success).toBe(true);
    expect(res.model_free).toBe(true);
    await node.close();
    await graph.shutdown();
  });

  it("rejects out-of-range and unknown parameters with a reason", async () => {
    const r = await rig();
    const out = r.dialogue.node.setParameters({ "persona.warmth": 1.5 });
    expect(out.successful).toBe(false);
    expect(out.reason).toMatch(/range/);
    const unknown = r.dialogue.node.setParameters({ "persona.sarcasm": 0.5 });
    expect(unknown.successful).toBe(false);
    expect(unknown.reason.length).toBeGreaterThan(0);
    expect(r.dialogue.node.getParameter("persona.warmth")).toBe(0.85);
    expect(r.dialogue.node.getParameterDescriptor("expertise.quantum")?.floatingPointRange).toEqual({ from: 0, to: 1 });
    await close(r);
  });

  it("returns JSON-mode gesture and holds max_tokens, and queues concurrent chats", async () => {
    const r = await rig({ max_tokens: 12 });
    const results = await Promise.all([r.chat("Wave hello", { json_mode: true, session_id: "x" }), r.chat("hi", { session_id: "y" }), r.chat("hello", { session_id: "x", max_tokens: 3 })]);
    for (const res of results) expect(res.success).toBe(true);
    expect(["none", "nod", "wave", "point", "thumbs_up", "shrug"]).toContain(results[0].gesture);
    expect(results[0].tokens).toBeLessThanOrEqual(12);
    expect(results[2].tokens).toBeLessThanOrEqual(3);
    await close(r);
  });

  it("skips an unusable adapter at start instead of failing turns", async () => {
    const bad = mkdtempSync(join(tmpdir(), "dialogue-bad-"));
    writeFileSync(join(bad, "persona.playful.gguf"), "not a gguf");
    copyFileSync(join(dir, "persona.warmth.gguf"), join(bad, "persona.warmth.gguf"));
    const r = await rig({ adapter_dir: bad, "persona.playful": 1 });
    const res = await r.chat("hello there");
    expect(res.success).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const state = r.states.at(-1)!;
    expect(state.active_adapters).toContain("persona.warmth");
    expect(state.active_adapters).not.toContain("persona.playful");
    await close(r);
    rmSync(bad, { recursive: true, force: true });
  });

  it("replies ungrounded when memory is unreachable", async () => {
    const r = await rig({ memory_timeout_ms: 100 }, false);
    const res = await r.chat("Where is my cup?");
    expect(res.success).toBe(true);
    expect(res.grounded).toBe(false);
    expect(res.reply.length).toBeGreaterThan(0);
    await close(r);
  });

  it("replies from memory, marked model-free, without a model file", async () => {
    const r = await rig({ model_path: join(dir, "missing.gguf") });
    const res = await r.chat("Where is my cup?");
    expect(res.success).toBe(true);
    expect(res.model_free).toBe(true);
    expect(res.reply).toContain("Picked up the red cup");
    expect(res.cited_episodes).toEqual(["ep-7"]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(r.states.at(-1)?.model_loaded).toBe(false);
    await close(r);
  });
});
