import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NgramEmbedder } from "../src/core/embedding/NgramEmbedder.js";
import { FleetAsk, stemOf } from "../src/core/fleet/FleetAsk.js";
import { withFleetFallback } from "../src/core/fleet/fleetServices.js";
import { Forwarder } from "../src/core/fleet/Forwarder.js";
import { EPISODES_SOURCE, Outbox } from "../src/core/fleet/Outbox.js";
import { createAskRequest, type AskRequest, type AskResponse } from "../src/core/interfaces/messages.generated.js";
import { askResponse } from "../src/core/memory/askRequests.js";
import { EpisodicMemory } from "../src/core/memory/EpisodicMemory.js";
import { PostgresFleetStore } from "../src/stores/postgres/PostgresFleetStore.js";
import { T0, tempDb } from "./fixtures/actionlog/helpers.js";
import { freshDatabase, testPostgresUrl } from "./fixtures/fleet/postgres.js";
import { openSqliteMemory } from "../src/core/memory/sqlite/openSqliteMemory.js";

const server = await testPostgresUrl();
const NOW_S = T0 + 3600;

describe("stems of question words", () => {
  it("reduces inflections to the start they share", () => {
    expect(["picked", "picking", "picks", "dropped", "plates", "carried", "batteries", "glass", "mug", "charger"].map(stemOf)).toEqual([
      "pick", "pick", "pick", "drop", "plate", "carry", "battery", "glass", "mug", "charger",
    ]);
  });
});

