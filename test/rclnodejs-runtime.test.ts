/**
 * The runtime path of a node executable on rclnodejs 2.2's REAL JavaScript (over the recording
 * addon stand-in of test/support/rclnodejsOverStub.ts): the command line as `ros2 run` /
 * `ros2 launch` hand it over, parameter precedence, use_sim_time, a robot-wide params file with
 * integer arrays, and the stop on SIGINT while events stream in.
 */
import Database from "better-sqlite3";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { runNodeMain, startNodeProgram, type NodeProgram, type StartedProgram } from "../src/cli/runNode.js";
import { NODE_FACTORIES } from "../src/nodes/registry.js";
import type { ActionLogNode } from "../src/nodes/action_log.js";
import type { AssistantNode, NodeFactory } from "../src/nodes/types.js";
import type { Graph, GraphNode } from "../src/ros/GraphPort.js";
import { loadRclnodejsOverStub, rclnodejsAvailable, until, type StubBinding } from "./support/rclnodejsOverStub.js";
import { ev } from "./fixtures/actionlog/helpers.js";

if (!rclnodejsAvailable && process.env["CI"]) throw new Error("rclnodejs is not installed in .typecheck-ros: run `npm run typecheck:ros` before the tests");

let rcl: Awaited<ReturnType<typeof loadRclnodejsOverStub>>["rcl"];
let binding: StubBinding;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  if (!rclnodejsAvailable) return;
  process.env["ROS_DISTRO"] ??= "humble";
  ({ rcl, binding } = await loadRclnodejsOverStub());
});

afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
  if (rclnodejsAvailable && !rcl.isShutdown()) rcl.shutdownAll();
  expect(binding?.errors ?? []).toEqual([]);
  binding?.reset();
});

/** What createGraph does with `--graph ros`: the rclnodejs graph, given the `--ros-args` span. */
async function rosGraph(argv: readonly string[]): Promise<Graph> {
  const path = "../src/ros/rclnodejs/RclnodejsGraph.js";
  const { RclnodejsGraph } = (await import(path)) as { RclnodejsGraph: { create(rcl: unknown, o: { logLevel: string; rosArgv: readonly string[] }): Promise<Graph> } };
  const at = argv.indexOf("--ros-args");
  return RclnodejsGraph.create(rcl, { logLevel: "silent", rosArgv: at >= 0 ? argv.slice(at) : [] });
}

async function start(program: NodeProgram, argv: readonly string[]): Promise<StartedProgram> {
  const started = await startNodeProgram(program, argv, { graph: await rosGraph(argv) });
  cleanups.push(() => started.stop());
  return started;
}

function file(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), "ros-runtime-")), name);
  writeFileSync(path, text);
  return path;
}

/** A node that declares a few parameters, like dialogue's model_path and seed. */
function probeProgram(name = "dialogue"): NodeProgram {
  const factory: NodeFactory = async (graph, options) => {
    const node = graph.createNode(options?.name ?? name, options);
    node.declareParameter({ name: "seed", type: "integer", description: "", defaultValue: 1 });
    node.declareParameter({ name: "model_path", type: "string", description: "", defaultValue: "" });
    node.declareParameter({ name: "max_tokens", type: "integer", description: "", defaultValue: 55 });
    return { node, close: async () => node.destroy() };
  };
  return { executable: name, summary: "", nodes: [{ defaultName: name, factory: async () => factory }] };
}

const ACTION_LOG: NodeProgram = { executable: "action_log", summary: "", nodes: [{ defaultName: "action_log", factory: NODE_FACTORIES.action_log }] };

