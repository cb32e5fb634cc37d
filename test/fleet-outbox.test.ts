import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { openSqliteActionLog, type SqliteActionLog as ActionLog } from "../src/core/actionlog/sqlite/openSqliteActionLog.js";
import { Forwarder } from "../src/core/fleet/Forwarder.js";
import type { FleetSink } from "../src/core/fleet/FleetStore.js";
import { EPISODES_SOURCE, Outbox, OutboxAttachError, OUTCOMES_SOURCE } from "../src/core/fleet/Outbox.js";
import type { OutboxEntry, ShipBatch } from "../src/core/fleet/types.js";
import { NgramEmbedder } from "../src/core/embedding/NgramEmbedder.js";
import { ev, manualSchedule, T0, tempDb } from "./fixtures/actionlog/helpers.js";
import { openSqliteMemory } from "../src/core/memory/sqlite/openSqliteMemory.js";

const NOW_MS = (T0 + 100) * 1000;

function openLog(path: string): ActionLog {
  return openSqliteActionLog({ path, clock: () => NOW_MS, schedule: manualSchedule });
}

/** n complete actions (start + end): n outcomes. */
function addActions(log: ActionLog, from: number, n: number, robot = "r1"): void {
  for (let i = from; i < from + n; i++) {
    log.ingest(ev({ robot_id: robot, action_id: `a${i}`, t: T0 + i * 0.001 }));
    log.ingest(ev({ robot_id: robot, action_id: `a${i}`, status: i % 3 === 0 ? "FAILED" : "SUCCEEDED", t: T0 + i * 0.001 + 0.0005 }));
  }
  log.flush();
}

const actionIds = (entries: readonly OutboxEntry[]) => entries.map((e) => (e.kind === "outcome" ? e.outcome.action_id : e.episode.episode.id));

/** A fleet store in memory that can be told to fail, or to commit and then lose the acknowledgement. */
class FakeSink implements FleetSink {
  readonly stored = new Map<string, OutboxEntry>();
  readonly order: number[] = [];
  failNext = 0;
  loseAckNext = 0;
  async ship(batch: ShipBatch) {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error("connection refused");
    }
    let inserted = 0;
    for (const e of batch.entries) {
      const key = `${batch.origin}/${batch.stream}/${e.seq}`;
      if (this.stored.has(key)) continue;
      this.stored.set(key, e);
      this.order.push(e.seq);
      inserted++;
    }
    if (this.loseAckNext > 0) {
      this.loseAckNext--;
      throw new Error("connection reset after commit");
    }
    return { inserted, duplicates: batch.entries.length - inserted };
  }
  async claimMemoryIdentity() {}
}

