import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GloveEmbedder, NgramEmbedder } from "../src/core/embedding/index.js";
import { equals, hammingAt, randomHypervector } from "../src/core/hdc/index.js";
import { EpisodeIndex } from "../src/core/memory/EpisodeIndex.js";
import { CodePrefilter } from "../src/core/memory/codePrefilter.js";
import {
  EpisodeBatcher,
  InvalidEpisodeError,
  InvalidQueryError,
  MemoryMismatchError,
  capacityFor,
  describeOutcome,
  type EpisodeInput,
} from "../src/core/memory/index.js";
import { createActionOutcome } from "../src/core/interfaces/messages.generated.js";
import { openSqliteMemory } from "../src/core/memory/sqlite/openSqliteMemory.js";

const glove = GloveEmbedder.load();
const T0 = 1_763_800_000; // 2025-11-22T08:26:40Z

function ep(partial: Partial<EpisodeInput> & { description: string }, secOffset = 0): EpisodeInput {
  return {
    stamp: { sec: T0 + secOffset, nanosec: 0 },
    robot_id: "r1",
    agent: "r1",
    action: "",
    object: "",
    location: "",
    result: "",
    source: "remember",
    ...partial,
  };
}

const STORY: EpisodeInput[] = [
  ep({ action: "pick", object: "cup", location: "kitchen", result: "FAILED", description: "r1 tried to pick the cup in the kitchen and failed because the gripper slipped" }, 0),
  ep({ action: "pick", object: "plate", location: "kitchen", result: "SUCCEEDED", description: "r1 picked up the plate in the kitchen" }, 60),
  ep({ action: "open", object: "door", location: "garage", result: "SUCCEEDED", description: "r1 opened the garage door" }, 120),
  ep({ robot_id: "r2", agent: "r2", action: "wipe", object: "table", location: "living room", result: "SUCCEEDED", description: "r2 wiped the table in the living room" }, 3600),
  ep({ robot_id: "r2", agent: "r2", action: "charge", object: "battery", location: "garage", result: "SUCCEEDED", description: "r2 charged its battery at the garage dock" }, 7200),
];

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "memory-test-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("EpisodicMemory queries", () => {
  it("free text finds the semantically nearest episode", async () => {
    const m = await openSqliteMemory({ embedder: glove });
    const stored = await m.remember(STORY);
    expect(stored.map((e) => e.id)).toEqual(["ep-1", "ep-2", "ep-3", "ep-4", "ep-5"]);
    const r = await m.recall({ text: "what happened with the cup?", k: 2 });
    expect(r.hits[0]!.episode.object).toBe("cup");
    // No word in common with its episode: "automobile" only relates through GloVe.
    const car = await m.recall({ text: "automobile entrance", k: 1 });
    expect(car.hits[0]!.episode.id).toBe("ep-3");
    expect(r.hits[0]!.score).toBeGreaterThan(r.hits[1]!.score);
    const charge = await m.recall({ text: "where did the robot recharge?", k: 1 });
    expect(charge.hits[0]!.episode.action).toBe("charge");
  });

  it("a partial cue answers the unknown role with a confidence", async () => {
    const m = await openSqliteMemory({ embedder: glove });
    await m.remember(STORY);
    const r = await m.recall({ cue: { action: "open", object: "door" }, askRole: "location" });
    expect(r.answer).toBe("garage");
    expect(r.abstained).toBe(false);
    expect(r.confidence).toBeGreaterThan(0.8);
    expect(r.hits[0]!.episode.id).toBe("ep-3");
    const failed = await m.recall({ cue: { action: "pick", result: "FAILED" }, askRole: "object" });
    expect(failed.answer).toBe("cup");
  });

  it("abstains on a cue nothing matches, and when the matches disagree", async () => {
    const m = await openSqliteMemory({ embedder: glove, threshold: 0.6 });
    await m.remember(STORY);
    const none = await m.recall({ cue: { object: "unicorn" }, askRole: "location" });
    expect(none.abstained).toBe(true);
    expect(none.answer).toBe("");
    // "pick" happened on a cup and on a plate: a 50/50 vote is below the threshold.
    const split = await m.recall({ cue: { action: "pick" }, askRole: "object" });
    expect(split.abstained).toBe(true);
    expect(split.explanation).toMatch(/cup \(1\)/);
    // A text query with no known word abstains instead of guessing.
    expect((await m.recall({ text: "zzqxv qqqzz" })).abstained).toBe(true);
  });

  it("filters by robot and time range", async () => {
    const m = await openSqliteMemory({ embedder: glove });
    await m.remember(STORY);
    const r2 = await m.recall({ text: "garage", robotId: "r2", k: 5 });
    expect(r2.hits.every((h) => h.episode.robot_id === "r2")).toBe(true);
    expect(r2.hits.map((h) => h.episode.id)).toContain("ep-5");
    const morning = await m.recall({ cue: { location: "kitchen" }, since: T0, until: T0 + 90, k: 5 });
    expect(new Set(morning.hits.map((h) => h.episode.id))).toEqual(new Set(["ep-1", "ep-2"]));
    const recent = await m.recall({ robotId: "r1", k: 2 });
    expect(recent.hits.map((h) => h.episode.id)).toEqual(["ep-3", "ep-2"]);
  });

  it("rejects malformed queries and episodes with clear errors", async () => {
    const m = await openSqliteMemory({ embedder: glove });
    await m.remember(STORY);
    await expect(m.recall({ text: "cup", k: 5000 })).rejects.toThrow(InvalidQueryError);
    await expect(m.recall({ cue: { object: "cup" }, askRole: "colour" as never })).rejects.toThrow(/ask_role/);
    await expect(m.recall({ text: "cup", since: 10, until: 5 })).rejects.toThrow(/since/);
    await expect(m.recall({})).rejects.toThrow(/query text, a cue role, or a filter/);
    await expect(m.remember([ep({ description: "", agent: "" })])).rejects.toThrow(InvalidEpisodeError);
    await expect(m.remember([{ ...ep({ description: "x" }), stamp: { sec: 1.5, nanosec: 0 } }])).rejects.toThrow(/stamp/);
    await expect(m.remember([{ ...ep({ description: "dup" }), id: "ep-1" }])).rejects.toThrow(/already exists/);
    expect(m.size).toBe(STORY.length);
  });

  it("prototype summaries never bundle more than the capacity, and decode the dominant result", async () => {
    const m = await openSqliteMemory({ embedder: glove, dims: 2048 });
    const capacity = capacityFor(2048);
    const n = capacity * 2 + 5;
    await m.remember(
      Array.from({ length: n }, (_, i) =>
        ep({ action: "pick", object: "cup", location: i % 4 === 0 ? "garage" : "kitchen", result: i % 5 === 0 ? "SUCCEEDED" : "FAILED", description: `attempt ${i} to pick the cup` }, i),
      ),
    );
    const s = m.summarize("pick", "cup");
    expect(s.episodes).toBe(n);
    expect(s.chunkSizes.every((c) => c <= capacity)).toBe(true);
    expect(s.chunkSizes.length).toBe(3);
    const topResult = Object.entries(s.decoded.result).sort((a, b) => b[1] - a[1])[0]![0];
    expect(topResult).toBe("FAILED");
    const topLocation = Object.entries(s.decoded.location).sort((a, b) => b[1] - a[1])[0]![0];
    expect(topLocation).toBe("kitchen");
  });

  it("turns an ActionOutcome into an episode with a readable description", () => {
    const o = { ...createActionOutcome(), robot_id: "r7", action: "pick_up", object: "red_cup", location: "kitchen", result: "FAILED", reason: "gripper slipped" };
    o.ended_at = { sec: 123, nanosec: 0 };
    const e = describeOutcome(o);
    expect(e.description).toBe("r7 tried to pick up the red cup in the kitchen and failed because gripper slipped");
    expect(e.stamp.sec).toBe(123);
    expect(e.action).toBe("pick_up");
  });
});