describe.skipIf(!rclnodejsAvailable)("node executables on rclnodejs's own JavaScript", () => {
  it("params files: a node's own section beats /** and /**\/node, a later file beats an earlier one, -p beats files", async () => {
    const robotWide = file("robot.yaml", [
      "/**:", "  ros__parameters:", "    seed: 7", "    model_path: /robot/wide.gguf", "    max_tokens: 40",
      "/**/dialogue:", "  ros__parameters:", "    seed: 42",
    ].join("\n"));
    // What launch_ros writes for parameters=[{'model_path': ...}] on a node named dialogue.
    const launchDict = file("launch_params_dialogue.yaml", "/dialogue:\n  ros__parameters:\n    model_path: /launch/arg.gguf\n");
    const argv = ["--ros-args", "-r", "__node:=dialogue", "--params-file", robotWide, "--params-file", launchDict, "-p", "max_tokens:=80"];
    const started = await start(probeProgram(), argv);
    const node = started.nodes[0]!.node;
    expect(node.getParameter("seed")).toBe(42);
    expect(node.getParameter("model_path")).toBe("/launch/arg.gguf");
    expect(node.getParameter("max_tokens")).toBe(80);
    // rcl itself got no parameter arguments, so rclnodejs holds no competing overrides.
    expect(binding.calls.find(([fn]) => fn === "init")?.[2]).toEqual(["embodied_assistant", "--ros-args", "-r", "__node:=dialogue"]);
  });

  it("an integer array (or a bool array, or null) meant for other nodes in a robot-wide params file does not stop this one", async () => {
    const robotWide = file("robot.yaml", [
      "/**:", "  ros__parameters:", "    joint_ids: [1, 2, 3]", "    flags: [true, false]", "    unset: null",
      "/**/arm_controller:", "  ros__parameters:", "    gains: [10, 20]",
      "/**/dialogue:", "  ros__parameters:", "    seed: 9",
    ].join("\n"));
    const started = await start(probeProgram(), ["--ros-args", "--params-file", robotWide]);
    expect(started.nodes[0]!.node.getParameter("seed")).toBe(9);
  });

  for (const [where, yaml] of [
    ["a launch dict (launch_ros's per-node file)", "/dialogue:\n  ros__parameters:\n    use_sim_time: true\n"],
    ["/**/dialogue", "/**/dialogue:\n  ros__parameters:\n    use_sim_time: true\n"],
  ] as const) {
    it(`use_sim_time set for one node in ${where} puts that node's clock on /clock`, async () => {
      const argv = ["--ros-args", "--params-file", file("params.yaml", yaml)];
      const started = await start(probeProgram(), argv);
      const node = started.nodes[0]!.node;
      binding.inject("/clock", { clock: { sec: 100, nanosec: 5 } });
      await until(() => node.now().sec === 100, "the node's clock to follow /clock");
      expect(node.now()).toEqual({ sec: 100, nanosec: 5 });
    });
  }

  it("on sim time the action log judges stamps by the node's clock (an event at wall time is in the future)", async () => {
    const db = join(mkdtempSync(join(tmpdir(), "ros-runtime-")), "log.db");
    const params = file("params.yaml", `/**/action_log:\n  ros__parameters:\n    use_sim_time: true\n    db_path: ${db}\n    batch_max_ms: 1\n`);
    const started = await start(ACTION_LOG, ["--ros-args", "--params-file", params]);
    const actionLog = started.nodes[0] as ActionLogNode;
    binding.inject("/clock", { clock: { sec: 1000, nanosec: 0 } });
    await until(() => actionLog.node.now().sec === 1000, "sim time");
    binding.inject("/robot/action_events", ev({ action_id: "sim", t: 999 }));
    binding.inject("/robot/action_events", ev({ action_id: "wall", t: Date.now() / 1000 }));
    await until(() => actionLog.log.snapshot().counters.received === 2, "both events");
    expect(actionLog.log.snapshot().counters.accepted).toBe(1);
    expect(actionLog.log.snapshot().counters.rejected.future_stamp).toBe(1);
  });
});

