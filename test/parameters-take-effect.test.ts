/**
 * Issue #8 item 5: a parameter that accepts a set changes behaviour from its next use; every other
 * parameter is read-only. The parameters are enumerated from the running nodes, so a new
 * parameter without a probe here fails the test instead of being forgotten.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { TurnLogStore } from "../src/core/persona/workshop/datasets/TurnLogStore.js";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createChatRequest,
  createEpisode,
  createExportLogRequest,
  createAskRequest,
  createRecallRequest,
  createRecallResponse,
  createRememberRequest,
  type ActionOutcome,
  type ChatResponse,
  type DiagnosticMsgsDiagnosticStatus,
  type PersonaState,
  createSensorMsgsBatteryState,
} from "../src/core/interfaces/messages.generated.js";
import { startActionLogNode, type ActionLogNode } from "../src/nodes/action_log.js";
import { startDialogueNode, type DialogueNode } from "../src/nodes/dialogue.js";
import { startMemoryNode, type MemoryNode } from "../src/nodes/memory.js";
import type { GraphNode, ParameterValue } from "../src/ros/GraphPort.js";
import { InProcessGraph } from "../src/ros/inprocess/InProcessGraph.js";
import { ev } from "./fixtures/actionlog/helpers.js";
import { writeTinyLlamaGguf } from "./fixtures/gguf/index.js";

const dir = mkdtempSync(join(tmpdir(), "parameters-take-effect-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitFor(done: () => boolean, what: string, ms = 5000): Promise<void> {
  for (const end = Date.now() + ms; !done() && Date.now() < end; ) await sleep(10);
  if (!done()) throw new Error(`timed out waiting for ${what}`);
}

function set(node: GraphNode, name: string, value: ParameterValue): void {
  const result = node.setParameters({ [name]: value });
  expect(result.successful, `${name} := ${JSON.stringify(value)}: ${result.reason}`).toBe(true);
}

/** The node's parameters split by whether a set is accepted. */
function parametersOf(node: GraphNode): { tunable: string[]; readOnly: string[] } {
  const names = [...node.listParameters()];
  return {
    tunable: names.filter((n) => !node.getParameterDescriptor(n)!.readOnly),
    readOnly: names.filter((n) => node.getParameterDescriptor(n)!.readOnly),
  };
}

/** Fails, naming them, when the node has tunable parameters no probe covers. */
function expectProbesFor(node: GraphNode, probes: Record<string, unknown>, probeFor?: (name: string) => unknown): void {
  const missing = parametersOf(node).tunable.filter((n) => !(n in probes) && probeFor?.(n) === undefined);
  expect(missing, `tunable parameters of ${node.name} without a probe in this test`).toEqual([]);
}

function expectReadOnlyRefused(node: GraphNode): void {
  for (const name of parametersOf(node).readOnly) {
    const before = node.getParameter(name);
    const result = node.setParameters({ [name]: before });
    expect(result.successful, `${name} is declared read-only but accepted a set`).toBe(false);
    expect(result.reason).toContain("read-only");
  }
}

// ---------------- action_log ----------------

interface LogRig {
  graph: InProcessGraph;
  log: ActionLogNode;
  outcomes: ActionOutcome[];
  diagnostics: Map<string, DiagnosticMsgsDiagnosticStatus>;
  publish(partial: Parameters<typeof ev>[0]): void;
  exportDir: string;
}