describe("cue candidates from posting lists", () => {
  it("ranks partial matches by the cue fillers they hold, and orders exact matches by the query text", async () => {
    const m = await openSqliteMemory({ embedder: glove });
    await m.remember(STORY);
    // No episode holds both; the pick episodes hold one filler each, the cup one also the location.
    const partial = await m.recall({ cue: { object: "cup", location: "garage" }, k: 3 });
    expect(partial.hits.map((h) => h.episode.object)).toContain("cup");
    expect(partial.hits.every((h) => h.episode.object === "cup" || h.episode.location === "garage")).toBe(true);
    // Unknown fillers: nothing holds them, so nothing is scored and the memory abstains.
    const none = await m.recall({ cue: { object: "trombone" }, askRole: "location" });
    expect(none.abstained).toBe(true);
    expect(none.hits).toEqual([]);
    // Both pick episodes match the cue; the text, not recency, decides which comes first.
    const byText = await m.recall({ cue: { action: "pick" }, text: "the cup that slipped", k: 2 });
    expect(byText.hits.map((h) => h.episode.object)).toEqual(["cup", "plate"]);
  });
});

describe("EpisodeIndex prefilter", () => {
  it("keeps exactly the `want` rows nearest by short code (counting select, ties by index)", () => {
    const unused = () => { throw new Error("the prefilter reads only the short codes"); };
    const index = new EpisodeIndex({ dims: 1024, codeBits: 64, embeddingDims: 2, initialCapacity: 16, encodeRow: unused });
    const e = { ...ep({ description: "x" }), id: "" };
    const codes = Array.from({ length: 500 }, (_, i) => randomHypervector(1024, 7, i));
    for (let i = 0; i < 500; i++) index.add({ ...e, id: `e${i}` }, codes[i]!, new Float32Array(2));
    const query = randomHypervector(1024, 7, 12345);
    const want = 37;
    const got = Array.from(index.prefilter(query, want));
    const brute = Array.from({ length: 500 }, (_, i) => ({ i, d: hammingAt(codes[i]!, 0, query, 0, 2) }))
      .sort((a, b) => a.d - b.d || a.i - b.i)
      .slice(0, want)
      .map((x) => x.i)
      .sort((a, b) => a - b);
    expect(got.sort((a, b) => a - b)).toEqual(brute);
  });

  it("256-bit codes go through the WebAssembly SIMD scan, grown in place, with the same rows as the scalar loop", () => {
    const unused = () => { throw new Error("the prefilter reads only the short codes"); };
    const index = new EpisodeIndex({ dims: 1024, codeBits: 256, embeddingDims: 2, initialCapacity: 16, encodeRow: unused });
    expect(index.codeSearch.usesSimd).toBe(true);
    const e = { ...ep({ description: "x" }), id: "" };
    const n = 3000; // from 16 rows the code memory grows 8 times
    const codes = Array.from({ length: n }, (_, i) => randomHypervector(1024, 11, i));
    for (let i = 0; i < n; i++) index.add({ ...e, id: `e${i}` }, codes[i]!, new Float32Array(2));
    const scalar = new CodePrefilter(8, { simd: false });
    expect(scalar.usesSimd).toBe(false);
    const flat = scalar.allocate(n);
    codes.forEach((c, i) => flat.set(c.subarray(0, 8), i * 8));
    const brute = (query: Uint32Array, want: number, keep: (i: number) => boolean) =>
      Array.from({ length: n }, (_, i) => ({ i, d: hammingAt(codes[i]!, 0, query, 0, 8) }))
        .filter((x) => keep(x.i))
        .sort((a, b) => a.d - b.d || a.i - b.i)
        .slice(0, want)
        .map((x) => x.i)
        .sort((a, b) => a - b);
    for (let q = 0; q < 5; q++) {
      const query = randomHypervector(1024, 13, q);
      const odd = (i: number) => i % 2 === 1;
      expect(Array.from(index.prefilter(query, 101))).toEqual(brute(query, 101, () => true));
      expect(Array.from(index.prefilter(query, 101, odd))).toEqual(brute(query, 101, odd));
      expect(Array.from(index.prefilter(query, 101, odd))).toEqual(Array.from(scalar.nearest(flat, n, query, 101, odd)));
    }
    // Fewer rows pass the filter than are wanted: exactly those rows, never a filtered-out one.
    const few = (i: number) => i % 1000 === 0;
    expect(Array.from(index.prefilter(randomHypervector(1024, 13, 99), 50, few))).toEqual([0, 1000, 2000]);
    expect(Array.from(scalar.nearest(flat, n, randomHypervector(1024, 13, 99), 50, few))).toEqual([0, 1000, 2000]);
  });

  it("the Hamming re-rank mode also finds the nearest description", async () => {
    const m = await openSqliteMemory({ embedder: glove, rerank: "hamming" });
    await m.remember(STORY);
    expect((await m.recall({ text: "what happened with the cup?", k: 1 })).hits[0]!.episode.object).toBe("cup");
  });
});

