import type { ActionStats } from "../interfaces/messages.generated.js";
import type { StatsRow } from "./logQueries.js";

export type StatsGrouping = "action_object" | "robot" | "all";
export const STATS_GROUPINGS: readonly StatsGrouping[] = ["action_object", "robot", "all"];

/**
 * Percentile by linear interpolation between closest ranks (the "R-7" rule that
 * numpy and spreadsheets use by default), over an ascending array.
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return 0;
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  const a = sorted[lo]!;
  return a + (sorted[hi]! - a) * (rank - lo);
}

interface Accumulator {
  stats: ActionStats;
  durations: number[];
}

/**
 * Groups outcome rows and computes counts per result, the success rate
 * (succeeded / count, timeouts included in the count: a hung action is a failure
 * to the user), and duration mean and percentiles over the outcomes that have a
 * real duration (a start and an end; timeouts and end-only outcomes are left out).
 */
export function computeStats(rows: Iterable<StatsRow>, groupBy: StatsGrouping): ActionStats[] {
  const groups = new Map<string, Accumulator>();
  for (const row of rows) {
    const robot = groupBy === "robot" ? row.robot_id : "";
    const action = groupBy === "action_object" ? row.action : "";
    const object = groupBy === "action_object" ? row.object : "";
    const key = `${robot}\u0000${action}\u0000${object}`;
    let acc = groups.get(key);
    if (!acc) {
      acc = {
        stats: {
          robot_id: robot, action, object, count: 0, succeeded: 0, failed: 0, aborted: 0, canceled: 0, timeout: 0,
          success_rate: 0, duration_mean_s: 0, duration_p50_s: 0, duration_p90_s: 0, duration_p99_s: 0,
        },
        durations: [],
      };
      groups.set(key, acc);
    }
    const s = acc.stats;
    s.count++;
    switch (row.result) {
      case "SUCCEEDED": s.succeeded++; break;
      case "FAILED": s.failed++; break;
      case "ABORTED": s.aborted++; break;
      case "CANCELED": s.canceled++; break;
      case "TIMEOUT": s.timeout++; break;
    }
    if (row.timed) acc.durations.push(row.duration_s);
  }
  const out: ActionStats[] = [];
  for (const { stats, durations } of groups.values()) {
    stats.success_rate = stats.count ? stats.succeeded / stats.count : 0;
    if (durations.length) {
      // A typed array sorts numerically without a comparator call per step: the diagnostics
      // run this once a second over up to 10,000 outcomes on the node's thread (5-17 ms with
      // Array#sort and a comparator, a stall that commits had to wait behind).
      const sorted = Float64Array.from(durations).sort();
      let sum = 0;
      for (let i = 0; i < sorted.length; i++) sum += sorted[i]!;
      stats.duration_mean_s = sum / sorted.length;
      stats.duration_p50_s = percentile(sorted, 50);
      stats.duration_p90_s = percentile(sorted, 90);
      stats.duration_p99_s = percentile(sorted, 99);
    }
    out.push(stats);
  }
  // Most frequent first: the rows a person asks about come on top.
  return out.sort((a, b) => b.count - a.count || a.robot_id.localeCompare(b.robot_id) || a.action.localeCompare(b.action) || a.object.localeCompare(b.object));
}
