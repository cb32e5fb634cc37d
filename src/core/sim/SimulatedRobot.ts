import { createPrng } from "../hdc/prng.js";
import { millisToTime, timeToMillis } from "../time.js";
import { ActionEventConstants, type ActionEvent } from "../interfaces/messages.generated.js";

/**
 * A robot's day as the executive would publish it: navigate, pick, place,
 * handover and open_door actions, mostly succeeding, some failing or aborting
 * with the reasons real robots give. Deterministic for a seed, so demos, tests and
 * benchmarks see the same day.
 */

export interface SimulatedDayOptions {
  readonly seed?: number;
  readonly robotId?: string;
  /** Start of the day, ms since the epoch (default: today 07:00 UTC). Ignored when endMs is given. */
  readonly startMs?: number;
  /**
   * End of the day: the whole day is shifted so its last event happens at this time. A live
   * demo passes Date.now(), so no event is stamped in the future (the action log rejects those).
   */
  readonly endMs?: number;
  /** Number of actions (default 120: about a working day). */
  readonly actions?: number;
  /** Chance that an action ends in FAILED (default 0.12) or ABORTED (default 0.04). */
  readonly failureRate?: number;
  readonly abortRate?: number;
}

export const LOCATIONS = ["kitchen", "living room", "hallway", "office", "lab", "bedroom", "charging dock"] as const;
export const OBJECTS = ["cup", "mug", "plate", "book", "water bottle", "keys", "remote", "apple", "medicine box", "toolbox", "laptop", "towel"] as const;
export const PEOPLE = ["Alice", "Bob", "Chen", "Dana"] as const;
export const DOORS = ["kitchen door", "office door", "lab door", "front door"] as const;

const FAILURE_REASONS: Record<string, readonly string[]> = {
  navigate: ["path blocked by a chair", "localization lost near the doorway", "goal unreachable"],
  pick: ["gripper slipped", "object not found at the expected pose", "grasp planning failed", "object too heavy"],
  place: ["no free space on the surface", "object fell while placing", "surface not detected"],
  handover: ["person walked away", "person did not take the object within 10 s", "handover pose unreachable"],
  open_door: ["door handle out of reach", "door is locked", "not enough force to open"],
};
const ABORT_REASONS = ["battery low", "emergency stop pressed", "operator cancelled the mission", "higher-priority task arrived"];

const DURATION_S: Record<string, readonly [number, number]> = {
  navigate: [8, 60], pick: [4, 20], place: [3, 12], handover: [5, 25], open_door: [6, 18],
};

interface PlannedAction {
  readonly action: string;
  readonly object: string;
  readonly location: string;
}

function headerAt(ms: number): ActionEvent["header"] {
  return { stamp: millisToTime(ms), frame_id: "" };
}

export function defaultDayStart(now = Date.now()): number {
  const day = new Date(now);
  return Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), 7, 0, 0);
}

/** One day of events, sorted by time: STARTED, maybe PROGRESS, then the end event per action. */
export function simulateDay(options: SimulatedDayOptions = {}): ActionEvent[] {
  const next = createPrng(options.seed ?? 42, 7);
  const uniform = () => next() / 4294967296;
  const pick = <T>(items: readonly T[]): T => items[Math.floor(uniform() * items.length)]!;
  const robotId = options.robotId ?? "robot1";
  const failureRate = options.failureRate ?? 0.12;
  const abortRate = options.abortRate ?? 0.04;
  const count = options.actions ?? 120;
  let clock = options.startMs ?? defaultDayStart();
  let here: string = "charging dock";
  const events: ActionEvent[] = [];

  const plan = (): PlannedAction[] => {
    const object = pick(OBJECTS);
    const from = pick(LOCATIONS.filter((l) => l !== "charging dock"));
    const to = pick(LOCATIONS.filter((l) => l !== from && l !== "charging dock"));
    const errand: PlannedAction[] = [];
    if (uniform() < 0.25) errand.push({ action: "open_door", object: pick(DOORS), location: here });
    errand.push({ action: "navigate", object: "", location: from });
    errand.push({ action: "pick", object, location: from });
    errand.push({ action: "navigate", object: "", location: to });
    errand.push(uniform() < 0.4 ? { action: "handover", object, location: `${to} (to ${pick(PEOPLE)})` } : { action: "place", object, location: to });
    return errand;
  };

  let index = 0;
  while (index < count) {
    for (const step of plan()) {
      if (index >= count) break;
      const actionId = `${robotId}-${String(index).padStart(5, "0")}`;
      const base = { robot_id: robotId, action_id: actionId, action: step.action, object: step.object, location: step.location };
      const [lo, hi] = DURATION_S[step.action]!;
      const durationMs = Math.round((lo + uniform() * (hi - lo)) * 1000);
      events.push({ ...base, header: headerAt(clock), status: ActionEventConstants.STATUS_STARTED, progress: 0, detail: "" });
      if (durationMs > 15_000) {
        events.push({ ...base, header: headerAt(clock + durationMs / 2), status: ActionEventConstants.STATUS_PROGRESS, progress: 0.5, detail: "halfway" });
      }
      const roll = uniform();
      const status =
        roll < abortRate ? ActionEventConstants.STATUS_ABORTED : roll < abortRate + failureRate ? ActionEventConstants.STATUS_FAILED : ActionEventConstants.STATUS_SUCCEEDED;
      const detail =
        status === ActionEventConstants.STATUS_FAILED ? pick(FAILURE_REASONS[step.action]!) : status === ActionEventConstants.STATUS_ABORTED ? pick(ABORT_REASONS) : "";
      clock += durationMs;
      events.push({ ...base, header: headerAt(clock), status, progress: status === ActionEventConstants.STATUS_SUCCEEDED ? 1 : 0, detail });
      if (step.action === "navigate" && status === ActionEventConstants.STATUS_SUCCEEDED) here = step.location;
      clock += Math.round((5 + uniform() * 120) * 1000);
      index++;
      if (status !== ActionEventConstants.STATUS_SUCCEEDED) break;
    }
  }
  return options.endMs === undefined ? events : shiftToEndAt(events, options.endMs);
}

function shiftToEndAt(events: ActionEvent[], endMs: number): ActionEvent[] {
  const last = events.at(-1);
  if (!last) return events;
  const offset = endMs - timeToMillis(last.header.stamp);
  return events.map((event) => ({ ...event, header: headerAt(Math.round(timeToMillis(event.header.stamp) + offset)) }));
}
