import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ActionLog } from "../src/core/actionlog/ActionLog.js";
import { ActionLogStore } from "../src/core/actionlog/sqlite/ActionLogStore.js";
import type { OutcomeLogPort } from "../src/core/actionlog/OutcomeLogPort.js";
import { SqliteEpisodeStore } from "../src/core/memory/sqlite/SqliteEpisodeStore.js";
import type { EpisodeStorePort } from "../src/core/memory/EpisodeStorePort.js";
import type { FleetStore } from "../src/core/fleet/FleetStore.js";
import { PostgresFleetStore } from "../src/stores/postgres/PostgresFleetStore.js";
import { ev, manualSchedule, T0, tempDb } from "./fixtures/actionlog/helpers.js";

// The ports are checked by the compiler (npm run typecheck): these assignments fail to compile
// as soon as a store and its port drift apart. The test bodies check the stores answer through them.
describe("store ports", () => {
  it("the SQLite outcome log satisfies OutcomeLogPort", () => {
    const store: OutcomeLogPort = new ActionLogStore({ path: tempDb() });
    expect(store.countOutcomes()).toBe(0);
    expect(store.lookupClosed("r1", "a1")).toBeUndefined();
    store.close();
  });

  it("the SQLite episode store satisfies EpisodeStorePort", () => {
    const store: EpisodeStorePort = new SqliteEpisodeStore(tempDb("memory.db"), { dimensions: 1024, seed: 1, encoder: "ngram", simhash: "structured", code_bits: 256, format: 1 });
    expect(store.count()).toBe(0);
    expect([...store.loadAll()]).toEqual([]);
    store.close();
  });

  it("the PostgreSQL store satisfies FleetStore without connecting", async () => {
    const store: FleetStore = new PostgresFleetStore({ url: "postgresql://nobody@127.0.0.1:1/none" });
    await store.close();
  });

  it("the action log works on the store it is given, and its core builds no SQLite store itself", () => {
    const given = new ActionLogStore({ path: tempDb() });
    let commits = 0;
    const port: OutcomeLogPort = Object.assign(Object.create(given) as ActionLogStore, {
      commit: (...args: Parameters<ActionLogStore["commit"]>) => {
        commits++;
        return given.commit(...args);
      },
    });
    const log = new ActionLog({ store: port, schedule: manualSchedule });
    expect(log.store).toBe(port);
    log.ingest(ev({ action_id: "a1", t: T0 }));
    log.ingest(ev({ action_id: "a1", status: "SUCCEEDED", t: T0 + 1 }));
    log.flush();
    expect(commits).toBeGreaterThan(0);
    expect(given.countOutcomes()).toBe(1);
    log.close();
    // The SQLite code lives in src/core/actionlog/sqlite/; the rest of the action log's core only knows the port.
    const core = readdirSync("src/core/actionlog").filter((f) => f.endsWith(".ts"));
    for (const file of core) expect(readFileSync(`src/core/actionlog/${file}`, "utf8"), file).not.toMatch(/better-sqlite3|^import (?!type )[^;]*from "\.\/sqlite\/|new ActionLogStore/m);
  });
});
