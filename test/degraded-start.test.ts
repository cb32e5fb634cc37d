/**
 * Issue #8 item 8: in `assistant` and `npm start`, a node that cannot start runs degraded (dialogue
 * model-free, the reason at ERROR in /diagnostics) and the other nodes keep running.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startNodeProgram, type StartedProgram } from "../src/cli/runNode.js";
import {
  createChatRequest,
  createGetActionStatsRequest,
  createRecallRequest,
  createRememberRequest,
  type DiagnosticMsgsDiagnosticStatus,
} from "../src/core/interfaces/messages.generated.js";
import { ASSISTANT_NODES } from "../src/nodes/registry.js";
import { InProcessGraph } from "../src/ros/inprocess/InProcessGraph.js";
import { ev } from "./fixtures/actionlog/helpers.js";
import { runUntilStarted } from "./fixtures/nodes/runExecutable.js";

const root = join(import.meta.dirname, "..");
const dir = mkdtempSync(join(tmpdir(), "degraded-start-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const badPersona = join(dir, "bad-persona.yaml");
writeFileSync(badPersona, "name: [unclosed\n");
/** A file where the action log expects a folder: its database cannot be created. */
const blocker = join(dir, "not-a-folder");
writeFileSync(blocker, "");

const ERROR = 2;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function startAssistant(rosArgs: string[]) {
  const graph = new InProcessGraph({ logLevel: "silent" });
  const data = mkdtempSync(join(dir, "data-"));
  const program = await startNodeProgram({ executable: "assistant", summary: "", nodes: ASSISTANT_NODES }, ["--ros-args", ...rosArgs], {
    graph,
    baseOverrides: { action_log: { db_path: join(data, "log.db"), export_dir: join(data, "exports") }, memory: { db_path: join(data, "memory.db"), encoder: "ngram" }, dialogue: {} },
  });
  const tester = graph.createNode("tester");
  const statuses = new Map<string, DiagnosticMsgsDiagnosticStatus>();
  tester.createSubscription("diagnostic_msgs/msg/DiagnosticArray", "/diagnostics", (a) => {
    for (const s of a.status) statuses.set(s.name, s);
  }, 100);
  return { graph, program, tester, statuses };
}

async function waitForStatus(statuses: Map<string, DiagnosticMsgsDiagnosticStatus>, name: string): Promise<DiagnosticMsgsDiagnosticStatus> {
  for (let i = 0; i < 300 && !statuses.has(name); i++) await sleep(10);
  const status = statuses.get(name);
  if (!status) throw new Error(`no ${name} on /diagnostics; saw ${[...statuses.keys()].join(", ")}`);
  return status;
}

async function stop(program: StartedProgram) {
  await program.stop();
}

describe("one node that cannot start does not take the others down", () => {
  it("a bad persona file: dialogue runs model-free, reports the reason at ERROR, the log and memory serve", async () => {
    const { program, tester, statuses } = await startAssistant(["-p", `dialogue:persona_file:=${badPersona}`]);
    try {
      expect(program.nodes.map((n) => n.node.name)).toEqual(["action_log", "memory", "dialogue"]);
      const generation = await waitForStatus(statuses, "dialogue: generation");
      expect(generation.level).toBe(ERROR);
      expect(generation.message).toContain("bad-persona.yaml");
      expect(generation.message).toMatch(/degraded/);

      const remember = await tester.createClient("embodied_assistant/srv/Remember", "/memory/remember").call({ ...createRememberRequest(), text: "the red mug is on the top shelf", object: "mug" });
      expect(remember.success, remember.message).toBe(true);
      const chat = await tester.createClient("embodied_assistant/srv/Chat", "/dialogue/chat").call({ ...createChatRequest(), text: "where is the red mug?" }, { timeoutMs: 10_000 });
      expect(chat.success, chat.message).toBe(true);
      expect(chat.model_free).toBe(true);
      expect(chat.reply).toContain("top shelf");

      tester.createPublisher("embodied_assistant/msg/ActionEvent", "/robot/action_events").publish(ev({ t: Date.now() / 1000 - 1 }));
      await sleep(100);
      const stats = await tester.createClient("embodied_assistant/srv/GetActionStats", "/action_log/get_stats").call(createGetActionStatsRequest());
      expect(stats.message).toContain("accepted=1");
    } finally {
      await stop(program);
    }
  });

  it("an action log that cannot open its database: a stand-in reports it at ERROR, memory and dialogue serve", async () => {
    const { program, tester, statuses } = await startAssistant(["-p", `action_log:db_path:=${join(blocker, "log.db")}`]);
    try {
      expect(program.degraded.map((d) => d.name)).toEqual(["action_log"]);
      expect(program.degraded[0]!.reason).toContain("cannot open the action log database");
      const startup = await waitForStatus(statuses, "action_log: startup");
      expect(startup.level).toBe(ERROR);
      expect(startup.message).toContain("not-a-folder");

      const recall = await tester.createClient("embodied_assistant/srv/Recall", "/memory/recall").call({ ...createRecallRequest(), query: "anything" });
      expect(recall.success, recall.message).toBe(true);
      const chat = await tester.createClient("embodied_assistant/srv/Chat", "/dialogue/chat").call({ ...createChatRequest(), text: "hello" }, { timeoutMs: 10_000 });
      expect(chat.success, chat.message).toBe(true);
    } finally {
      await stop(program);
    }
  });

  it("a single-node executable whose node cannot start still fails clearly (nothing else to keep running)", async () => {
    const graph = new InProcessGraph({ logLevel: "silent" });
    await expect(
      startNodeProgram({ executable: "action_log", summary: "", nodes: [ASSISTANT_NODES[0]] }, ["--ros-args", "-p", `db_path:=${join(blocker, "log.db")}`], { graph }),
    ).rejects.toThrow(/cannot open the action log database/);
  });

  it("the assistant executable starts all three nodes with a bad persona file and stops cleanly", async () => {
    const run = await runUntilStarted("assistant", 3, ["--graph", "in-process", "--ros-args", "-p", `dialogue:persona_file:=${badPersona}`], { ROS_HOME: mkdtempSync(join(dir, "home-")) });
    expect(run.started, run.output).toBe(3);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/"level":50,[^\n]*"node":"\/dialogue"[^\n]*bad-persona\.yaml/);
  }, 60_000);

  it("npm start keeps serving with a bad persona file", () => {
    const result = spawnSync(
      process.execPath,
      ["--import", "tsx", join(root, "src/cli/start.ts"), "--no-robot", "--data-dir", mkdtempSync(join(dir, "start-")), "--ros-args", "-p", `dialogue:persona_file:=${badPersona}`],
      { cwd: root, encoding: "utf8", timeout: 120_000, input: "remember the red mug is on the top shelf\nrecall where is the red mug?\nwhere is the red mug?\nquit\n" },
    );
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/remembered as \S+/);
    expect(result.stdout).toMatch(/\] the red mug is on the top shelf/);
    expect(result.stdout).toMatch(/model-free/);
  }, 120_000);
});
