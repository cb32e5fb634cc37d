/**
 * The fleet's fault test: 10 simulated robots publish action events while the fleet's PostgreSQL
 * is SIGKILLed (the postmaster) and restarted, twice. Every outcome a robot acknowledged (its
 * local commit published it) must reach PostgreSQL exactly once, and every robot must keep
 * acknowledging while the server is down. The server is a cluster of this test's own, on
 * 127.0.0.1, so killing it disturbs no other test.
 */
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { openSqliteActionLog, type SqliteActionLog as ActionLog } from "../src/core/actionlog/sqlite/openSqliteActionLog.js";
import { Forwarder } from "../src/core/fleet/Forwarder.js";
import { Outbox, OUTCOMES_SOURCE } from "../src/core/fleet/Outbox.js";
import { PostgresFleetStore } from "../src/stores/postgres/PostgresFleetStore.js";
import { ev, tempDb } from "./fixtures/actionlog/helpers.js";
import { OwnCluster } from "./fixtures/fleet/cluster.js";

const ROBOTS = 10;
const PORT = 55441;

const cluster = await OwnCluster.create(PORT);
if (cluster === undefined) {
  if (process.env["EMBODIED_TEST_PG_URL"]) throw new Error("EMBODIED_TEST_PG_URL is set but this machine has no PostgreSQL server binaries for the fault test's own cluster");
  console.warn("fleet fault test SKIPPED: no PostgreSQL server binaries (initdb); install the postgresql package");
}

interface SimulatedRobot {
  readonly name: string;
  readonly log: ActionLog;
  readonly outbox: Outbox;
  readonly store: PostgresFleetStore;
  readonly forwarder: Forwarder;
  /** action ids whose outcome the robot's action log acknowledged (published after its commit). */
  readonly acknowledged: string[];
  next: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(cluster === undefined)("fleet fault test: PostgreSQL killed and restarted twice under load", () => {
  const robots: SimulatedRobot[] = [];
  afterAll(async () => {
    for (const r of robots) {
      await r.forwarder.stop();
      r.outbox.close();
      r.log.close();
      await r.store.close().catch(() => undefined);
    }
    await cluster?.destroy();
  });

  it("every acknowledged outcome reaches PostgreSQL exactly once; local ingest goes on during the outages", async () => {
    const url = cluster!.url;
    for (let i = 0; i < ROBOTS; i++) {
      const name = `robot-${i}`;
      const acknowledged: string[] = [];
      const path = tempDb();
      // durability normal: each commit survives this process crashing, without an fsync each; the fault here is the server's.
      const log = openSqliteActionLog({ path, durability: "normal", batchMaxMs: 10, onCommitted: (outcomes) => acknowledged.push(...outcomes.map((o) => o.action_id)) });
      const outbox = Outbox.attach(path, OUTCOMES_SOURCE);
      const store = new PostgresFleetStore({ url, connectTimeoutMs: 1000, queryTimeoutMs: 5000 });
      const forwarder = new Forwarder({ outbox, sink: store, origin: name, batchMax: 500, pollMs: 20, retryMinMs: 50, retryMaxMs: 400 });
      forwarder.start();
      robots.push({ name, log, outbox, store, forwarder, acknowledged, next: 0 });
    }

    // Each robot starts and finishes an action every 10 ms: ~1,000 outcomes/s over the fleet.
    let publishing = true;
    const publisher = (async () => {
      while (publishing) {
        const now = Date.now() / 1000;
        for (const r of robots) {
          const id = `a${r.next++}`;
          r.log.ingest(ev({ robot_id: r.name, action_id: id, t: now - 0.004 }));
          r.log.ingest(ev({ robot_id: r.name, action_id: id, status: r.next % 7 ? "SUCCEEDED" : "FAILED", t: now - 0.001 }));
        }
        await sleep(10);
      }
    })();

    const acked = () => robots.map((r) => r.acknowledged.length);
    const outages: { before: number[]; after: number[] }[] = [];
    const start = acked();
    await sleep(1500);
    // What the robots acknowledge in 1.5 s with the server up: the outages must not slow them down much.
    const upRate = acked().map((a, i) => a - start[i]!);
    for (let round = 0; round < 2; round++) {
      cluster!.killPostmaster();
      const before = acked();
      await sleep(1500);
      outages.push({ before, after: acked() });
      await cluster!.start();
      await sleep(1500);
    }
    publishing = false;
    await publisher;
    for (const r of robots) r.log.flush();
    for (const r of robots) await r.forwarder.waitForEmpty(60_000);

    console.log(`fault test: acknowledged per robot in 1.5 s: server up ${upRate.join(",")}; down ${outages.map((o) => o.after.map((a, i) => a - o.before[i]!).join(",")).join(" | ")}`);
    // Local ingest never stalled: every robot kept acknowledging while the server was down, at
    // no less than a third of its rate with the server up (a generous margin for a busy machine).
    for (const { before, after } of outages) {
      for (let i = 0; i < ROBOTS; i++) expect(after[i]! - before[i]!, `robot-${i} slowed down during an outage`).toBeGreaterThan(upRate[i]! / 3);
    }
    const failures = robots.reduce((a, r) => a + r.forwarder.snapshot().failures, 0);
    expect(failures, "the outages were not noticed by the forwarders").toBeGreaterThan(0);

    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query("SELECT origin, action_id, count(*)::int AS n FROM fleet_outcomes GROUP BY origin, action_id");
    await client.end();
    const inFleet = new Map<string, number>(rows.map((r) => [`${r.origin}/${r.action_id}`, r.n as number]));
    let total = 0;
    for (const r of robots) {
      expect(r.log.counters.commitErrors).toBe(0);
      for (const id of r.acknowledged) {
        const n = inFleet.get(`${r.name}/${id}`);
        if (n !== 1) throw new Error(`${r.name}/${id} is in PostgreSQL ${n ?? 0} times`);
      }
      total += r.acknowledged.length;
    }
    // Nothing that was not acknowledged, nothing twice.
    expect(rows.length).toBe(total);
    // Enough traffic that the outages fell mid-stream (the rate itself depends on the machine's load).
    expect(total).toBeGreaterThan(ROBOTS * 100);
  });
});
