import { existsSync, writeFileSync } from "node:fs";
import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import type { ActionEvent, ActionOutcome, DiagnosticMsgsDiagnosticArray } from "../src/core/interfaces/messages.generated.js";
import { startActionLogNode, type ActionLogNode } from "../src/nodes/action_log.js";
import { InProcessGraph } from "../src/ros/inprocess/InProcessGraph.js";
import { MALFORMED, SEMANTIC_BAD } from "./fixtures/actionlog/badEvents.js";
import { ev, T0, tempDb, waitFor } from "./fixtures/actionlog/helpers.js";

const NOW_MS = (T0 + 100) * 1000;

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

async function setup(overrides: Record<string, number | string> = {}) {
  const logLines: string[] = [];
  const logStream = new PassThrough();
  logStream.on("data", (chunk: Buffer) => logLines.push(...chunk.toString().split("\n").filter(Boolean)));
  const graph = new InProcessGraph({ logLevel: "warn", logDestination: logStream, clock: () => NOW_MS });
  const dbPath = tempDb();
  const started: ActionLogNode = await startActionLogNode(graph, { parameterOverrides: { db_path: dbPath, export_dir: `${dbPath}-exports`, ...overrides } });
  const robot = graph.createNode("robot");
  const publisher = robot.createPublisher("embodied_assistant/msg/ActionEvent", "/robot/action_events", 1000);
  const outcomes: ActionOutcome[] = [];
  const diagnostics: DiagnosticMsgsDiagnosticArray[] = [];
  robot.createSubscription("embodied_assistant/msg/ActionOutcome", "/assistant/action_outcomes", (o) => void outcomes.push(o), 10_000);
  robot.createSubscription("diagnostic_msgs/msg/DiagnosticArray", "/diagnostics", (d) => void diagnostics.push(d), 100);
  cleanup.push(async () => {
    await started.close();
    await graph.shutdown();
  });
  return { graph, started, robot, publisher, outcomes, diagnostics, logLines, dbPath };
}

function action(id: string, result: string, t: number, extra: Partial<ActionEvent> = {}): ActionEvent[] {
  return [
    ev({ action_id: id, t, ...extra }),
    ev({ action_id: id, status: "PROGRESS", progress: 0.5, t: t + 1, ...extra }),
    ev({ action_id: id, status: result, detail: result === "FAILED" ? "gripper slipped" : "", t: t + 2, ...extra }),
  ];
}

// The export runs in a child process at nice 19: on a machine whose cores are busy (CI running
// other test files) it gets little CPU, so its calls get more than the 5 s default.
const EXPORT_CALL = { timeoutMs: 30_000 };

