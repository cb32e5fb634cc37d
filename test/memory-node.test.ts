import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import {
  createActionOutcome,
  createRecallRequest,
  createRememberRequest,
  type DiagnosticMsgsDiagnosticArray,
  type Episode,
} from "../src/core/interfaces/messages.generated.js";
import { startMemoryNode, type MemoryNode } from "../src/nodes/memory.js";
import { InProcessGraph } from "../src/ros/inprocess/InProcessGraph.js";

const dir = mkdtempSync(join(tmpdir(), "memory-node-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let graph: InProcessGraph | undefined;
let nodes: MemoryNode[] = [];
afterEach(async () => {
  for (const n of nodes) await n.close();
  nodes = [];
  await graph?.shutdown();
  graph = undefined;
});

const settle = async (ms = 30) => new Promise((r) => setTimeout(r, ms));
/** Polls until `done` holds (delivery is asynchronous); fails the test after 5 s. */
async function waitFor(done: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !done(); i++) await settle(10);
  if (!done()) throw new Error(`timed out waiting for ${what}`);
}

async function start(overrides: Record<string, string | number> = {}, g = new InProcessGraph({ logLevel: "silent" })) {
  graph = g;
  const n = await startMemoryNode(g, { parameterOverrides: { db_path: join(dir, "memory.db"), ...overrides } });
  nodes.push(n);
  return { g, n, client: g.createNode("tester") };
}

function outcome(actionId: string, action: string, object: string, location: string, result: string, reason = "") {
  const o = createActionOutcome();
  return { ...o, robot_id: "r1", action_id: actionId, action, object, location, result, reason, ended_at: { sec: 1_763_800_000 + Number(actionId.replace(/\D/g, "")), nanosec: 0 } };
}

describe("memory node", () => {
  it("turns action outcomes into episodes, publishes them, and answers recall", async () => {
    const { n, client } = await start({ db_path: join(dir, "outcomes.db") });
    const published: Episode[] = [];
    client.createSubscription("embodied_assistant/msg/Episode", "/memory/episodes", (e) => void published.push(e));
    const pub = client.createPublisher("embodied_assistant/msg/ActionOutcome", "/assistant/action_outcomes");
    pub.publish(outcome("a1", "pick", "cup", "kitchen", "FAILED", "the gripper slipped"));
    pub.publish(outcome("a2", "open", "door", "garage", "SUCCEEDED"));
    pub.publish(outcome("a1", "pick", "cup", "kitchen", "FAILED", "the gripper slipped")); // redelivered
    await waitFor(() => n.counters.outcomesStored + n.counters.outcomesDuplicate === 3 && published.length === 2, "3 outcomes");
    expect(n.memory!.size, JSON.stringify(n.counters)).toBe(2);
    expect(n.counters.outcomesDuplicate).toBe(1);
    expect(published.map((e) => e.id)).toEqual(["outcome:r1/a1", "outcome:r1/a2"]);

    const recall = client.createClient("embodied_assistant/srv/Recall", "/memory/recall");
    const cue = await recall.call({ ...createRecallRequest(), cue_action: "pick", cue_result: "FAILED", ask_role: "object" });
    expect(cue.success).toBe(true);
    expect(cue.answer).toBe("cup");
    expect(cue.abstained).toBe(false);
    expect(cue.episodes[0]!.id).toBe("outcome:r1/a1");
    const text = await recall.call({ ...createRecallRequest(), query: "what happened with the cup?", k: 1 });
    expect(text.episodes[0]!.object).toBe("cup");
    expect(text.scores).toHaveLength(1);
  });

  it("remember stores a fact that recall finds; bad requests get success=false, never a crash", async () => {
    const { client } = await start({ db_path: join(dir, "remember.db") });
    const remember = client.createClient("embodied_assistant/srv/Remember", "/memory/remember");
    const ok = await remember.call({ ...createRememberRequest(), text: "the spare keys are in the blue drawer", object: "keys", location: "blue drawer", agent: "alice" });
    expect(ok.success).toBe(true);
    expect(ok.episode_id).toMatch(/^ep-\d+$/);
    expect((await remember.call(createRememberRequest())).success).toBe(false);

    const recall = client.createClient("embodied_assistant/srv/Recall", "/memory/recall");
    const where = await recall.call({ ...createRecallRequest(), cue_object: "keys", ask_role: "location" });
    expect(where.answer).toBe("blue drawer");
    for (const bad of [
      { ...createRecallRequest() },
      { ...createRecallRequest(), query: "keys", ask_role: "colour" },
      { ...createRecallRequest(), query: "keys", k: 100_000 },
      { ...createRecallRequest(), query: "keys", since: { sec: 10, nanosec: 0 }, until: { sec: 5, nanosec: 0 } },
      { ...createRecallRequest(), cue_object: "keys", ask_role: "object" },
    ]) {
      const r = await recall.call(bad);
      expect(r.success, JSON.stringify(bad)).toBe(false);
      expect(r.message.length).toBeGreaterThan(0);
    }
    // Still serving after the bad requests.
    expect((await recall.call({ ...createRecallRequest(), query: "drawer" })).success).toBe(true);
  });

  it("restores its episodes after a restart on the same database", async () => {
    const db = join(dir, "restart.db");
    const first = await start({ db_path: db });
    const remember = first.client.createClient("embodied_assistant/srv/Remember", "/memory/remember");
    await remember.call({ ...createRememberRequest(), text: "the charger is under the desk", object: "charger", location: "office" });
    await first.n.close();
    await first.g.shutdown();
    nodes = [];
    const second = await start({ db_path: db });
    expect(second.n.memory!.size).toBe(1);
    const recall = second.client.createClient("embodied_assistant/srv/Recall", "/memory/recall");
    expect((await recall.call({ ...createRecallRequest(), cue_object: "charger", ask_role: "location" })).answer).toBe("office");
  });

  it("a missing model or a mismatched database leaves the node up, reporting the error", async () => {
    const { n, client } = await start({ db_path: join(dir, "broken.db"), glove_path: join(dir, "missing.bin") });
    expect(n.memory).toBeUndefined();
    expect(n.startError).toMatch(/convert-glove/);
    const diagnostics: DiagnosticMsgsDiagnosticArray[] = [];
    client.createSubscription("diagnostic_msgs/msg/DiagnosticArray", "/diagnostics", (d) => void diagnostics.push(d));
    const recall = client.createClient("embodied_assistant/srv/Recall", "/memory/recall");
    const r = await recall.call({ ...createRecallRequest(), query: "cup" });
    expect(r.success).toBe(false);
    expect(r.message).toMatch(/unavailable/);
    await waitFor(() => diagnostics.length > 0, "/diagnostics");
    const status = diagnostics.at(-1)?.status.find((s) => s.name.includes("episodic memory"));
    expect(status?.level).toBe(2);
  });

  it("rejects a database built with another dimension instead of mixing vectors", async () => {
    const db = join(dir, "dims.db");
    const first = await start({ db_path: db });
    await first.n.close();
    await first.g.shutdown();
    nodes = [];
    const second = await start({ db_path: db, dimensions: 2048 });
    expect(second.n.memory).toBeUndefined();
    expect(second.n.startError).toMatch(/dimensions=10240.*dimensions=2048/);
  });

  it("threshold and default_k apply from the next query; out-of-range values are rejected", async () => {
    const { n } = await start({ db_path: "" });
    expect(n.node.setParameters({ threshold: 1.5 }).successful).toBe(false);
    expect(n.node.setParameters({ dimensions: 2048 }).successful).toBe(false);
    expect(n.node.setParameters({ threshold: 0.9, default_k: 2 }).successful).toBe(true);
    expect(n.memory!.options.threshold).toBe(0.9);
    expect(n.memory!.options.defaultK).toBe(2);
  });
});