describe("fleet outbox (SQLite trigger on the local store)", () => {
  it("holds exactly the outcomes each local commit stored, in commit order, with the outcome's fields", () => {
    const path = tempDb();
    const log = openLog(path);
    addActions(log, 0, 5);
    const outbox = Outbox.attach(path, OUTCOMES_SOURCE);
    // History before the first attach is enqueued too.
    expect(outbox.backlog()).toBe(5);
    addActions(log, 5, 3);
    const entries = outbox.peek(100);
    expect(actionIds(entries)).toEqual(["a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7"]);
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const first = entries[0]!;
    if (first.kind !== "outcome") throw new Error("expected an outcome");
    expect(first.outcome).toMatchObject({ robot_id: "r1", action: "pick", object: "mug", result: "FAILED", flagged: false, committed_ms: NOW_MS });
    expect(first.outcome.started_at).toEqual({ sec: T0, nanosec: 0 });
    expect(first.outcome.duration_s).toBeCloseTo(0.0005, 6);
    expect(Math.abs(first.createdMs - Date.now())).toBeLessThan(60_000);
    log.close();
    outbox.close();
  });

  it("acks delete only what was shipped; seqs are never reused, the stream id survives a reopen", () => {
    const path = tempDb();
    const log = openLog(path);
    const outbox = Outbox.attach(path, OUTCOMES_SOURCE);
    addActions(log, 0, 4);
    expect(outbox.ack(2)).toBe(2);
    expect(outbox.backlog()).toBe(2);
    outbox.ack(4);
    expect(outbox.backlog()).toBe(0);
    addActions(log, 4, 1);
    expect(outbox.peek(10).map((e) => e.seq)).toEqual([5]);
    const stream = outbox.stream;
    outbox.close();
    const again = Outbox.attach(path, OUTCOMES_SOURCE);
    expect(again.stream).toBe(stream);
    expect(again.backlog()).toBe(1);
    again.close();
    log.close();
  });

  it("detach stops capture; the next attach enqueues what was stored meanwhile, once", () => {
    const path = tempDb();
    const log = openLog(path);
    const outbox = Outbox.attach(path, OUTCOMES_SOURCE);
    addActions(log, 0, 2);
    outbox.ack(2);
    outbox.close();
    expect(Outbox.detach(path, OUTCOMES_SOURCE)).toBe(0);
    addActions(log, 2, 3); // fleet.url cleared: nothing is captured
    expect(Outbox.detach(path, OUTCOMES_SOURCE)).toBeUndefined();
    const again = Outbox.attach(path, OUTCOMES_SOURCE);
    expect(actionIds(again.peek(10))).toEqual(["a2", "a3", "a4"]);
    addActions(log, 5, 1);
    expect(actionIds(again.peek(10))).toEqual(["a2", "a3", "a4", "a5"]);
    again.close();
    log.close();
  });

  it("a rolled-back local commit leaves nothing in the outbox", () => {
    const path = tempDb();
    const log = openLog(path);
    const outbox = Outbox.attach(path, OUTCOMES_SOURCE);
    addActions(log, 0, 1);
    // An insert that fails inside the store's transaction (a duplicate primary key) rolls the trigger's row back too.
    expect(() =>
      log.store.db.transaction(() => {
        log.store.db.prepare("INSERT INTO outcomes SELECT * FROM outcomes WHERE id = (SELECT MIN(id) FROM outcomes)").run();
      })(),
    ).toThrow();
    expect(outbox.backlog()).toBe(1);
    outbox.close();
    log.close();
  });

  it("the size limit drops the oldest entries and counts them across restarts", () => {
    const path = tempDb();
    const log = openLog(path);
    const outbox = Outbox.attach(path, OUTCOMES_SOURCE);
    addActions(log, 0, 10);
    expect(outbox.enforceLimit(4)).toBe(6);
    expect(actionIds(outbox.peek(10))).toEqual(["a6", "a7", "a8", "a9"]);
    outbox.close();
    const again = Outbox.attach(path, OUTCOMES_SOURCE);
    expect(again.dropped()).toBe(6);
    again.close();
    log.close();
  });

  it("captures the memory's episodes with their vectors", async () => {
    const path = tempDb("memory.db");
    const memory = await openSqliteMemory({ embedder: new NgramEmbedder(), dbPath: path, dims: 1024, codeBits: 256 });
    const outbox = Outbox.attach(path, EPISODES_SOURCE);
    await memory.remember([{ stamp: { sec: T0, nanosec: 5 }, robot_id: "r1", agent: "r1", action: "pick", object: "cup", location: "kitchen", result: "FAILED", description: "", source: "remember" }]);
    const [entry] = outbox.peek(10);
    if (entry?.kind !== "episode") throw new Error("expected an episode");
    expect(entry.episode.episode).toMatchObject({ id: "ep-1", robot_id: "r1", object: "cup", stamp: { sec: T0, nanosec: 5 } });
    // The memory stores the text SimHash's first 256 bits (the fleet code) and no episode vector.
    expect(entry.episode.textHv.byteLength).toBe(32);
    expect(entry.episode.episodeHv.byteLength).toBe(0);
    expect(entry.episode.embedding.byteLength).toBeGreaterThan(0);
    outbox.close();
    memory.close();
  });

  it("forgetting an episode removes its unshipped copy from the outbox and the file, and the forwarder ships only the rest", async () => {
    const path = tempDb("memory.db");
    const memory = await openSqliteMemory({ embedder: new NgramEmbedder(), dbPath: path, dims: 1024, codeBits: 256 });
    const outbox = Outbox.attach(path, EPISODES_SOURCE);
    const episode = (object: string, description: string) => ({ stamp: { sec: T0, nanosec: 5 }, robot_id: "r1", agent: "r1", action: "pick", object, location: "kitchen", result: "FAILED", description, source: "remember" });
    await memory.remember([episode("cup", "the cup by the sink"), episode("keys", "the spare door code is zebra-4417"), episode("mug", "the blue mug")]);
    expect(outbox.backlog()).toBe(3);
    expect(memory.forget(["ep-2"])).toEqual(["ep-2"]);
    expect(actionIds(outbox.peek(10))).toEqual(["ep-1", "ep-3"]);
    const fileText = ["", "-wal"].map((s) => (existsSync(path + s) ? readFileSync(path + s).toString("latin1") : "")).join("");
    expect(fileText).not.toContain("zebra-4417");
    const sink = new FakeSink();
    const forwarder = new Forwarder({ outbox, sink, origin: "robot-a" });
    expect(await forwarder.shipOnce()).toBe(2);
    expect([...sink.stored.values()].map((e) => (e.kind === "episode" ? e.episode.episode.id : ""))).toEqual(["ep-1", "ep-3"]);
    expect(outbox.backlog()).toBe(0);
    // Forgotten after everything before it was shipped: nothing is left waiting.
    await memory.remember([episode("plant", "water the plant")]);
    memory.forget(["ep-4"]);
    expect(await forwarder.shipOnce()).toBe(0);
    expect(outbox.backlog()).toBe(0);
    outbox.close();
    memory.close();
  });

  it("refuses a store kept only in memory, with a reason", () => {
    expect(() => Outbox.attach(":memory:", OUTCOMES_SOURCE)).toThrow(OutboxAttachError);
  });
});