describe("EpisodeBatcher", () => {
  it("commits a burst in few remember() calls; a bad episode fails alone", async () => {
    const m = await openSqliteMemory({ embedder: glove, dims: 2048 });
    let calls = 0;
    const original = m.remember.bind(m);
    m.remember = async (inputs) => {
      calls++;
      return original(inputs);
    };
    const batcher = new EpisodeBatcher(m, { maxBatch: 100 });
    const good = Array.from({ length: 250 }, (_, i) => batcher.add(ep({ description: `burst ${i}`, object: "cup" }, i)));
    const bad = batcher.add({ ...ep({ description: "bad stamp" }), stamp: { sec: -1, nanosec: 0 } });
    const stored = await Promise.all(good);
    await expect(bad).rejects.toThrow(/stamp/);
    expect(new Set(stored.map((e) => e.id)).size).toBe(250);
    expect(m.size).toBe(250);
    // 3 batches of <= 100, then the batch holding the bad one retried one by one (51 more calls).
    expect(calls).toBeLessThan(60);
    await batcher.drain();
  });
});

describe("EpisodeBatcher pending ids", () => {
  it("reports an id as pending while queued and while its batch commits, and not after", async () => {
    const m = await openSqliteMemory({ embedder: glove, dims: 2048 });
    const original = m.remember.bind(m);
    let releaseCommit!: () => void;
    const commitStarted = new Promise<void>((started) => {
      m.remember = async (inputs) => {
        started();
        await new Promise<void>((resolve) => (releaseCommit = resolve));
        return original(inputs);
      };
    });
    const batcher = new EpisodeBatcher(m);
    const stored = batcher.add({ ...ep({ description: "a redelivered outcome" }), id: "outcome:r1/a-1" });
    expect(batcher.isPending("outcome:r1/a-1")).toBe(true);
    await commitStarted; // the batch has left the queue and is being committed
    expect(batcher.isPending("outcome:r1/a-1")).toBe(true);
    releaseCommit();
    await stored;
    expect(batcher.isPending("outcome:r1/a-1")).toBe(false);
    expect(m.has("outcome:r1/a-1")).toBe(true);
  });
});

