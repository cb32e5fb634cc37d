// Issue #8: the action log's answers to bad ids, out-of-range float32 values, conflicting
// repeats, a failed final flush, unpinned durability and a misnamed parameter.
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { openSqliteActionLog, type SqliteActionLog as ActionLog, type SqliteActionLogOptions } from "../src/core/actionlog/sqlite/openSqliteActionLog.js";
import { ActionLogStore } from "../src/core/actionlog/sqlite/ActionLogStore.js";
import { SCHEMA_VERSION } from "../src/core/actionlog/sqlite/migrations.js";
import { OutcomePairer } from "../src/core/actionlog/OutcomePairer.js";
import { validateActionEvent } from "../src/core/actionlog/validateActionEvent.js";
import { SqliteEpisodeStore as EpisodeStore } from "../src/core/memory/sqlite/SqliteEpisodeStore.js";
import type { OutcomeDraft } from "../src/core/actionlog/types.js";
import { ev, manualSchedule, T0, tempDb } from "./fixtures/actionlog/helpers.js";

const NOW_MS = (T0 + 100) * 1000;
const FLOAT32_MAX = 3.4028234663852886e38;

function open(path = tempDb(), extra: Partial<SqliteActionLogOptions> = {}): ActionLog {
  return openSqliteActionLog({ path, clock: () => NOW_MS, schedule: manualSchedule, ...extra });
}

describe("ids with control characters (bad_id)", () => {
  it.each([
    ["NUL in robot_id", ev({ robot_id: "r1\u0000" })],
    ["NUL in action_id", ev({ action_id: "a\u0000b" })],
    ["BEL in action_id", ev({ action_id: "a\u0007" })],
    ["newline in robot_id", ev({ robot_id: "r1\nr2" })],
    ["unit separator in action_id", ev({ action_id: "a\u001f" })],
  ])("refuses %s as bad_id, through ingest and through ingestMessage", (_name, event) => {
    const result = validateActionEvent(event, NOW_MS);
    expect(result).toMatchObject({ ok: false, reason: "bad_id" });
    const log = open();
    expect(log.ingestMessage(event)).toMatchObject({ kind: "rejected", reason: "bad_id" });
    expect(log.ingest(event)).toMatchObject({ kind: "rejected", reason: "bad_id" });
    log.flush();
    expect(log.store.countEvents()).toBe(0);
    expect(log.counters.rejected.bad_id).toBe(2);
    log.close();
  });

  it("still accepts printable ids, non-ASCII included", () => {
    expect(validateActionEvent(ev({ robot_id: "röbot-1", action_id: "pick/mug#3 ✋" }), NOW_MS).ok).toBe(true);
  });
});

describe("float32 progress", () => {
  it.each([1e300, -1e300, FLOAT32_MAX * 2, 3.5e38])("refuses progress %s, outside float32's range, on any status", (progress) => {
    for (const status of ["STARTED", "PROGRESS", "SUCCEEDED"]) {
      const result = validateActionEvent(ev({ status, progress }), NOW_MS);
      expect(result).toMatchObject({ ok: false, reason: "bad_progress" });
    }
    const log = open();
    expect(log.ingestMessage(ev({ progress }))).toMatchObject({ kind: "rejected", reason: "bad_progress" });
    log.close();
  });

  it("accepts the largest float32 and stores every progress as float32", () => {
    expect(validateActionEvent(ev({ progress: FLOAT32_MAX }), NOW_MS).ok).toBe(true);
    const log = open();
    log.ingestMessage(ev({ action_id: "a1", progress: 0.1, t: T0 }));
    log.ingestMessage(ev({ action_id: "a1", status: "PROGRESS", progress: 0.3, t: T0 + 1 }));
    log.ingest(ev({ action_id: "a2", progress: 1e30, t: T0 + 2 }));
    log.flush();
    const stored = [...log.store.iterateEvents({})].map((e) => e.progress);
    expect(stored).toEqual([Math.fround(0.1), Math.fround(0.3), Math.fround(1e30)]);
    expect(stored[0]).not.toBe(0.1);
    // A re-send of the same PROGRESS (same stamp, same float32) is still a plain repeat.
    expect(log.ingestMessage(ev({ action_id: "a1", status: "PROGRESS", progress: 0.3, t: T0 + 1 })).kind).toBe("duplicate");
    log.close();
  });
});