describe.skipIf(server === undefined)("~/ask across the fleet on a real PostgreSQL", () => {
  let db: { url: string; drop: () => Promise<void> };
  let store: PostgresFleetStore;
  let ask: FleetAsk;
  const memories: EpisodicMemory[] = [];

  beforeAll(async () => {
    db = await freshDatabase(server!);
    store = new PostgresFleetStore({ url: db.url });
    const embedder = new NgramEmbedder();
    // r1 picks mugs (one failure); r2 drops plates three times, r3 once; only r3 has been to the garage.
    const plan: Record<string, { action: string; object: string; location: string; result: string; description: string }[]> = {
      r1: [
        { action: "pick", object: "mug", location: "kitchen", result: "SUCCEEDED", description: "picked up the red mug in the kitchen" },
        { action: "pick", object: "mug", location: "kitchen", result: "FAILED", description: "could not pick up the red mug because it was wedged" },
        { action: "pick", object: "mug", location: "kitchen", result: "SUCCEEDED", description: "picked up the red mug in the kitchen" },
      ],
      r2: [0, 1, 2].map(() => ({ action: "drop", object: "plate", location: "dining_room", result: "FAILED", description: "dropped a plate because the gripper slipped" })),
      r3: [
        { action: "drop", object: "plate", location: "dining_room", result: "FAILED", description: "dropped a plate because the tray tilted" },
        { action: "place", object: "spare_charger", location: "garage", result: "SUCCEEDED", description: "put the spare charger on the garage shelf" },
      ],
    };
    let t = T0;
    for (const [robot, episodes] of Object.entries(plan)) {
      const path = tempDb("memory.db");
      const memory = await openSqliteMemory({ embedder, dbPath: path, dims: 1024, seed: 7, codeBits: 256 });
      const outbox = Outbox.attach(path, EPISODES_SOURCE);
      await memory.remember(episodes.map((e) => ({ ...e, stamp: { sec: (t += 60), nanosec: 0 }, robot_id: robot, agent: robot, source: "action_outcome" })));
      const forwarder = new Forwarder({ outbox, sink: store, origin: `host-${robot}` });
      while ((await forwarder.shipOnce()) > 0);
      outbox.close();
      memories.push(memory);
    }
    ask = new FleetAsk(store, { timeZone: "UTC", now: () => NOW_S });
  });
  afterAll(async () => {
    for (const m of memories) m.close();
    await store?.close();
    await db?.drop();
  });

  it("counts matching episodes of every robot, and of one robot when robot_id is given", async () => {
    const all = await ask.ask({ question: "How many times did you have trouble with a plate?" });
    expect(all).toMatchObject({ kind: "count", count: 4, abstained: false, confidence: 1 });
    expect(all.answer).toBe("Across the fleet: 4 times.");
    expect(all.episodes.map((e) => e.robot_id)).toEqual(["r3", "r2", "r2", "r2"]);
    expect((await ask.ask({ question: "How many times did you have trouble with a plate?", robotId: "r2" })).count).toBe(3);
    // No result stated: successes, as the robot's own ~/ask reads it.
    expect((await ask.ask({ question: "How many times did you drop a plate?" })).count).toBe(0);
    expect((await ask.ask({ question: "How many times did you pick up the mug?" })).count).toBe(2);
    expect((await ask.ask({ question: "How many times did you fail to pick up the mug?" })).count).toBe(1);
  });

  it("answers when, with the robot it was, and first or last", async () => {
    const last = await ask.ask({ question: "When did you last pick up the mug?" });
    expect(last).toMatchObject({ kind: "time", stamp: T0 + 180 });
    expect(last.answer).toMatch(/^r1: .*picked up the red mug in the kitchen\.$/);
    expect((await ask.ask({ question: "When did you first have trouble with a plate?" })).stamp).toBe(T0 + 240);
  });

  it("answers yes/no, and 'no, it failed' when only attempts match", async () => {
    expect(await ask.ask({ question: "Did you put the spare charger in the garage?" })).toMatchObject({ kind: "yes_no", yes: true, episodes: [{ robot_id: "r3" }] });
    const onlyFailed = await ask.ask({ question: "Did you pick up the mug?", robotId: "r1", since: T0 + 100, until: T0 + 150 });
    expect(onlyFailed).toMatchObject({ kind: "yes_no", yes: false });
    expect(onlyFailed.answer).toMatch(/^r1: No\. I tried/);
  });

  it("names the robot that drops plates most, and where the spare charger is", async () => {
    const who = await ask.ask({ question: "Which robot dropped plates most?" });
    expect(who).toMatchObject({ kind: "entity", entity: "r2", count: 3 });
    expect(who.answer).toBe("r2: 3 times.");
    const where = await ask.ask({ question: "Where is the spare charger?" });
    expect(where).toMatchObject({ kind: "entity", entity: "garage" });
  });

  it("lists what happened, newest first, and abstains on words no robot stored", async () => {
    const what = await ask.ask({ question: "What happened with the plates?" });
    expect(what.kind).toBe("episodes");
    expect(what.episodes[0]!.robot_id).toBe("r3");
    const unknown = await ask.ask({ question: "How many times did you water the orchids?" });
    expect(unknown).toMatchObject({ abstained: true, count: 0 });
    expect(unknown.answer).toMatch(/no robot remembers anything about "water", "orchid"/);
  });

  it("a robot without a connection answers from its own store and says so", async () => {
    const dead = new PostgresFleetStore({ url: "postgresql://postgres@127.0.0.1:1/none", connectTimeoutMs: 500 });
    const offline = new FleetAsk(dead, { timeZone: "UTC", now: () => NOW_S });
    const handler = withFleetFallback<AskRequest, AskResponse>(
      async (req) => askResponse(await offline.ask({ question: req.question })),
      () => "unused",
      () => ({ ...askResponse({ kind: "count", answer: "Twice.", count: 2, yes: false, stamp: 0, durationS: 0, entity: "", episodes: [], scores: [], confidence: 1, abstained: false, explanation: "2 matching episode(s)" }) }),
    );
    const answer = await handler({ ...createAskRequest(), question: "How many times did you drop a plate?", fleet: true });
    expect(answer).toMatchObject({ success: true, count: 2 });
    expect(answer.message).toMatch(/^fleet store unreachable \(.+\): answered from this robot's own store only\. 2 matching episode\(s\)$/);
    await dead.close();
  });
});
