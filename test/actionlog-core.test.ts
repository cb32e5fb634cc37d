import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { openSqliteActionLog, type SqliteActionLog as ActionLog, type SqliteActionLogOptions } from "../src/core/actionlog/sqlite/openSqliteActionLog.js";
import { computeStats, percentile } from "../src/core/actionlog/computeStats.js";
import { KEY_GENERATION_BITS, SCHEMA_V1, SCHEMA_VERSION, SchemaVersionError } from "../src/core/actionlog/sqlite/migrations.js";
import { actionKeyHash } from "../src/core/actionlog/sqlite/actionKeyHash.js";
import { OutcomePairer } from "../src/core/actionlog/OutcomePairer.js";
import type { OutcomeDraft } from "../src/core/actionlog/types.js";
import { validateActionEvent } from "../src/core/actionlog/validateActionEvent.js";
import type { ActionOutcome } from "../src/core/interfaces/messages.generated.js";
import { ev, manualSchedule, T0, tempDb } from "./fixtures/actionlog/helpers.js";

const NOW_MS = (T0 + 100) * 1000;

describe("validateActionEvent", () => {
  it("accepts a well-formed event", () => {
    expect(validateActionEvent(ev(), NOW_MS).ok).toBe(true);
  });
  it.each([
    ["malformed", { ...ev(), progress: "x" }],
    ["malformed", { ...ev(), extra: 1 }],
    ["malformed", null],
    ["oversized", ev({ detail: "x".repeat(5000) })],
    ["oversized", ev({ action_id: "a".repeat(300) })],
    ["missing_id", ev({ robot_id: "" })],
    ["missing_id", ev({ action_id: "" })],
    ["missing_action", ev({ action: "" })],
    ["unknown_status", ev({ status: "EXPLODED" })],
    ["bad_progress", ev({ status: "PROGRESS", progress: 1.5 })],
    ["bad_stamp", ev({ t: 0 })],
    ["bad_stamp", { ...ev(), header: { stamp: { sec: T0, nanosec: 1e9 }, frame_id: "" } }],
    ["bad_stamp", ev({ t: -5 })],
    ["future_stamp", ev({ t: T0 + 100 + 3600 })],
  ])("rejects %s", (reason, raw) => {
    const result = validateActionEvent(raw, NOW_MS);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toBe(reason);
  });
  it("measures detail in UTF-8 bytes", () => {
    // 1100 four-byte characters: 1100 chars but 4400 bytes.
    expect(validateActionEvent(ev({ detail: "😀".repeat(1100) }), NOW_MS).ok).toBe(false);
    expect(validateActionEvent(ev({ detail: "😀".repeat(1000) }), NOW_MS).ok).toBe(true);
  });
});

