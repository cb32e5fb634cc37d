import { afterEach, describe, expect, it } from "vitest";
import { InProcessGraph } from "../src/ros/inprocess/InProcessGraph.js";
import { MessageValidationError, ServiceTimeoutError, ServiceHandlerError } from "../src/ros/errors.js";
import { createActionEvent, createRecallResponse, type ActionEvent } from "../src/core/interfaces/messages.generated.js";
import type { ParameterDescriptor } from "../src/ros/GraphPort.js";

let graph: InProcessGraph;
afterEach(async () => graph?.shutdown());

const flush = () => new Promise((resolve) => setImmediate(resolve));

const warmth: ParameterDescriptor = {
  name: "persona.warmth",
  type: "double",
  description: "warmth",
  defaultValue: 0.5,
  floatingPointRange: { from: 0, to: 1 },
};

describe("InProcessGraph topics", () => {
  it("delivers a copy of each message asynchronously, in order", async () => {
    graph = new InProcessGraph({ logLevel: "silent" });
    const a = graph.createNode("a");
    const b = graph.createNode("b");
    const got: ActionEvent[] = [];
    b.createSubscription("embodied_assistant/msg/ActionEvent", "/robot/action_events", (m) => void got.push(m));
    const pub = a.createPublisher("embodied_assistant/msg/ActionEvent", "/robot/action_events");
    const event = { ...createActionEvent(), action_id: "x1", status: "STARTED" };
    pub.publish(event);
    pub.publish({ ...event, action_id: "x2" });
    expect(got).toHaveLength(0);
    await flush();
    expect(got.map((e) => e.action_id)).toEqual(["x1", "x2"]);
    expect(got[0]).not.toBe(event);
  });

  it("refuses a message of the wrong shape at publish and names the field", () => {
    graph = new InProcessGraph({ logLevel: "silent" });
    const pub = graph.createNode("a").createPublisher("embodied_assistant/msg/ActionEvent", "events");
    const bad = { ...createActionEvent(), progress: "half" } as unknown as ActionEvent;
    expect(() => pub.publish(bad)).toThrow(MessageValidationError);
    expect(() => pub.publish(bad)).toThrow(/field "progress"/);
    const nested = { ...createActionEvent(), header: { stamp: { sec: 1, nanosec: -1 }, frame_id: "" } };
    expect(() => pub.publish(nested)).toThrow(/field "header.stamp.nanosec"/);
    const extra = { ...createActionEvent(), colour: "red" } as unknown as ActionEvent;
    expect(() => pub.publish(extra)).toThrow(/field "colour" is not part of the message/);
  });

  it("keeps only the newest `depth` messages for a slow subscriber and counts drops", async () => {
    graph = new InProcessGraph({ logLevel: "silent" });
    const got: string[] = [];
    const sub = graph.createNode("b").createSubscription("std_msgs/msg/String", "chatter", (m) => void got.push(m.data), 3);
    const pub = graph.createNode("a").createPublisher("std_msgs/msg/String", "chatter");
    for (let i = 0; i < 5; i++) pub.publish({ data: String(i) });
    await flush();
    expect(got).toEqual(["2", "3", "4"]);
    expect(sub.dropped).toBe(2);
  });

  it("gives transient_local late joiners the latched messages", async () => {
    graph = new InProcessGraph({ logLevel: "silent" });
    graph.createNode("a").createPublisher("std_msgs/msg/String", "state", { depth: 1, durability: "transient_local" }).publish({ data: "hello" });
    const got: string[] = [];
    graph.createNode("b").createSubscription("std_msgs/msg/String", "state", (m) => void got.push(m.data), { depth: 1, durability: "transient_local" });
    await flush();
    expect(got).toEqual(["hello"]);
  });

  it("refuses a second type on the same topic", () => {
    graph = new InProcessGraph({ logLevel: "silent" });
    const node = graph.createNode("a");
    node.createPublisher("std_msgs/msg/String", "t");
    expect(() => node.createPublisher("embodied_assistant/msg/ActionEvent", "t")).toThrow(/already carries std_msgs\/msg\/String/);
  });

  it("resolves private, relative and remapped names in a namespace", () => {
    graph = new InProcessGraph({ logLevel: "silent" });
    const node = graph.createNode("memory", { namespace: "robot1", remappings: { chatter: "/talk" } });
    expect(node.fullyQualifiedName).toBe("/robot1/memory");
    expect(node.createPublisher("std_msgs/msg/String", "~/episodes").topic).toBe("/robot1/memory/episodes");
    expect(node.createPublisher("std_msgs/msg/String", "rel").topic).toBe("/robot1/rel");
    expect(node.createPublisher("std_msgs/msg/String", "chatter").topic).toBe("/talk");
    const renamed = graph.createNode("x", { remappings: { __node: "renamed", __ns: "/ns2" } });
    expect(renamed.fullyQualifiedName).toBe("/ns2/renamed");
  });
});

