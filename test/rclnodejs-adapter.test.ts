/**
 * Behaviour of the rclnodejs adapter (src/ros/rclnodejs) without ROS 2. rclnodejs's Node needs
 * librcl, so it is replaced by a small fake that follows rclnodejs 2.x's parameter algorithm
 * (node.js: declareParameter, _setParametersAtomically, _validateParameters) and passes messages
 * in memory; the Parameter, ParameterDescriptor, ranges and QoS classes are rclnodejs's REAL ones
 * (pure JS, loaded from .typecheck-ros/ where `npm run typecheck:ros` installs rclnodejs).
 * What this proves: the adapter's own logic (override vetting, validators, listeners, message
 * validation, timeouts, conversions) and that rclnodejs accepts the descriptors it builds.
 * What it cannot prove: anything about rcl, DDS or a real ROS graph (docs/ros2.md).
 */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import type { Graph, GraphNode } from "../src/ros/GraphPort.js";
import { MessageValidationError, ServiceTimeoutError } from "../src/ros/errors.js";
import { createActionEvent, createPersonaState, serviceFactories } from "../src/core/interfaces/messages.generated.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const RCL_LIB = join(ROOT, ".typecheck-ros", "node_modules", "rclnodejs", "lib");
const ready = existsSync(join(RCL_LIB, "parameter.js"));
if (!ready && process.env["CI"]) throw new Error("rclnodejs is not installed in .typecheck-ros: run `npm run typecheck:ros` before the tests");

type AnyFn = (...args: never[]) => unknown;
interface RosParameter { name: string; type: number; value: unknown; validate(): void }
interface RosDescriptor { name: string; readOnly: boolean; validate(): void; validateParameter(p: RosParameter): void; rangeConstraint?: unknown; additionalConstraints: string }
interface RealParameterModule {
  Parameter: new (name: string, type: number, value?: unknown) => RosParameter;
  ParameterDescriptor: AnyFn;
  FloatingPointRange: AnyFn;
  IntegerRange: AnyFn;
  ParameterType: Record<string, number>;
}