async function logRig(): Promise<LogRig> {
  const graph = new InProcessGraph({ logLevel: "silent" });
  const db = mkdtempSync(join(dir, "log-"));
  const exportDir = join(db, "exports");
  // A long batch window, so a probe can see events waiting for their commit.
  const log = await startActionLogNode(graph, { parameterOverrides: { db_path: join(db, "log.db"), export_dir: exportDir, batch_max_ms: 1000 } });
  const probe = graph.createNode("probe");
  const events = probe.createPublisher("embodied_assistant/msg/ActionEvent", "/robot/action_events", 5000);
  const outcomes: ActionOutcome[] = [];
  probe.createSubscription("embodied_assistant/msg/ActionOutcome", "/assistant/action_outcomes", (o) => void outcomes.push(o), 1000);
  const diagnostics = new Map<string, DiagnosticMsgsDiagnosticStatus>();
  probe.createSubscription("diagnostic_msgs/msg/DiagnosticArray", "/diagnostics", (a) => {
    for (const s of a.status) diagnostics.set(s.name, s);
  });
  const now = () => Date.now() / 1000;
  return { graph, log, outcomes, diagnostics, exportDir, publish: (partial) => events.publish(ev({ t: now() - 1, ...partial })) };
}

type LogProbe = (r: LogRig) => Promise<void>;
const pending = (r: LogRig) => r.log.log.snapshot().pendingEvents;
const rejected = (r: LogRig, reason: string) => (r.log.log.snapshot().counters.rejected as Record<string, number>)[reason] ?? 0;

/** An event the log accepts at the default limit and refuses (for `reason`) once `name` is set to `value`. */
function refusedOnlyAfterSet(name: string, value: number, event: () => Parameters<typeof ev>[0], reason: string): LogProbe {
  return async (r) => {
    r.publish({ action_id: "before", ...event() });
    await sleep(50);
    expect(rejected(r, reason)).toBe(0);
    set(r.log.node, name, value);
    r.publish({ action_id: "after", ...event() });
    await waitFor(() => rejected(r, reason) === 1, `a ${reason} refusal after ${name} := ${value}`);
  };
}

