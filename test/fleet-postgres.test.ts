import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openSqliteActionLog, type SqliteActionLog as ActionLog } from "../src/core/actionlog/sqlite/openSqliteActionLog.js";
import { NgramEmbedder } from "../src/core/embedding/NgramEmbedder.js";
import { FleetRecall } from "../src/core/fleet/FleetRecall.js";
import { fleetOutcomes, fleetStats, withFleetFallback } from "../src/core/fleet/fleetServices.js";
import { Forwarder } from "../src/core/fleet/Forwarder.js";
import { EPISODES_SOURCE, Outbox, OUTCOMES_SOURCE } from "../src/core/fleet/Outbox.js";
import { createGetActionStatsRequest, createQueryOutcomesRequest, type GetActionStatsRequest, type GetActionStatsResponse } from "../src/core/interfaces/messages.generated.js";
import { EpisodicMemory } from "../src/core/memory/EpisodicMemory.js";
import { FLEET_SCHEMA_VERSION } from "../src/stores/postgres/migrations.js";
import { FleetMemoryMismatchError, PostgresFleetStore } from "../src/stores/postgres/PostgresFleetStore.js";
import { ev, manualSchedule, T0, tempDb } from "./fixtures/actionlog/helpers.js";
import { freshDatabase, testPostgresUrl } from "./fixtures/fleet/postgres.js";
import { openSqliteMemory } from "../src/core/memory/sqlite/openSqliteMemory.js";

const server = await testPostgresUrl();
const NOW_MS = (T0 + 100) * 1000;

