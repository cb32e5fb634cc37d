import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "@foxglove/rosmsg";
import { MessageReader, MessageWriter } from "@foxglove/rosmsg2-serialization";
import { WebSocket } from "ws";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { standaloneOverrides } from "../src/cli/console/standaloneData.js";
import { startNodeProgram, type StartedProgram } from "../src/cli/runNode.js";
import { encodeActionOutcome } from "../src/core/actionlog/encodeCdr.js";
import {
  createActionOutcome,
  createPersonaState,
  createQueryOutcomesRequest,
  createQueryOutcomesResponse,
  createRecallRequest,
  type ActionEvent,
  type ActionOutcome,
  type DiagnosticMsgsDiagnosticArray,
  type PersonaState,
  type RecallResponse,
} from "../src/core/interfaces/messages.generated.js";
import { FoxgloveBridge, type FoxgloveBridgeOptions } from "../src/foxglove/FoxgloveBridge.js";
import { startFoxgloveOnGraph } from "../src/foxglove/foxgloveOption.js";
import { loadInterfaceCatalog } from "../src/foxglove/interfaceCatalog.js";
import { CdrCodecError, RosCdrCodec } from "../src/foxglove/RosCdrCodec.js";
import { ASSISTANT_NODES } from "../src/nodes/registry.js";
import type { Graph } from "../src/ros/GraphPort.js";
import { InProcessGraph } from "../src/ros/inprocess/InProcessGraph.js";
import {
  FoxgloveClient,
  StatusLevel,
  type Channel,
  type FoxgloveParameter,
  type IWebSocket,
  type Service,
} from "../src/foxglove/wsProtocol.js";

