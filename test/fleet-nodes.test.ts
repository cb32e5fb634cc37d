import { afterAll, describe, expect, it } from "vitest";
import {
  createAskRequest,
  createGetActionStatsRequest,
  createQueryOutcomesRequest,
  createRecallRequest,
  type DiagnosticMsgsDiagnosticArray,
} from "../src/core/interfaces/messages.generated.js";
import { startActionLogNode, type ActionLogNode } from "../src/nodes/action_log.js";
import { startMemoryNode, type MemoryNode } from "../src/nodes/memory.js";
import { InProcessGraph } from "../src/ros/inprocess/InProcessGraph.js";
import { ev, tempDb } from "./fixtures/actionlog/helpers.js";
import { freshDatabase, testPostgresUrl } from "./fixtures/fleet/postgres.js";

const server = await testPostgresUrl();

async function waitFor(condition: () => Promise<boolean> | boolean, what: string, limitMs = 20_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** One robot: its own graph with an action_log and a memory node, both on the fleet. */
async function startRobot(name: string, fleetUrl: string) {
  const graph = new InProcessGraph({ logLevel: "silent" });
  const dbPath = tempDb();
  const fleet = { "fleet.url": fleetUrl, "fleet.robot_id": name };
  const log: ActionLogNode = await startActionLogNode(graph, { parameterOverrides: { db_path: dbPath, export_dir: `${dbPath}-exports`, batch_max_ms: 5, ...fleet } });
  const memory: MemoryNode = await startMemoryNode(graph, { parameterOverrides: { db_path: `${dbPath}-memory.db`, encoder: "ngram", dimensions: 1024, ...fleet } });
  const client = graph.createNode("tester");
  const publisher = client.createPublisher("embodied_assistant/msg/ActionEvent", "/robot/action_events", 1000);
  const diagnostics: DiagnosticMsgsDiagnosticArray[] = [];
  client.createSubscription("diagnostic_msgs/msg/DiagnosticArray", "/diagnostics", (d) => void diagnostics.push(d), 100);
  return {
    name,
    publisher,
    diagnostics,
    memory,
    stats: client.createClient("embodied_assistant/srv/GetActionStats", "/action_log/get_stats"),
    query: client.createClient("embodied_assistant/srv/QueryOutcomes", "/action_log/query"),
    recall: client.createClient("embodied_assistant/srv/Recall", "/memory/recall"),
    ask: client.createClient("embodied_assistant/srv/Ask", "/memory/ask"),
    async close() {
      await log.close();
      await memory.close();
      await graph.shutdown();
    },
  };
}

describe.skipIf(server === undefined)("action_log and memory nodes with fleet.url", () => {
  let db: { url: string; drop: () => Promise<void> } | undefined;
  const robots: Awaited<ReturnType<typeof startRobot>>[] = [];
  afterAll(async () => {
    for (const r of robots) await r.close();
    await db?.drop();
  });

  it("each robot forwards its outcomes and episodes; fleet: true answers across robots; diagnostics report the backlog", async () => {
    db = await freshDatabase(server!);
    robots.push(await startRobot("alpha", db.url), await startRobot("beta", db.url));
    const [alpha, beta] = robots as [Awaited<ReturnType<typeof startRobot>>, Awaited<ReturnType<typeof startRobot>>];
    const t = Date.now() / 1000 - 60;
    const publish = (r: typeof alpha, id: string, object: string, result: string, at: number) => {
      r.publisher.publish(ev({ robot_id: r.name, action_id: id, object, t: at }));
      r.publisher.publish(ev({ robot_id: r.name, action_id: id, object, status: result, detail: result === "FAILED" ? `${object} slipped` : "", t: at + 1 }));
    };
    for (let i = 0; i < 6; i++) publish(alpha, `a${i}`, "plate", i % 2 ? "FAILED" : "SUCCEEDED", t + i * 2);
    for (let i = 0; i < 3; i++) publish(beta, `b${i}`, "charger", "SUCCEEDED", t + i * 2);

    const fleetCount = async () => (await beta.stats.call({ ...createGetActionStatsRequest(), group_by: "all", fleet: true })).stats[0]?.count ?? 0;
    await waitFor(async () => (await fleetCount()) === 9, "9 outcomes in the fleet store");
    const byRobot = await beta.stats.call({ ...createGetActionStatsRequest(), group_by: "robot", fleet: true });
    expect(byRobot.message).toMatch(/^fleet/);
    expect(byRobot.stats.map((s) => [s.robot_id, s.count, s.failed])).toEqual([["alpha", 6, 3], ["beta", 3, 0]]);
    const local = await beta.stats.call({ ...createGetActionStatsRequest(), group_by: "robot", fleet: false });
    expect(local.stats.map((s) => s.robot_id)).toEqual(["beta"]);
    const alphaOnly = await beta.query.call({ ...createQueryOutcomesRequest(), robot_id: "alpha", result: "FAILED", fleet: true });
    expect(alphaOnly.outcomes.map((o) => o.action_id)).toEqual(["a5", "a3", "a1"]);

    // Episodes: alpha's memory turned its outcomes into episodes; beta recalls them from the fleet.
    await waitFor(async () => {
      const r = await beta.recall.call({ ...createRecallRequest(), cue_object: "plate", cue_result: "FAILED", ask_role: "agent", fleet: true });
      return r.answer === "alpha";
    }, "alpha's episodes in the fleet");
    const own = await beta.recall.call({ ...createRecallRequest(), cue_object: "plate", cue_result: "FAILED", ask_role: "agent", fleet: false });
    expect(own.episodes.every((e) => e.robot_id === "beta")).toBe(true);
    expect(own.answer).not.toBe("alpha");
    // ~/ask: beta never handled a plate; the fleet's episodes hold alpha's three failures.
    const plateTrouble = { ...createAskRequest(), question: "How many times did you have trouble with the plate?" };
    const fleetAsk = await beta.ask.call({ ...plateTrouble, fleet: true });
    expect(fleetAsk).toMatchObject({ success: true, kind: "count", count: 3 });
    expect(fleetAsk.message).toMatch(/^fleet: /);
    expect((await beta.ask.call({ ...plateTrouble, fleet: false })).count).toBe(0);

    await waitFor(() => alpha.diagnostics.some((d) => d.status.some((s) => s.values.some((v) => v.key === "fleet_backlog" && v.value === "0"))), "fleet diagnostics");
    const status = alpha.diagnostics.at(-1)!.status.find((s) => s.values.some((v) => v.key === "fleet_lag_s"))!;
    expect(status.values.find((v) => v.key === "fleet_robot_id")?.value).toBe("alpha");
  });

  it("without fleet.url the services answer locally and say the fleet is not configured", async () => {
    const lonely = await startRobot("gamma", "");
    robots.push(lonely);
    lonely.publisher.publish(ev({ robot_id: "gamma", action_id: "g1", t: Date.now() / 1000 - 5 }));
    lonely.publisher.publish(ev({ robot_id: "gamma", action_id: "g1", status: "SUCCEEDED", t: Date.now() / 1000 - 4 }));
    await waitFor(async () => (await lonely.stats.call({ ...createGetActionStatsRequest(), group_by: "all", fleet: false })).stats[0]?.count === 1, "a local outcome");
    const answer = await lonely.stats.call({ ...createGetActionStatsRequest(), group_by: "all", fleet: true });
    expect(answer.message).toMatch(/^fleet\.url is not set on this robot: answered from this robot's own store only\./);
    expect(answer.stats[0]?.count).toBe(1);
    const asked = await lonely.ask.call({ ...createAskRequest(), question: "How many times did you pick it up?", fleet: true });
    expect(asked.success).toBe(true);
    expect(asked.message).toMatch(/^fleet\.url is not set on this robot: answered from this robot's own store only\./);
    await new Promise((r) => setTimeout(r, 1200));
    expect(lonely.diagnostics.some((d) => d.status.some((s) => s.values.some((v) => v.key === "fleet_backlog")))).toBe(false);
  });
});