describe("OutcomePairer", () => {
  let id = 0;
  const feed = (p: OutcomePairer, e: ReturnType<typeof ev>, recvMs = NOW_MS) => p.accept({ id: ++id, event: e, recvMs });

  it("pairs a start with its end, counting distinct progress events", () => {
    const p = new OutcomePairer();
    expect(feed(p, ev({ t: T0 })).kind).toBe("accepted");
    feed(p, ev({ status: "PROGRESS", progress: 0.5, t: T0 + 1 }));
    expect(feed(p, ev({ status: "PROGRESS", progress: 0.5, t: T0 + 1 })).kind).toBe("duplicate");
    feed(p, ev({ status: "PROGRESS", progress: 0.8, t: T0 + 2 }));
    const end = feed(p, ev({ status: "FAILED", detail: "gripper slipped", t: T0 + 2.5 }));
    expect(end.kind).toBe("accepted");
    const outcome = (end as { outcome: OutcomeDraft }).outcome;
    expect(outcome).toMatchObject({ result: "FAILED", reason: "gripper slipped", duration_s: 2.5, progress_events: 2, flags: [] });
    expect(p.openCount).toBe(0);
  });

  it("pairs an end that arrives before its start (within the reorder window)", () => {
    const p = new OutcomePairer({ reorderWindowS: 5 });
    expect(feed(p, ev({ status: "SUCCEEDED", t: T0 + 3 })).kind).toBe("accepted");
    expect(p.expire(NOW_MS + 1000)).toHaveLength(0);
    const start = feed(p, ev({ t: T0 }));
    expect((start as { outcome: OutcomeDraft }).outcome).toMatchObject({ result: "SUCCEEDED", duration_s: 3, flags: [] });
  });

  it("flags an end whose start never comes once the reorder window passes", () => {
    const p = new OutcomePairer({ reorderWindowS: 5 });
    feed(p, ev({ status: "ABORTED", t: T0 + 3 }), NOW_MS);
    const [outcome] = p.expire(NOW_MS + 5000);
    expect(outcome).toMatchObject({ result: "ABORTED", flags: ["end_without_start"], duration_s: 0 });
    // A late STARTED for the same action is now a refusal, not a second outcome.
    expect(feed(p, ev({ t: T0 }))).toMatchObject({ kind: "rejected", reason: "after_close" });
  });

  it("treats repeats after the close as duplicates, and a different end as after_close", () => {
    const p = new OutcomePairer();
    feed(p, ev({ t: T0 }));
    feed(p, ev({ status: "SUCCEEDED", t: T0 + 1 }));
    expect(feed(p, ev({ t: T0 })).kind).toBe("duplicate");
    expect(feed(p, ev({ status: "SUCCEEDED", t: T0 + 1 })).kind).toBe("duplicate");
    expect(feed(p, ev({ status: "FAILED", t: T0 + 1 }))).toMatchObject({ kind: "rejected", reason: "after_close" });
    expect(feed(p, ev({ t: T0 + 0.5 }))).toMatchObject({ kind: "rejected", reason: "after_close" });
  });

  it("refuses a conflicting second start", () => {
    const p = new OutcomePairer();
    feed(p, ev({ t: T0 }));
    expect(feed(p, ev({ t: T0 + 1 }))).toMatchObject({ kind: "rejected", reason: "conflicting_start" });
  });

  it("times out by the robot's clock (replays) and by this node's clock (silent robots)", () => {
    const p = new OutcomePairer({ actionTimeoutS: 60 });
    feed(p, ev({ action_id: "slow", t: T0 }));
    feed(p, ev({ action_id: "other", t: T0 + 30 }));
    expect(p.expire(NOW_MS)).toHaveLength(0);
    // The robot's clock moves past slow's deadline: it times out, other does not.
    feed(p, ev({ action_id: "later", t: T0 + 61 }));
    const timedOut = p.expire(NOW_MS);
    expect(timedOut.map((o) => o.action_id)).toEqual(["slow"]);
    expect(timedOut[0]).toMatchObject({ result: "TIMEOUT", duration_s: 60, ended_at: { sec: T0 + 60, nanosec: 0 } });
    // Nothing more from the robot; 60 s of node time later everything open times out.
    expect(p.expire(NOW_MS + 60_000).map((o) => o.action_id).sort()).toEqual(["later", "other"]);
  });

  it("keeps separate robots apart even with the same action_id", () => {
    const p = new OutcomePairer();
    feed(p, ev({ robot_id: "r1", t: T0 }));
    feed(p, ev({ robot_id: "r2", t: T0 }));
    expect(p.openCount).toBe(2);
  });
});

describe("computeStats", () => {
  it("counts results and computes percentiles over timed outcomes only", () => {
    const rows = [
      ...[1, 2, 3, 4].map((d) => ({ robot_id: "r1", action: "pick", object: "mug", result: "SUCCEEDED", duration_s: d, timed: 1 })),
      { robot_id: "r2", action: "pick", object: "mug", result: "FAILED", duration_s: 10, timed: 1 },
      { robot_id: "r2", action: "pick", object: "mug", result: "TIMEOUT", duration_s: 300, timed: 0 },
      { robot_id: "r2", action: "place", object: "mug", result: "SUCCEEDED", duration_s: 1, timed: 1 },
    ];
    const [pick] = computeStats(rows, "action_object");
    expect(pick).toMatchObject({ action: "pick", object: "mug", count: 6, succeeded: 4, failed: 1, timeout: 1, duration_mean_s: 4, duration_p50_s: 3 });
    expect(pick!.success_rate).toBeCloseTo(4 / 6);
    expect(computeStats(rows, "robot").map((s) => [s.robot_id, s.count])).toEqual([["r1", 4], ["r2", 3]]);
    expect(computeStats(rows, "all")[0]!.count).toBe(7);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)).toBeCloseTo(9.1);
  });
});

