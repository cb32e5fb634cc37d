import { describe, expect, it } from "vitest";
import { GloveEmbedder } from "../src/core/embedding/index.js";
import { AskEngine } from "../src/core/memory/ask/AskEngine.js";
import { parseQuestion } from "../src/core/memory/ask/parseQuestion.js";
import { parseTimeExpressions } from "../src/core/memory/ask/timeExpressions.js";
import { localParts, zonedToEpoch } from "../src/core/memory/ask/zonedTime.js";
import type { EpisodeInput } from "../src/core/memory/types.js";
import { buildSuiteMemory, runQuestionSuite } from "../bench/memoryQuestions.js";
import { openSqliteMemory } from "../src/core/memory/sqlite/openSqliteMemory.js";

const glove = GloveEmbedder.load();
const ZONE = "Europe/Berlin";
// Thursday 2025-11-20, 18:00 in Berlin (17:00 UTC).
const NOW = zonedToEpoch(2025, 11, 20, 18, 0, ZONE);
const at = (dayOffset: number, hour: number, minute = 0) => zonedToEpoch(2025, 11, 20 + dayOffset, hour, minute, ZONE);

function episode(t: number, action: string, object: string, location: string, result: string, reason = "", durationS = 10): EpisodeInput {
  const why = reason ? ` because ${reason}` : "";
  return {
    stamp: { sec: Math.round(t), nanosec: 0 }, robot_id: "robot1", agent: "robot1", action, object, location, result,
    description: `robot1 tried to ${action.replace("_", " ")} the ${object} in the ${location.replace(/\s*\(.*\)/, "")} and ${result.toLowerCase()}${why}`,
    source: "action_outcome", durationS,
  };
}

async function scriptedDay() {
  const memory = await openSqliteMemory({ embedder: glove });
  await memory.remember([
    { ...episode(at(-1, 9), "pick", "keys", "hallway", "FAILED", "object not found at the expected pose", 14), id: "keys-miss" },
    { ...episode(at(-1, 9, 5), "navigate", "", "kitchen", "SUCCEEDED", "", 31), id: "go-kitchen" },
    { ...episode(at(-1, 9, 10), "pick", "keys", "kitchen", "SUCCEEDED", "", 12.5), id: "keys-found" },
    { ...episode(at(-1, 9, 12), "handover", "keys", "kitchen (to Alice)", "SUCCEEDED", "", 8), id: "keys-alice" },
    { ...episode(at(-1, 19), "open_door", "front door", "hallway", "SUCCEEDED", "", 9), id: "door-ok" },
    { ...episode(at(0, 10), "open_door", "front door", "hallway", "FAILED", "door is locked", 11), id: "door-locked" },
    { ...episode(at(0, 14), "pick", "cup", "kitchen", "SUCCEEDED", "", 6), id: "cup-1" },
    { ...episode(at(0, 15), "pick", "cup", "office", "SUCCEEDED", "", 7), id: "cup-2" },
    { stamp: { sec: at(0, 16), nanosec: 0 }, robot_id: "robot1", agent: "operator", action: "", object: "", location: "", result: "", description: "I handed the passport to Ana at the front desk", source: "remember", id: "fact-ana" },
  ]);
  return { memory, engine: new AskEngine(memory, { timeZone: ZONE, threshold: 0.5, now: () => NOW }, (w) => glove.embedSync(w)) };
}

describe("question understanding", () => {
  it("reads time words in the robot's time zone", () => {
    const evening = parseTimeExpressions("what did you do yesterday evening?", NOW, ZONE).window!;
    expect(evening.since).toBe(at(-1, 17));
    expect(evening.until).toBe(at(-1, 22));
    expect(localParts(evening.since, ZONE).hour).toBe(17);
    const afterLunch = parseTimeExpressions("how many cups after lunch", NOW, ZONE).window!;
    expect([afterLunch.since, afterLunch.until]).toEqual([at(0, 13), at(0, 18)]);
    const three = parseTimeExpressions("what happened at 3 pm", NOW, ZONE).window!;
    expect([three.since, three.until]).toEqual([at(0, 14, 30), at(0, 16)]);
    const hour = parseTimeExpressions("anything in the last hour?", NOW, ZONE).window!;
    expect([hour.since, hour.until]).toEqual([NOW - 3600, NOW]);
    // The same words in another zone are another instant.
    expect(parseTimeExpressions("yesterday", NOW, "America/New_York").window!.since).not.toBe(parseTimeExpressions("yesterday", NOW, ZONE).window!.since);
  });

  it("reads kinds, result polarity and order without a model", () => {
    const p = (q: string) => parseQuestion(q, NOW, ZONE);
    expect(p("When did you last pick up the keys?")).toMatchObject({ kind: "time", order: "last", polarity: "succeeded" });
    expect(p("How long did it take to open the door?")).toMatchObject({ kind: "duration", terms: ["open", "door"] });
    expect(p("How many times did you mess up the handover?")).toMatchObject({ kind: "count", polarity: "failed" });
    expect(p("Why weren't you able to open the door?")).toMatchObject({ kind: "entity", wants: "reason", polarity: "failed" });
    expect(p("Did you give up on the cup?")).toMatchObject({ kind: "yes_no", polarity: "failed" });
    expect(p("Where did you find the keys in the end?")).toMatchObject({ kind: "entity", wants: "place", order: "last", polarity: "succeeded" });
    expect(p("When did you pick up the cup the second time?")).toMatchObject({ order: "first", nth: 2 });
    const after = p("What did you do right after you picked up the keys?");
    expect(after.relation?.which).toBe("after");
    expect(after.relation?.anchor.terms).toEqual(["picked", "keys"]);
  });
});

