/**
 * The rclnodejs adapter (src/ros/rclnodejs) on rclnodejs 2.2's REAL JavaScript: the package
 * entry with its node, parameter, parameter-service, time-source, clock, publisher, subscription,
 * service, client and timer code, over a recording stand-in for the native addon
 * (test/support/rclnodejsOverStub.ts says what the stand-in does and where it mirrors rclnodejs's
 * C++). Needs rclnodejs in .typecheck-ros/ (`npm run typecheck:ros` installs it); under CI its
 * absence is an error, elsewhere the file is skipped with a hint.
 * What it cannot prove: anything about rcl itself, DDS, the wire format or a real ROS graph (docs/ros2.md).
 */
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Graph, GraphNode } from "../src/ros/GraphPort.js";
import { MessageValidationError, ServiceTimeoutError } from "../src/ros/errors.js";
import { createActionEvent, createPersonaState, serviceFactories } from "../src/core/interfaces/messages.generated.js";
import { loadRclnodejsOverStub, rclnodejsAvailable, until, type StubBinding } from "./support/rclnodejsOverStub.js";

if (!rclnodejsAvailable && process.env["CI"]) throw new Error("rclnodejs is not installed in .typecheck-ros: run `npm run typecheck:ros` before the tests");
if (!rclnodejsAvailable) console.warn("test/rclnodejs-adapter.test.ts skipped: run `npm run typecheck:ros` once to install rclnodejs into .typecheck-ros/");

interface AdapterModule {
  RclnodejsGraph: { create(rcl: unknown, options?: { logLevel?: string; rosArgv?: readonly string[] }): Promise<Graph> };
}
async function adapter(): Promise<AdapterModule> {
  // Computed so that the main tsconfig does not follow it into src/ros/rclnodejs (checked by typecheck:ros).
  const path = "../src/ros/rclnodejs/RclnodejsGraph.js";
  return (await import(path)) as AdapterModule;
}

interface RosNodeInternals { ros: { getParameter(n: string): { value: unknown }; getParameterDescriptor(n: string): { readOnly: boolean; additionalConstraints: string } } }

let rcl: Awaited<ReturnType<typeof loadRclnodejsOverStub>>["rcl"];
let binding: StubBinding;
let rclSigint: (...args: unknown[]) => void;
const graphs: Graph[] = [];

beforeAll(async () => {
  if (!rclnodejsAvailable) return;
  process.env["ROS_DISTRO"] ??= "humble";
  ({ rcl, binding, sigintHandler: rclSigint } = await loadRclnodejsOverStub());
});

afterEach(async () => {
  for (const graph of graphs.splice(0)) await graph.shutdown();
  // A callback that threw inside rclnodejs's execute(): a test failure, whatever the test checked.
  expect(binding?.errors ?? []).toEqual([]);
  if (rclnodejsAvailable && !rcl.isShutdown()) rcl.shutdownAll();
  binding?.reset();
});

async function graphWith(rosArgv: readonly string[] = []): Promise<Graph> {
  const graph = await (await adapter()).RclnodejsGraph.create(rcl, { logLevel: "silent", rosArgv });
  graphs.push(graph);
  return graph;
}

function declareWarmth(node: GraphNode) {
  return node.declareParameter({
    name: "persona.warmth", type: "double", description: "warmth", defaultValue: 0.5, floatingPointRange: { from: 0, to: 1 },
  });
}

