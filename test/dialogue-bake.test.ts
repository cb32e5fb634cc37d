/**
 * Issue #9 item 7: the dialogue node runs a registered bake when the live weights' blend equals its
 * recipe (no runtime adapters, the same greedy output as the blend), the runtime blend when a dial
 * moves off it, and with bake_on_idle bakes a new mix in the background, switching at the next turn
 * after the bake finishes (never mid-reply) and only when the power gate allows; ~/persona_state
 * says which is in use.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createChatRequest, createEpisode, createRecallResponse, type ChatResponse, type PersonaState } from "../src/core/interfaces/messages.generated.js";
import type { GenerateResult } from "../src/core/dialogue/DialogueEngine.js";
import { ModelRegistry } from "../src/core/persona/ModelRegistry.js";
import { loadPersonaSpec } from "../src/core/persona/PersonaSpec.js";
import { resolveAdapterFiles } from "../src/core/persona/resolveAdapterFiles.js";
import { PERSONA_SLOTS } from "../src/core/persona/personaSlots.js";
import { mixFromWeights, specWeights } from "../src/core/persona/bake/bakeInputs.js";
import { bakeModel } from "../src/core/persona/bake/bakeModel.js";
import { bakeBaseFor, bakeOutPath } from "../src/core/persona/bake/planBake.js";
import { BackgroundBaker } from "../src/core/persona/bake/BackgroundBaker.js";
import { readBakeRecipe } from "../src/core/persona/bake/bakeRecipe.js";
import { startDialogueNode, type DialogueStartOptions, type DialogueNode } from "../src/nodes/dialogue.js";
import type { ParameterValue } from "../src/ros/GraphPort.js";
import { InProcessGraph } from "../src/ros/inprocess/InProcessGraph.js";
import { writeLoraAdapterGguf, writeTinyLlamaGguf } from "./fixtures/gguf/index.js";

const PERSONA = join(import.meta.dirname, "..", "configs", "personas", "teaching_assistant.yaml");
let root: string;
let modelPath: string;
let adapterDir: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "dialogue-bake-"));
  adapterDir = join(root, "adapters");
  mkdirSync(adapterDir);
  // F32, so a linear bake equals the runtime blend up to float rounding.
  const model = writeTinyLlamaGguf(join(root, "base.gguf"), { seed: 23, embeddingLength: 128, feedForwardLength: 256, blockCount: 2, headCount: 4 });
  modelPath = model.filePath;
  PERSONA_SLOTS.forEach((slot, i) => writeLoraAdapterGguf(join(adapterDir, `${slot.key}.gguf`), { model, seed: 700 + i, rank: 4, alpha: 8 }));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitFor(done: () => boolean, what: string, ms = 30_000): Promise<void> {
  for (const end = Date.now() + ms; !done() && Date.now() < end; ) await sleep(10);
  if (!done()) throw new Error(`timed out waiting for ${what}`);
}

/** A registry of its own per test: a models.yaml whose bakes folder starts empty. */
function registryDir(name: string): { modelsFile: string; bakesDir: string } {
  const dir = join(root, name);
  mkdirSync(dir);
  writeFileSync(join(dir, "models.yaml"), "root: .\nbakes: bakes\n");
  return { modelsFile: join(dir, "models.yaml"), bakesDir: join(dir, "bakes") };
}

interface Rig {
  graph: InProcessGraph;
  node: DialogueNode;
  states: PersonaState[];
  results: GenerateResult[];
  memory: { hold: boolean; release: () => void; called: number };
  chat(text: string, session: string): Promise<ChatResponse>;
  set(values: Record<string, ParameterValue>): void;
}

