/**
 * Several days of several robots as the action log would deliver them: every simulated action's
 * STARTED and end event paired into an ActionOutcome (with its start, end, duration and reason).
 * Each working day has a morning and an afternoon session with a lunch break between, in local
 * time of the given zone, so questions like "yesterday after lunch" have real answers.
 */
import type { ActionEvent, ActionOutcome } from "../interfaces/messages.generated.js";
import { timeToSeconds } from "../time.js";
import { zonedToEpoch, localParts } from "../memory/ask/zonedTime.js";
import { simulateDay } from "./SimulatedRobot.js";

export interface SimulatedDaysOptions {
  /** Days, ending with the day holding `endS` (default 3). */
  readonly days?: number;
  readonly robots?: readonly string[];
  /** The last simulated moment (seconds since the epoch); sessions after it are cut. */
  readonly endS: number;
  /** Zone the working day is laid out in (default UTC). */
  readonly timeZone?: string;
  /** Actions per session (default 45: ~75 minutes). */
  readonly actionsPerSession?: number;
  readonly seed?: number;
}

/** Local session starts: 08:30 and 14:00 (lunch is 12-13 at the latest). */
const SESSIONS: readonly [number, number][] = [[8, 30], [14, 0]];

export function simulateOutcomes(options: SimulatedDaysOptions): ActionOutcome[] {
  const zone = options.timeZone ?? "UTC";
  const days = options.days ?? 3;
  const robots = options.robots ?? ["robot1", "robot2"];
  const today = localParts(options.endS, zone);
  const outcomes: ActionOutcome[] = [];
  for (let d = days - 1; d >= 0; d--) {
    for (const [s, [hour, minute]] of SESSIONS.entries()) {
      robots.forEach((robotId, r) => {
        const startMs = zonedToEpoch(today.year, today.month, today.day - d, hour, minute + r * 7, zone) * 1000;
        const events = simulateDay({ seed: (options.seed ?? 7) * 1000 + d * 10 + s * 3 + r, robotId, startMs, actions: options.actionsPerSession ?? 45 });
        // Action ids must be unique across sessions: prefix the session.
        for (const o of pairOutcomes(events)) {
          if (timeToSeconds(o.ended_at) > options.endS) continue;
          outcomes.push({ ...o, action_id: `d${days - 1 - d}s${s}-${o.action_id}` });
        }
      });
    }
  }
  return outcomes.sort((a, b) => timeToSeconds(a.ended_at) - timeToSeconds(b.ended_at));
}

/** STARTED + end event -> outcome (what action_log does, minus durability and timeouts). */
export function pairOutcomes(events: readonly ActionEvent[]): ActionOutcome[] {
  const started = new Map<string, ActionEvent>();
  const out: ActionOutcome[] = [];
  for (const e of events) {
    if (e.status === "STARTED") started.set(e.action_id, e);
    else if (e.status !== "PROGRESS") {
      const s = started.get(e.action_id);
      if (s === undefined) continue;
      started.delete(e.action_id);
      out.push({
        header: e.header,
        robot_id: e.robot_id,
        action_id: e.action_id,
        action: e.action,
        object: e.object,
        location: e.location,
        result: e.status,
        reason: e.detail,
        started_at: s.header.stamp,
        ended_at: e.header.stamp,
        duration_s: timeToSeconds(e.header.stamp) - timeToSeconds(s.header.stamp),
        progress_events: 0,
        flagged: false,
        flag_reason: "",
      });
    }
  }
  return out;
}