describe("EpisodicMemory persistence", () => {
  it("reopening restores every episode with identical vectors, and they match a fresh encoding", async () => {
    const path = join(dir, "reopen.db");
    const a = await openSqliteMemory({ embedder: glove, dbPath: path });
    await a.remember(STORY);
    const before = STORY.map((_, i) => ({ text: a.index.textVector(i).slice(), vector: a.index.episodeVector(i).slice(), episode: a.index.episode(i) }));
    a.close();
    const b = await openSqliteMemory({ embedder: glove, dbPath: path });
    expect(b.size).toBe(STORY.length);
    const fresh = await openSqliteMemory({ embedder: glove });
    await fresh.remember(STORY);
    for (let i = 0; i < STORY.length; i++) {
      expect(b.index.episode(i)).toEqual(before[i]!.episode);
      expect(equals(b.index.textVector(i), before[i]!.text)).toBe(true);
      expect(equals(b.index.episodeVector(i), before[i]!.vector)).toBe(true);
      // Same seed, same encoder: a memory built elsewhere encodes to the same bits.
      expect(equals(fresh.index.episodeVector(i), before[i]!.vector)).toBe(true);
    }
    // New ids continue after the restored ones.
    const [next] = await b.remember([ep({ description: "r1 waved hello" })]);
    expect(next!.id).toBe("ep-6");
    expect((await b.recall({ cue: { action: "open", object: "door" }, askRole: "location" })).answer).toBe("garage");
    b.close();
  });

  it("keeps only the short code and the embedding per episode: <= 1,200 bytes in RAM, 256-bit text_hv and no episode_hv on disk", async () => {
    const path = join(dir, "compact.db");
    const m = await openSqliteMemory({ embedder: glove, dbPath: path });
    await m.remember(STORY);
    // 256-bit code + 300-dimensional float32 embedding + stamp, duration, robot and removed flag.
    expect(m.stats().bytesPerEpisodeInMemory).toBe(32 + glove.dimensions * 4 + 17);
    expect(m.stats().bytesPerEpisodeInMemory).toBeLessThanOrEqual(1_200);
    m.close();
    const db = new Database(path, { readonly: true });
    const sizes = db.prepare("SELECT length(text_hv) AS text, length(episode_hv) AS episode FROM episodes").all();
    db.close();
    expect(sizes).toEqual(STORY.map(() => ({ text: 32, episode: 0 })));
  });

  it("opens a file written with full text and episode hypervectors per row (the earlier layout)", async () => {
    const path = join(dir, "full-vectors.db");
    const fresh = await openSqliteMemory({ embedder: glove, dbPath: path });
    await fresh.remember(STORY);
    fresh.close();
    const db = new Database(path);
    const rows = db.prepare("SELECT seq, embedding FROM episodes").all() as { seq: number; embedding: Buffer }[];
    const encoder = (await openSqliteMemory({ embedder: glove })).encoder;
    for (const r of rows) {
      const text = encoder.encodeText(new Float32Array(new Uint8Array(r.embedding).buffer));
      db.prepare("UPDATE episodes SET text_hv = ?, episode_hv = zeroblob(1280) WHERE seq = ?").run(Buffer.from(text.buffer), r.seq);
    }
    db.close();
    const reopened = await openSqliteMemory({ embedder: glove, dbPath: path });
    expect(reopened.size).toBe(STORY.length);
    expect((await reopened.recall({ text: "what happened with the cup?", k: 1 })).hits[0]!.episode.object).toBe("cup");
    expect((await reopened.recall({ cue: { action: "open", object: "door" }, askRole: "location" })).answer).toBe("garage");
    reopened.close();
  });

  it("opening with another encoder or dimension fails with a clear error", async () => {
    const path = join(dir, "mismatch.db");
    (await openSqliteMemory({ embedder: glove, dbPath: path })).close();
    await expect(openSqliteMemory({ embedder: new NgramEmbedder(), dbPath: path })).rejects.toThrow(MemoryMismatchError);
    await expect(openSqliteMemory({ embedder: glove, dbPath: path, dims: 4096 })).rejects.toThrow(/dimensions=10240.*dimensions=4096/);
    await expect(openSqliteMemory({ embedder: glove, dbPath: path, seed: 9 })).rejects.toThrow(/seed/);
  });
});