/** In-memory stand-in for rcl: one topic and service table shared by all fake nodes. */
async function fakeRclnodejs(overrides: Record<string, unknown> = {}, missingTypes: string[] = []) {
  const real = (await import(pathToFileURL(join(RCL_LIB, "parameter.js")).href)) as RealParameterModule;
  const { default: QoS } = (await import(pathToFileURL(join(RCL_LIB, "qos.js")).href)) as { default: unknown };
  const topics = new Map<string, ((m: unknown) => void)[]>();
  const services = new Map<string, (req: unknown) => Promise<unknown>>();
  let shut = false;

  class FakeNode {
    private params = new Map<string, RosParameter>();
    private descriptors = new Map<string, RosDescriptor>();
    private onSet: ((p: RosParameter[]) => { successful: boolean; reason: string })[] = [];
    private postSet: ((p: RosParameter[]) => void)[] = [];
    constructor(private readonly n: string, private readonly ns = "/") {}
    name() { return this.n; }
    namespace() { return this.ns; }
    getFullyQualifiedName() { return this.ns === "/" ? `/${this.n}` : `${this.ns}/${this.n}`; }
    private resolve(name: string) {
      if (name.startsWith("/")) return name;
      if (name.startsWith("~/")) return `${this.getFullyQualifiedName()}/${name.slice(2)}`;
      return this.ns === "/" ? `/${name}` : `${this.ns}/${name}`;
    }
    createPublisher(_type: string, topic: string) {
      const name = this.resolve(topic);
      // Like rclnodejs with typed arrays on: numeric sequences arrive as Float32Array.
      const wire = (m: unknown) => Object.fromEntries(Object.entries(structuredClone(m) as object).map(([k, v]) =>
        [k, Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === "number") ? new Float32Array(v) : v]));
      return { topic: name, publish: (m: unknown) => (topics.get(name) ?? []).forEach((cb) => cb(wire(m))), subscriptionCount: () => (topics.get(name) ?? []).length };
    }
    createSubscription(_type: string, topic: string, _options: unknown, cb: (m: unknown) => void) {
      const name = this.resolve(topic);
      topics.set(name, [...(topics.get(name) ?? []), cb]);
      return { topic: name };
    }
    createService(_type: string, service: string, _options: unknown, cb: (req: unknown, res: { send(r: unknown): void }) => void) {
      const name = this.resolve(service);
      services.set(name, (req) => new Promise((done) => cb(req, { send: done })));
      return { serviceName: name };
    }
    createClient(_type: string, service: string) {
      const name = this.resolve(service);
      return {
        serviceName: name,
        isServiceServerAvailable: () => services.has(name),
        waitForService: async (ms: number) => { await new Promise((r) => setTimeout(r, Math.min(ms, 50))); return services.has(name); },
        sendRequestAsync: (req: unknown, o: { timeout: number }) =>
          new Promise((done, fail) => {
            const timer = setTimeout(() => fail(Object.assign(new Error("Service request timeout"), { name: "TimeoutError" })), o.timeout);
            void services.get(name)!(req).then((r) => { clearTimeout(timer); done(r); });
          }),
      };
    }
    // ---- parameters: rclnodejs 2.2 node.js, simplified ----
    getParameterOverrides() {
      return Object.entries(overrides).map(([name, v]) => {
        const t = typeof v === "boolean" ? real.ParameterType["PARAMETER_BOOL"] : typeof v === "string" ? real.ParameterType["PARAMETER_STRING"]
          : Number.isInteger(v) ? real.ParameterType["PARAMETER_INTEGER"] : real.ParameterType["PARAMETER_DOUBLE"];
        return new real.Parameter(name, t!, v);
      });
    }
    declareParameter(parameter: RosParameter, descriptor: RosDescriptor, ignoreOverride: boolean) {
      if (!ignoreOverride) throw new Error("the adapter vets overrides itself and must pass ignoreOverride=true");
      descriptor.validate();
      this.descriptors.set(descriptor.name, descriptor);
      const result = this.setParametersAtomically([parameter], true);
      if (!result.successful) { this.descriptors.delete(descriptor.name); throw new Error(result.reason); }
      return parameter;
    }
    getParameter(name: string) { return this.params.get(name); }
    getParameterDescriptor(name: string) { return this.descriptors.get(name); }
    setParametersAtomically(parameters: RosParameter[], declaring = false) {
      for (const p of parameters) {
        try { p.validate(); } catch { return { successful: false, reason: `Invalid ${p.name}` }; }
        const d = this.descriptors.get(p.name);
        if (!d) return { successful: false, reason: `Parameter ${p.name} has not been declared` };
        if (!declaring && d.readOnly) return { successful: false, reason: `Parameter ${p.name} is readonly` };
        try { d.validateParameter(p); } catch { return { successful: false, reason: `Parameter ${p.name} is invalid` }; }
      }
      for (const cb of this.onSet) { const r = cb(parameters); if (!r.successful) return r; }
      for (const p of parameters) this.params.set(p.name, p);
      for (const cb of this.postSet) cb(parameters);
      return { successful: true, reason: "" };
    }
    addOnSetParametersCallback(cb: (p: RosParameter[]) => { successful: boolean; reason: string }) { this.onSet.unshift(cb); }
    addPostSetParametersCallback(cb: (p: RosParameter[]) => void) { this.postSet.push(cb); }
    createTimer(period: bigint, cb: () => void) { const t = setInterval(cb, Number(period / 1_000_000n)); return { cancel: () => clearInterval(t) }; }
    now() { return { toMsg: () => ({ sec: 1_700_000_000, nanosec: 5 }) }; }
    spin() {}
    destroy() {}
  }

  return {
    init: async () => undefined,
    shutdown: () => { shut = true; },
    isShutdown: () => shut,
    require: (name: string) => { if (missingTypes.includes(name)) throw new Error(`cannot load ${name}`); return {}; },
    Node: FakeNode,
    Parameter: real.Parameter,
    ParameterDescriptor: real.ParameterDescriptor,
    FloatingPointRange: real.FloatingPointRange,
    IntegerRange: real.IntegerRange,
    QoS,
    services,
  };
}