const LOG_PROBES: Record<string, LogProbe> = {
  batch_max_events: async (r) => {
    r.publish({ action_id: "b1" });
    await sleep(100);
    expect(pending(r)).toBe(1);
    set(r.log.node, "batch_max_events", 1);
    r.publish({ action_id: "b2" });
    await waitFor(() => pending(r) === 0, "commit at one pending event", 500);
  },
  batch_max_ms: async (r) => {
    r.publish({ action_id: "m1" });
    await sleep(100);
    expect(pending(r)).toBe(1);
    r.log.log.flush();
    set(r.log.node, "batch_max_ms", 5);
    r.publish({ action_id: "m2" });
    await waitFor(() => pending(r) === 0, "commit after 5 ms", 500);
  },
  max_pending_events: async (r) => {
    // The bound holds events while commits fail: with the store failing, 1,001 wait under the
    // default bound, and the 1,001st is refused once the bound is 1,000.
    const store = r.log.log.store;
    const realCommit = store.commit.bind(store);
    store.commit = () => {
      throw new Error("disk I/O error");
    };
    set(r.log.node, "batch_max_events", 10_000);
    for (let i = 0; i < 1001; i++) r.publish({ action_id: `p${i}` });
    await waitFor(() => pending(r) === 1001, "1001 pending events");
    expect(rejected(r, "store_unavailable")).toBe(0);
    store.commit = realCommit;
    r.log.log.flush();
    store.commit = () => {
      throw new Error("disk I/O error");
    };
    set(r.log.node, "max_pending_events", 1000);
    for (let i = 0; i < 1001; i++) r.publish({ action_id: `q${i}` });
    await waitFor(() => rejected(r, "store_unavailable") === 1, "the 1001st event refused");
    store.commit = realCommit;
    r.log.log.flush();
  },
  action_timeout_s: async (r) => {
    set(r.log.node, "action_timeout_s", 1);
    r.publish({ action_id: "t1", t: Date.now() / 1000 });
    await waitFor(() => r.outcomes.some((o) => o.action_id === "t1" && o.result === "TIMEOUT"), "a TIMEOUT outcome after 1 s", 4000);
  },
  reorder_window_s: async (r) => {
    set(r.log.node, "batch_max_ms", 5);
    r.publish({ action_id: "w1", status: "FAILED" });
    await sleep(400);
    expect(r.outcomes.some((o) => o.action_id === "w1")).toBe(false); // waits 5 s for a late STARTED
    set(r.log.node, "reorder_window_s", 0);
    r.publish({ action_id: "w2", status: "FAILED" });
    await waitFor(() => r.outcomes.some((o) => o.action_id === "w2" && o.flag_reason.includes("end_without_start")), "an end_without_start outcome at once", 1000);
  },
  max_future_s: refusedOnlyAfterSet("max_future_s", 1, () => ({ t: Date.now() / 1000 + 10 }), "future_stamp"),
  max_detail_bytes: refusedOnlyAfterSet("max_detail_bytes", 64, () => ({ detail: "x".repeat(100) }), "oversized"),
  max_field_chars: refusedOnlyAfterSet("max_field_chars", 16, () => ({ object: "o".repeat(40) }), "oversized"),
  "retention.max_outcomes": async (r) => {
    for (const id of ["o1", "o2", "o3"]) r.publish({ action_id: id, status: "SUCCEEDED" });
    set(r.log.node, "reorder_window_s", 0);
    await waitFor(() => r.outcomes.length === 3, "3 outcomes");
    set(r.log.node, "retention.max_outcomes", 1);
    r.log.log.applyRetention();
    expect(r.log.log.store.queryOutcomes({}, 100, undefined).total).toBe(1);
  },
  "retention.max_events": async (r) => {
    for (const id of ["e1", "e2", "e3"]) r.publish({ action_id: id, status: "SUCCEEDED" });
    set(r.log.node, "reorder_window_s", 0);
    await waitFor(() => r.outcomes.length === 3, "3 outcomes");
    const before = r.log.log.applyRetention();
    expect(before.events).toBe(0);
    set(r.log.node, "retention.max_events", 1);
    expect(r.log.log.applyRetention().events).toBe(2);
  },
  "retention.max_age_s": async (r) => {
    r.publish({ action_id: "a1", status: "SUCCEEDED" });
    set(r.log.node, "reorder_window_s", 0);
    await waitFor(() => r.outcomes.length === 1, "an outcome");
    await sleep(1100);
    expect(r.log.log.applyRetention().outcomes).toBe(0);
    set(r.log.node, "retention.max_age_s", 1);
    expect(r.log.log.applyRetention().outcomes).toBe(1);
  },
  stats_window_s: async (r) => {
    const status = () => r.diagnostics.get("action_log: outcomes")?.message ?? "";
    await waitFor(() => status().includes("last 3600 s"), "diagnostics with the default window", 3000);
    set(r.log.node, "stats_window_s", 7);
    await waitFor(() => status().includes("last 7 s"), "diagnostics with the new window", 3000);
  },
  export_dir: async (r) => {
    const other = join(r.exportDir, "..", "other-exports");
    set(r.log.node, "export_dir", other);
    const client = r.graph.createNode("exporter").createClient("embodied_assistant/srv/ExportLog", "/action_log/export");
    const res = await client.call({ ...createExportLogRequest(), format: "jsonl", path: "out.jsonl" }, { timeoutMs: 30_000 });
    expect(res.success, res.message).toBe(true);
    expect(res.path).toBe(join(other, "out.jsonl"));
  },
};

// ---------------- memory ----------------

async function memoryRig(overrides: Record<string, ParameterValue> = {}) {
  const graph = new InProcessGraph({ logLevel: "silent" });
  const memory = await startMemoryNode(graph, { parameterOverrides: { db_path: "", encoder: "ngram", ...overrides } });
  const client = graph.createNode("probe");
  const remember = client.createClient("embodied_assistant/srv/Remember", "/memory/remember");
  for (const object of ["cup", "cup", "plate"]) {
    const res = await remember.call({ ...createRememberRequest(), text: `picking up the ${object} failed`, action: "pick", object, result: "FAILED" });
    expect(res.success, res.message).toBe(true);
  }
  const recallClient = client.createClient("embodied_assistant/srv/Recall", "/memory/recall");
  const askClient = client.createClient("embodied_assistant/srv/Ask", "/memory/ask");
  return {
    graph,
    memory,
    recall: (extra: Partial<ReturnType<typeof createRecallRequest>>) => recallClient.call({ ...createRecallRequest(), ...extra }),
    ask: (question: string) => askClient.call({ ...createAskRequest(), question }),
  };
}
type MemoryProbe = { start?: Record<string, ParameterValue>; run: (r: Awaited<ReturnType<typeof memoryRig>>) => Promise<void> };

