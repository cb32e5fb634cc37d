/**
 * Event streams for the action-log benchmark: several simulated robots' days
 * (src/core/sim), stamped in the past, interleaved in bursts the way a shared
 * topic sees them.
 */
import { simulateDay } from "../src/core/sim/SimulatedRobot.js";
import type { ActionEvent } from "../src/core/interfaces/messages.generated.js";

export interface StreamOptions {
  readonly robots: number;
  readonly actionsPerRobot: number;
  readonly seed: number;
  /** Prepended to robot ids, so streams of different runs never share an action. */
  readonly prefix?: string;
  /** Events per burst (default 500). */
  readonly burst?: number;
  /** Start of the simulated days (default 30 days ago, so no stamp is in the future). */
  readonly startMs?: number;
}

/** Yields bursts of events until the robots' days are done; generates lazily (1000 actions per chunk). */
export function* eventStream(options: StreamOptions): Generator<ActionEvent[]> {
  const burst = options.burst ?? 500;
  const startMs = options.startMs ?? Date.now() - 30 * 86_400_000;
  const chunkActions = Math.min(1000, options.actionsPerRobot);
  const chunks = Math.ceil(options.actionsPerRobot / chunkActions);
  let pending: ActionEvent[] = [];
  for (let c = 0; c < chunks; c++) {
    const days = Array.from({ length: options.robots }, (_, r) =>
      simulateDay({
        seed: options.seed * 7919 + r * 104729 + c,
        robotId: `${options.prefix ?? ""}robot${r}-c${c}`,
        actions: chunkActions,
        startMs: startMs + c * 60_000,
      }),
    );
    const longest = Math.max(...days.map((d) => d.length));
    for (let i = 0; i < longest; i++) {
      for (const day of days) {
        const event = day[i];
        if (!event) continue;
        pending.push(event);
        if (pending.length === burst) {
          yield pending;
          pending = [];
        }
      }
    }
  }
  if (pending.length) yield pending;
}

export function collectEvents(options: StreamOptions, limit: number): ActionEvent[] {
  const all: ActionEvent[] = [];
  for (const burst of eventStream(options)) {
    for (const e of burst) {
      if (all.length >= limit) return all;
      all.push(e);
    }
  }
  return all;
}