describe("ActionLog", () => {
  function open(path: string, published: ActionOutcome[] = [], extra: Partial<SqliteActionLogOptions> = {}) {
    return openSqliteActionLog({ path, clock: () => NOW_MS, schedule: manualSchedule, onCommitted: (o) => published.push(...o), ...extra });
  }

  it("publishes outcomes only after their batch is committed", () => {
    const path = tempDb();
    const published: ActionOutcome[] = [];
    const log = open(path, published);
    log.ingest(ev({ t: T0 }));
    log.ingest(ev({ status: "SUCCEEDED", t: T0 + 2 }));
    expect(published).toHaveLength(0);
    // Another connection sees nothing yet: the outcome is not committed.
    const peek = new Database(path, { readonly: true });
    expect((peek.prepare("SELECT COUNT(*) AS n FROM outcomes").get() as { n: number }).n).toBe(0);
    log.flush();
    expect((peek.prepare("SELECT COUNT(*) AS n FROM outcomes").get() as { n: number }).n).toBe(1);
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({ action_id: "a1", result: "SUCCEEDED", duration_s: 2 });
    peek.close();
    log.close();
  });

  it("commits automatically when a batch is full", () => {
    const published: ActionOutcome[] = [];
    const log = open(tempDb(), published, { batchMaxEvents: 4 });
    for (let i = 0; i < 2; i++) {
      log.ingest(ev({ action_id: `a${i}`, t: T0 + i }));
      log.ingest(ev({ action_id: `a${i}`, status: "SUCCEEDED", t: T0 + i + 0.5 }));
    }
    expect(published).toHaveLength(2);
    expect(log.counters.commits).toBeGreaterThanOrEqual(2);
    log.close();
  });

  it("times a commit from the start of the previous one: what queued behind a slow commit goes at once", async () => {
    const delays: number[] = [];
    const log = open(tempDb(), [], { batchMaxMs: 40, schedule: (_callback, ms) => (delays.push(ms), { cancel: () => undefined }) });
    // Opening committed (the recovery's low-water mark). Once a whole window has passed since,
    // as after a commit that took longer than the window, a new event is due at once...
    await new Promise((r) => setTimeout(r, 60));
    log.ingest(ev({ t: T0 }));
    expect(delays).toEqual([0]);
    // ...and right after a commit, the next one waits out the rest of the window.
    log.flush();
    log.ingest(ev({ status: "SUCCEEDED", t: T0 + 1 }));
    expect(delays).toHaveLength(2);
    expect(delays[1]).toBeGreaterThan(20);
    expect(delays[1]).toBeLessThanOrEqual(40);
    log.close();
  });

  it("counts every refusal by reason, stores every good event, and keeps running", () => {
    const log = open(tempDb());
    const good = [ev({ t: T0 }), ev({ status: "PROGRESS", progress: 0.3, t: T0 + 1 }), ev({ status: "SUCCEEDED", t: T0 + 2 })];
    log.ingest(good[0]);
    log.ingest({ bogus: true });
    log.ingest(ev({ status: "WHATEVER" }));
    log.ingest(good[1]);
    log.ingest(good[1]); // repeat
    log.ingest(ev({ t: T0 + 1e6 }));
    log.ingest(good[2]);
    log.ingest(ev({ status: "FAILED", t: T0 + 3 })); // after close
    log.flush();
    expect(log.counters.rejected).toMatchObject({ malformed: 1, unknown_status: 1, future_stamp: 1, after_close: 1 });
    expect(log.counters.duplicates).toBe(1);
    expect(log.counters.accepted).toBe(3);
    expect(log.store.countEvents()).toBe(3);
    log.close();
  });

  it("commits when max_pending_events are waiting, so a healthy store never refuses for a batch set larger than that bound", () => {
    const published: ActionOutcome[] = [];
    const log = open(tempDb(), published, { batchMaxEvents: 10_000, maxPendingEvents: 1_000 });
    for (let i = 0; i < 2_500; i++) log.ingest(ev({ action_id: `b${i}`, t: T0 + i / 100 }));
    expect(log.counters.rejected.store_unavailable ?? 0).toBe(0);
    expect(log.counters.accepted).toBe(2_500);
    expect(log.store.countEvents()).toBe(2_000); // two commits of 1,000; the rest waits for the timer
    log.close();
  });

  it("holds events while commits fail, refuses beyond the bound, and publishes once a commit succeeds", () => {
    const published: ActionOutcome[] = [];
    const errors: unknown[] = [];
    const log = open(tempDb(), published, { batchMaxEvents: 2, maxPendingEvents: 4, onCommitError: (e) => errors.push(e) });
    const realCommit = log.store.commit.bind(log.store);
    log.store.commit = () => {
      throw new Error("disk I/O error");
    };
    const results = [0, 1, 2].flatMap((i) => [
      log.ingest(ev({ action_id: `a${i}`, t: T0 + i })).kind,
      log.ingest(ev({ action_id: `a${i}`, status: "SUCCEEDED", t: T0 + i + 0.5 })).kind,
    ]);
    expect(results).toEqual(["accepted", "accepted", "accepted", "accepted", "rejected", "rejected"]);
    expect(log.counters.rejected.store_unavailable).toBe(2);
    expect(errors.length).toBeGreaterThan(0);
    expect(published).toHaveLength(0); // nothing announced that is not stored
    log.store.commit = realCommit;
    expect(log.flush()).toBe(true);
    expect(published.map((o) => o.action_id)).toEqual(["a0", "a1"]);
    expect(log.store.countEvents()).toBe(4);
    log.close();
  });

  it("survives a restart with an open action and pairs its end afterwards", () => {
    const path = tempDb();
    const first = open(path);
    first.ingest(ev({ action_id: "done", t: T0 }));
    first.ingest(ev({ action_id: "done", status: "SUCCEEDED", t: T0 + 1 }));
    first.ingest(ev({ action_id: "open", t: T0 + 2 }));
    first.ingest(ev({ action_id: "open", status: "PROGRESS", progress: 0.5, t: T0 + 3 }));
    first.flush();
    // No close(): as after a crash, the next process just opens the file.
    const published: ActionOutcome[] = [];
    const second = open(path, published);
    expect(second.snapshot().openActions).toBe(1);
    expect(second.ingest(ev({ action_id: "done", status: "SUCCEEDED", t: T0 + 1 })).kind).toBe("duplicate");
    // A repeated STARTED is recognised from the database (its stamp is not newer than what r1 has stored).
    expect(second.ingest(ev({ action_id: "done", t: T0 })).kind).toBe("duplicate");
    expect(second.ingest(ev({ action_id: "open", status: "PROGRESS", progress: 0.5, t: T0 + 3 })).kind).toBe("duplicate");
    second.ingest(ev({ action_id: "open", status: "SUCCEEDED", t: T0 + 4 }));
    second.flush();
    expect(published.map((o) => [o.action_id, o.duration_s, o.progress_events])).toEqual([["open", 2, 1]]);
    expect(second.store.integrityCheck()).toBe("ok");
    first.close();
    second.close();
  });

  it("produces a TIMEOUT outcome on tick", () => {
    let now = NOW_MS;
    const published: ActionOutcome[] = [];
    const log = openSqliteActionLog({ path: tempDb(), clock: () => now, schedule: manualSchedule, actionTimeoutS: 10, onCommitted: (o) => published.push(...o) });
    log.ingest(ev({ t: T0 + 99 }));
    log.tick();
    now += 10_000;
    log.tick();
    log.flush();
    expect(published.map((o) => o.result)).toEqual(["TIMEOUT"]);
    expect(log.stats({}, "all")[0]).toMatchObject({ count: 1, timeout: 1, success_rate: 0 });
    log.close();
  });

  it("pages through outcomes newest first with filters", () => {
    const log = open(tempDb());
    for (let i = 0; i < 25; i++) {
      const object = i % 5 === 0 ? "cup" : "mug";
      log.ingest(ev({ action_id: `a${i}`, object, t: T0 + i }));
      log.ingest(ev({ action_id: `a${i}`, object, status: i % 2 ? "FAILED" : "SUCCEEDED", t: T0 + i + 0.5 }));
    }
    log.flush();
    const seen: string[] = [];
    let cursor: number | undefined;
    do {
      const page = log.store.queryOutcomes({ object: "mug" }, 7, cursor);
      expect(page.total).toBe(20);
      seen.push(...page.outcomes.map((o) => o.action_id));
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    expect(seen).toHaveLength(20);
    expect(seen[0]).toBe("a24");
    expect(new Set(seen).size).toBe(20);
    const failed = log.store.queryOutcomes({ result: "FAILED", since: { sec: T0 + 10, nanosec: 0 } }, 100, undefined);
    expect(failed.outcomes.every((o) => o.result === "FAILED" && o.ended_at.sec >= T0 + 10)).toBe(true);
    expect(failed.total).toBe(7);
    log.close();
  });

  it("applies retention by count without touching open actions", () => {
    const log = open(tempDb(), [], { retention: { maxOutcomes: 3, maxEvents: 4 } });
    log.ingest(ev({ action_id: "still-open", t: T0 }));
    for (let i = 0; i < 6; i++) {
      log.ingest(ev({ action_id: `a${i}`, t: T0 + i }));
      log.ingest(ev({ action_id: `a${i}`, status: "SUCCEEDED", t: T0 + i + 0.5 }));
    }
    const deleted = log.applyRetention();
    expect(deleted.outcomes).toBe(3);
    expect(log.store.countOutcomes()).toBe(3);
    // The open action's STARTED is below the kept range but must survive for replay.
    expect(log.store.db.prepare("SELECT COUNT(*) AS n FROM events WHERE action_id = 'still-open'").get()).toEqual({ n: 1 });
    log.close();
  });
});

describe("ActionLog retention by age and rolling window", () => {
  it("deletes rows that arrived before max_age_s, and the window figures follow the clock", () => {
    let now = NOW_MS;
    const log = openSqliteActionLog({ path: tempDb(), clock: () => now, schedule: manualSchedule, retention: { maxAgeS: 3600 } });
    log.ingest(ev({ action_id: "old", t: T0 }));
    log.ingest(ev({ action_id: "old", status: "FAILED", t: T0 + 1 }));
    log.flush();
    now += 2 * 3600 * 1000;
    log.ingest(ev({ action_id: "new", t: T0 + 2 }));
    log.ingest(ev({ action_id: "new", status: "SUCCEEDED", t: T0 + 3 }));
    log.flush();
    expect(log.recentStats(3600)[0]).toMatchObject({ count: 1, succeeded: 1 });
    expect(log.recentStats(3 * 3600)[0]).toMatchObject({ count: 2, succeeded: 1, failed: 1 });
    expect(log.applyRetention()).toEqual({ events: 2, outcomes: 1 });
    expect(log.store.queryOutcomes({}, 10, undefined).outcomes.map((o) => o.action_id)).toEqual(["new"]);
    log.close();
  });
});

describe("migrations", () => {
  it("opens a v1 database written by the older schema and keeps its data", () => {
    const path = tempDb();
    const old = new Database(path);
    old.exec(SCHEMA_V1);
    old.pragma("user_version = 1");
    old.prepare("INSERT INTO events VALUES (1, 'r1', 'old', 'pick', 'mug', 'kitchen', 'STARTED', 0, '', ?, 0)").run(T0);
    old.prepare("INSERT INTO events VALUES (2, 'r1', 'old', 'pick', 'mug', 'kitchen', 'SUCCEEDED', 0, '', ?, 0)").run(T0 + 4);
    old.prepare("INSERT INTO events VALUES (3, 'r1', 'open', 'place', 'mug', 'kitchen', 'STARTED', 0, '', ?, 0)").run(T0 + 5);
    old.prepare("INSERT INTO outcomes VALUES (1, 'r1', 'old', 'pick', 'mug', 'kitchen', 'SUCCEEDED', '', ?, 0, ?, 0, 4.0, 0)").run(T0, T0 + 4);
    old.close();

    const published: ActionOutcome[] = [];
    const log = openSqliteActionLog({ path, clock: () => NOW_MS, schedule: manualSchedule, onCommitted: (o) => published.push(...o) });
    expect(log.store.migratedFrom).toBe(1);
    expect(log.store.db.pragma("user_version", { simple: true })).toBe(SCHEMA_VERSION);
    expect(log.store.queryOutcomes({}, 10, undefined).outcomes[0]).toMatchObject({ action_id: "old", duration_s: 4, flagged: false });
    // The v1 log's open action is recovered and can finish.
    expect(log.snapshot().openActions).toBe(1);
    log.ingest(ev({ action_id: "open", action: "place", status: "SUCCEEDED", t: T0 + 6 }));
    log.flush();
    expect(published.map((o) => [o.action_id, o.duration_s])).toEqual([["open", 1]]);
    expect(log.store.integrityCheck()).toBe("ok");
    log.close();
  });

  it("moves a v3 key index into generations, and finds outcomes of every generation after a restart", () => {
    const path = tempDb();
    const ids = [5, 70_000, 140_000]; // generations 0, 1 and 2
    const seed = openSqliteActionLog({ path, schedule: manualSchedule });
    const addOutcome = seed.store.db.prepare(
      `INSERT INTO outcomes (id, robot_id, action_id, action, object, location, result, reason, started_sec, started_nsec,
         ended_sec, ended_nsec, duration_s, progress_events, key_hash) VALUES (?, 'r1', ?, 'pick', 'mug', 'kitchen', 'SUCCEEDED', '', ?, 0, ?, 0, 1, 0, ?)`,
    );
    for (const id of ids) addOutcome.run(id, `old${id}`, T0 - 10, T0 - 9, actionKeyHash("r1", `old${id}`));
    // The v3 layout: outcome_keys by (key_hash, outcome_id), every outcome indexed.
    seed.store.db.exec(`DROP TABLE outcome_keys;
      CREATE TABLE outcome_keys (key_hash INTEGER NOT NULL, outcome_id INTEGER NOT NULL, PRIMARY KEY (key_hash, outcome_id)) WITHOUT ROWID;
      INSERT INTO outcome_keys SELECT key_hash, id FROM outcomes ORDER BY key_hash, id;
      UPDATE meta SET value = 140000 WHERE key = 'keys_indexed_to'; PRAGMA user_version = 3;`);
    seed.close();

    const log = openSqliteActionLog({ path, clock: () => NOW_MS, schedule: manualSchedule });
    expect(log.store.migratedFrom).toBe(3);
    const keys = log.store.db.prepare("SELECT generation, outcome_id FROM outcome_keys ORDER BY outcome_id").all();
    expect(keys).toEqual(ids.map((id) => ({ generation: id >> KEY_GENERATION_BITS, outcome_id: id })));
    expect(new Set(keys.map((k) => (k as { generation: number }).generation)).size).toBe(3);
    // The closed cache is empty after a restart: each repeat is found through the index.
    for (const id of ids) expect(log.ingest(ev({ action_id: `old${id}`, status: "SUCCEEDED", t: T0 - 9 })).kind).toBe("duplicate");
    expect(log.ingest(ev({ action_id: "old6", status: "SUCCEEDED", t: T0 - 9 })).kind).toBe("accepted");
    expect(log.store.integrityCheck()).toBe("ok");
    log.close();
  });

  it("refuses a database from a newer release with a message naming the fix", () => {
    const path = tempDb();
    const future = new Database(path);
    future.pragma(`user_version = ${SCHEMA_VERSION + 5}`);
    future.close();
    expect(() => openSqliteActionLog({ path })).toThrow(SchemaVersionError);
    expect(() => openSqliteActionLog({ path })).toThrow(/upgrade embodied_assistant/);
  });
});