const MEMORY_PROBES: Record<string, MemoryProbe> = {
  ask_threshold: {
    // Answers drawn from stored structure come with confidence 1, so a 3-episode memory cannot show
    // a confidence between thresholds: the probe checks the next question runs with the new threshold.
    run: async (r) => {
      expect(r.memory.askEngine!.options.threshold).toBe(0.5);
      set(r.memory.node, "ask_threshold", 0.9);
      expect(r.memory.askEngine!.options.threshold).toBe(0.9);
      const after = await r.ask("what happened with the cup?");
      expect(after.success, after.message).toBe(true);
    },
  },
  time_zone: {
    // "When" answers are said in the robot's zone: the same stamp reads differently in Tokyo.
    start: { time_zone: "UTC" },
    run: async (r) => {
      const question = "when did you fail to pick the plate?";
      const utc = await r.ask(question);
      expect(utc.success, utc.message).toBe(true);
      expect(utc.abstained).toBe(false);
      set(r.memory.node, "time_zone", "Asia/Tokyo");
      const tokyo = await r.ask(question);
      expect(tokyo.stamp).toEqual(utc.stamp);
      expect(tokyo.answer).not.toBe(utc.answer);
    },
  },
  threshold: {
    start: { threshold: 0 },
    run: async (r) => {
      const cue = { cue_action: "pick", cue_result: "FAILED", ask_role: "object" };
      const before = await r.recall(cue);
      expect(before.abstained).toBe(false);
      expect(before.confidence).toBeLessThan(1);
      set(r.memory.node, "threshold", 1);
      expect((await r.recall(cue)).abstained).toBe(true);
    },
  },
  default_k: {
    run: async (r) => {
      expect((await r.recall({ query: "picking up", k: 0 })).episodes).toHaveLength(3);
      set(r.memory.node, "default_k", 1);
      expect((await r.recall({ query: "picking up", k: 0 })).episodes).toHaveLength(1);
    },
  },
  candidates: {
    // The prefilter's width changes ranking quality only, which a 3-episode memory cannot show:
    // the probe checks that the next query runs with the new width.
    run: async (r) => {
      expect(r.memory.memory!.options.candidates).toBe(4000);
      set(r.memory.node, "candidates", 10);
      expect(r.memory.memory!.options.candidates).toBe(10);
      expect((await r.recall({ query: "picking up" })).success).toBe(true);
    },
  },
};

// ---------------- dialogue ----------------

interface DialogueRig {
  graph: InProcessGraph;
  dialogue: DialogueNode;
  /** Recall calls per memory service, and a gate that holds answers while `hold` is set. */
  calls: Record<string, number>;
  hold: { ms: number };
  states: PersonaState[];
  /** The rig's turn_log_path (log_turns writes there). */
  turnLogPath: string;
  chat(text: string, extra?: Partial<ReturnType<typeof createChatRequest>>): Promise<ChatResponse>;
}