describe("InProcessGraph services", () => {
  it("calls a service and validates both directions", async () => {
    graph = new InProcessGraph({ logLevel: "silent" });
    graph.createNode("memory").createService("embodied_assistant/srv/Recall", "~/recall", (req) => ({
      ...createRecallResponse(),
      success: true,
      answer: req.cue_object,
    }));
    const client = graph.createNode("dialogue").createClient("embodied_assistant/srv/Recall", "/memory/recall");
    const { createRecallRequest } = await import("../src/core/interfaces/messages.generated.js");
    const response = await client.call({ ...createRecallRequest(), cue_object: "cup" });
    expect(response.answer).toBe("cup");
    await expect(client.call({ ...createRecallRequest(), k: -1 })).rejects.toThrow(/field "k"/);
  });

  it("fails a call to a missing service with a clear timeout error", async () => {
    graph = new InProcessGraph({ logLevel: "silent" });
    const { createRecallRequest } = await import("../src/core/interfaces/messages.generated.js");
    const client = graph.createNode("dialogue").createClient("embodied_assistant/srv/Recall", "/memory/recall");
    const call = client.call(createRecallRequest(), { timeoutMs: 50 });
    await expect(call).rejects.toBeInstanceOf(ServiceTimeoutError);
    await expect(client.call(createRecallRequest(), { timeoutMs: 20 })).rejects.toThrow(/not available .* is the node that provides it running/);
  });

  it("times out a slow server and reports a throwing handler", async () => {
    graph = new InProcessGraph({ logLevel: "silent" });
    const { createRecallRequest } = await import("../src/core/interfaces/messages.generated.js");
    const node = graph.createNode("memory");
    node.createService("embodied_assistant/srv/Recall", "slow", () => new Promise(() => undefined));
    node.createService("embodied_assistant/srv/Recall", "broken", () => {
      throw new Error("database is closed");
    });
    const slow = node.createClient("embodied_assistant/srv/Recall", "slow");
    await expect(slow.call(createRecallRequest(), { timeoutMs: 30 })).rejects.toThrow(/did not answer within 30 ms/);
    const broken = node.createClient("embodied_assistant/srv/Recall", "broken");
    await expect(broken.call(createRecallRequest())).rejects.toBeInstanceOf(ServiceHandlerError);
  });
});

describe("InProcessGraph parameters", () => {
  it("rejects an out-of-range value with a reason and keeps the old value", () => {
    graph = new InProcessGraph({ logLevel: "silent" });
    const node = graph.createNode("dialogue");
    expect(node.declareParameter(warmth)).toBe(0.5);
    const result = node.setParameters({ "persona.warmth": 1.5 });
    expect(result.successful).toBe(false);
    expect(result.reason).toMatch(/outside the range \[0, 1\]/);
    expect(node.getParameter("persona.warmth")).toBe(0.5);
  });

  it("applies a batch atomically: one bad value rejects all", () => {
    graph = new InProcessGraph({ logLevel: "silent" });
    const node = graph.createNode("dialogue");
    node.declareParameter(warmth);
    node.declareParameter({ ...warmth, name: "persona.formal" });
    expect(node.setParameters({ "persona.warmth": 0.9, "persona.formal": -1 }).successful).toBe(false);
    expect(node.getParameter("persona.warmth")).toBe(0.5);
    expect(node.setParameters({ "nope": 1 }).reason).toMatch(/not declared/);
  });

  it("lets a validator veto, refuses read-only changes and tells listeners of applied ones", () => {
    graph = new InProcessGraph({ logLevel: "silent" });
    const node = graph.createNode("memory");
    node.declareParameter({ name: "dimensions", type: "integer", description: "D", defaultValue: 10240, readOnly: true, integerRange: { from: 512, to: 65536, step: 512 } });
    node.declareParameter(warmth);
    node.addParameterValidator((changes) =>
      changes.some((c) => c.newValue === 0.25) ? { successful: false, reason: "0.25 is unlucky" } : { successful: true, reason: "" },
    );
    const heard: string[] = [];
    node.onParametersChanged((changes) => heard.push(...changes.map((c) => `${c.name}=${String(c.newValue)}`)));
    expect(node.setParameters({ dimensions: 1024 }).reason).toMatch(/read-only/);
    expect(node.setParameters({ "persona.warmth": 0.25 }).reason).toBe("0.25 is unlucky");
    expect(node.setParameters({ "persona.warmth": 0.75 }).successful).toBe(true);
    expect(heard).toEqual(["persona.warmth=0.75"]);
  });

  it("applies valid overrides at declaration and ignores invalid ones", () => {
    graph = new InProcessGraph({ logLevel: "silent" });
    const node = graph.createNode("dialogue", { parameterOverrides: { "persona.warmth": 0.9, "persona.formal": 7, count: 3 } });
    expect(node.declareParameter(warmth)).toBe(0.9);
    expect(node.declareParameter({ ...warmth, name: "persona.formal" })).toBe(0.5);
    expect(node.declareParameter({ name: "count", type: "double", description: "", defaultValue: 1.5 })).toBe(3);
  });
});