describe("fleet forwarder", () => {
  it("ships in order, retries after failures, and keeps entries until the store committed them", async () => {
    const path = tempDb();
    const log = openLog(path);
    const outbox = Outbox.attach(path, OUTCOMES_SOURCE);
    const sink = new FakeSink();
    const forwarder = new Forwarder({ outbox, sink, origin: "robot-a", batchMax: 3, pollMs: 5, retryMinMs: 5, retryMaxMs: 20 });
    addActions(log, 0, 10);
    sink.failNext = 3;
    await expect(forwarder.shipOnce()).rejects.toThrow("connection refused");
    expect(outbox.backlog()).toBe(10);
    forwarder.start();
    addActions(log, 10, 5);
    await forwarder.waitForEmpty(5000);
    await forwarder.stop();
    expect(sink.order).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    const snap = forwarder.snapshot();
    expect(snap).toMatchObject({ backlog: 0, lagS: 0, shipped: 15, duplicates: 0, failingFor: 0 });
    expect(snap.failures).toBe(3);
    log.close();
    outbox.close();
  });

  it("a batch committed but not acknowledged is resent and counted once", async () => {
    const path = tempDb();
    const log = openLog(path);
    const outbox = Outbox.attach(path, OUTCOMES_SOURCE);
    const sink = new FakeSink();
    const forwarder = new Forwarder({ outbox, sink, origin: "robot-a", batchMax: 4 });
    addActions(log, 0, 6);
    sink.loseAckNext = 1;
    await expect(forwarder.shipOnce()).rejects.toThrow("after commit");
    expect(outbox.backlog()).toBe(6);
    while ((await forwarder.shipOnce()) > 0);
    expect(sink.stored.size).toBe(6);
    expect(forwarder.snapshot()).toMatchObject({ shipped: 2, duplicates: 4, backlog: 0 });
    log.close();
    outbox.close();
  });

  it("reports the backlog and the age of its oldest entry while the store is down", async () => {
    const path = tempDb();
    const log = openLog(path);
    const outbox = Outbox.attach(path, OUTCOMES_SOURCE);
    let now = Date.now();
    const forwarder = new Forwarder({ outbox, sink: new FakeSink(), origin: "r", clock: () => now, maxBacklog: 5 });
    addActions(log, 0, 8);
    now += 7000;
    const snap = forwarder.snapshot();
    expect(snap.backlog).toBe(8);
    expect(snap.lagS).toBeGreaterThan(6);
    await forwarder.shipOnce(); // enforces the limit first
    expect(forwarder.snapshot()).toMatchObject({ backlog: 0, dropped: 3, shipped: 5 });
    log.close();
    outbox.close();
  });

  it("keeps the size limit while its preparation (the memory's identity claim) keeps failing", async () => {
    const path = tempDb();
    const log = openLog(path);
    const outbox = Outbox.attach(path, OUTCOMES_SOURCE);
    const prepare = async () => {
      throw new Error("connect ECONNREFUSED 127.0.0.1:5432");
    };
    const forwarder = new Forwarder({ outbox, sink: new FakeSink(), origin: "r", maxBacklog: 5, prepare });
    addActions(log, 0, 8);
    await expect(forwarder.shipOnce()).rejects.toThrow(/ECONNREFUSED/);
    expect(forwarder.snapshot()).toMatchObject({ backlog: 5, dropped: 3, shipped: 0 });
    log.close();
    outbox.close();
  });
});