interface AdapterModule {
  RclnodejsGraph: { create(rcl: unknown, options?: { logLevel?: string }): Promise<Graph> };
  RclnodejsInterfacesMissingError: new (...args: never[]) => Error;
}
async function adapter(): Promise<AdapterModule> {
  // Computed so that the main tsconfig does not follow it into src/ros/rclnodejs (checked by typecheck:ros).
  const path = "../src/ros/rclnodejs/RclnodejsGraph.js";
  return (await import(path)) as AdapterModule;
}

async function graphWith(overrides: Record<string, unknown> = {}) {
  const fake = await fakeRclnodejs(overrides);
  const graph = await (await adapter()).RclnodejsGraph.create(fake, { logLevel: "silent" });
  return { graph, fake };
}

function declareWarmth(node: GraphNode) {
  return node.declareParameter({
    name: "persona.warmth", type: "double", description: "warmth", defaultValue: 0.5, floatingPointRange: { from: 0, to: 1 },
  });
}

describe.skipIf(!ready)("rclnodejs adapter on a fake rcl", () => {
  it("applies a valid override from rcl, coercing an integer to a double parameter", async () => {
    const { graph } = await graphWith({ "persona.warmth": 1, max_tokens: 80 });
    const node = graph.createNode("dialogue");
    expect(declareWarmth(node)).toBe(1);
    expect(node.declareParameter({ name: "max_tokens", type: "integer", description: "", defaultValue: 55, integerRange: { from: 1, to: 512 } })).toBe(80);
    expect(node.getParameter("max_tokens")).toBe(80);
    await graph.shutdown();
  });

  it("keeps the default and records the reason when an override breaks the descriptor", async () => {
    const { graph } = await graphWith({ "persona.warmth": 3.5 });
    const node = graph.createNode("dialogue") as GraphNode & { rejectedParameterOverrides: { name: string; reason: string }[] };
    expect(declareWarmth(node)).toBe(0.5);
    expect(node.rejectedParameterOverrides[0]?.name).toBe("persona.warmth");
    expect(node.rejectedParameterOverrides[0]?.reason).toMatch(/outside the range/);
  });

  it("rejects out-of-range, vetoed and read-only sets with a reason and keeps the old value", async () => {
    const { graph } = await graphWith();
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

  it("announces accepted changes, also those made from outside (ros2 param set)", async () => {
    const { graph } = await graphWith();
    const node = graph.createNode("dialogue");
    declareWarmth(node);
    const seen: unknown[] = [];
    node.onParametersChanged((changes) => seen.push(...changes));
    expect(node.setParameters({ "persona.warmth": 0.9 })).toEqual({ successful: true, reason: "" });
    // What rclnodejs's parameter service does for `ros2 param set /dialogue persona.warmth 0.2`:
    const ros = (node as unknown as { ros: { setParametersAtomically(p: unknown[]): { successful: boolean } } }).ros;
    const { Parameter, ParameterType } = (await import(pathToFileURL(join(RCL_LIB, "parameter.js")).href)) as RealParameterModule;
    expect(ros.setParametersAtomically([new Parameter("persona.warmth", ParameterType["PARAMETER_DOUBLE"]!, 0.2)]).successful).toBe(true);
    expect(seen).toEqual([
      { name: "persona.warmth", oldValue: 0.5, newValue: 0.9 },
      { name: "persona.warmth", oldValue: 0.9, newValue: 0.2 },
    ]);
    expect(node.getParameter("persona.warmth")).toBe(0.2);
  });

  it("builds descriptors rclnodejs accepts, with range, read-only and allowed values", async () => {
    const { graph } = await graphWith();
    const node = graph.createNode("action_log");
    node.declareParameter({ name: "durability", type: "string", description: "d", defaultValue: "full", readOnly: true, allowedValues: ["full", "normal"] });
    node.declareParameter({ name: "batch", type: "integer", description: "b", defaultValue: 500, integerRange: { from: 1, to: 10_000 } });
    const ros = (node as unknown as { ros: { getParameterDescriptor(n: string): RosDescriptor; getParameter(n: string): RosParameter } }).ros;
    expect(ros.getParameterDescriptor("durability").readOnly).toBe(true);
    expect(ros.getParameterDescriptor("durability").additionalConstraints).toBe("one of: full, normal");
    expect(ros.getParameter("batch").value).toBe(500n);
    expect(node.setParameters({ batch: 20_000 }).successful).toBe(false);
  });

  it("refuses a message of the wrong shape at publish, naming the field, and delivers a right one as plain data", async () => {
    const { graph } = await graphWith();
    const a = graph.createNode("robot");
    const b = graph.createNode("memory");
    const received: unknown[] = [];
    b.createSubscription("embodied_assistant/msg/PersonaState", "/persona", (m) => void received.push(m));
    const pub = a.createPublisher("embodied_assistant/msg/ActionEvent", "/robot/action_events");
    expect(() => pub.publish({ ...createActionEvent(), status: 7 } as never)).toThrow(MessageValidationError);
    expect(() => pub.publish({ ...createActionEvent(), status: 7 } as never)).toThrow(/status/);
    // The fake hands float32[] fields over as Float32Array, as rclnodejs can: the subscriber still gets number[].
    const persona = { ...createPersonaState(), dimension_names: ["warmth"], dimension_weights: [0.5] };
    a.createPublisher("embodied_assistant/msg/PersonaState", "/persona").publish(persona);
    await new Promise((r) => setTimeout(r, 10));
    expect(received).toEqual([persona]);
  });

  it("fails a call to a missing service with ServiceTimeoutError, and turns a throwing handler into success=false", async () => {
    const { graph } = await graphWith();
    const dialogue = graph.createNode("dialogue");
    const client = dialogue.createClient("embodied_assistant/srv/Recall", "memory/recall");
    const request = serviceFactories["embodied_assistant/srv/Recall"].request();
    const missing = await client.call(request, { timeoutMs: 100 }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ServiceTimeoutError);
    expect(String(missing)).toMatch(/\/memory\/recall is not available/);

    const memory = graph.createNode("memory");
    memory.createService("embodied_assistant/srv/Recall", "~/recall", () => { throw new Error("index corrupt"); });
    const response = await client.call(request, { timeoutMs: 1000 });
    expect(response.success).toBe(false);
    expect(response.message).toMatch(/index corrupt/);
  });

  it("runs timers and reads the clock as builtin_interfaces/Time", async () => {
    const { graph } = await graphWith();
    const node = graph.createNode("action_log");
    let ticks = 0;
    const timer = node.createTimer(5, () => void ticks++);
    await new Promise((r) => setTimeout(r, 40));
    timer.cancel();
    expect(ticks).toBeGreaterThan(0);
    expect(node.now()).toEqual({ sec: 1_700_000_000, nanosec: 5 });
  });

  it("refuses to start when rclnodejs cannot load the package's interfaces, and says how to fix it", async () => {
    const fake = await fakeRclnodejs({}, ["embodied_assistant/srv/Chat"]);
    const { RclnodejsGraph } = await adapter();
    await expect(RclnodejsGraph.create(fake)).rejects.toThrow(/embodied_assistant\/srv\/Chat.*colcon build/s);
    expect(fake.isShutdown()).toBe(true);
  });
});