describe.skipIf(!rclnodejsAvailable)("SIGINT on rclnodejs's own JavaScript", () => {
  it("in the middle of ingest at 5k events/s: every event taken from rcl is committed, the pending batch included, outcomes published", async () => {
    const db = join(mkdtempSync(join(tmpdir(), "ros-sigint-")), "log.db");
    const argv = ["--ros-args", "-p", `db_path:=${db}`, "-p", "batch_max_ms:=1000", "-p", "batch_max_events:=10000"];
    let exited: (code: number) => void = () => undefined;
    const exitCode = new Promise<number>((done) => (exited = done));
    await runNodeMain(ACTION_LOG, argv, { graph: await rosGraph(argv), exit: (code) => exited(code), log: () => undefined });

    // 50 events every 10 ms: 5000 events/s, each action a STARTED then a SUCCEEDED.
    let sent = 0;
    const feeder = setInterval(() => {
      const now = Date.now() / 1000;
      for (let i = 0; i < 25; i++, sent += 2) {
        binding.inject("/robot/action_events", ev({ action_id: `a${sent}`, t: now }));
        binding.inject("/robot/action_events", ev({ action_id: `a${sent}`, status: "SUCCEEDED", t: now }));
      }
    }, 10);
    cleanups.push(() => clearInterval(feeder));
    await new Promise((r) => setTimeout(r, 1500));
    const reader = new Database(db, { readonly: true });
    cleanups.push(() => void reader.close());
    const committedAtSigint = (reader.prepare("SELECT COUNT(*) AS n FROM events").get() as { n: number }).n;
    const takenAtSigint = binding.taken.get("/robot/action_events") ?? 0;
    process.emit("SIGINT");
    await new Promise((r) => setTimeout(r, 100)); // events keep coming while the node stops
    clearInterval(feeder);
    expect(await exitCode).toBe(0);

    const taken = binding.taken.get("/robot/action_events") ?? 0;
    const committed = (reader.prepare("SELECT COUNT(*) AS n FROM events").get() as { n: number }).n;
    const outcomes = (reader.prepare("SELECT COUNT(*) AS n FROM outcomes").get() as { n: number }).n;
    expect(takenAtSigint - committedAtSigint).toBeGreaterThan(0); // a batch was pending when SIGINT came
    expect(committed).toBe(taken); // nothing taken from rcl was lost
    expect(sent).toBeGreaterThan(taken); // intake stopped while events were still arriving
    expect(outcomes).toBe(Math.floor(taken / 2));
    expect(binding.published.get("/assistant/action_outcomes")?.length).toBe(outcomes);
    expect(rcl.isShutdown()).toBe(true); // rcl went down last
  });

  it("during start-up: the node being made finishes, every started node is closed, then rcl shuts down", async () => {
    let releaseModel: () => void = () => undefined;
    const modelLoaded = new Promise<void>((done) => (releaseModel = done));
    const closed: string[] = [];
    const tracked = (name: string, slow: boolean): NodeFactory => async (graph, options) => {
      const node: GraphNode = graph.createNode(options?.name ?? name, options);
      if (slow) await modelLoaded; // e.g. a GGUF loading
      node.now(); // the node must still be alive here
      const started: AssistantNode = { node, close: async () => { node.now(); closed.push(name); node.destroy(); } };
      return started;
    };
    const program: NodeProgram = {
      executable: "assistant",
      summary: "",
      nodes: [
        { defaultName: "memory", factory: async () => tracked("memory", false) },
        { defaultName: "dialogue", factory: async () => tracked("dialogue", true) },
        { defaultName: "never", factory: async () => tracked("never", false) },
      ],
    };
    let exited: (code: number) => void = () => undefined;
    const exitCode = new Promise<number>((done) => (exited = done));
    const running = runNodeMain(program, ["--ros-args"], { graph: await rosGraph(["--ros-args"]), exit: (code) => exited(code), log: () => undefined });
    await new Promise((r) => setTimeout(r, 20));
    process.emit("SIGINT");
    releaseModel();
    await running;
    expect(await exitCode).toBe(0);
    expect(closed).toEqual(["dialogue", "memory"]);
    expect(rcl.isShutdown()).toBe(true);
  });
});
