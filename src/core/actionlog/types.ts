/**
 * Shared types of the action log: what validation, pairing, the store and the
 * orchestrator pass between them. Message shapes themselves come from the .msg
 * files (messages.generated.ts); these types only add what the log derives.
 */
import type { ActionEvent, ActionOutcome } from "../interfaces/messages.generated.js";

export type { ActionEvent, ActionOutcome };

/** Why an event was refused. Each reason has its own counter and its own log rate limit. */
export const REJECT_REASONS = [
  "malformed", // does not match the ActionEvent schema at all
  "oversized", // detail or an id/name field longer than the configured limit
  "missing_id", // robot_id or action_id empty
  "bad_id", // robot_id or action_id holds NUL or another C0 control character (a ROS 2 string cannot carry NUL: a bug on the robot)
  "missing_action", // a STARTED event without an action verb
  "bad_stamp", // header.stamp is zero, negative, or has nanosec >= 1e9: we cannot order or time it
  "unknown_status", // status is none of the STATUS_* constants
  "bad_progress", // a PROGRESS event whose progress is outside 0..1, or any progress outside float32's range
  "future_stamp", // stamped further ahead of the node's clock than max_future_s
  "conflicting_start", // a second, different STARTED for an action that is open
  "conflicting_end", // a second, different end for an action that is waiting for its start
  "after_close", // an event for an action whose outcome is already recorded (and not a repeat)
  "store_unavailable", // commits have been failing and max_pending_events are waiting: refuse rather than grow without bound
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

/** Semantic problems that still produce an outcome, marked flagged with this reason. */
export const FLAG_REASONS = [
  "end_without_start", // no STARTED arrived within the reorder window
  "end_before_start", // the end is stamped before the start; duration clamped to 0
  "progress_without_start", // only PROGRESS events, then a timeout
] as const;
export type FlagReason = (typeof FLAG_REASONS)[number];

export const END_STATUSES: ReadonlySet<string> = new Set(["SUCCEEDED", "FAILED", "ABORTED", "CANCELED"]);
export const ALL_STATUSES: ReadonlySet<string> = new Set(["STARTED", "PROGRESS", ...END_STATUSES]);
export const OUTCOME_RESULTS = ["SUCCEEDED", "FAILED", "ABORTED", "CANCELED", "TIMEOUT"] as const;
export type OutcomeResult = (typeof OUTCOME_RESULTS)[number];

/** A validated event as the log keeps it: the message plus where and when it arrived. */
export interface AcceptedEvent {
  /** Row id in the events table, assigned before the insert so pairing can refer to it. */
  readonly id: number;
  readonly event: ActionEvent;
  /** Node clock (ms since the epoch) when the event arrived. */
  readonly recvMs: number;
}

/**
 * An outcome before it is committed: the message minus its header (set at commit), its flags
 * typed. The message's `flagged` and `flag_reason` are made from them only where a message or a
 * stored row is built (flagFields).
 */
export type OutcomeDraft = Omit<ActionOutcome, "header" | "flagged" | "flag_reason"> & { readonly flags: readonly FlagReason[] };

/** The message fields of a draft's flags: `flag_reason` is the comma-separated list, in the order they were raised. */
export function flagFields(flags: readonly FlagReason[]): { flagged: boolean; flag_reason: string } {
  return { flagged: flags.length > 0, flag_reason: flags.join(",") };
}

/** The ActionOutcome message of a committed draft. */
export function outcomeMessage({ flags, ...fields }: OutcomeDraft, header: ActionOutcome["header"]): ActionOutcome {
  return { header, ...fields, ...flagFields(flags) };
}

export type IngestResult =
  | { readonly kind: "accepted"; readonly eventId: number }
  | { readonly kind: "duplicate" }
  /** Same action, status and stamp as an event already kept, but other content: the first version stays. */
  | { readonly kind: "conflicting_repeat"; readonly detail: string }
  | { readonly kind: "rejected"; readonly reason: RejectReason; readonly detail: string };