let session = 0;
async function dialogueRig(modelPath: string): Promise<DialogueRig> {
  const graph = new InProcessGraph({ logLevel: "silent" });
  const calls: Record<string, number> = {};
  const hold = { ms: 0 };
  for (const service of ["memory", "other_memory"]) {
    calls[service] = 0;
    graph.createNode(service).createService("embodied_assistant/srv/Recall", "~/recall", async () => {
      calls[service]!++;
      if (hold.ms > 0) await sleep(hold.ms);
      return { ...createRecallResponse(), success: true, episodes: [{ ...createEpisode(), id: `${service}-ep`, description: "Picked up the red cup in the kitchen" }], scores: [0.8] };
    });
  }
  const turnLogPath = join(mkdtempSync(join(dir, "turns-")), "turns.db");
  const dialogue = await startDialogueNode(graph, {
    // Load is fed by the probes (monitoring.period_ms 0), so a busy test machine cannot change the mode.
    parameterOverrides: { model_path: modelPath, gpu: "cpu", threads: 1, context_size: 1024, seed: 7, memory_timeout_ms: 500, max_tokens: 16, "power.battery_topic": "/battery", "monitoring.period_ms": 0, turn_log_path: turnLogPath },
  });
  const user = graph.createNode("user");
  const client = user.createClient("embodied_assistant/srv/Chat", "/dialogue/chat");
  const states: PersonaState[] = [];
  user.createSubscription("embodied_assistant/msg/PersonaState", "/dialogue/persona_state", (m) => void states.push(m), { depth: 10, durability: "transient_local" });
  return {
    graph,
    dialogue,
    calls,
    hold,
    states,
    turnLogPath,
    // A fresh session per chat: no history, so two chats differ only by the parameters.
    chat: (text, extra = {}) => client.call({ ...createChatRequest(), session_id: `s${session++}`, text, ...extra }, { timeoutMs: 30_000 }),
  };
}
type DialogueProbe = (r: DialogueRig) => Promise<void>;
const weightOf = (res: ChatResponse, name: string) => res.persona_weights[res.persona_names.indexOf(name)];

/** persona.* and expertise.* share one probe each: the next turn and persona_state carry the new weight. */
function weightProbe(name: string): DialogueProbe | undefined {
  const [kind, dimension] = name.split(".");
  if (kind === "persona") {
    return async (r) => {
      expect(weightOf(await r.chat("hello"), name)).not.toBeCloseTo(0.123, 5);
      set(r.dialogue.node, name, 0.123);
      expect(weightOf(await r.chat("hello"), name)).toBeCloseTo(0.123, 5);
    };
  }
  if (kind === "expertise") {
    return async (r) => {
      await waitFor(() => r.states.length > 0, "persona_state");
      const index = r.states.at(-1)!.expert_names.indexOf(dimension!);
      expect(r.states.at(-1)!.expert_weights[index]).not.toBeCloseTo(0.123, 5);
      set(r.dialogue.node, name, 0.123);
      await waitFor(() => Math.abs(r.states.at(-1)!.expert_weights[index]! - 0.123) < 1e-6, `persona_state with ${name} = 0.123`);
      expect(r.dialogue.weights().experts[dimension as "coding"]).toBeCloseTo(0.123, 5);
    };
  }
  return undefined;
}

/** A discharging battery reading, fed to the node's power monitor as its subscription would. */
function onBattery(r: DialogueRig, percentage: number): void {
  expect(r.dialogue.power.monitor.acceptBattery({ ...createSensorMsgsBatteryState(), present: true, percentage, power_supply_status: 2 }, 0)).toBe(true);
}

/** Power probes leave a full battery and an idle machine behind, so later probes run in full mode. */
function restoringPower(probe: DialogueProbe): DialogueProbe {
  return async (r) => {
    try {
      await probe(r);
    } finally {
      onBattery(r, 1);
      r.dialogue.power.monitor.acceptLoad({ cpuPercent: 0, memoryPercent: 0 });
    }
  };
}

