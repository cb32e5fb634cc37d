/**
 * A question suite with known answers, generated from simulated outcomes (simulateOutcomes): for
 * each kind Ask answers (time, duration, count, yes_no, entity, episodes) questions worded as people
 * ask them, some with near synonyms ("flask" for the water bottle), and questions about things the
 * memory never saw, which it should abstain on. Answers are computed here from the outcomes alone,
 * with the semantics docs/memory.md states ("did you" = succeeded unless it says "try" or "fail").
 */
import type { ActionOutcome } from "../interfaces/messages.generated.js";
import { createPrng } from "../hdc/prng.js";
import { timeToSeconds } from "../time.js";
import { startOfLocalDay } from "../memory/ask/zonedTime.js";

export type SuiteKind = "time" | "duration" | "count" | "yes_no" | "entity" | "episodes";

export interface SuiteQuestion {
  readonly question: string;
  readonly robotId: string;
  readonly kind: SuiteKind;
  /** False: the memory does not hold the answer; Ask should abstain. */
  readonly answerable: boolean;
  readonly expected: {
    readonly stamp?: number;
    readonly durationS?: number;
    readonly count?: number;
    readonly yes?: boolean;
    readonly entity?: string;
    /** episodes: the first episode must be one of these ids. */
    readonly episodeIds?: readonly string[];
  };
}

export const episodeIdOf = (o: ActionOutcome) => `outcome:${o.robot_id}/${o.action_id}`;

const FAILED = new Set(["FAILED", "ABORTED", "TIMEOUT", "CANCELED"]);
const SYNONYMS: Record<string, readonly string[]> = {
  "water bottle": ["flask", "bottle"], keys: ["key"], "medicine box": ["medication", "pills"], laptop: ["computer"], book: ["novel"],
  "living room": ["lounge"], hallway: ["corridor"], office: ["study"], lab: ["laboratory"], remote: ["controller"], toolbox: ["tools"],
};
const UNKNOWN_OBJECTS = ["umbrella", "guitar", "passport", "violin", "telescope", "stapler", "scissors", "helmet"];
const UNKNOWN_PEOPLE = ["Zoe", "Oscar", "Priya"];
const UNKNOWN_PLACES = ["garage", "attic", "basement"];

const place = (o: ActionOutcome) => o.location.replace(/\s*\(.*\)\s*/, "").trim();
const person = (o: ActionOutcome) => /\(to ([A-Za-z]+)\)/.exec(o.location)?.[1] ?? "";
const end = (o: ActionOutcome) => timeToSeconds(o.ended_at);

