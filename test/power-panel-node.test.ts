import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  createChatRequest,
  createClassifyRequest,
  createSensorMsgsBatteryState,
  SensorMsgsBatteryStateConstants as Status,
  type ChatResponse,
  type DiagnosticMsgsDiagnosticArray,
  type PersonaState,
} from "../src/core/interfaces/messages.generated.js";
import { bakeModel } from "../src/core/persona/bake/bakeModel.js";
import { readBakeRecipe, recipeMatchesBlend } from "../src/core/persona/bake/bakeRecipe.js";
import { startDialogueNode, type DialogueNode } from "../src/nodes/dialogue.js";
import { InProcessGraph } from "../src/ros/inprocess/InProcessGraph.js";
import type { ParameterValue } from "../src/ros/GraphPort.js";
import { writeLoraAdapterGguf, writeTinyLlamaGguf } from "./fixtures/gguf/index.js";

const ADAPTERS = ["persona.warmth", "persona.playful", "persona.formal", "persona.encouragement", "expertise.medical", "expertise.coding", "expertise.teaching", "expertise.quantum"];
let dir: string;
let modelPath: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "power-panel-node-"));
  const model = writeTinyLlamaGguf(join(dir, "base.gguf"), { seed: 21 });
  modelPath = model.filePath;
  ADAPTERS.forEach((name, i) => writeLoraAdapterGguf(join(dir, `${name}.gguf`), { model, seed: 300 + i, rank: 4 }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitFor(done: () => boolean, what: string, ms = 5000): Promise<void> {
  for (const end = Date.now() + ms; !done() && Date.now() < end; ) await sleep(10);
  if (!done()) throw new Error(`timed out waiting for ${what}`);
}

interface Rig {
  graph: InProcessGraph;
  dialogue: DialogueNode;
  chat(text: string, extra?: Partial<ReturnType<typeof createChatRequest>>): Promise<ChatResponse>;
  battery(percentage: number, status?: number): void;
  states: PersonaState[];
  stream: string[];
  diagnostics: DiagnosticMsgsDiagnosticArray[];
}

let current: Rig | undefined;
afterEach(async () => {
  await current?.dialogue.close();
  await current?.graph.shutdown();
  current = undefined;
});

async function rig(overrides: Record<string, ParameterValue> = {}): Promise<Rig> {
  const graph = new InProcessGraph({ logLevel: "silent" });
  const dialogue = await startDialogueNode(graph, {
    parameterOverrides: { model_path: modelPath, adapter_dir: dir, gpu: "cpu", threads: 1, context_size: 1024, seed: 7, temperature: 0, memory_service: "", "power.battery_topic": "/battery", "monitoring.period_ms": 0, ...overrides },
  });
  const robot = graph.createNode("robot");
  const batteryPublisher = robot.createPublisher("sensor_msgs/msg/BatteryState", "/battery", 10);
  const client = robot.createClient("embodied_assistant/srv/Chat", "/dialogue/chat");
  const states: PersonaState[] = [];
  const stream: string[] = [];
  const diagnostics: DiagnosticMsgsDiagnosticArray[] = [];
  robot.createSubscription("embodied_assistant/msg/PersonaState", "/dialogue/persona_state", (m) => void states.push(m), { depth: 10, durability: "transient_local" });
  robot.createSubscription("std_msgs/msg/String", "/dialogue/reply_stream", (m) => void stream.push(m.data), 100);
  robot.createSubscription("diagnostic_msgs/msg/DiagnosticArray", "/diagnostics", (m) => void diagnostics.push(m), 100);
  current = {
    graph,
    dialogue,
    states,
    stream,
    diagnostics,
    chat: (text, extra = {}) => client.call({ ...createChatRequest(), session_id: `s${Math.random()}`, text, ...extra }, { timeoutMs: 60_000 }),
    battery: (percentage, status = Status.POWER_SUPPLY_STATUS_DISCHARGING) =>
      batteryPublisher.publish({ ...createSensorMsgsBatteryState(), present: true, percentage, power_supply_status: status, voltage: 25, current: -1 }),
  };
  return current;
}

function powerStatus(r: Rig) {
  const status = r.diagnostics.at(-1)?.status.find((s) => s.name === "dialogue: power");
  return { message: status?.message ?? "", values: Object.fromEntries((status?.values ?? []).map((kv) => [kv.key, kv.value])) };
}

describe("dialogue node: power awareness", () => {
  it("below the threshold on battery: shorter replies, fewer adapters, no expert routing; mode and reason in persona_state and /diagnostics", async () => {
    const r = await rig();
    const question = "Can you explain my python homework step by step?";
    r.battery(0.8);
    await waitFor(() => r.dialogue.power.monitor.counters.batteryReadings === 1, "the battery reading");
    const full = await r.chat(question);
    expect(full).toMatchObject({ success: true, power_mode: "full", power_reason: "battery 80%, discharging" });
    expect(full.active_adapters.length).toBeGreaterThanOrEqual(2);
    expect(full.routed_experts.length).toBeGreaterThan(0);
    expect(full.tokens).toBeGreaterThan(24);

    r.battery(0.25);
    await waitFor(() => r.states.at(-1)?.power_mode === "reduce", "persona_state in reduce mode");
    expect(r.states.at(-1)!.power_reason).toBe("battery 25% < 30%, discharging");
    expect(r.states.at(-1)!.active_adapters).toHaveLength(1);
    const reduced = await r.chat(question);
    expect(reduced).toMatchObject({ success: true, power_mode: "reduce" });
    // No expert routing: the experts keep the operator's base weights (routing raised coding at full power).
    const weightOf = (res: ChatResponse, name: string) => res.persona_weights[res.persona_names.indexOf(name)];
    expect(weightOf(full, "expertise.coding")).not.toBeCloseTo(r.dialogue.weights().experts.coding, 5);
    expect(weightOf(reduced, "expertise.coding")).toBeCloseTo(r.dialogue.weights().experts.coding, 5);
    expect(reduced.message).toContain("power reduce: battery 25% < 30%, discharging");
    expect(reduced.tokens).toBeLessThanOrEqual(24);
    expect(reduced.tokens).toBeLessThan(full.tokens);
    expect(reduced.active_adapters).toHaveLength(1);
    // persona_state said which one the next turn keeps (the strongest of the unrouted blend), and it was.
    expect(reduced.active_adapters).toEqual(r.states.at(-1)!.active_adapters);

    await waitFor(() => powerStatus(r).values["mode"] === "reduce", "/diagnostics power status");
    expect(powerStatus(r).message).toBe("reduce: battery 25% < 30%, discharging");

    // Each change of mode once: more low readings change nothing, the charger lifts it.
    const statesBefore = r.states.length;
    for (const p of [0.24, 0.23, 0.22]) r.battery(p);
    await sleep(50);
    expect(r.states.length).toBe(statesBefore);
    r.battery(0.22, Status.POWER_SUPPLY_STATUS_CHARGING);
    await waitFor(() => r.states.at(-1)?.power_mode === "full", "full mode on the charger");
    expect(r.dialogue.power.monitor.counters.modeChanges).toBe(2);
  }, 60_000);

  it("pause answers model-free; out-of-range readings are ignored and counted", async () => {
    const r = await rig({ "power.on_battery_behavior": "pause" });
    r.battery(0.1);
    await waitFor(() => r.states.at(-1)?.power_mode === "pause", "pause mode");
    const paused = await r.chat("What did you do today?");
    expect(paused).toMatchObject({ success: true, model_free: true, tokens: 0, power_mode: "pause", active_adapters: [] });
    r.battery(45); // a driver publishing 0..100
    r.battery(-0.2);
    r.battery(0.5, 9);
    await waitFor(() => r.dialogue.power.monitor.ignoredReadings === 3, "three ignored readings");
    expect(r.dialogue.power.decision().mode).toBe("pause"); // the last valid reading (10%) stands
    await waitFor(() => powerStatus(r).values["battery_ignored_out_of_range"] === "2", "the counters on /diagnostics");
    expect(powerStatus(r).values).toMatchObject({ battery_ignored_unknown_status: "1", battery_ignored_nan: "0", last_ignored: expect.stringMatching(/power_supply_status 9/) });
  }, 60_000);

  it("on the charger, a pending bake starts: the real persona bake, submitted through the node's background-work gate", async () => {
    const r = await rig();
    r.battery(0.6);
    await waitFor(() => r.dialogue.power.monitor.counters.batteryReadings === 1, "the battery reading");
    expect(r.dialogue.power.gate.check()).toEqual({ open: false, reason: "battery 60%, discharging" });
    const outPath = join(dir, "bakes", "warm-teacher.gguf");
    mkdirSync(join(dir, "bakes"), { recursive: true });
    const adapters = [
      { name: "persona.warmth", filePath: join(dir, "persona.warmth.gguf"), scale: 0.7 },
      { name: "expertise.teaching", filePath: join(dir, "expertise.teaching.gguf"), scale: 0.4 },
    ];
    let started = false;
    const bake = r.dialogue.power.gate.submit({
      name: "bake warm-teacher",
      run: async () => {
        started = true;
        return bakeModel({ basePath: modelPath, adapters, method: "linear", outPath, sliceMs: 5 });
      },
    });
    await sleep(50);
    expect(started).toBe(false);
    expect(existsSync(outPath)).toBe(false);
    await waitFor(() => powerStatus(r).values["background_pending"] === "1", "the pending bake on /diagnostics");
    r.battery(0.58, Status.POWER_SUPPLY_STATUS_CHARGING);
    const result = await bake;
    expect(started).toBe(true);
    expect(result.outPath).toBe(outPath);
    expect(recipeMatchesBlend(readBakeRecipe(outPath)!, adapters)).toBe(true);
    expect(r.dialogue.power.gate.counters).toMatchObject({ started: 1, deferred: 1, finished: 1 });
  }, 60_000);

  it("a policy parameter set at run time changes the mode at once", async () => {
    const r = await rig();
    r.battery(0.5);
    await waitFor(() => r.dialogue.power.monitor.counters.batteryReadings === 1, "the battery reading");
    expect((await r.chat("hello")).power_mode).toBe("full");
    expect(r.dialogue.node.setParameters({ "power.battery_threshold": 60 }).successful).toBe(true);
    expect((await r.chat("hello")).power_mode).toBe("reduce");
    expect(r.dialogue.node.setParameters({ "power.on_battery_behavior": "sleep" }).successful).toBe(false);
  }, 60_000);
});

describe("dialogue node: panel of takes", () => {
  it("Chat with perspectives gives N takes in order, each within 55 tokens with its member's scales, streamed tagged", async () => {
    const r = await rig({ "power.battery_topic": "" });
    const problem = "I keep procrastinating on my startup and worry my customers will leave";
    const res = await r.chat(problem, { perspectives: 3 });
    expect(res.success).toBe(true);
    expect(res.reply).toBe("");
    const classify = await r.graph.createNode("asker").createClient("embodied_assistant/srv/Classify", "/dialogue/classify").call({ ...createClassifyRequest(), text: problem, perspectives: 3 });
    expect(res.takes.map((t) => t.member)).toEqual(classify.members);
    const mixes = new Set<string>();
    for (const take of res.takes) {
      expect(take.tokens).toBeGreaterThan(0);
      expect(take.tokens).toBeLessThanOrEqual(55);
      expect(take.adapter_names.length).toBe(take.adapter_scales.length);
      expect(take.adapter_names.length).toBeGreaterThan(0);
      mixes.add(take.adapter_names.map((n, i) => `${n}@${take.adapter_scales[i]}`).join(","));
      const tagged = r.stream.filter((line) => line.startsWith(`[${take.member}] `)).map((line) => line.slice(take.member.length + 3));
      expect(tagged.join(" ")).toBe(take.take);
    }
    expect(mixes.size).toBe(3);
  }, 60_000);

  it("a request for takes with no panel configured is refused with the reason and counted in rejected_requests", async () => {
    const r = await rig({ "power.battery_topic": "", panel_file: "" });
    const res = await r.chat("what should I do?", { perspectives: 2 });
    expect(res.success).toBe(false);
    expect(res.message).toMatch(/^no panel of takes/);
    const generation = () => r.diagnostics.at(-1)?.status.find((s) => s.name === "dialogue: generation")?.values.find((kv) => kv.key === "rejected_requests")?.value;
    await waitFor(() => generation() === "1", "rejected_requests 1 on /diagnostics");
  });

  it("~/classify routes without generating: members, scores, keywords, embedding fallback and expert gates", async () => {
    const r = await rig({ "power.battery_topic": "" });
    const classify = r.graph.createNode("asker").createClient("embodied_assistant/srv/Classify", "/dialogue/classify");
    const keyworded = await classify.call({ ...createClassifyRequest(), text: "I feel stuck in my career and my python code has a bug", perspectives: 2 });
    expect(keyworded).toMatchObject({ success: true, members: ["eriksonian", expect.any(String)], matched_by: ["keywords", "embedding"], matched_keywords: ["career", ""] });
    expect(keyworded.routed_experts).toContain("coding");
    const fallback = await classify.call({ ...createClassifyRequest(), text: "Our shop lost half its buyers to the new store across the street", perspectives: 0 });
    expect(fallback.members).toHaveLength(2); // the panel's default count
    expect(fallback.matched_by).toEqual(["embedding", "embedding"]);
    expect(fallback.members[0]).toBe("business");
    expect(r.stream).toEqual([]);
    expect(r.dialogue.engine!.cacheStats().misses).toBe(0); // no context was ever built: nothing generated
    expect((await classify.call({ ...createClassifyRequest(), text: " " })).success).toBe(false);
  }, 60_000);
});