const POWER_PROBES: Record<string, DialogueProbe> = {
  "power.battery_threshold": async (r) => {
    onBattery(r, 0.5);
    expect((await r.chat("hello")).power_mode).toBe("full");
    set(r.dialogue.node, "power.battery_threshold", 60);
    expect((await r.chat("hello")).power_mode).toBe("reduce");
  },
  "power.on_battery_behavior": async (r) => {
    onBattery(r, 0.1);
    expect((await r.chat("hello")).model_free).toBe(false);
    set(r.dialogue.node, "power.on_battery_behavior", "pause");
    expect((await r.chat("hello")).model_free).toBe(true);
    set(r.dialogue.node, "power.on_battery_behavior", "ignore");
    expect((await r.chat("hello")).power_mode).toBe("full");
  },
  "power.reduced_max_tokens": async (r) => {
    onBattery(r, 0.1);
    expect((await r.chat("Tell me a long story about the kitchen")).tokens).toBeGreaterThan(2);
    set(r.dialogue.node, "power.reduced_max_tokens", 2);
    expect((await r.chat("Tell me a long story about the kitchen")).tokens).toBeLessThanOrEqual(2);
  },
  "power.reduced_max_adapters": async (r) => {
    // This rig has no adapter files: the limit shows in the turn budget the next turn gets.
    onBattery(r, 0.1);
    expect(r.dialogue.power.budget({ maxTokens: 16, routing: true }).maxAdapters).toBe(1);
    set(r.dialogue.node, "power.reduced_max_adapters", 0);
    expect(r.dialogue.power.budget({ maxTokens: 16, routing: true }).maxAdapters).toBe(0);
  },
  "monitoring.max_cpu_percent": async (r) => {
    r.dialogue.power.monitor.acceptLoad({ cpuPercent: 50, memoryPercent: 10 });
    expect((await r.chat("hello")).power_mode).toBe("full");
    set(r.dialogue.node, "monitoring.max_cpu_percent", 40);
    const reduced = await r.chat("hello");
    expect(reduced).toMatchObject({ power_mode: "reduce", power_reason: expect.stringContaining("cpu 50% > 40%") });
  },
  "monitoring.max_memory_percent": async (r) => {
    r.dialogue.power.monitor.acceptLoad({ cpuPercent: 10, memoryPercent: 50 });
    expect((await r.chat("hello")).power_mode).toBe("full");
    set(r.dialogue.node, "monitoring.max_memory_percent", 40);
    expect((await r.chat("hello")).power_reason).toContain("memory 50% > 40%");
  },
};

