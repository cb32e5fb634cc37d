import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { GloveEmbedder } from "../src/core/embedding/index.js";
import { AskEngine } from "../src/core/memory/ask/AskEngine.js";
import { createAskRequest, createForgetRequest, createRememberRequest } from "../src/core/interfaces/messages.generated.js";
import { startMemoryNode, type MemoryNode } from "../src/nodes/memory.js";
import { InProcessGraph } from "../src/ros/inprocess/InProcessGraph.js";
import { openSqliteMemory } from "../src/core/memory/sqlite/openSqliteMemory.js";

const glove = GloveEmbedder.load();
const dir = mkdtempSync(join(tmpdir(), "memory-forget-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SECRET = "Zanzibarquux";
const fact = (text: string, sec: number, id: string) => ({
  id, stamp: { sec, nanosec: 0 }, robot_id: "robot1", agent: "operator", action: "", object: "", location: "", result: "", description: text, source: "remember",
});

/** Every byte of the database and its side files, as text: what a disk image would show. */
function fileText(path: string): string {
  return ["", "-wal", "-shm", "-journal"].map((s) => (existsSync(path + s) ? readFileSync(path + s).toString("latin1") : "")).join("");
}

describe("forgetting", () => {
  it("removes episodes from RAM, the SQLite file, the WAL and every index, also after a restart", async () => {
    const path = join(dir, "forget.db");
    const memory = await openSqliteMemory({ embedder: glove, dbPath: path });
    const filler = Array.from({ length: 300 }, (_, i) => fact(`the robot wiped table number ${i} in the kitchen`, 1_763_000_000 + i, `keep-${i}`));
    await memory.remember([...filler.slice(0, 150), fact(`Ana told me her door code is ${SECRET} 4711`, 1_763_000_500, "secret"), ...filler.slice(150)]);
    memory.close();
    const reopened = await openSqliteMemory({ embedder: glove, dbPath: path });
    expect(fileText(path)).toContain(SECRET);

    expect(reopened.selectForForget({ textMatch: `${SECRET.toLowerCase()} code` })).toEqual(["secret"]);
    expect(reopened.selectForForget({ ids: ["secret", "nope"] })).toEqual(["secret"]);
    expect(reopened.forget(["secret"])).toEqual(["secret"]);

    expect(reopened.has("secret")).toBe(false);
    expect(reopened.size).toBe(300);
    expect(reopened.searchKeywords([SECRET], 10)).toEqual([]);
    const recalled = await reopened.recall({ text: `Ana door code ${SECRET}`, k: 50 });
    expect(recalled.hits.map((h) => h.episode.id)).not.toContain("secret");
    const ask = new AskEngine(reopened, { timeZone: "UTC", threshold: 0.5, now: () => 1_763_001_000 });
    const answer = await ask.ask({ question: "What did Ana tell you?" });
    expect(answer.episodes.map((e) => e.id)).not.toContain("secret");
    // Not in the file, its WAL, or the FTS5 index pages: secure_delete + FTS5 secure-delete + checkpoint.
    expect(fileText(path)).not.toContain(SECRET);
    expect(fileText(path)).not.toContain(SECRET.toLowerCase());
    reopened.close();

    const again = await openSqliteMemory({ embedder: glove, dbPath: path });
    expect(again.has("secret")).toBe(false);
    expect(again.size).toBe(300);
    expect((await again.recall({ text: "door code", k: 300 })).hits.map((h) => h.episode.id)).not.toContain("secret");
    again.close();
  });

  it("selects by robot and time range; every condition must hold", async () => {
    const memory = await openSqliteMemory({ embedder: glove });
    await memory.remember([
      { ...fact("robot one fetched the mail", 100, "a"), robot_id: "r1" },
      { ...fact("robot one fetched the keys", 200, "b"), robot_id: "r1" },
      { ...fact("robot two fetched the keys", 200, "c"), robot_id: "r2" },
    ]);
    expect(memory.selectForForget({ robotId: "r1", since: 150, until: 250 })).toEqual(["b"]);
    expect(memory.selectForForget({ textMatch: "keys" })).toEqual(["b", "c"]);
    expect(memory.selectForForget({ textMatch: "keys", robotId: "r2" })).toEqual(["c"]);
    memory.forget(["b"]);
    expect(memory.selectForForget({ textMatch: "keys" })).toEqual(["c"]);
    const recent = await memory.recall({ robotId: "r1", k: 5 });
    expect(recent.hits.map((h) => h.episode.id)).toEqual(["a"]);
    memory.close();
  });
});

describe("forgotten people", () => {
  it("are unknown to ~/ask afterwards, answered exactly as a name never stored", async () => {
    const memory = await openSqliteMemory({ embedder: glove });
    await memory.remember([fact("I handed the spare keys to Zelda in the lab", 100, "zelda"), fact("robot one fetched the mail", 200, "mail")]);
    const ask = new AskEngine(memory, { timeZone: "UTC", threshold: 0.5, now: () => 1_763_001_000 });
    const question = (name: string) => ask.ask({ question: `Did you give ${name} the keys?` });
    // Known: the name is not among the words the memory says it has never seen.
    expect((await question("Zelda")).answer).not.toContain('"zelda"');
    memory.forget(["zelda"]);
    const after = await question("Zelda");
    const never = await question("Quentin");
    expect(after.episodes).toEqual([]);
    expect(after.answer).toBe(never.answer.replaceAll("quentin", "zelda").replaceAll("Quentin", "Zelda"));
    expect(after.explanation).toBe(never.explanation.replaceAll("quentin", "zelda").replaceAll("Quentin", "Zelda"));
    memory.close();
  });
});

describe("text_match in any script", () => {
  it("matches every word, accents and non-Latin scripts included, instead of dropping the words it cannot spell", async () => {
    const memory = await openSqliteMemory({ embedder: glove });
    await memory.remember([
      fact("Ana 李娜 watered the plant", 100, "ana-li"),
      fact("Ana fed the cat", 200, "ana"),
      fact("Zoë dropped the cup", 300, "zoe"),
      fact("Mr O'Brien left a parcel", 400, "obrien"),
    ]);
    expect(memory.selectForForget({ textMatch: "Ana 李娜" })).toEqual(["ana-li"]);
    expect(memory.selectForForget({ textMatch: "李娜" })).toEqual(["ana-li"]);
    expect(memory.selectForForget({ textMatch: "Zoë" })).toEqual(["zoe"]);
    expect(memory.selectForForget({ textMatch: "O'Brien" })).toEqual(["obrien"]);
    memory.close();
  });
});

describe("memory node ~/ask and ~/forget", () => {
  let graph: InProcessGraph | undefined;
  let node: MemoryNode | undefined;
  afterEach(async () => {
    await node?.close();
    await graph?.shutdown();
  });

  it("serves typed answers and forgets on request, with a dry run first", async () => {
    graph = new InProcessGraph({ logLevel: "silent" });
    node = await startMemoryNode(graph, { parameterOverrides: { db_path: join(dir, "node.db"), time_zone: "UTC" } });
    const client = graph.createNode("tester");
    const remember = client.createClient("embodied_assistant/srv/Remember", "/memory/remember");
    const ask = client.createClient("embodied_assistant/srv/Ask", "/memory/ask");
    const forget = client.createClient("embodied_assistant/srv/Forget", "/memory/forget");
    const stored = await remember.call({ ...createRememberRequest(), text: "I handed the spare keys to Ana in the lab", agent: "robot1", object: "keys", location: "lab", action: "handover", result: "SUCCEEDED" });
    expect(stored.success).toBe(true);

    const where = await ask.call({ ...createAskRequest(), question: "Where did you hand over the keys?" });
    expect(where).toMatchObject({ success: true, kind: "entity", entity: "lab", abstained: false });
    expect(where.episodes[0]!.id).toBe(stored.episode_id);
    const empty = await ask.call({ ...createAskRequest(), question: "  " });
    expect(empty).toMatchObject({ success: false, abstained: true });

    const nothing = await forget.call(createForgetRequest());
    expect(nothing.success).toBe(false);
    const dry = await forget.call({ ...createForgetRequest(), text_match: "Ana keys", dry_run: true });
    expect(dry).toMatchObject({ success: true, count: 1, episode_ids: [stored.episode_id] });
    expect(node.memory!.has(stored.episode_id)).toBe(true);
    const done = await forget.call({ ...createForgetRequest(), text_match: "Ana keys" });
    expect(done).toMatchObject({ success: true, count: 1 });
    const after = await ask.call({ ...createAskRequest(), question: "Where did you hand over the keys?" });
    expect(after.episodes.map((e) => e.id)).not.toContain(stored.episode_id);
    expect(after.abstained).toBe(true);

    const bad = node.node.setParameters({ time_zone: "Mars/Olympus" });
    expect(bad.successful).toBe(false);
  });
});