describe("action_log node", () => {
  it("turns published events into committed outcomes, and serves stats, queries and exports", async () => {
    const { started, robot, publisher, outcomes } = await setup();
    const events = [
      ...action("p1", "SUCCEEDED", T0),
      ...action("p2", "FAILED", T0 + 5),
      ...action("p3", "SUCCEEDED", T0 + 10),
      ...action("n1", "SUCCEEDED", T0 + 15, { action: "navigate", object: "" }),
    ];
    for (const e of events) publisher.publish(e);
    await waitFor(() => outcomes.length === 4, "4 outcomes");
    // Every published outcome is already in the database.
    for (const o of outcomes) expect(started.log.store.lookupClosed(o.robot_id, o.action_id)).toBeDefined();
    expect(outcomes.find((o) => o.action_id === "p2")).toMatchObject({ result: "FAILED", reason: "gripper slipped", duration_s: 2, progress_events: 1 });

    const stats = robot.createClient("embodied_assistant/srv/GetActionStats", "/action_log/get_stats");
    const response = await stats.call({ robot_id: "", action: "pick", object: "mug", window_s: 0, group_by: "", fleet: false });
    expect(response.success).toBe(true);
    expect(response.stats).toHaveLength(1);
    expect(response.stats[0]).toMatchObject({ action: "pick", object: "mug", count: 3, succeeded: 2, failed: 1, duration_p50_s: 2 });
    expect((await stats.call({ robot_id: "", action: "", object: "", window_s: 0, group_by: "by_color", fleet: false })).success).toBe(false);

    const query = robot.createClient("embodied_assistant/srv/QueryOutcomes", "/action_log/query");
    const page1 = await query.call({ robot_id: "r1", action: "", object: "", result: "", since: { sec: 0, nanosec: 0 }, until: { sec: 0, nanosec: 0 }, page_size: 3, cursor: "", fleet: false });
    expect(page1).toMatchObject({ success: true, total: 4 });
    expect(page1.outcomes.map((o) => o.action_id)).toEqual(["n1", "p3", "p2"]);
    const page2 = await query.call({ robot_id: "r1", action: "", object: "", result: "", since: { sec: 0, nanosec: 0 }, until: { sec: 0, nanosec: 0 }, page_size: 3, cursor: page1.next_cursor, fleet: false });
    expect(page2.outcomes.map((o) => o.action_id)).toEqual(["p1"]);
    expect(page2.next_cursor).toBe("");
    const bad = await query.call({ robot_id: "", action: "", object: "", result: "", since: { sec: 0, nanosec: 0 }, until: { sec: 0, nanosec: 0 }, page_size: 0, cursor: "drop table", fleet: false });
    expect(bad.success).toBe(false);

    const exporter = robot.createClient("embodied_assistant/srv/ExportLog", "/action_log/export");
    const exported = await exporter.call({ format: "mcap", path: "", robot_id: "", since: { sec: 0, nanosec: 0 }, until: { sec: 0, nanosec: 0 } }, EXPORT_CALL);
    expect(exported).toMatchObject({ success: true, events: 12, outcomes: 4 });
    expect(existsSync(exported.path)).toBe(true);
    const jsonl = await exporter.call({ format: "jsonl", path: "day.jsonl", robot_id: "", since: { sec: 0, nanosec: 0 }, until: { sec: 0, nanosec: 0 } }, EXPORT_CALL);
    expect(jsonl.path.endsWith("day.jsonl")).toBe(true);
    expect((await exporter.call({ format: "csv", path: "", robot_id: "", since: { sec: 0, nanosec: 0 }, until: { sec: 0, nanosec: 0 } }, EXPORT_CALL)).success).toBe(false);
  });

  it("rejects a corpus of bad events by reason, logs at a bounded rate, loses no good event and keeps running", async () => {
    const { started, publisher, outcomes, diagnostics, logLines } = await setup();
    const good: ActionEvent[] = [];
    for (let i = 0; i < 40; i++) good.push(...action(`g${i}`, i % 4 ? "SUCCEEDED" : "FAILED", T0 + i));
    const expected: Record<string, number> = {};
    let sent = 0;
    // Interleave: after good events, bad ones (the corpus, three times over).
    const bad = [...SEMANTIC_BAD, ...SEMANTIC_BAD, ...SEMANTIC_BAD];
    for (const e of good) {
      publisher.publish(e);
      sent++;
      const next = bad.pop();
      if (next) {
        publisher.publish(next.event as ActionEvent);
        sent++;
        expected[next.expect] = (expected[next.expect] ?? 0) + 1;
      }
    }
    expect(bad).toHaveLength(0);
    // Schema-invalid values cannot be published on a typed graph (the publisher refuses them);
    // they reach the log's own validation directly, as from a corrupt bag or JSONL import.
    for (const m of [...MALFORMED, ...MALFORMED]) {
      expect(started.log.ingest(m.event)).toMatchObject({ kind: "rejected", reason: m.expect });
      sent++;
      expected[m.expect] = (expected[m.expect] ?? 0) + 1;
    }
    // Stateful problems: a repeat, a conflicting start, an end after the close, an end with no start.
    publisher.publish(good[0]!); // exact repeat of g0's STARTED: idempotent
    publisher.publish(ev({ action_id: "g1", status: "ABORTED", t: T0 + 50 })); // g1 already ended
    publisher.publish(ev({ action_id: "lonely", status: "SUCCEEDED", t: T0 + 60 }));
    publisher.publish(ev({ action_id: "twice", t: T0 + 61 }));
    publisher.publish(ev({ action_id: "twice", t: T0 + 62 }));
    sent += 5;
    expected["after_close"] = 1;
    expected["conflicting_start"] = 1;
    await waitFor(() => started.log.counters.received === sent, "every event to arrive");
    started.log.setReorderWindowS(0);
    started.log.tick();
    await waitFor(() => outcomes.length === 41, "40 good outcomes and the flagged end-only one");

    const c = started.log.counters;
    for (const [reason, n] of Object.entries(expected)) expect(c.rejected[reason as keyof typeof c.rejected], reason).toBe(n);
    expect(Object.values(c.rejected).reduce((a, b) => a + b, 0)).toBe(Object.values(expected).reduce((a, b) => a + b, 0));
    expect(c.duplicates).toBe(1);
    expect(c.flagged.end_without_start).toBe(1);
    expect(outcomes.find((o) => o.action_id === "lonely")).toMatchObject({ flagged: true, flag_reason: "end_without_start" });

    // No good event was lost: every one is stored, every good action has its outcome.
    const stored = new Set([...started.log.store.iterateEvents({ robotId: "r1" })].map((e) => `${e.action_id}/${e.status}/${e.header.stamp.sec}`));
    for (const e of good) expect(stored.has(`${e.action_id}/${e.status}/${e.header.stamp.sec}`)).toBe(true);
    expect(new Set(outcomes.map((o) => o.action_id))).toEqual(new Set([...Array.from({ length: 40 }, (_, i) => `g${i}`), "lonely"]));

    // Logging is bounded: at most one line per reason within the interval, whatever the flood.
    const rejectLines = logLines.filter((l) => l.includes("rejected action event"));
    expect(rejectLines.length).toBeLessThanOrEqual(Object.keys(expected).length);
    expect(rejectLines.length).toBeGreaterThan(0);

    // Diagnostics carry the counters by reason.
    await waitFor(() => diagnostics.some((d) => d.status.some((s) => s.values.some((v) => v.key === "rejected.future_stamp"))), "diagnostics with reject counts", 5000);
    const ingest = diagnostics.at(-1)!.status.find((s) => s.name.endsWith("ingest"))!;
    const value = (key: string) => ingest.values.find((v) => v.key === key)?.value;
    expect(value("rejected.unknown_status")).toBe(String(expected["unknown_status"]));
    expect(value("rejected")).toBe(String(Object.values(expected).reduce((a, b) => a + b, 0)));
    expect(ingest.level).toBeGreaterThanOrEqual(1);
  });

  it("refuses to start on a file that is not a database, saying which file and what to do", async () => {
    const path = tempDb("garbage.db");
    writeFileSync(path, "this is not an SQLite database, just text that is long enough to fill a header page".repeat(20));
    const graph = new InProcessGraph({ logLevel: "silent" });
    cleanup.push(() => graph.shutdown());
    await expect(startActionLogNode(graph, { parameterOverrides: { db_path: path } })).rejects.toThrow(/cannot open the action log database .*garbage\.db.*db_path/);
    // The half-made node is gone: a second attempt with a good file can take the name.
    const ok = await startActionLogNode(graph, { parameterOverrides: { db_path: tempDb() } });
    cleanup.push(() => ok.close());
  });

  it("applies a parameter change to the action timeout at run time, and refuses an out-of-range one", async () => {
    const { started, publisher, outcomes } = await setup();
    expect(started.node.setParameters({ action_timeout_s: 0 }).successful).toBe(false);
    expect(started.node.setParameters({ action_timeout_s: 30 }).successful).toBe(true);
    publisher.publish(ev({ action_id: "stuck", t: T0 }));
    publisher.publish(ev({ action_id: "later", t: T0 + 31 })); // the robot's clock passes stuck's deadline
    await waitFor(() => started.log.counters.accepted === 2, "both events");
    started.log.tick();
    await waitFor(() => outcomes.length === 1, "the timeout outcome");
    expect(outcomes[0]).toMatchObject({ action_id: "stuck", result: "TIMEOUT", duration_s: 30 });
  });
});