async function rig(modelsFile: string, overrides: Record<string, ParameterValue> = {}, start: Partial<DialogueStartOptions> = {}): Promise<Rig> {
  const graph = new InProcessGraph({ logLevel: "silent" });
  const memory: Rig["memory"] = { hold: false, release: () => {}, called: 0 };
  graph.createNode("memory").createService("embodied_assistant/srv/Recall", "~/recall", async () => {
    memory.called++;
    if (memory.hold) await new Promise<void>((r) => (memory.release = r));
    return { ...createRecallResponse(), success: true, episodes: [{ ...createEpisode(), id: "ep-1", description: "Picked up the red cup" }], scores: [0.8] };
  });
  const node = await startDialogueNode(graph, {
    ...start,
    parameterOverrides: {
      persona_file: PERSONA,
      models_file: modelsFile,
      model_path: modelPath,
      adapter_dir: adapterDir,
      gpu: "cpu",
      threads: 1,
      context_size: 512,
      temperature: 0,
      seed: 7,
      max_tokens: 16,
      routing: false,
      memory_timeout_ms: 60_000,
      ...overrides,
    },
  });
  const results: GenerateResult[] = [];
  const generate = node.engine!.generate.bind(node.engine!);
  vi.spyOn(node.engine!, "generate").mockImplementation(async (request) => {
    const result = await generate(request);
    results.push(result);
    return result;
  });
  const states: PersonaState[] = [];
  const listener = graph.createNode("listener");
  listener.createSubscription("embodied_assistant/msg/PersonaState", "/dialogue/persona_state", (m) => void states.push(m), { depth: 10, durability: "transient_local" });
  const client = listener.createClient("embodied_assistant/srv/Chat", "/dialogue/chat");
  return {
    graph,
    node,
    states,
    results,
    memory,
    chat: (text, session) => client.call({ ...createChatRequest(), session_id: session, text }, { timeoutMs: 60_000 }),
    set: (values) => expect(node.node.setParameters(values).successful).toBe(true),
  };
}

async function close(r: Rig): Promise<void> {
  await r.node.close();
  await r.graph.shutdown();
}

describe("dialogue node with baked personas", () => {
  it("runs a registered bake that equals the live blend (no adapters, the blend's greedy output), and the blend when a dial moves", async () => {
    const { modelsFile, bakesDir } = registryDir("registered");
    const spec = loadPersonaSpec(PERSONA);
    const registry = ModelRegistry.load(modelsFile);
    const mix = mixFromWeights(spec, specWeights(spec), resolveAdapterFiles(spec, registry, adapterDir));
    expect(mix.adapters.length).toBe(3);
    const base = bakeBaseFor(registry, modelPath);
    const bakePath = bakeOutPath(bakesDir, spec.name, base, mix);
    mkdirSync(bakesDir, { recursive: true });
    await bakeModel({ basePath: base.path, baseName: base.name, adapters: mix.adapters, method: "linear", outPath: bakePath });
    // A TIES bake of the same mix computes something else: registered as a file, never used for the blend.
    await bakeModel({ basePath: base.path, adapters: mix.adapters, method: "ties", density: 0.3, outPath: join(bakesDir, "ties.gguf") });

    const r = await rig(modelsFile);
    try {
      await waitFor(() => r.states.at(-1)?.baked_model === bakePath, "persona_state naming the bake");
      const state = r.states.at(-1)!;
      expect(state.active_adapters).toEqual(mix.adapters.map((a) => a.name));
      expect(r.node.bakes()!.size).toBe(1);
      expect(r.node.bakes()!.skipped.get(join(bakesDir, "ties.gguf"))).toMatch(/ties/);

      const onBake = await r.chat("Say something nice about cups", "a");
      expect(onBake.success).toBe(true);
      expect(r.results.at(-1)).toMatchObject({ bakedModel: bakePath, runtimeAdapters: 0 });

      // The same greedy turn on the runtime blend gives the same tokens.
      const prompt = { system: "You are Robo.", history: [], user: "hello there" };
      const request = { prompt, maxTokens: 16, temperature: 0, topP: 1, stop: [] };
      const viaBlend = await r.node.engine!.generate({ ...request, mix });
      const viaBake = await r.node.engine!.generate({ ...request, mix, bakedModel: bakePath });
      expect(viaBlend.runtimeAdapters).toBe(3);
      expect(viaBake.runtimeAdapters).toBe(0);
      expect(viaBlend.tokens).toBeGreaterThan(0);
      expect(viaBake.text).toBe(viaBlend.text);

      // A dial moved: the blend no longer equals the recipe, so turns run on the runtime adapters.
      r.set({ "persona.warmth": 0.5 });
      await waitFor(() => r.states.at(-1)?.baked_model === "", "persona_state back on the blend");
      await r.chat("Say something nice about cups", "b");
      expect(r.results.at(-1)!.bakedModel).toBeUndefined();
      expect(r.results.at(-1)!.runtimeAdapters).toBeGreaterThan(0);
      // And back: the bake serves again.
      r.set({ "persona.warmth": spec.dimensions.warmth.weight });
      await waitFor(() => r.states.at(-1)?.baked_model === bakePath, "persona_state on the bake again");
      await r.chat("Say something nice about cups", "c");
      expect(r.results.at(-1)!.bakedModel).toBe(bakePath);
      expect(r.states.at(-1)!.bake_status).toBe("off");
    } finally {
      await close(r);
    }
  }, 120_000);

  it("bake_on_idle: bakes a changed mix in the background once the gate allows, and switches at the next turn, never mid-reply", async () => {
    const { modelsFile, bakesDir } = registryDir("idle");
    let gateOpen = false;
    const r = await rig(modelsFile, { bake_on_idle: true, bake_idle_ms: 200 }, { mayRunBackgroundWork: () => gateOpen });
    try {
      // Several dial moves in a row: one bake of the last mix, once they rest; none while the gate is closed.
      r.set({ "persona.warmth": 0.2 });
      r.set({ "persona.warmth": 0.3 });
      r.set({ "persona.playful": 0.9 });
      await waitFor(() => /power policy/.test(r.states.at(-1)?.bake_status ?? ""), "bake_status waiting for the power gate");
      await sleep(300);
      expect(r.node.baker.counters.started).toBe(0);
      expect(existsSync(bakesDir) ? readdirSync(bakesDir).filter((f) => f.endsWith(".gguf")) : []).toEqual([]);

      // A turn starts on the blend and is held (memory answers late) while the bake runs and finishes.
      r.memory.hold = true;
      const held = r.chat("Say something nice about cups", "a");
      await waitFor(() => r.memory.called > 0, "the turn to start");
      gateOpen = true;
      await waitFor(() => (r.states.at(-1)?.baked_model ?? "") !== "", "persona_state naming the new bake", 60_000);
      const bakePath = r.states.at(-1)!.baked_model;
      expect(r.node.baker.counters).toMatchObject({ started: 1, finished: 1, failed: 0 });
      expect(r.states.at(-1)!.bake_status).toBe("idle");
      r.memory.hold = false;
      r.memory.release();
      expect((await held).success).toBe(true);
      expect(r.results.at(-1)).toMatchObject({ runtimeAdapters: 3 });
      expect(r.results.at(-1)!.bakedModel).toBeUndefined();

      // The next turn runs on the bake.
      await r.chat("Say something nice about cups", "b");
      expect(r.results.at(-1)).toMatchObject({ bakedModel: bakePath, runtimeAdapters: 0 });
      expect(r.node.bakes()!.list().get(bakePath)!.weights).toMatchObject({ "persona.warmth": 0.3, "persona.playful": 0.9 });
      expect(r.node.bakes()!.list().get(bakePath)!.adapters.map((a) => a.name)).toEqual(r.states.at(-1)!.active_adapters);
    } finally {
      await close(r);
    }
  }, 120_000);
});

