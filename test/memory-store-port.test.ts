import { describe, expect, it } from "vitest";
import { NgramEmbedder } from "../src/core/embedding/index.js";
import { EpisodicMemory } from "../src/core/memory/EpisodicMemory.js";
import type { EpisodeStorePort, KeywordHit, MemoryIdentity, StoredEpisode } from "../src/core/memory/EpisodeStorePort.js";

/** A store kept in an array: shows the memory persists through the port alone, not through SQLite. */
class ArrayEpisodeStore implements EpisodeStorePort {
  readonly path = "array";
  readonly rows: StoredEpisode[] = [];
  identities: MemoryIdentity[] = [];
  append(items: readonly StoredEpisode[]): void {
    this.rows.push(...items);
  }
  count(): number {
    return this.rows.length;
  }
  loadAll(): Iterable<StoredEpisode> {
    return this.rows;
  }
  searchKeywords(terms: readonly string[], limit: number): KeywordHit[] {
    const words = terms.map((t) => t.toLowerCase());
    return this.rows.filter((r) => words.some((w) => r.episode.description.includes(w))).slice(0, limit).map((r) => ({ id: r.episode.id, bm25: -1 }));
  }
  forget(ids: readonly string[]): string[] {
    const gone = ids.filter((id) => this.rows.some((r) => r.episode.id === id));
    for (const id of gone) this.rows.splice(this.rows.findIndex((r) => r.episode.id === id), 1);
    return gone;
  }
  fileBytes(): number {
    return 0;
  }
  close(): void {}
}

const episode = (description: string, object: string) => ({
  stamp: { sec: 1_763_800_000, nanosec: 0 },
  robot_id: "r1", agent: "r1", action: "pick", object, location: "kitchen", result: "SUCCEEDED", description, source: "remember",
});

describe("EpisodicMemory over an injected store", () => {
  it("writes through the injected store, and restores from it at open, with its identity", async () => {
    const store = new ArrayEpisodeStore();
    const factory = (identity: MemoryIdentity) => {
      store.identities.push(identity);
      return store;
    };
    const embedder = new NgramEmbedder();
    const memory = await EpisodicMemory.open({ embedder, store: factory, dims: 1024, codeBits: 256, seed: 9 });
    await memory.remember([episode("picked up the red cup", "cup"), episode("picked up the blue plate", "plate")]);
    expect(store.count()).toBe(2);
    expect(store.identities[0]).toMatchObject({ dimensions: 1024, seed: 9, code_bits: 256, encoder: embedder.identity });

    const reopened = await EpisodicMemory.open({ embedder, store: factory, dims: 1024, codeBits: 256, seed: 9 });
    expect(reopened.size).toBe(2);
    const hit = await reopened.recall({ cue: { object: "plate" }, askRole: "location", k: 1 });
    expect(hit.hits[0]!.episode.description).toBe("picked up the blue plate");
    expect(reopened.searchKeywords(["cup"], 5).map((h) => h.id)).toEqual(["ep-1"]);
    expect(reopened.forget(["ep-1"])).toEqual(["ep-1"]);
    expect(store.count()).toBe(1);
  });
});
