/**
 * The hostile-input corpus (issue #8): test/fixtures/hostile/*.json, one file per target (ActionEvent,
 * Recall, Remember, Chat, ExportLog, parameters, persona / model / params YAML). For each case this test
 * checks that the input is refused with a reason (or handled as documented), that the node still
 * serves afterwards, and that nothing it accepted before was lost. Failures are collected per case so
 * one run lists every case that does not hold. Cases marked "lane" need a fix in another lane
 * (src/core/actionlog); they state the behaviour the issue requires.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNodeProgram } from "../src/cli/runNode.js";
import {
  createAskRequest,
  createChatRequest,
  createExportLogRequest,
  createForgetRequest,
  createRecallRequest,
  createRememberRequest,
  type ActionEvent,
  type DiagnosticMsgsDiagnosticStatus,
} from "../src/core/interfaces/messages.generated.js";
import { packageRoot } from "../src/core/packageRoot.js";
import { startActionLogNode, type ActionLogNode } from "../src/nodes/action_log.js";
import { startDialogueNode } from "../src/nodes/dialogue.js";
import { startMemoryNode, type MemoryNode } from "../src/nodes/memory.js";
import { NODE_FACTORIES } from "../src/nodes/registry.js";
import type { AssistantNode } from "../src/nodes/types.js";
import type { GraphNode, ParameterValue } from "../src/ros/GraphPort.js";
import { InProcessGraph } from "../src/ros/inprocess/InProcessGraph.js";
import { ev } from "./fixtures/actionlog/helpers.js";

// ---------------- the corpus ----------------

interface HostileCase {
  readonly name: string;
  readonly lane?: string;
  readonly expect: Record<string, unknown>;
  readonly [field: string]: unknown;
}
interface CorpusFile {
  readonly target: string;
  readonly cases: readonly HostileCase[];
}

const corpusDir = join(import.meta.dirname, "fixtures", "hostile");
const corpus = new Map<string, readonly HostileCase[]>(
  readdirSync(corpusDir)
    .filter((f) => f.endsWith(".json"))
    .map((f) => JSON.parse(readFileSync(join(corpusDir, f), "utf8")) as CorpusFile)
    .map((file) => [file.target, file.cases]),
);
const casesOf = (target: string): readonly HostileCase[] => corpus.get(target) ?? [];

/** JSON cannot say NaN, ±Infinity or "5000 x's": the corpus writes them as markers. */
function decode(value: unknown, vars: Record<string, string> = {}): unknown {
  if (value === "$NaN") return Number.NaN;
  if (value === "$Infinity") return Number.POSITIVE_INFINITY;
  if (value === "$-Infinity") return Number.NEGATIVE_INFINITY;
  if (typeof value === "string") return value.replace(/\$([A-Z]+)/g, (whole, name: string) => vars[name] ?? whole);
  if (Array.isArray(value)) return value.map((v) => decode(v, vars));
  if (value !== null && typeof value === "object") {
    const record = value as Record<string, unknown>;
    if (typeof record["$repeat"] === "string") return record["$repeat"].repeat(record["times"] as number);
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, decode(v, vars)]));
  }
  return value;
}

