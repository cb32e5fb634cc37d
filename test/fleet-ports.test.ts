import { describe, expect, it } from "vitest";
import { ActionLogStore } from "../src/core/actionlog/ActionLogStore.js";
import type { OutcomeLogPort } from "../src/core/actionlog/OutcomeLogPort.js";
import { SqliteEpisodeStore } from "../src/core/memory/sqlite/SqliteEpisodeStore.js";
import type { EpisodeStorePort } from "../src/core/memory/EpisodeStorePort.js";
import type { FleetStore } from "../src/core/fleet/FleetStore.js";
import { PostgresFleetStore } from "../src/stores/postgres/PostgresFleetStore.js";
import { tempDb } from "./fixtures/actionlog/helpers.js";

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
});