export function generateQuestionSuite(outcomes: readonly ActionOutcome[], nowS: number, timeZone: string, count = 240, seed = 11): SuiteQuestion[] {
  const next = createPrng(seed, 5);
  const u = () => next() / 4294967296;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(u() * xs.length)]!;
  const robots = [...new Set(outcomes.map((o) => o.robot_id))];
  const day = (offset: number): [number, number] => [startOfLocalDay(nowS, timeZone, offset), startOfLocalDay(nowS, timeZone, offset + 1)];
  const DAYS: [string, [number, number]][] = [["today", day(0)], ["yesterday", day(-1)], ["the day before yesterday", day(-2)]];
  const name = (filler: string) => (u() < 0.25 && SYNONYMS[filler] ? pick(SYNONYMS[filler]!) : filler);
  const of = (robot: string, f: (o: ActionOutcome) => boolean) => outcomes.filter((o) => o.robot_id === robot && f(o)).sort((a, b) => end(a) - end(b));
  const ok = (o: ActionOutcome) => o.result === "SUCCEEDED";
  const inWindow = (w: [number, number]) => (o: ActionOutcome) => end(o) >= w[0] && end(o) < w[1];
  const questions: SuiteQuestion[] = [];
  const add = (q: SuiteQuestion) => {
    if (!questions.some((x) => x.question === q.question && x.robotId === q.robotId)) questions.push(q);
  };
  const perKind = Math.ceil(count / 7);
  const objectsOf = (robot: string, action: string) => [...new Set(of(robot, (o) => o.action === action).map((o) => o.object))];

  const makers: Record<SuiteKind, () => void> = {
    time: () => {
      const robot = pick(robots);
      const object = pick(objectsOf(robot, "pick"));
      const form = Math.floor(u() * 3);
      if (form === 0) {
        const hit = of(robot, (o) => o.action === "pick" && o.object === object && ok(o)).at(-1);
        if (hit) add({ question: `When did you last pick up the ${name(object)}?`, robotId: robot, kind: "time", answerable: true, expected: { stamp: end(hit) } });
      } else if (form === 1) {
        const [label, w] = pick(DAYS);
        const door = pick(objectsOf(robot, "open_door"));
        const hit = of(robot, (o) => o.action === "open_door" && o.object === door && ok(o) && inWindow(w)(o))[0];
        if (hit) add({ question: `When did you first open the ${door} ${label}?`, robotId: robot, kind: "time", answerable: true, expected: { stamp: end(hit) } });
      } else {
        const hit = of(robot, (o) => o.action === "pick" && o.object === object && FAILED.has(o.result)).at(-1);
        if (hit) add({ question: `When did you last fail to pick up the ${name(object)}?`, robotId: robot, kind: "time", answerable: true, expected: { stamp: end(hit) } });
      }
    },
    duration: () => {
      const robot = pick(robots);
      if (u() < 0.5) {
        const object = pick(objectsOf(robot, "pick"));
        const hit = of(robot, (o) => o.action === "pick" && o.object === object && ok(o)).at(-1);
        if (hit) add({ question: `How long did it take to pick up the ${name(object)} the last time?`, robotId: robot, kind: "duration", answerable: true, expected: { durationS: hit.duration_s } });
      } else {
        const [label, w] = pick(DAYS);
        const loc = pick([...new Set(of(robot, (o) => o.action === "navigate").map(place))]);
        const hit = of(robot, (o) => o.action === "navigate" && place(o) === loc && ok(o) && inWindow(w)(o))[0];
        if (hit) add({ question: `How long did it take you to go to the ${name(loc)} the first time ${label}?`, robotId: robot, kind: "duration", answerable: true, expected: { durationS: hit.duration_s } });
      }
    },
    count: () => {
      const robot = pick(robots);
      const [label, w] = pick(DAYS);
      const form = Math.floor(u() * 3);
      if (form === 0) {
        const object = pick(objectsOf(robot, "pick"));
        const n = of(robot, (o) => o.action === "pick" && o.object === object && ok(o) && inWindow(w)(o)).length;
        add({ question: `How many times did you pick up the ${name(object)} ${label}?`, robotId: robot, kind: "count", answerable: true, expected: { count: n } });
      } else if (form === 1) {
        const n = of(robot, (o) => o.action === "pick" && FAILED.has(o.result) && inWindow(w)(o)).length;
        add({ question: `How many times did you fail to pick something up ${label}?`, robotId: robot, kind: "count", answerable: true, expected: { count: n } });
      } else {
        const door = pick(objectsOf(robot, "open_door"));
        const n = of(robot, (o) => o.action === "open_door" && o.object === door).length;
        add({ question: `How many times did you try to open the ${door}?`, robotId: robot, kind: "count", answerable: true, expected: { count: n } });
      }
    },
    yes_no: () => {
      const robot = pick(robots);
      const [label, w] = pick(DAYS);
      if (u() < 0.6) {
        const object = pick(objectsOf(robot, "pick"));
        const yes = of(robot, (o) => o.action === "pick" && o.object === object && ok(o) && inWindow(w)(o)).length > 0;
        add({ question: `Did you pick up the ${name(object)} ${label}?`, robotId: robot, kind: "yes_no", answerable: true, expected: { yes } });
      } else {
        const door = pick(objectsOf(robot, "open_door"));
        const yes = of(robot, (o) => o.action === "open_door" && o.object === door && FAILED.has(o.result) && inWindow(w)(o)).length > 0;
        add({ question: `Did you fail to open the ${door} ${label}?`, robotId: robot, kind: "yes_no", answerable: true, expected: { yes } });
      }
    },
    entity: () => {
      const robot = pick(robots);
      const form = Math.floor(u() * 4);
      const object = pick(objectsOf(robot, form === 1 ? "handover" : form === 3 ? "place" : "pick"));
      if (form === 0) {
        const hit = of(robot, (o) => o.action === "pick" && o.object === object && ok(o)).at(-1);
        if (hit) add({ question: `Where did you pick up the ${name(object)} in the end?`, robotId: robot, kind: "entity", answerable: true, expected: { entity: place(hit) } });
      } else if (form === 1) {
        const hit = of(robot, (o) => o.action === "handover" && o.object === object && ok(o)).at(-1);
        if (hit) add({ question: `Who did you give the ${name(object)} to last?`, robotId: robot, kind: "entity", answerable: true, expected: { entity: person(hit) } });
      } else if (form === 2) {
        const hit = of(robot, (o) => o.action === "pick" && o.object === object && FAILED.has(o.result)).at(-1);
        if (hit) add({ question: `Why couldn't you pick up the ${name(object)}?`, robotId: robot, kind: "entity", answerable: true, expected: { entity: hit.reason } });
      } else {
        const hit = of(robot, (o) => o.action === "place" && o.object === object && ok(o)).at(-1);
        if (hit) add({ question: `Where did you put the ${name(object)} last?`, robotId: robot, kind: "entity", answerable: true, expected: { entity: place(hit) } });
      }
    },
    episodes: () => {
      const robot = pick(robots);
      const mine = of(robot, () => true);
      const form = u();
      if (form < 0.34) {
        // Words only the description holds: keyword and vector retrieval must find it.
        const failed = pick(mine.filter((o) => o.reason !== "" && o.result === "FAILED"));
        const ids = mine.filter((o) => o.reason === failed.reason).map(episodeIdOf);
        add({ question: `What happened when the ${failed.reason.replace(/^(the|a) /, "")}?`, robotId: robot, kind: "episodes", answerable: true, expected: { episodeIds: ids } });
      } else if (form < 0.67) {
        const [label, w] = pick(DAYS);
        const object = pick(objectsOf(robot, "pick"));
        const ids = mine.filter((o) => o.object === object && inWindow(w)(o)).map(episodeIdOf);
        if (ids.length > 0) add({ question: `What happened with the ${name(object)} ${label}?`, robotId: robot, kind: "episodes", answerable: true, expected: { episodeIds: ids } });
      } else {
        const object = pick(objectsOf(robot, "pick"));
        const anchor = mine.filter((o) => o.action === "pick" && o.object === object).at(-1);
        const after = anchor && mine.find((o) => end(o) > end(anchor));
        if (after) add({ question: `What did you do right after picking up the ${name(object)}?`, robotId: robot, kind: "episodes", answerable: true, expected: { episodeIds: [episodeIdOf(after)] } });
      }
    },
  };
  const unanswerable = () => {
    const robot = pick(robots);
    const thing = pick(UNKNOWN_OBJECTS);
    const forms: [SuiteKind, string][] = [
      ["time", `When did you last pick up the ${thing}?`],
      ["entity", `Where did you put the ${thing}?`],
      ["entity", `Who did you give the ${thing} to?`],
      ["duration", `How long did it take to pick up the ${thing}?`],
      ["episodes", `What happened with the ${thing}?`],
      ["yes_no", `Did you hand the ${thing} to ${pick(UNKNOWN_PEOPLE)}?`],
      ["count", `How many times did you go to the ${pick(UNKNOWN_PLACES)}?`],
      ["entity", `Why couldn't you open the ${pick(UNKNOWN_PLACES)} door?`],
    ];
    const [kind, question] = pick(forms);
    add({ question, robotId: robot, kind, answerable: false, expected: {} });
  };
  const answerable = (kind: SuiteKind) => questions.filter((q) => q.kind === kind && q.answerable).length;
  for (const kind of Object.keys(makers) as SuiteKind[]) {
    for (let tries = 0; tries < 500 && answerable(kind) < perKind; tries++) makers[kind]();
  }
  for (let tries = 0; tries < 500 && questions.filter((q) => !q.answerable).length < perKind; tries++) unanswerable();
  return questions;
}

/** Whether an answer is right for a suite question (abstaining is right exactly when unanswerable). */
export function isCorrect(
  q: SuiteQuestion,
  a: { abstained: boolean; stamp: number; durationS: number; count: number; yes: boolean; entity: string; episodeIds: readonly string[] },
): boolean {
  if (!q.answerable) return a.abstained;
  if (a.abstained) return false;
  const e = q.expected;
  switch (q.kind) {
    case "time":
      return Math.abs(a.stamp - e.stamp!) < 1;
    case "duration":
      return Math.abs(a.durationS - e.durationS!) < 0.5;
    case "count":
      return a.count === e.count;
    case "yes_no":
      return a.yes === e.yes;
    case "entity":
      return a.entity.toLowerCase() === e.entity!.toLowerCase();
    case "episodes":
      return a.episodeIds.length > 0 && e.episodeIds!.includes(a.episodeIds[0]!);
  }
}