describe.skipIf(server === undefined)("fleet store on a real PostgreSQL", () => {
  let db: { url: string; drop: () => Promise<void> };
  let store: PostgresFleetStore;

  beforeAll(async () => {
    db = await freshDatabase(server!);
    store = new PostgresFleetStore({ url: db.url });
  });
  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  it("migrates once to the current version, whoever connects first", async () => {
    const other = new PostgresFleetStore({ url: db.url });
    const found = await Promise.all([store.migrate(), other.migrate()]);
    expect(found.sort()).toEqual([0, FLEET_SCHEMA_VERSION]);
    await other.close();
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    expect((await client.query("SELECT version FROM fleet_schema_migrations ORDER BY version")).rows).toEqual([{ version: 1 }]);
    await client.end();
  });

  it("two robots' outcomes arrive once each, and fleet stats and pages match what the robots hold", async () => {
    const logs: ActionLog[] = [];
    const forwarders: Forwarder[] = [];
    for (const robot of ["r1", "r2"]) {
      const path = tempDb();
      const log = openSqliteActionLog({ path, clock: () => NOW_MS, schedule: manualSchedule });
      const outbox = Outbox.attach(path, OUTCOMES_SOURCE);
      for (let i = 0; i < 30; i++) {
        const t = T0 + i;
        log.ingest(ev({ robot_id: robot, action_id: `a${i}`, action: i % 2 ? "pick" : "place", object: i % 3 ? "mug" : "plate", t }));
        log.ingest(ev({ robot_id: robot, action_id: `a${i}`, action: i % 2 ? "pick" : "place", object: i % 3 ? "mug" : "plate", status: i % 4 ? "SUCCEEDED" : "FAILED", t: t + 0.5 + (i % 5) }));
      }
      log.flush();
      const forwarder = new Forwarder({ outbox, sink: store, origin: `host-${robot}`, batchMax: 7 });
      // The first batch is shipped twice (a lost acknowledgement): the store keeps one copy.
      const first = outbox.peek(7);
      await store.ship({ origin: `host-${robot}`, stream: outbox.stream, entries: first });
      while ((await forwarder.shipOnce()) > 0);
      expect(forwarder.snapshot()).toMatchObject({ shipped: 30 - 7, duplicates: 7, backlog: 0 });
      logs.push(log);
      forwarders.push(forwarder);
    }
    for (const groupBy of ["action_object", "robot", "all"]) {
      const req = { ...createGetActionStatsRequest(), group_by: groupBy, fleet: true };
      const fleet = await fleetStats(store, req, NOW_MS);
      const local = [...logs[0]!.stats({}, groupBy as "all"), ...logs[1]!.stats({}, groupBy as "all")];
      if (groupBy === "robot") {
        for (const s of fleet.stats) expect(s).toEqual(local.find((l) => l.robot_id === s.robot_id));
      } else {
        expect(fleet.stats.reduce((a, s) => a + s.count, 0)).toBe(60);
      }
    }
    const filtered = await fleetStats(store, { ...createGetActionStatsRequest(), robot_id: "r2", action: "pick", object: "mug", group_by: "all", fleet: true }, NOW_MS);
    expect(filtered.stats).toEqual(logs[1]!.stats({ robotId: "r2", action: "pick", object: "mug" }, "all"));

    const pageReq = { ...createQueryOutcomesRequest(), robot_id: "r1", page_size: 20, fleet: true };
    const page1 = await fleetOutcomes(store, pageReq);
    expect(page1.total).toBe(30);
    const page2 = await fleetOutcomes(store, { ...pageReq, cursor: page1.next_cursor });
    expect(page2.next_cursor).toBe("");
    const fleetIds = [...page1.outcomes, ...page2.outcomes].map((o) => o.action_id);
    const local = logs[0]!.store.queryOutcomes({ robotId: "r1" }, 100, undefined).outcomes;
    expect(fleetIds).toEqual(local.map((o) => o.action_id));
    expect(page1.outcomes[0]).toEqual(local[0]);
    for (const log of logs) log.close();
  });

  it("fleet recall finds another robot's episode by text and answers a cue, with either prefilter", async () => {
    const embedder = new NgramEmbedder();
    const identity = { dimensions: 1024, seed: 7, encoder: embedder.identity, simhash: "structured", code_bits: 256 };
    const texts = ["the red mug fell off the kitchen table", "robot charged its battery at the dock", "a plate was dropped near the sink", "the spare charger is in the hallway cabinet"];
    const memories: EpisodicMemory[] = [];
    for (const [r, robot] of ["r1", "r2"].entries()) {
      const path = tempDb("memory.db");
      const memory = await openSqliteMemory({ embedder, dbPath: path, dims: 1024, seed: 7, codeBits: 256 });
      const outbox = Outbox.attach(path, EPISODES_SOURCE);
      await memory.remember(texts.map((description, i) => ({
        stamp: { sec: T0 + i, nanosec: 0 }, robot_id: robot, agent: robot, action: i === 2 ? "drop" : "pick", object: i === 2 ? "plate" : "mug",
        location: "kitchen", result: r === 1 && i === 2 ? "FAILED" : "SUCCEEDED", description: `${robot}: ${description}`, source: "remember",
      })));
      const forwarder = new Forwarder({ outbox, sink: store, origin: `host-${robot}`, prepare: () => store.claimMemoryIdentity(identity) });
      while ((await forwarder.shipOnce()) > 0);
      memories.push(memory);
    }
    expect(await store.countEpisodes()).toBe(8);
    for (const prefilter of ["cached", "sql"] as const) {
      const recall = new FleetRecall({ reader: store, encoder: memories[0]!.encoder, embedder, prefilter });
      const tuning = { k: 3, candidates: 100, threshold: 0.5 };
      const found = await recall.recall({ text: "r2: the spare charger is in the hallway cabinet" }, tuning);
      expect(found.hits[0]!.episode).toMatchObject({ robot_id: "r2", id: "ep-4" });
      const onlyR1 = await recall.recall({ text: "the spare charger is in the hallway cabinet", robotId: "r1", k: 8 }, tuning);
      expect(onlyR1.hits.every((h) => h.episode.robot_id === "r1")).toBe(true);
      expect(onlyR1.hits).toHaveLength(4);
    }
    const recall = new FleetRecall({ reader: store, encoder: memories[0]!.encoder, embedder });
    const who = await recall.recall({ cue: { action: "drop", result: "FAILED" }, askRole: "agent" }, { k: 5, candidates: 100, threshold: 0.5 });
    expect(who).toMatchObject({ answer: "r2", abstained: false });
    await expect(store.claimMemoryIdentity({ ...identity, seed: 8 })).rejects.toThrow(FleetMemoryMismatchError);
    for (const m of memories) m.close();
  });

  it("text with quotes, backslashes, braces, commas, tabs, line breaks, NULL markers and empty strings arrives unchanged (COPY text format)", async () => {
    const awkward = ['say "hi"', "back\\slash", "{brace}", "a,b", "NULL", "\\N", "\\.", "", "tab\there", "two\nlines", "cr\rhere", "ünïcödé ✓", "end\\"];
    const entries = awkward.map((text, i) => ({
      kind: "outcome" as const,
      seq: i + 1,
      createdMs: NOW_MS,
      outcome: {
        robot_id: "quirky", action_id: `q${i}`, action: "pick", object: text, location: text, result: "FAILED", reason: text,
        started_at: { sec: T0 + i, nanosec: 5 }, ended_at: { sec: T0 + i + 1, nanosec: 999_999_999 }, duration_s: i === 0 ? 1e-7 : 1 / 3,
        progress_events: i, flagged: i % 2 === 1, flag_reason: text, committed_ms: NOW_MS + i,
      },
    }));
    expect(await store.ship({ origin: "quirky-host", stream: "s-quirky", entries })).toEqual({ inserted: awkward.length, duplicates: 0 });
    const page = await fleetOutcomes(store, { ...createQueryOutcomesRequest(), robot_id: "quirky", page_size: 50, fleet: true });
    const byId = new Map(page.outcomes.map((o) => [o.action_id, o]));
    entries.forEach(({ outcome }) => {
      const got = byId.get(outcome.action_id)!;
      expect({ object: got.object, location: got.location, reason: got.reason, flag_reason: got.flag_reason }).toEqual({
        object: outcome.object, location: outcome.location, reason: outcome.reason, flag_reason: outcome.flag_reason,
      });
      expect([got.duration_s, got.flagged, got.progress_events, got.started_at, got.ended_at]).toEqual([
        outcome.duration_s, outcome.flagged, outcome.progress_events, outcome.started_at, outcome.ended_at,
      ]);
    });
  });

  it("a resent batch that overlaps what the store has inserts only the new entries, and an older batch inserts nothing", async () => {
    const entry = (seq: number) => ({
      kind: "outcome" as const,
      seq,
      createdMs: NOW_MS,
      outcome: {
        robot_id: "overlap", action_id: `o${seq}`, action: "pick", object: "mug", location: "lab", result: "SUCCEEDED", reason: "",
        started_at: { sec: T0 + seq, nanosec: 0 }, ended_at: { sec: T0 + seq + 1, nanosec: 0 }, duration_s: 1,
        progress_events: 0, flagged: false, flag_reason: "", committed_ms: NOW_MS,
      },
    });
    const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => entry(from + i));
    const batch = (from: number, to: number) => ({ origin: "overlap-host", stream: "s-overlap", entries: range(from, to) });
    expect(await store.ship(batch(1, 5))).toEqual({ inserted: 5, duplicates: 0 });
    expect(await store.ship(batch(3, 8))).toEqual({ inserted: 3, duplicates: 3 });
    expect(await store.ship(batch(2, 4))).toEqual({ inserted: 0, duplicates: 3 });
    // Two connections shipping the same batch at once: the stream's lock makes the second see the first's rows.
    const [a, b] = await Promise.all([store.ship(batch(9, 12)), store.ship(batch(9, 12))]);
    expect([a.inserted + b.inserted, a.duplicates + b.duplicates]).toEqual([4, 4]);
    const page = await fleetOutcomes(store, { ...createQueryOutcomesRequest(), robot_id: "overlap", page_size: 50, fleet: true });
    expect(page.outcomes.map((o) => o.action_id).sort((x, y) => Number(x.slice(1)) - Number(y.slice(1)))).toEqual(range(1, 12).map((e) => e.outcome.action_id));

    // Progress rewound behind the rows (never done by the package): the unique key refuses the
    // COPY, the batch fails with the server's reason instead of hanging, and nothing half-lands.
    await store.pool.query("UPDATE fleet_streams SET shipped_to = 10 WHERE stream = 's-overlap'");
    await expect(store.ship(batch(11, 14))).rejects.toThrow(/duplicate key/);
    expect((await store.pool.query("SELECT count(*)::int AS n FROM fleet_outcomes WHERE origin = 'overlap-host'")).rows[0].n).toBe(12);
    expect(await store.ship(batch(13, 14))).toEqual({ inserted: 2, duplicates: 0 });
  });

  it("a robot without a connection answers from its own store and says so", async () => {
    const dead = new PostgresFleetStore({ url: "postgresql://postgres@127.0.0.1:1/none", connectTimeoutMs: 500 });
    const tally = { answered: 0, fellBack: 0 };
    const handler = withFleetFallback<GetActionStatsRequest, GetActionStatsResponse>(
      (req) => fleetStats(dead, req, NOW_MS),
      () => "unused",
      () => ({ success: true, message: "2 groups", stats: [] }),
      tally,
    );
    const answer = await handler({ ...createGetActionStatsRequest(), fleet: true });
    expect(answer.success).toBe(true);
    expect(answer.message).toMatch(/^fleet store unreachable \(.+\): answered from this robot's own store only\. 2 groups$/);
    expect((await handler({ ...createGetActionStatsRequest(), fleet: false })).message).toBe("2 groups");
    expect(tally).toEqual({ answered: 0, fellBack: 1 }); // fleet: false is the local service's to count
    const live = withFleetFallback<GetActionStatsRequest, GetActionStatsResponse>((req) => fleetStats(store, req, NOW_MS), () => "unused", () => ({ success: true, message: "local", stats: [] }), tally);
    expect((await live({ ...createGetActionStatsRequest(), fleet: true })).message).not.toMatch(/local/);
    expect(tally).toEqual({ answered: 1, fellBack: 1 });
    await dead.close();
  });
});