describe.skipIf(!rclnodejsAvailable)("rclnodejs adapter on rclnodejs's own JavaScript", () => {
  it("takes over SIGINT from rclnodejs, whose handler would destroy the nodes before a clean stop", async () => {
    expect(process.listeners("SIGINT")).toContain(rclSigint); // index.js installed it at import
    await graphWith();
    expect(process.listeners("SIGINT")).not.toContain(rclSigint);
  });

  it("applies a valid override, coercing an integer to a double parameter", async () => {
    const graph = await graphWith();
    const node = graph.createNode("dialogue", { parameterOverrides: { "persona.warmth": 1, max_tokens: 80 } });
    expect(declareWarmth(node)).toBe(1);
    expect(node.declareParameter({ name: "max_tokens", type: "integer", description: "", defaultValue: 55, integerRange: { from: 1, to: 512 } })).toBe(80);
    expect(node.getParameter("max_tokens")).toBe(80);
    expect((node as unknown as RosNodeInternals).ros.getParameter("max_tokens").value).toBe(80n);
  });

  it("keeps the default and records the reason when an override breaks the descriptor", async () => {
    const graph = await graphWith();
    const node = graph.createNode("dialogue", { parameterOverrides: { "persona.warmth": 3.5 } }) as GraphNode & { rejectedParameterOverrides: { name: string; reason: string }[] };
    expect(declareWarmth(node)).toBe(0.5);
    expect(node.rejectedParameterOverrides[0]?.name).toBe("persona.warmth");
    expect(node.rejectedParameterOverrides[0]?.reason).toMatch(/outside the range/);
  });

  it("rejects out-of-range, vetoed and read-only sets from inside with a reason and keeps the old value", async () => {
    const graph = await graphWith();
    const node = graph.createNode("dialogue");
    declareWarmth(node);
    node.declareParameter({ name: "model_path", type: "string", description: "", defaultValue: "", readOnly: true });
    expect(node.setParameters({ "persona.warmth": 2 })).toMatchObject({ successful: false, reason: expect.stringMatching(/range/) });
    node.addParameterValidator((changes) =>
      changes.some((c) => c.newValue === 0.13) ? { successful: false, reason: "unlucky" } : { successful: true, reason: "" },
    );
    expect(node.setParameters({ "persona.warmth": 0.13 })).toEqual({ successful: false, reason: "unlucky" });
    expect(node.setParameters({ model_path: "/x.gguf" })).toMatchObject({ successful: false, reason: expect.stringMatching(/readonly/) });
    expect(node.getParameter("persona.warmth")).toBe(0.5);
    expect(node.getParameter("model_path")).toBe("");
    expect(node.setParameters({ nope: 1 })).toMatchObject({ successful: false, reason: expect.stringMatching(/not declared/) });
  });

  it("serves `ros2 param set` through rclnodejs's parameter service: accepted sets are announced, rejections say why", async () => {
    const graph = await graphWith();
    const node = graph.createNode("dialogue");
    declareWarmth(node);
    const seen: unknown[] = [];
    node.onParametersChanged((changes) => seen.push(...changes));
    graph.spin();
    const set = (value: Record<string, unknown>) =>
      binding.callService("/dialogue/set_parameters", { parameters: [{ name: "persona.warmth", value }] }) as Promise<{ results: { successful: boolean; reason: string }[] }>;
    expect((await set({ type: 3, double_value: 0.2 })).results[0]).toEqual({ successful: true, reason: "" });
    // `ros2 param set /dialogue persona.warmth 1` sends an integer: taken as 1.0, as the port does.
    expect((await set({ type: 2, integer_value: 1n })).results[0]).toEqual({ successful: true, reason: "" });
    // rclnodejs alone answers both of these with "Parameter persona.warmth does not  readonly".
    expect((await set({ type: 3, double_value: 1.7 })).results[0]).toEqual({ successful: false, reason: "parameter persona.warmth: value 1.7 is outside the range [0, 1]" });
    expect((await set({ type: 4, string_value: "warm" })).results[0]).toEqual({ successful: false, reason: "parameter persona.warmth is a double; the value given has another type" });
    expect(node.getParameter("persona.warmth")).toBe(1);
    expect(seen).toEqual([
      { name: "persona.warmth", oldValue: 0.5, newValue: 0.2 },
      { name: "persona.warmth", oldValue: 0.2, newValue: 1 },
    ]);
  });

  it("`ros2 param describe` shows ranges, read-only and constraints (rclnodejs's own toMessage drops ranges)", async () => {
    const graph = await graphWith();
    const node = graph.createNode("action_log");
    node.declareParameter({ name: "durability", type: "string", description: "d", defaultValue: "full", readOnly: true, allowedValues: ["full", "normal"] });
    node.declareParameter({ name: "batch", type: "integer", description: "b", defaultValue: 500, integerRange: { from: 1, to: 10_000 } });
    declareWarmth(node);
    graph.spin();
    const described = (await binding.callService("/action_log/describe_parameters", { names: ["durability", "batch", "persona.warmth"] })) as { descriptors: Record<string, unknown>[] };
    expect(described.descriptors).toEqual([
      expect.objectContaining({ name: "durability", read_only: true, additional_constraints: "one of: full, normal", integer_range: [], floating_point_range: [] }),
      expect.objectContaining({ name: "batch", type: 2, integer_range: [{ from_value: 1n, to_value: 10_000n, step: 0n }] }),
      expect.objectContaining({ name: "persona.warmth", type: 3, floating_point_range: [{ from_value: 0, to_value: 1, step: 0 }] }),
    ]);
    expect((node as unknown as RosNodeInternals).ros.getParameterDescriptor("durability").readOnly).toBe(true);
    expect(node.setParameters({ batch: 20_000 }).successful).toBe(false);
  });

  it("refuses a message of the wrong shape at publish, naming the field; delivers a right one as plain data; counts subscribers", async () => {
    const graph = await graphWith();
    const a = graph.createNode("robot");
    const b = graph.createNode("memory");
    const received: unknown[] = [];
    const persona = a.createPublisher("embodied_assistant/msg/PersonaState", "/persona");
    expect(persona.subscriptionCount()).toBe(0); // a getter in rclnodejs 2.2.0's publisher.js
    b.createSubscription("embodied_assistant/msg/PersonaState", "/persona", (m) => void received.push(m));
    expect(persona.subscriptionCount()).toBe(1);
    const pub = a.createPublisher("embodied_assistant/msg/ActionEvent", "/robot/action_events");
    expect(() => pub.publish({ ...createActionEvent(), status: 7 } as never)).toThrow(MessageValidationError);
    expect(() => pub.publish({ ...createActionEvent(), status: 7 } as never)).toThrow(/status/);
    graph.spin();
    const message = { ...createPersonaState(), dimension_names: ["warmth"], dimension_weights: [0.5] };
    persona.publish(message);
    await until(() => received.length > 0, "the message");
    expect(received).toEqual([message]);
  });

  it("fails a call to a missing service with ServiceTimeoutError, and turns a throwing handler into success=false", async () => {
    const graph = await graphWith();
    const dialogue = graph.createNode("dialogue");
    const client = dialogue.createClient("embodied_assistant/srv/Recall", "memory/recall");
    const request = serviceFactories["embodied_assistant/srv/Recall"].request();
    graph.spin();
    const missing = await client.call(request, { timeoutMs: 100 }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ServiceTimeoutError);
    expect(String(missing)).toMatch(/\/memory\/recall is not available/);

    const memory = graph.createNode("memory");
    memory.createService("embodied_assistant/srv/Recall", "~/recall", () => { throw new Error("index corrupt"); });
    const response = await client.call(request, { timeoutMs: 1000 });
    expect(response.success).toBe(false);
    expect(response.message).toMatch(/index corrupt/);
  });

  it("runs timers, and reads the node's clock as builtin_interfaces/Time (wall time by default)", async () => {
    const graph = await graphWith();
    const node = graph.createNode("action_log");
    let ticks = 0;
    const timer = node.createTimer(5, () => void ticks++);
    graph.spin();
    await until(() => ticks > 1, "two timer ticks");
    timer.cancel();
    const now = node.now();
    expect(Math.abs(now.sec - Date.now() / 1000)).toBeLessThan(5);
  });

  it("refuses to start when rclnodejs cannot load the package's interfaces, and says how to fix it", async () => {
    const { RclnodejsGraph } = await adapter();
    const originalRequire = rcl["require"] as (name: string) => unknown;
    rcl["require"] = (name: string) => {
      if (name === "embodied_assistant/srv/Chat") throw new Error(`The message required does not exist: ${name}`);
      return originalRequire.call(rcl, name);
    };
    try {
      await expect(RclnodejsGraph.create(rcl)).rejects.toThrow(/embodied_assistant\/srv\/Chat.*colcon build/s);
      expect(rcl.isShutdown()).toBe(true);
    } finally {
      rcl["require"] = originalRequire;
    }
  });
});