describe("background baker", () => {
  it("bakes only the last of several quick requests, stops when the gate closes mid-bake, and resumes when it opens", async () => {
    const dir = join(root, "baker");
    mkdirSync(dir);
    const spec = loadPersonaSpec(PERSONA);
    const files = resolveAdapterFiles(spec, ModelRegistry.empty(root), adapterDir);
    const mixOf = (warmth: number) => mixFromWeights(spec, { ...specWeights(spec), dimensions: { ...specWeights(spec).dimensions, warmth } }, files);
    let gateChecks = 0;
    let gateOpen = true;
    const baked: string[] = [];
    const statuses: string[] = [];
    const baker = new BackgroundBaker({
      base: () => ({ path: modelPath, name: "fixture" }),
      outPath: (mix) => join(dir, `${mix.key.length}-${mix.adapters.map((a) => a.scale).join("_")}.gguf`),
      idleMs: 50,
      // Open at the start, closed at the first tensor: the bake stops there and waits.
      mayRunBackgroundWork: () => (++gateChecks === 2 ? (gateOpen = false) : gateOpen),
      onBaked: (path) => baked.push(path),
      onStatus: (status) => statuses.push(status),
      sliceMs: 0,
    });
    try {
      baker.request(mixOf(0.1));
      baker.request(mixOf(0.2));
      const last = mixOf(0.95);
      baker.request(last);
      await waitFor(() => statuses.some((t) => /power policy/.test(t)) && !baker.busy, "the bake to stop at the closed gate");
      expect(baker.counters).toMatchObject({ started: 1, finished: 0 });
      expect(readdirSync(dir)).toEqual([]); // no half file, no .partial
      gateOpen = true;
      await waitFor(() => baked.length === 1, "the bake to finish after the gate opens");
      expect(baker.counters).toMatchObject({ started: 2, finished: 1, failed: 0 });
      expect(readBakeRecipe(baked[0]!)!.adapters.map((a) => [a.name, a.scale])).toEqual(last.adapters.map((a) => [a.name, a.scale]));
      expect(readdirSync(dir)).toHaveLength(1);
      expect(baker.status).toBe("idle");
    } finally {
      await baker.close();
    }
  }, 60_000);
});