const dir = mkdtempSync(join(tmpdir(), "hostile-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));
async function waitFor(done: () => boolean, ms = 2000): Promise<boolean> {
  for (const end = Date.now() + ms; !done() && Date.now() < end; ) await sleep(5);
  return done();
}

/** Runs every case, collecting what did not hold; the test fails once, listing them all. */
async function runCases(target: string, run: (c: HostileCase) => Promise<void>): Promise<void> {
  const failures: string[] = [];
  for (const c of casesOf(target)) {
    try {
      await run(c);
    } catch (error) {
      failures.push(`${target} / ${c.name}${c.lane ? ` [needs ${c.lane}]` : ""}: ${errorText(error).split("\n")[0]}`);
    }
  }
  expect(failures, failures.join("\n")).toEqual([]);
}

/** A service answer with success and message, checked against a case's expectation. */
function checkAnswer(answer: { success: boolean; message: string }, expected: Record<string, unknown>): void {
  if (expected["success"] === true && !answer.success) throw new Error(`refused, expected to be handled: ${answer.message}`);
  if (expected["success"] === false) {
    if (answer.success) throw new Error("accepted, expected a refusal");
    if (!new RegExp(expected["message"] as string).test(answer.message)) throw new Error(`refused with "${answer.message}", expected /${expected["message"]}/`);
    if (answer.message.trim() === "") throw new Error("refused without a reason");
  }
}

/** Calls a service; a request the graph refuses by schema is a refusal with the validation message. */
async function callOrSchema<R extends { success: boolean; message: string }>(call: () => Promise<R>, expected: Record<string, unknown>): Promise<void> {
  let answer: R;
  try {
    answer = await call();
  } catch (error) {
    if (expected["schema"] === true) return;
    throw new Error(`the call threw: ${errorText(error)}`);
  }
  if (expected["schema"] === true) throw new Error(`the graph passed a request its schema should refuse (success=${answer.success})`);
  checkAnswer(answer, expected);
}

// ---------------- the running assistant the service and topic cases hit ----------------

let graph: InProcessGraph;
let log: ActionLogNode;
let memory: MemoryNode;
let dialogue: AssistantNode;
let tester: GraphNode;
let exportDir: string;
const statuses = new Map<string, DiagnosticMsgsDiagnosticStatus>();

beforeAll(async () => {
  graph = new InProcessGraph({ logLevel: "silent" });
  const data = join(dir, "assistant");
  exportDir = join(data, "exports");
  log = await startActionLogNode(graph, { parameterOverrides: { db_path: join(data, "log.db"), export_dir: exportDir, batch_max_ms: 5, reorder_window_s: 0.2 } });
  memory = await startMemoryNode(graph, { parameterOverrides: { db_path: join(data, "memory.db"), encoder: "ngram" } });
  dialogue = await startDialogueNode(graph, { parameterOverrides: { model_path: join(dir, "no-model.gguf"), memory_timeout_ms: 2000 } });
  tester = graph.createNode("hostile_tester");
  tester.createSubscription("diagnostic_msgs/msg/DiagnosticArray", "/diagnostics", (a) => {
    for (const s of a.status) statuses.set(s.name, s);
  }, 100);
});
afterAll(async () => {
  await dialogue?.close();
  await memory?.close();
  await log?.close();
  await graph?.shutdown();
});

// Sentinels: good input sent after every case; all of them must be served and kept.
let sentinel = 0;
const sentinelOutcomes: string[] = [];
async function logStillIngests(): Promise<void> {
  const id = `sentinel-${sentinel++}`;
  const t = Date.now() / 1000 - 2;
  const events = tester.createPublisher("embodied_assistant/msg/ActionEvent", "/robot/action_events", 100);
  events.publish(ev({ robot_id: "sentinel", action_id: id, status: "STARTED", t }));
  events.publish(ev({ robot_id: "sentinel", action_id: id, status: "SUCCEEDED", t: t + 0.5 }));
  sentinelOutcomes.push(id);
  const committed = await waitFor(() => log.log.store.queryOutcomes({ robotId: "sentinel" }, 1, undefined).total === sentinelOutcomes.length);
  if (!committed) throw new Error("the action log stopped committing good events");
}
const sentinelEpisodes: string[] = [];
async function memoryStillServes(): Promise<void> {
  const res = await tester.createClient("embodied_assistant/srv/Remember", "/memory/remember").call({ ...createRememberRequest(), text: `sentinel fact ${sentinel++}` });
  if (!res.success) throw new Error(`memory stopped remembering: ${res.message}`);
  sentinelEpisodes.push(res.episode_id);
  const lost = sentinelEpisodes.filter((id) => !memory.memory!.has(id));
  if (lost.length > 0) throw new Error(`memory lost accepted episodes ${lost.join(", ")}`);
}
async function dialogueStillServes(): Promise<void> {
  const res = await tester.createClient("embodied_assistant/srv/Chat", "/dialogue/chat").call({ ...createChatRequest(), text: "hello" }, { timeoutMs: 10_000 });
  if (!res.success) throw new Error(`dialogue stopped answering: ${res.message}`);
}

// ---------------- the cases ----------------

describe("hostile-input corpus", () => {
  it("holds at least 60 cases over every target", () => {
    const targets = ["ActionEvent", "Recall", "Remember", "Ask", "Forget", "Chat", "ExportLog", "parameters", "persona YAML", "model YAML", "params YAML"];
    for (const target of targets) expect(casesOf(target).length, target).toBeGreaterThan(0);
    expect([...corpus.values()].reduce((n, cases) => n + cases.length, 0)).toBeGreaterThanOrEqual(60);
  });

  it("ActionEvent: refused with its reason, the log keeps ingesting, no accepted event is lost", async () => {
    const events = tester.createPublisher("embodied_assistant/msg/ActionEvent", "/robot/action_events", 100);
    let n = 0;
    const eventOf = (partial: Record<string, unknown>, id: string, t: number): Record<string, unknown> => {
      const { t_offset, stamp, frame_id, $delete, ...fields } = decode(partial) as Record<string, unknown>;
      const event = ev({ action_id: id, t: t + ((t_offset as number | undefined) ?? 0) }) as unknown as Record<string, unknown>;
      const header = event["header"] as Record<string, unknown>;
      if (stamp !== undefined) header["stamp"] = stamp;
      if (frame_id !== undefined) header["frame_id"] = frame_id;
      Object.assign(event, fields);
      for (const field of ($delete as string[] | undefined) ?? []) delete event[field];
      return event;
    };
    await runCases("ActionEvent", async (c) => {
      const id = `hostile-${n++}`;
      const t = Date.now() / 1000 - 5;
      for (const partial of (c["before"] as Record<string, unknown>[] | undefined) ?? []) events.publish(eventOf(partial, id, t) as unknown as ActionEvent);
      await waitFor(() => log.log.snapshot().pendingEvents === 0);
      // snapshot() hands out the live counters: copy them to compare before and after.
      const before = structuredClone(log.log.snapshot());
      let schemaRefused = "";
      try {
        events.publish(eventOf(c["event"] as Record<string, unknown>, id, t) as unknown as ActionEvent);
      } catch (error) {
        schemaRefused = errorText(error);
      }
      if (!schemaRefused) await waitFor(() => log.log.snapshot().counters.received > before.counters.received);
      const after = structuredClone(log.log.snapshot());
      const rejected = Object.entries(after.counters.rejected).filter(([reason, count]) => count > (before.counters.rejected as Record<string, number>)[reason]!).map(([reason]) => reason);
      const accepted = after.counters.accepted - before.counters.accepted;
      const expected = c.expect;
      if (expected["schema"] === true) {
        if (!schemaRefused) throw new Error(`the graph passed it; the log ${accepted ? "accepted" : `refused (${rejected.join(",")})`} it`);
      } else if (expected["accepted"] === true) {
        if (accepted !== 1) throw new Error(`not accepted: ${schemaRefused || rejected.join(",") || "no count moved"}`);
      } else if (expected["refused"] === "any") {
        if (accepted !== 0 || (!schemaRefused && rejected.length === 0)) throw new Error(`accepted (stored as given)`);
      } else if (!rejected.includes(expected["refused"] as string)) {
        throw new Error(`expected ${String(expected["refused"])}, got ${schemaRefused ? `a schema refusal (${schemaRefused.split("\n")[0]})` : accepted ? "accepted" : rejected.join(",") || "nothing"}`);
      }
      await logStillIngests();
    });
  }, 120_000);

  it("Recall and Remember: refused with a reason, memory keeps serving, no remembered fact is lost", async () => {
    const recall = tester.createClient("embodied_assistant/srv/Recall", "/memory/recall");
    const remember = tester.createClient("embodied_assistant/srv/Remember", "/memory/remember");
    await runCases("Recall", async (c) => {
      await callOrSchema(() => recall.call({ ...createRecallRequest(), ...(decode(c["request"]) as object) }), c.expect);
      await memoryStillServes();
    });
    await runCases("Remember", async (c) => {
      await callOrSchema(() => remember.call({ ...createRememberRequest(), ...(decode(c["request"]) as object) }), c.expect);
      await memoryStillServes();
    });
    expect(Object.prototype).not.toHaveProperty("polluted");
  }, 120_000);

  it("Ask and Forget: refused with a reason, memory keeps serving, nothing forgotten that was not asked for", async () => {
    const ask = tester.createClient("embodied_assistant/srv/Ask", "/memory/ask");
    const forget = tester.createClient("embodied_assistant/srv/Forget", "/memory/forget");
    await runCases("Ask", async (c) => {
      await callOrSchema(() => ask.call({ ...createAskRequest(), ...(decode(c["request"]) as object) }), c.expect);
      await memoryStillServes();
    });
    await runCases("Forget", async (c) => {
      const held = memory.memory!.size;
      await callOrSchema(() => forget.call({ ...createForgetRequest(), ...(decode(c["request"]) as object) }), c.expect);
      if (memory.memory!.size < held) throw new Error(`${held - memory.memory!.size} episode(s) forgotten`);
      await memoryStillServes();
    });
  }, 120_000);

  it("Chat: refused with a reason, dialogue keeps answering", async () => {
    const chat = tester.createClient("embodied_assistant/srv/Chat", "/dialogue/chat");
    await runCases("Chat", async (c) => {
      await callOrSchema(() => chat.call({ ...createChatRequest(), ...(decode(c["request"]) as object) }, { timeoutMs: 10_000 }), c.expect);
      await dialogueStillServes();
    });
  }, 120_000);

  it("ExportLog: refused with a reason, nothing outside export_dir touched, the log keeps ingesting", async () => {
    const exportClient = tester.createClient("embodied_assistant/srv/ExportLog", "/action_log/export");
    const outsideDir = join(exportDir, "..");
    mkdirSync(exportDir, { recursive: true });
    await logStillIngests();
    await runCases("ExportLog", async (c) => {
      const outside = c["outside"] as string | undefined;
      if (outside) writeFileSync(join(outsideDir, outside), "keep me");
      if (c["existing"]) writeFileSync(join(exportDir, c["existing"] as string), "keep me");
      if (c["symlink"] && !existsSync(join(exportDir, c["symlink"] as string))) symlinkSync(outsideDir, join(exportDir, c["symlink"] as string));
      const dbBefore = readFileSync(log.log.store.path).subarray(0, 16).toString("latin1");
      try {
        await callOrSchema(() => exportClient.call({ ...createExportLogRequest(), ...(decode(c["request"], { OUTSIDE: outsideDir }) as object) }, { timeoutMs: 30_000 }), c.expect);
      } finally {
        const kept = [outside === undefined ? "" : join(outsideDir, outside), c["existing"] === undefined ? "" : join(exportDir, c["existing"] as string)];
        for (const file of kept.filter((f) => f !== "")) {
          if (readFileSync(file, "utf8") !== "keep me") throw new Error(`${file} was overwritten`);
        }
        if (readFileSync(log.log.store.path).subarray(0, 16).toString("latin1") !== dbBefore) throw new Error("the live database was overwritten");
      }
      await logStillIngests();
    });
  }, 120_000);

  it("parameters: refused with a reason, the old value kept, the node keeps serving", async () => {
    const nodes: Record<string, { node: GraphNode; serving: () => Promise<void> }> = {
      action_log: { node: log.node, serving: logStillIngests },
      memory: { node: memory.node, serving: memoryStillServes },
      dialogue: { node: dialogue.node, serving: dialogueStillServes },
    };
    await runCases("parameters", async (c) => {
      const target = nodes[c["node"] as string]!;
      const name = c["parameter"] as string;
      const before = target.node.listParameters().includes(name) ? target.node.getParameter(name) : undefined;
      const result = target.node.setParameters({ [name]: decode(c["value"]) as ParameterValue });
      if (result.successful) throw new Error(`accepted ${name} := ${JSON.stringify(decode(c["value"]))}`);
      if (!new RegExp(c.expect["refused"] as string).test(result.reason) || result.reason.trim() === "") throw new Error(`refused with "${result.reason}", expected /${String(c.expect["refused"])}/`);
      if (before !== undefined) expect(target.node.getParameter(name)).toEqual(before);
      await target.serving();
    });
  }, 120_000);

  /** Starts a dialogue node on its own graph with these parameters and checks it degrades, not dies. */
  async function dialogueSurvives(c: HostileCase, parameters: Record<string, ParameterValue>): Promise<void> {
    const own = new InProcessGraph({ logLevel: "silent" });
    const seen = new Map<string, DiagnosticMsgsDiagnosticStatus>();
    own.createNode("watcher").createSubscription("diagnostic_msgs/msg/DiagnosticArray", "/diagnostics", (a) => {
      for (const s of a.status) seen.set(s.name, s);
    }, 100);
    let node: AssistantNode | undefined;
    try {
      node = await startDialogueNode(own, { parameterOverrides: { memory_service: "", ...parameters } });
      const res = await own.createNode("user").createClient("embodied_assistant/srv/Chat", "/dialogue/chat").call({ ...createChatRequest(), text: "hello" }, { timeoutMs: 10_000 });
      if (!res.success) throw new Error(`chat refused: ${res.message}`);
      if (!res.model_free) throw new Error("a model was loaded from a hostile file");
      if (c.expect["degraded"] !== undefined) {
        await waitFor(() => seen.has("dialogue: generation"), 3000);
        const status = seen.get("dialogue: generation");
        if (status?.level !== 2) throw new Error(`diagnostics level ${status?.level}, expected ERROR: ${status?.message}`);
        if (!new RegExp(c.expect["degraded"] as string).test(status.message)) throw new Error(`diagnostics "${status.message}" do not match /${String(c.expect["degraded"])}/`);
      }
    } finally {
      await node?.close();
      await own.shutdown();
    }
  }

  it("persona and model YAML: the dialogue node runs degraded with the reason at ERROR, and answers", async () => {
    const persona = readFileSync(join(packageRoot(), "configs/personas/teaching_assistant.yaml"), "utf8");
    let n = 0;
    await runCases("persona YAML", async (c) => {
      const file = join(dir, `persona-${n++}.yaml`);
      if (c["yaml"] !== undefined) writeFileSync(file, c["yaml"] as string);
      if (c["bytes"] !== undefined) writeFileSync(file, Buffer.from(c["bytes"] as string, "base64"));
      if (c["patch"] !== undefined) {
        const spec = parseYaml(persona) as Record<string, unknown>;
        for (const [path, value] of Object.entries(c["patch"] as Record<string, unknown>)) {
          const keys = path.split(".");
          let at = spec;
          for (const key of keys.slice(0, -1)) at = at[key] as Record<string, unknown>;
          Object.defineProperty(at, keys.at(-1)!, { value, enumerable: true, writable: true, configurable: true });
        }
        writeFileSync(file, stringifyYaml(spec));
      }
      if (c["patchYaml"] !== undefined) {
        const [from, to] = c["patchYaml"] as [string, string];
        if (!persona.includes(from)) throw new Error(`the default persona no longer holds "${from}"`);
        writeFileSync(file, persona.replace(from, to));
      }
      await dialogueSurvives(c, { persona_file: c["path"] !== undefined ? (decode(c["path"], { DIR: dir }) as string) : file });
    });
    expect(Object.prototype).not.toHaveProperty("polluted");
    await runCases("model YAML", async (c) => {
      const file = join(dir, `models-${n++}.yaml`);
      writeFileSync(file, c["yaml"] as string);
      await dialogueSurvives(c, { models_file: file });
    });
  }, 180_000);

  it("params YAML: a bad file is refused with the reason, bad values keep their defaults", async () => {
    let n = 0;
    await runCases("params YAML", async (c) => {
      const file = join(dir, `params-${n++}.yaml`);
      writeFileSync(file, c["yaml"] as string);
      const own = new InProcessGraph({ logLevel: "silent" });
      const program = { executable: "memory", summary: "", nodes: [{ defaultName: "memory", factory: NODE_FACTORIES.memory }] };
      try {
        let started: Awaited<ReturnType<typeof startNodeProgram>>;
        try {
          started = await startNodeProgram(program, ["--ros-args", "--params-file", file, "-p", "encoder:=ngram", "-p", "db_path:="], { graph: own });
        } catch (error) {
          if (c.expect["throws"] === undefined) throw new Error(`refused to start: ${errorText(error)}`);
          if (!new RegExp(c.expect["throws"] as string).test(errorText(error))) throw new Error(`refused with "${errorText(error)}", expected /${String(c.expect["throws"])}/`);
          return;
        }
        try {
          if (c.expect["throws"] !== undefined) throw new Error("started; expected the file to be refused");
          const node = started.nodes[0]!.node;
          for (const name of (c.expect["default"] as string[] | undefined) ?? []) {
            if (node.getParameter(name) !== node.getParameterDescriptor(name)!.defaultValue) throw new Error(`${name} took the bad value ${String(node.getParameter(name))}`);
          }
          const res = await own.createNode("probe").createClient("embodied_assistant/srv/Remember", "/memory/remember").call({ ...createRememberRequest(), text: "a fact" });
          if (!res.success) throw new Error(`memory does not serve: ${res.message}`);
        } finally {
          await started.stop();
        }
      } finally {
        await own.shutdown();
      }
    });
  }, 120_000);
});