const dir = mkdtempSync(join(tmpdir(), "foxglove-bridge-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const settle = (ms = 10) => new Promise((r) => setTimeout(r, ms));
async function waitFor<T>(probe: () => T | undefined, what: string, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await settle();
  }
}

/** Everything a Foxglove client saw, recorded as it arrives. */
class RecordingClient {
  readonly client: InstanceType<typeof FoxgloveClient>;
  readonly channels: Channel[] = [];
  readonly services: Service[] = [];
  readonly statuses: { level: number; message: string }[] = [];
  readonly parameterReplies: { id?: string; parameters: FoxgloveParameter[] }[] = [];
  readonly messages = new Map<number, Uint8Array[]>();
  readonly responses = new Map<number, Uint8Array>();
  readonly failures = new Map<number, string>();
  private readonly subscriptionChannel = new Map<number, number>();
  opened: Promise<void>;

  constructor(url: string, private readonly graph: InProcessGraph) {
    const ws = new WebSocket(url, [FoxgloveClient.SUPPORTED_SUBPROTOCOL]);
    this.client = new FoxgloveClient({ ws: ws as unknown as IWebSocket });
    this.opened = new Promise((resolve) => this.client.on("open", resolve));
    this.client.on("advertise", (channels) => this.channels.push(...channels));
    this.client.on("advertiseServices", (services) => this.services.push(...services));
    this.client.on("status", (status) => this.statuses.push(status));
    this.client.on("parameterValues", (event) => this.parameterReplies.push(event));
    this.client.on("message", ({ subscriptionId, data }) => {
      const channelId = this.subscriptionChannel.get(subscriptionId)!;
      const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
      this.messages.set(channelId, [...(this.messages.get(channelId) ?? []), bytes]);
    });
    this.client.on("serviceCallResponse", ({ callId, data }) => this.responses.set(callId, new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice()));
    this.client.on("serviceCallFailure", ({ callId, message }) => this.failures.set(callId, message));
  }

  async channel(topic: string): Promise<Channel> {
    return waitFor(() => this.channels.find((c) => c.topic === topic), `channel ${topic}`);
  }

  async service(name: string): Promise<Service> {
    return waitFor(() => this.services.find((s) => s.name === name), `service ${name}`);
  }

  /**
   * Subscribes and returns a decoder built from the advertised schema alone, as Foxglove does.
   * Waits until the bridge's own graph subscription on the topic exists: a volatile topic's
   * messages published before that moment never reach Foxglove, as with any late ROS subscriber.
   */
  async subscribe(topic: string): Promise<{ channel: Channel; decoded: () => unknown[] }> {
    const channel = await this.channel(topic);
    expect(channel).toMatchObject({ encoding: "cdr", schemaEncoding: "ros2msg" });
    const reader = new MessageReader(parse(channel.schema, { ros2: true }));
    const subscribersBefore = this.subscriberCount(topic);
    this.subscriptionChannel.set(this.client.subscribe(channel.id), channel.id);
    await waitFor(() => this.subscriberCount(topic) > subscribersBefore, `the bridge's subscription to ${topic}`);
    return { channel, decoded: () => (this.messages.get(channel.id) ?? []).map((m) => reader.readMessage(m)) };
  }

  private subscriberCount(topic: string): number {
    return this.graph.topicNames().find((t) => t.name === topic)?.subscribers ?? 0;
  }

  async call(service: Service, callId: number, request: unknown): Promise<unknown> {
    const writer = new MessageWriter(parse(service.request!.schema, { ros2: true }));
    this.client.sendServiceCallRequest({ serviceId: service.id, callId, encoding: "cdr", data: writer.writeMessage(request) });
    await waitFor(() => this.responses.has(callId) || this.failures.has(callId), `reply to call ${callId}`);
    if (this.failures.has(callId)) throw new Error(this.failures.get(callId));
    return new MessageReader(parse(service.response!.schema, { ros2: true })).readMessage(this.responses.get(callId)!);
  }

  async parameters(id: string): Promise<FoxgloveParameter[]> {
    return (await waitFor(() => this.parameterReplies.find((r) => r.id === id), `parameter reply ${id}`)).parameters;
  }
}

let program: StartedProgram | undefined;
let bridge: FoxgloveBridge | undefined;
let client: RecordingClient | undefined;
afterEach(async () => {
  client?.client.close();
  await bridge?.close();
  await program?.stop();
  client = undefined;
  bridge = undefined;
  program = undefined;
});

async function startAssistant(name: string, programArgs: string[] = []): Promise<{ graph: InProcessGraph; program: StartedProgram }> {
  mkdirSync(join(dir, name), { recursive: true });
  const graph = new InProcessGraph({ logLevel: "silent" });
  program = await startNodeProgram(
    { executable: "start", summary: "test", nodes: ASSISTANT_NODES },
    [...programArgs, "--ros-args", "--params-file", "configs/assistant.yaml"],
    { graph, baseOverrides: standaloneOverrides(join(dir, name)) },
  );
  return { graph, program };
}

/** The assistant's nodes, a bridge on a free port, and a client connected to it. */
async function connectedAssistant(name: string, options: FoxgloveBridgeOptions = {}) {
  const { graph } = await startAssistant(name);
  bridge = await FoxgloveBridge.start(graph, { port: 0, ...options });
  client = new RecordingClient(bridge.url, graph);
  await client.opened;
  return { graph, bridge, client };
}

function event(actionId: string, status: string, detail: string, atMs: number): ActionEvent {
  return {
    header: { stamp: { sec: Math.floor(atMs / 1000), nanosec: (atMs % 1000) * 1_000_000 }, frame_id: "" },
    robot_id: "r1", action_id: actionId, action: "pick", object: "cup", location: "kitchen", status, progress: 0, detail,
  };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("Foxglove bridge over the in-process graph", () => {
  it("streams action outcomes as CDR that Foxglove's reader decodes, and answers recall", async () => {
    const { graph, bridge, client } = await connectedAssistant("outcomes", { discoveryPeriodMs: 20 });
    const outcomes = await client.subscribe("/assistant/action_outcomes");
    expect(outcomes.channel.schemaName).toBe("embodied_assistant/msg/ActionOutcome");

    // The robot's executive appears after the bridge: discovery finds its topic too.
    const robot = graph.createNode("test_robot").createPublisher("embodied_assistant/msg/ActionEvent", "/robot/action_events");
    await client.channel("/robot/action_events");
    const now = Date.now() - 5000;
    robot.publish(event("a1", "STARTED", "", now));
    robot.publish(event("a1", "FAILED", "gripper slipped ✋", now + 2000));

    const [outcome] = (await waitFor(() => (outcomes.decoded().length > 0 ? outcomes.decoded() : undefined), "an outcome in Foxglove")) as ActionOutcome[];
    expect(outcome).toMatchObject({ action_id: "a1", action: "pick", object: "cup", result: "FAILED", reason: "gripper slipped ✋", progress_events: 0, flagged: false });
    expect(outcome!.duration_s).toBeCloseTo(2, 6);

    const recall = await client.service("/memory/recall");
    expect(recall.type).toBe("embodied_assistant/srv/Recall");
    expect(recall.request).toMatchObject({ encoding: "cdr", schemaEncoding: "ros2msg", schemaName: "embodied_assistant/srv/Recall_Request" });
    // Memory turns the outcome into an episode on its own schedule: ask until it is there.
    let answer: RecallResponse | undefined;
    for (let callId = 1; callId < 200 && !(answer?.episodes.length); callId++) {
      answer = (await client.call(recall, callId, { ...createRecallRequest(), query: "what happened to the cup", cue_object: "cup", ask_role: "result", k: 3 })) as RecallResponse;
      if (!answer.episodes.length) await settle(50);
    }
    expect(answer!.success).toBe(true);
    expect(answer!.episodes[0]).toMatchObject({ action: "pick", object: "cup", result: "FAILED" });
    expect(answer!.answer).toBe("FAILED");
  });

  it("gets and sets persona.warmth, and refuses an out-of-range value with the reason", async () => {
    const { graph, bridge, client } = await connectedAssistant("parameters");
    const warmth = "/dialogue.persona.warmth";
    const personaState = await client.subscribe("/dialogue/persona_state");

    client.client.getParameters([warmth], "get");
    expect(await client.parameters("get")).toEqual([{ name: warmth, value: 0.85, type: "float64" }]);
    client.client.getParameters([], "all");
    const all = (await client.parameters("all")).map((p) => p.name);
    expect(all).toEqual(expect.arrayContaining([warmth, "/dialogue.persona.playful", "/action_log.db_path"]));
    expect(all.some((name) => name.startsWith("/memory."))).toBe(true);

    client.client.subscribeParameterUpdates([warmth]);
    client.client.setParameters([{ name: warmth, value: 0.2, type: "float64" }], "set");
    expect(await client.parameters("set")).toEqual([{ name: warmth, value: 0.2, type: "float64" }]);
    expect(graph.getNode("/dialogue")!.getParameter("persona.warmth")).toBe(0.2);
    // The node applies it: its persona state (what the next turn uses) carries the new weight.
    await waitFor(() => (personaState.decoded() as PersonaState[]).find((s) => Math.abs(s.dimension_weights[s.dimension_names.indexOf("warmth")]! - 0.2) < 1e-6), "persona state with warmth 0.2");
    // Subscribed clients hear the change without an id.
    await waitFor(() => client.parameterReplies.find((r) => r.id === undefined && r.parameters.some((p) => p.name === warmth && p.value === 0.2)), "parameter update");

    client.client.setParameters([{ name: warmth, value: 1.5, type: "float64" }], "refused");
    expect(await client.parameters("refused")).toEqual([{ name: warmth, value: 0.2, type: "float64" }]);
    const refusal = await waitFor(() => client.statuses.find((s) => s.message.includes("persona.warmth")), "refusal status");
    expect(refusal.level).toBe(StatusLevel.WARNING);
    expect(refusal.message).toContain("value 1.5 is outside the range [0, 1]");
    expect(graph.getNode("/dialogue")!.getParameter("persona.warmth")).toBe(0.2);

    client.client.setParameters([{ name: "/nobody.x", value: 1 }, { name: "/dialogue.persona.warmth", value: undefined }]);
    await waitFor(() => client.statuses.find((s) => s.message.includes("no node /nobody")), "unknown node refusal");
    await waitFor(() => client.statuses.find((s) => s.message.includes("cannot be unset")), "unset refusal");
    expect(bridge.counters.parameterSetsRefused).toBe(3);
  });

  it("reports a malformed service request as a failure, counts it, and keeps serving", async () => {
    const { graph, bridge, client } = await connectedAssistant("malformed");
    const recall = await client.service("/memory/recall");
    client.client.sendServiceCallRequest({ serviceId: recall.id, callId: 7, encoding: "cdr", data: new Uint8Array([0, 1, 0, 0, 255, 255, 255, 127]) });
    expect(await waitFor(() => client.failures.get(7), "failure")).toMatch(/cannot convert embodied_assistant\/srv\/Recall_Request/);
    client.client.sendServiceCallRequest({ serviceId: recall.id, callId: 8, encoding: "json", data: new TextEncoder().encode("{}") });
    expect(await waitFor(() => client.failures.get(8), "failure")).toMatch(/encoding json is not supported/);
    const answer = (await client.call(recall, 9, { ...createRecallRequest(), query: "anything" })) as RecallResponse;
    expect(answer.success).toBe(true);
    expect(bridge.counters).toMatchObject({ serviceCalls: 3, serviceCallsFailed: 2 });
  });

  it("drops and counts messages instead of queueing them for a client that is behind", async () => {
    // A negative limit makes every client count as behind.
    const { bridge, client } = await connectedAssistant("slow", { maxBufferedBytes: -1 });
    const diagnostics = await client.subscribe("/diagnostics");
    await waitFor(() => bridge.counters.messagesDropped >= 2, "dropped diagnostics");
    expect(diagnostics.decoded()).toEqual([]);
    expect(bridge.counters.messagesSent).toBe(0);
  });

  it("publishes /diagnostics, including its own status", async () => {
    const { graph, bridge, client } = await connectedAssistant("diagnostics");
    const diagnostics = await client.subscribe("/diagnostics");
    const names = new Set<string>();
    await waitFor(() => {
      for (const array of diagnostics.decoded() as DiagnosticMsgsDiagnosticArray[]) for (const s of array.status) names.add(s.name);
      return names.has("foxglove_bridge: websocket") && [...names].some((n) => n.startsWith("dialogue:"));
    }, "diagnostics of the bridge and the dialogue node");
    const bridgeStatus = (diagnostics.decoded() as DiagnosticMsgsDiagnosticArray[]).flatMap((a) => a.status).find((s) => s.name === "foxglove_bridge: websocket")!;
    expect(bridgeStatus.message).toContain(bridge.url);
    expect(bridgeStatus.values.find((v) => v.key === "clients")?.value).toBe("1");
  });
});

describe("the shipped Foxglove layout", () => {
  it("names only topics, fields and services the running assistant has", async () => {
    const layout = JSON.parse(readFileSync(join(import.meta.dirname, "../configs/foxglove/embodied_assistant.json"), "utf8"));
    const panelsInTree: string[] = [];
    const walk = (node: unknown): void => {
      if (typeof node === "string") panelsInTree.push(node);
      else if (node && typeof node === "object") for (const key of ["first", "second"]) walk((node as Record<string, unknown>)[key]);
    };
    walk(layout.layout);
    expect(panelsInTree.sort()).toEqual(Object.keys(layout.configById).sort());
    expect(panelsInTree.map((id) => id.split("!")[0])).toEqual(expect.arrayContaining(["Parameters", "Plot", "DiagnosticSummary", "CallService"]));

    const { graph, client } = await connectedAssistant("layout");
    graph.createNode("sim").createPublisher("embodied_assistant/msg/ActionEvent", "/robot/action_events");
    const { definitions } = loadInterfaceCatalog();
    const fieldsOf = (type: string) => definitions.get(type)!.fields.map((f) => f.name);
    const paths: string[] = [];
    for (const [id, config] of Object.entries(layout.configById as Record<string, Record<string, unknown>>)) {
      for (const path of (config.paths as { value: string }[] | undefined) ?? []) paths.push(path.value);
      for (const key of ["topicPath", "topicToRender"]) if (typeof config[key] === "string") paths.push(config[key] as string);
      if (id.startsWith("CallService!")) {
        const service = await client.service(config.serviceName as string);
        const payload = JSON.parse(config.requestPayload as string) as Record<string, unknown>;
        expect(fieldsOf(`${service.type}_Request`)).toEqual(expect.arrayContaining(Object.keys(payload)));
      }
    }
    for (const path of paths) {
      const [, topic = "", field] = /^(\/[^.{]+)(?:\{[^}]*\})?(?:\.([a-z_]+))?/.exec(path)!;
      const channel = await client.channel(topic);
      if (field) expect(fieldsOf(channel.schemaName), path).toContain(field);
    }
  });
});

describe("--foxglove program option", () => {
  it("is off by default: no bridge node joins the graph", async () => {
    const { graph } = await startAssistant("off");
    expect(graph.nodeNames()).not.toContain("/foxglove_bridge");
  });

  it("serves on 127.0.0.1 at the given port and closes with the program", async () => {
    const port = await freePort();
    const { graph } = await startAssistant("option", ["--foxglove", String(port)]);
    expect(graph.nodeNames()).toContain("/foxglove_bridge");
    client = new RecordingClient(`ws://127.0.0.1:${port}`, graph);
    await client.opened;
    await client.service("/dialogue/chat");
    client.client.close();
    client = undefined;
    await program!.stop();
    program = undefined;
    const refused = await new Promise<boolean>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}`, [FoxgloveClient.SUPPORTED_SUBPROTOCOL]);
      ws.on("open", () => { ws.close(); resolve(false); });
      ws.on("error", () => resolve(true));
    });
    expect(refused).toBe(true);
  });

  it("refuses to serve a ROS 2 graph, pointing at foxglove_bridge", async () => {
    const rosGraph = { kind: "rclnodejs", createNode: () => { throw new Error("not used"); }, spin: () => undefined, shutdown: async () => undefined, stopIntake: () => undefined } as Graph;
    await expect(startFoxgloveOnGraph(rosGraph, { port: 0, host: "127.0.0.1" })).rejects.toThrow(/in-process graph only; on a ROS 2 graph run foxglove_bridge/);
  });

  it("refuses a bad port and --foxglove-host without --foxglove", async () => {
    await expect(startAssistant("bad", ["--foxglove=70000"])).rejects.toThrow(/--foxglove takes a port in \[0, 65535\], not 70000/);
    await expect(startAssistant("bad2", ["--foxglove-host", "0.0.0.0"])).rejects.toThrow(/--foxglove-host has no effect without --foxglove/);
  });
});

describe("CDR and ros2msg schemas for the live view", () => {
  const catalog = loadInterfaceCatalog();
  const codec = new RosCdrCodec(catalog.definitions);
  const foxgloveReader = (schema: string) => new MessageReader(parse(schema, { ros2: true }));
  /** Foxglove's reader gives float32[] as Float32Array; the graph's messages hold plain arrays. */
  const plain = (value: unknown) => JSON.parse(JSON.stringify(value, (_, v) => (ArrayBuffer.isView(v) ? Array.from(v as Float32Array) : v)));

  it("encodes an outcome from its definition byte for byte as the action log's MCAP encoder does", () => {
    const outcome: ActionOutcome = {
      ...createActionOutcome(),
      header: { stamp: { sec: 1_750_000_000, nanosec: 5 }, frame_id: "base_link" },
      action_id: "a1", action: "pick", object: "Tasse ☕", result: "FAILED", reason: "gripper slipped ✋", duration_s: 2.5, progress_events: 3, flagged: true, flag_reason: "end without start",
    };
    expect(codec.encodeFromDefinition("embodied_assistant/msg/ActionOutcome", outcome)).toEqual(encodeActionOutcome(outcome));
  });

  it("writes arrays and nested messages that Foxglove's reader decodes back", () => {
    const state: PersonaState = {
      ...createPersonaState(),
      persona_name: "größe", dimension_names: ["warmth", "playful"], dimension_weights: [0.25, 0.5], active_adapters: ["warmth"], adapter_scales: [-0.5], model_loaded: true,
    };
    const type = "embodied_assistant/msg/PersonaState";
    expect(plain(foxgloveReader(catalog.messageSchema(type)).readMessage(codec.encode(type, state)))).toEqual(state);
    const diagnostics: DiagnosticMsgsDiagnosticArray = {
      header: { stamp: { sec: 1, nanosec: 2 }, frame_id: "" },
      status: [{ level: 1, name: "memory: store", message: "slow", hardware_id: "memory", values: [{ key: "episodes", value: "12" }] }, { level: 0, name: "x", message: "", hardware_id: "", values: [] }],
    };
    const diagType = "diagnostic_msgs/msg/DiagnosticArray";
    expect(foxgloveReader(catalog.messageSchema(diagType)).readMessage(codec.encode(diagType, diagnostics))).toEqual(diagnostics);
  });

  it("gives each service half a self-contained schema, and decodes what Foxglove's writer encodes", () => {
    const { request, response } = catalog.serviceSchemas("embodied_assistant/srv/QueryOutcomes");
    expect(response.schema.match(/^MSG: /gm)).toEqual(["MSG: ", "MSG: ", "MSG: "]); // ActionOutcome, Header, Time once each
    const query = { ...createQueryOutcomesRequest(), robot_id: "r1", result: "FAILED", since: { sec: 3, nanosec: 4 }, page_size: 20 };
    const bytes = new MessageWriter(parse(request.schema, { ros2: true })).writeMessage(query);
    expect(codec.decode(request.schemaName, bytes)).toEqual(query);
    const reply = { ...createQueryOutcomesResponse(), success: true, outcomes: [{ ...createActionOutcome(), action: "pick", reason: "naïve" }], total: 1 };
    expect(plain(foxgloveReader(response.schema).readMessage(codec.encode(response.schemaName, reply)))).toEqual(reply);
  });

  it("refuses truncated input and absurd lengths instead of allocating", () => {
    expect(() => codec.decode("embodied_assistant/srv/Recall_Request", new Uint8Array([0, 1, 0, 0, 5, 0, 0, 0, 104]))).toThrow(CdrCodecError);
    // stamp, frame_id "" (length 1, NUL, padding), then a status array "of" 268 million entries.
    const hugeArray = new Uint8Array([0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 255, 255, 255, 15]);
    expect(() => codec.decode("diagnostic_msgs/msg/DiagnosticArray", hugeArray)).toThrow(/claims/);
  });
});
