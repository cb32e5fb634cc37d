import type { ActionStats } from "../interfaces/messages.generated.js";
import type { ActionLogSnapshot } from "./ActionLog.js";

export interface HealthReport {
  readonly level: "ok" | "warn" | "error";
  readonly message: string;
  readonly values: Record<string, string | number | boolean>;
}

export interface HealthThresholds {
  /** Commit latency p99 above this is a warning (default 50 ms, the log's target). */
  readonly commitLatencyWarnMs: number;
}

/** Counters at the previous report, to turn totals into rates. */
export interface HealthBaseline {
  readonly atMs: number;
  readonly received: number;
  readonly rejected: number;
  readonly commitErrors: number;
  readonly dropped: number;
  readonly conflictingRepeats: number;
}

/**
 * Turns the log's counters into one diagnostics status: ingest rate, refusals by
 * reason, conflicting repeats, queue drops, commit latency. Warns on new refusals,
 * conflicting repeats, drops or slow commits;
 * errors when a commit failed since the last report (outcomes are then held back).
 */
export function ingestHealth(
  snapshot: ActionLogSnapshot,
  dropped: number,
  previous: HealthBaseline,
  nowMs: number,
  thresholds: HealthThresholds = { commitLatencyWarnMs: 50 },
): { report: HealthReport; baseline: HealthBaseline } {
  const c = snapshot.counters;
  const elapsedS = Math.max(1e-3, (nowMs - previous.atMs) / 1000);
  const values: Record<string, string | number | boolean> = {
    ingest_rate_per_s: (c.received - previous.received) / elapsedS,
    received: c.received,
    accepted: c.accepted,
    duplicates: c.duplicates,
    conflicting_repeats: c.conflictingRepeats,
    rejected: snapshot.rejectedTotal,
    queue_dropped: dropped,
    outcomes: c.outcomes,
    open_actions: snapshot.openActions,
    pending_events: snapshot.pendingEvents,
    commits: c.commits,
    commit_errors: c.commitErrors,
    commit_latency_p50_ms: snapshot.commitLatencyP50Ms,
    commit_latency_p99_ms: snapshot.commitLatencyP99Ms,
    commit_latency_max_ms: snapshot.commitLatencyMaxMs,
    replayed_at_start: c.replayed,
  };
  for (const [reason, n] of Object.entries(c.rejected)) if (n) values[`rejected.${reason}`] = n;
  for (const [reason, n] of Object.entries(c.flagged)) if (n) values[`flagged.${reason}`] = n;
  const problems: string[] = [];
  let level: HealthReport["level"] = "ok";
  if (c.commitErrors > previous.commitErrors) {
    level = "error";
    problems.push(`${c.commitErrors - previous.commitErrors} commits failed (outcomes held back until one succeeds)`);
  }
  const newRejects = snapshot.rejectedTotal - previous.rejected;
  if (newRejects > 0) problems.push(`${newRejects} events rejected`);
  const newConflicts = c.conflictingRepeats - previous.conflictingRepeats;
  if (newConflicts > 0) problems.push(`${newConflicts} conflicting repeat${newConflicts === 1 ? "" : "s"} (same action, status and stamp as a kept event, other content; first version kept)`);
  if (dropped > previous.dropped) problems.push(`${dropped - previous.dropped} events dropped by a full subscription queue (raise queue_depth)`);
  if (snapshot.commitLatencyP99Ms > thresholds.commitLatencyWarnMs) problems.push(`commit latency p99 ${snapshot.commitLatencyP99Ms.toFixed(1)} ms`);
  if (level === "ok" && problems.length) level = "warn";
  return {
    report: { level, message: problems.length ? problems.join("; ") : "ingesting", values },
    baseline: { atMs: nowMs, received: c.received, rejected: snapshot.rejectedTotal, commitErrors: c.commitErrors, dropped, conflictingRepeats: c.conflictingRepeats },
  };
}

/** The rolling-window outcome figures as a diagnostics status. */
export function outcomesHealth(stats: readonly ActionStats[], windowS: number): HealthReport {
  const all = stats[0];
  if (!all || all.count === 0) return { level: "ok", message: `no outcomes in the last ${windowS} s`, values: { window_s: windowS, count: 0 } };
  return {
    level: "ok",
    message: `${all.count} outcomes in the last ${windowS} s, ${(all.success_rate * 100).toFixed(1)}% succeeded`,
    values: {
      window_s: windowS,
      count: all.count,
      succeeded: all.succeeded,
      failed: all.failed,
      aborted: all.aborted,
      canceled: all.canceled,
      timeout: all.timeout,
      success_rate: all.success_rate,
      duration_p50_s: all.duration_p50_s,
      duration_p90_s: all.duration_p90_s,
      duration_p99_s: all.duration_p99_s,
    },
  };
}