describe("~/ask answers from structure", () => {
  it("answers where something was found in the end with the later success, not the earlier failed search", async () => {
    const { engine } = await scriptedDay();
    const a = await engine.ask({ question: "Where did you find the keys in the end?" });
    expect(a).toMatchObject({ kind: "entity", entity: "kitchen", abstained: false });
    expect(a.episodes[0]!.id).toBe("keys-found");
  });

  it("answers why-couldn't with the failed episode's reason, not a successful one sharing words", async () => {
    const { engine } = await scriptedDay();
    const a = await engine.ask({ question: "Why couldn't you open the front door?" });
    expect(a).toMatchObject({ kind: "entity", entity: "door is locked" });
    expect(a.episodes[0]!.id).toBe("door-locked");
  });

  it("answers when, how long, how many and did-you from stamps, durations and results", async () => {
    const { engine } = await scriptedDay();
    const when = await engine.ask({ question: "When did you pick up the cup for the first time today?" });
    expect(when).toMatchObject({ kind: "time", stamp: at(0, 14) });
    expect(when.answer).toContain("Today at 2:00 pm");
    const long = await engine.ask({ question: "How long did it take to pick up the keys?" });
    expect(long).toMatchObject({ kind: "duration", durationS: 12.5 });
    const many = await engine.ask({ question: "How many cups did you pick up today?" });
    expect(many).toMatchObject({ kind: "count", count: 2 });
  });

  it("says no to a did-you whose only attempt failed, citing it", async () => {
    const { engine } = await scriptedDay();
    const a = await engine.ask({ question: "Did you open the front door today?" });
    expect(a).toMatchObject({ kind: "yes_no", yes: false, abstained: false });
    expect(a.episodes[0]!.id).toBe("door-locked");
    const y = await engine.ask({ question: "Did you open the front door yesterday evening?" });
    expect(y).toMatchObject({ yes: true });
    expect(y.episodes[0]!.id).toBe("door-ok");
  });

  it("finds the neighbour in time for before/after questions", async () => {
    const { engine } = await scriptedDay();
    const a = await engine.ask({ question: "What did you do right after you picked up the keys?" });
    expect(a.episodes[0]!.id).toBe("keys-alice");
    const b = await engine.ask({ question: "What did you do just before picking up the keys?" });
    expect(b.episodes[0]!.id).toBe("go-kitchen");
  });

  it("knows people named in episode text and in handover locations", async () => {
    const { engine } = await scriptedDay();
    expect(await engine.ask({ question: "Who did you give the keys to?" })).toMatchObject({ entity: "Alice" });
    const ana = await engine.ask({ question: "What happened with Ana?" });
    expect(ana.episodes[0]!.id).toBe("fact-ana");
  });

  it("abstains on things it never saw, and answers a near synonym", async () => {
    const { engine } = await scriptedDay();
    const never = await engine.ask({ question: "When did you last pick up the umbrella?" });
    expect(never).toMatchObject({ abstained: true });
    expect(never.answer).toContain("umbrella");
    expect(await engine.ask({ question: "How many times did you go to the basement?" })).toMatchObject({ abstained: true });
    const key = await engine.ask({ question: "When did you grab the key?" });
    expect(key).toMatchObject({ abstained: false, stamp: at(-1, 9, 10) });
  });

  it("abstains, with the reason, on times it cannot place or that leave no time between them", async () => {
    const { engine } = await scriptedDay();
    const far = await engine.ask({ question: "What did you do 200000000 days ago?" });
    expect(far).toMatchObject({ abstained: true });
    expect(far.answer).toMatch(/cannot place/);
    const empty = await engine.ask({ question: "What happened with the keys yesterday in the last hour?" });
    expect(empty).toMatchObject({ abstained: true, episodes: [] });
    expect(empty.answer).toMatch(/no time between them/);
    const clash = await engine.ask({ question: "What happened with the keys?", since: NOW - 60, until: NOW - 3600 * 30 + 60 });
    expect(clash.abstained).toBe(true);
  });
});

describe("the question suite", () => {
  it("answers >= 0.9 of every kind and abstains precisely on a 3-day, 2-robot log", async () => {
    const { memory, questions } = await buildSuiteMemory(glove);
    expect(questions.length).toBeGreaterThanOrEqual(200);
    const figures = await runQuestionSuite(memory, questions, glove);
    for (const kind of ["time", "duration", "count", "yes_no", "entity", "episodes"]) {
      expect(figures.per_kind_n[kind], kind).toBeGreaterThanOrEqual(20);
      expect(figures.accuracy[kind], `${kind}: ${figures.failures.join("\n")}`).toBeGreaterThanOrEqual(0.9);
    }
    expect(figures.abstention_precision).toBeGreaterThanOrEqual(0.9);
    memory.close();
  });
});