const DIALOGUE_PROBES: Record<string, DialogueProbe> = {
  ...Object.fromEntries(Object.entries(POWER_PROBES).map(([name, probe]) => [name, restoringPower(probe)])),
  max_tokens: async (r) => {
    expect((await r.chat("Tell me a long story about the kitchen")).tokens).toBeGreaterThan(2);
    set(r.dialogue.node, "max_tokens", 2);
    expect((await r.chat("Tell me a long story about the kitchen")).tokens).toBeLessThanOrEqual(2);
  },
  json_mode: async (r) => {
    // Same seed and temperature 0: only the grammar-constrained {say, gesture} output can change the reply.
    set(r.dialogue.node, "temperature", 0);
    const plain = await r.chat("Wave hello");
    expect(plain.gesture).toBe("none");
    set(r.dialogue.node, "json_mode", true);
    const structured = await r.chat("Wave hello");
    expect(structured.reply).not.toBe(plain.reply);
    expect(["none", "nod", "wave", "point", "thumbs_up", "shrug"]).toContain(structured.gesture);
  },
  routing: async (r) => {
    // Routing gates the coding expert up for a coding question; without it the expert keeps its base weight.
    const base = r.dialogue.weights().experts.coding;
    expect(weightOf(await r.chat("My python code has a bug"), "expertise.coding")).not.toBeCloseTo(base, 5);
    set(r.dialogue.node, "routing", false);
    expect(weightOf(await r.chat("My python code has a bug"), "expertise.coding")).toBeCloseTo(base, 5);
  },
  temperature: async (r) => {
    set(r.dialogue.node, "temperature", 0);
    const greedy = await r.chat("Tell me about the kitchen");
    set(r.dialogue.node, "temperature", 2);
    expect((await r.chat("Tell me about the kitchen")).reply).not.toBe(greedy.reply);
  },
  seed: async (r) => {
    set(r.dialogue.node, "temperature", 1.5);
    const first = await r.chat("Tell me about the kitchen");
    expect((await r.chat("Tell me about the kitchen")).reply).toBe(first.reply);
    set(r.dialogue.node, "seed", 12345);
    expect((await r.chat("Tell me about the kitchen")).reply).not.toBe(first.reply);
  },
  forbidden_phrases: async (r) => {
    set(r.dialogue.node, "temperature", 0);
    const before = await r.chat("Tell me about the kitchen");
    const word = before.reply.split(/[^A-Za-z]+/).find((w) => w.length >= 3);
    expect(word, `a word in "${before.reply}"`).toBeDefined();
    set(r.dialogue.node, "forbidden_phrases", [word!]);
    const after = await r.chat("Tell me about the kitchen");
    expect(after.reply.toLowerCase()).not.toContain(word!.toLowerCase());
  },
  memory_service: async (r) => {
    await r.chat("where is the cup?");
    expect(r.calls).toEqual({ memory: 1, other_memory: 0 });
    set(r.dialogue.node, "memory_service", "/other_memory/recall");
    const other = await r.chat("where is the cup?");
    expect(r.calls).toEqual({ memory: 1, other_memory: 1 });
    expect(other.cited_episodes).toEqual(["other_memory-ep"]);
    set(r.dialogue.node, "memory_service", "");
    const none = await r.chat("where is the cup?");
    expect(r.calls).toEqual({ memory: 1, other_memory: 1 });
    expect(none.grounded).toBe(false);
  },
  memory_timeout_ms: async (r) => {
    r.hold.ms = 800;
    expect((await r.chat("where is the cup?")).grounded).toBe(false); // 500 ms at start
    set(r.dialogue.node, "memory_timeout_ms", 3000);
    expect((await r.chat("where is the cup?")).grounded).toBe(true);
  },
  reply_timeout_ms: async (r) => {
    // The reply timer runs from the start of the turn, grounding included: memory answering after
    // 300 ms leaves nothing of a 100 ms budget, so the reply is cancelled.
    set(r.dialogue.node, "memory_timeout_ms", 3000);
    r.hold.ms = 300;
    expect((await r.chat("where is the cup?")).message).not.toContain("cancelled");
    set(r.dialogue.node, "reply_timeout_ms", 100);
    expect((await r.chat("where is the cup?")).message).toContain("cancelled");
  },
  log_turns: async (r) => {
    // Off: no turn is stored (not even the file is made); on: the next turn is, with its persona mix; off again: no more.
    await r.chat("where is the cup?");
    expect(existsSync(r.turnLogPath)).toBe(false);
    set(r.dialogue.node, "log_turns", true);
    set(r.dialogue.node, "persona.warmth", 0.95);
    const logged = await r.chat("where is the plate?");
    set(r.dialogue.node, "log_turns", false);
    await r.chat("and the fork?");
    const store = new TurnLogStore(r.turnLogPath);
    try {
      expect(store.count()).toBe(1);
      const { examples } = store.exportMessages({ dimension: "warmth", min: 0.9, max: 1 });
      expect(examples.map((e) => e.messages.map((m) => m.content))).toEqual([[expect.anything(), "where is the plate?", logged.reply]]);
    } finally {
      store.close();
    }
  },
  bake_on_idle: async (r) => {
    // Off, persona_state says so; on, the background baker reports (this rig has no adapters: nothing to bake).
    await waitFor(() => r.states.length > 0, "persona_state");
    expect(r.states.at(-1)!.bake_status).toBe("off");
    set(r.dialogue.node, "bake_on_idle", true);
    await waitFor(() => r.states.at(-1)!.bake_status === "idle", "persona_state with bake_status idle");
    expect(r.dialogue.baker.counters.started).toBe(0);
  },
  queue_timeout_ms: async (r) => {
    set(r.dialogue.node, "memory_timeout_ms", 3000);
    r.hold.ms = 1500; // the first chat holds the queue for 1.5 s
    const first = r.chat("where is the cup?");
    await waitFor(() => r.calls["memory"]! > 0, "the first chat to start");
    set(r.dialogue.node, "queue_timeout_ms", 200);
    const started = Date.now();
    const second = await r.chat("and the plate?");
    expect(second.success).toBe(false);
    expect(second.message).toMatch(/timed out/);
    expect(Date.now() - started).toBeLessThan(1200);
    expect((await first).success).toBe(true);
  },
};