describe("conflicting repeats", () => {
  let id = 0;
  const feed = (p: OutcomePairer, e: ReturnType<typeof ev>) => p.accept({ id: ++id, event: e, recvMs: NOW_MS });

  it("flags a repeat with the same stamp but other content while the action is open, and keeps the first", () => {
    const p = new OutcomePairer();
    feed(p, ev({ object: "mug", t: T0 }));
    expect(feed(p, ev({ object: "mug", t: T0 })).kind).toBe("duplicate");
    expect(feed(p, ev({ object: "cup", t: T0 }))).toMatchObject({ kind: "conflicting_repeat" });
    const end = feed(p, ev({ status: "FAILED", detail: "gripper slipped", t: T0 + 1 }));
    expect((end as { outcome: OutcomeDraft }).outcome).toMatchObject({ object: "mug", reason: "gripper slipped" });
    expect(feed(p, ev({ status: "FAILED", detail: "gripper slipped", t: T0 + 1 })).kind).toBe("duplicate");
    expect(feed(p, ev({ status: "FAILED", detail: "dropped it", t: T0 + 1 }))).toMatchObject({ kind: "conflicting_repeat" });
    expect(feed(p, ev({ object: "cup", t: T0 }))).toMatchObject({ kind: "conflicting_repeat" });
  });

  it("flags an end repeated with other content while it waits for its start", () => {
    const p = new OutcomePairer();
    feed(p, ev({ status: "SUCCEEDED", detail: "ok", t: T0 + 1 }));
    expect(feed(p, ev({ status: "SUCCEEDED", detail: "ok", frame_id: "map", t: T0 + 1 }))).toMatchObject({ kind: "conflicting_repeat" });
  });

  it("counts it, reports it, stores nothing of it, and shows it in the health values", async () => {
    const details: string[] = [];
    const log = open(tempDb(), { onConflictingRepeat: (detail) => details.push(detail) });
    log.ingest(ev({ action_id: "a1", location: "kitchen", t: T0 }));
    expect(log.ingest(ev({ action_id: "a1", location: "hall", t: T0 }))).toMatchObject({ kind: "conflicting_repeat" });
    log.ingest(ev({ action_id: "a1", status: "SUCCEEDED", t: T0 + 1 }));
    log.flush();
    expect(log.counters.conflictingRepeats).toBe(1);
    expect(log.counters.duplicates).toBe(0);
    expect(details).toHaveLength(1);
    expect(details[0]).toMatch(/a1.*location/);
    expect([...log.store.iterateEvents({})].map((e) => e.location)).toEqual(["kitchen", "kitchen"]);
    expect(log.store.queryOutcomes({}, 10, undefined).outcomes[0]).toMatchObject({ location: "kitchen" });
    const { ingestHealth } = await import("../src/core/actionlog/healthReport.js");
    const { report } = ingestHealth(log.snapshot(), 0, { atMs: 0, received: 0, rejected: 0, commitErrors: 0, dropped: 0, conflictingRepeats: 0 }, NOW_MS);
    expect(report.values.conflicting_repeats).toBe(1);
    expect(report.level).toBe("warn");
    expect(report.message).toMatch(/1 conflicting repeat/);
    log.close();
  });
});

describe("the final flush", () => {
  it("retries the last commit on close and says at ERROR how many events were not stored when it still fails", () => {
    const lost: { events: number; outcomes: number; error: unknown }[] = [];
    const log = open(tempDb(), { onUnstoredAtClose: (events, outcomes, error) => lost.push({ events, outcomes, error }) });
    log.ingest(ev({ action_id: "a1", t: T0 }));
    log.ingest(ev({ action_id: "a1", status: "SUCCEEDED", t: T0 + 1 }));
    log.ingest(ev({ action_id: "a2", t: T0 + 2 }));
    let attempts = 0;
    log.store.commit = () => {
      attempts++;
      throw new Error("disk I/O error");
    };
    log.close();
    expect(attempts).toBeGreaterThan(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatchObject({ events: 3, outcomes: 1 });
    expect(String(lost[0]!.error)).toMatch(/disk I\/O error/);
  });

  it("stores everything when a retry succeeds, and reports nothing", () => {
    const path = tempDb();
    const lost: number[] = [];
    const log = open(path, { onUnstoredAtClose: (events) => lost.push(events) });
    log.ingest(ev({ action_id: "a1", t: T0 }));
    const realCommit = log.store.commit.bind(log.store);
    let attempts = 0;
    log.store.commit = (...args) => {
      if (++attempts === 1) throw new Error("database is locked");
      realCommit(...args);
    };
    log.close();
    expect(lost).toEqual([]);
    const reopened = open(path);
    expect(reopened.store.countEvents()).toBe(1);
    reopened.close();
  });
});

describe("durability is pinned on every connection that writes", () => {
  const read = (db: { pragma(source: string, options: { simple: true }): unknown }) => ({
    journal_mode: db.pragma("journal_mode", { simple: true }),
    synchronous: db.pragma("synchronous", { simple: true }),
  });
  const FULL = 2;
  const NORMAL = 1;

  it("action log store: WAL with synchronous=FULL by default, NORMAL with durability normal", () => {
    const full = new ActionLogStore({ path: tempDb() });
    expect(full.durabilityPragmas()).toEqual({ journal_mode: "wal", synchronous: FULL });
    full.close();
    const normal = new ActionLogStore({ path: tempDb(), durability: "normal" });
    expect(normal.durabilityPragmas()).toEqual({ journal_mode: "wal", synchronous: NORMAL });
    normal.close();
    // The log's own connection, and a second open of the same file (the pragma is per connection).
    const path = tempDb();
    const log = open(path, { durability: "normal" });
    expect(log.store.durabilityPragmas()).toEqual({ journal_mode: "wal", synchronous: NORMAL });
    log.close();
    const again = open(path);
    expect(again.store.durabilityPragmas()).toEqual({ journal_mode: "wal", synchronous: FULL });
    // Read independently of the store's own helper, straight from the connection.
    expect(read(again.store.db)).toEqual({ journal_mode: "wal", synchronous: FULL });
    again.close();
  });

  it("episode store: WAL with synchronous=FULL", () => {
    const store = new EpisodeStore(tempDb("memory.db"), { dimensions: 1024, seed: 1, encoder: "ngram", simhash: "gaussian", code_bits: 256, format: 1 });
    expect(store.durabilityPragmas()).toEqual({ journal_mode: "wal", synchronous: FULL });
    store.close();
  });
});

describe("schema version error", () => {
  it("names the parameter db_path", () => {
    const path = tempDb();
    const future = new Database(path);
    future.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    future.close();
    expect(() => openSqliteActionLog({ path })).toThrow(/set db_path to another file/);
    expect(() => openSqliteActionLog({ path })).not.toThrow(/database_path/);
  });
});