/**
 * Lists the node's parameters on a first rig (every tunable one needs a probe, every read-only one
 * refuses a set), then runs each probe on a fresh rig so no probe sees another's settings.
 */
async function walkOnFreshRigs<P, R>(
  nodeName: string,
  probes: Record<string, P>,
  start: (probe: P | undefined) => Promise<{ node: GraphNode; rig: R; close: () => Promise<unknown> }>,
  run: (probe: P, rig: R) => Promise<void>,
): Promise<void> {
  const first = await start(undefined);
  expectProbesFor(first.node, probes as Record<string, unknown>);
  expectReadOnlyRefused(first.node);
  const names = parametersOf(first.node).tunable;
  await first.close();
  for (const name of names) {
    const probe = probes[name]!;
    const { rig, close } = await start(probe);
    try {
      await run(probe, rig);
    } catch (error) {
      throw new Error(`${nodeName} parameter ${name}: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      await close();
    }
  }
}

describe("every parameter that accepts a set takes effect from its next use", () => {
  it("action_log: each tunable parameter changes behaviour; the others are read-only", async () => {
    await walkOnFreshRigs("action_log", LOG_PROBES, async () => {
      const r = await logRig();
      return { node: r.log.node, rig: r, close: async () => (await r.log.close(), await r.graph.shutdown()) };
    }, (probe, r) => probe(r));
  }, 60_000);

  it("memory: each tunable parameter changes behaviour; the others are read-only", async () => {
    await walkOnFreshRigs("memory", MEMORY_PROBES, async (probe) => {
      const r = await memoryRig(probe?.start);
      return { node: r.memory.node, rig: r, close: async () => (await r.memory.close(), await r.graph.shutdown()) };
    }, (probe, r) => probe.run(r));
  }, 60_000);

  describe("dialogue", () => {
    let modelPath: string;
    beforeAll(() => {
      modelPath = writeTinyLlamaGguf(join(dir, "base.gguf"), { seed: 21 }).filePath;
    });

    it("each tunable parameter changes behaviour; the others are read-only", async () => {
      const r = await dialogueRig(modelPath);
      try {
        expectProbesFor(r.dialogue.node, DIALOGUE_PROBES, weightProbe);
        expectReadOnlyRefused(r.dialogue.node);
        const initial = Object.fromEntries(r.dialogue.node.listParameters().map((n) => [n, r.dialogue.node.getParameter(n)]));
        for (const name of parametersOf(r.dialogue.node).tunable) {
          const probe = DIALOGUE_PROBES[name] ?? weightProbe(name)!;
          try {
            await probe(r);
          } catch (error) {
            throw new Error(`dialogue parameter ${name}: ${error instanceof Error ? error.message : String(error)}`);
          }
          // Back to the start values, so each probe sees the same node.
          r.hold.ms = 0;
          for (const service of Object.keys(r.calls)) r.calls[service] = 0;
          const tunable = parametersOf(r.dialogue.node).tunable;
          expect(r.dialogue.node.setParameters(Object.fromEntries(tunable.map((n) => [n, initial[n]!]))).successful).toBe(true);
        }
      } finally {
        await r.dialogue.close();
        await r.graph.shutdown();
      }
    }, 120_000);
  });
});
