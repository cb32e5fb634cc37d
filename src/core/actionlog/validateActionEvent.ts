import { ActionEventSchema, type ActionEvent } from "../interfaces/messages.generated.js";
import { isValidTime, isZeroTime, timeToSeconds } from "../time.js";
import { ALL_STATUSES, type RejectReason } from "./types.js";

export interface EventLimits {
  /** Longest detail accepted, in UTF-8 bytes (default 4096). */
  readonly maxDetailBytes: number;
  /** Longest robot_id, action_id, action, object, location, frame_id, in characters (default 256). */
  readonly maxFieldChars: number;
  /** How far ahead of the node's clock a stamp may be, in seconds (default 60): robot clocks drift, but not by hours. */
  readonly maxFutureS: number;
}

export const DEFAULT_EVENT_LIMITS: EventLimits = { maxDetailBytes: 4096, maxFieldChars: 256, maxFutureS: 60 };

export type ValidationResult =
  | { readonly ok: true; readonly event: ActionEvent }
  | { readonly ok: false; readonly reason: RejectReason; readonly detail: string };

function reject(reason: RejectReason, detail: string): ValidationResult & { ok: false } {
  return { ok: false, reason, detail };
}

const SHORT_FIELDS = ["robot_id", "action_id", "action", "object", "location"] as const;

/** NUL and the other C0 control characters: a ROS 2 string cannot carry NUL, so such an id is a bug on the robot. */
const CONTROL_CHARACTER = /[\u0000-\u001f]/;

/** Describes the first control character of an id, for the refusal's detail. */
function controlCharacterAt(id: string): string | undefined {
  const match = CONTROL_CHARACTER.exec(id);
  return match ? `U+${match[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")} at position ${match.index}` : undefined;
}

/** The largest finite float32. */
const FLOAT32_MAX = 3.4028234663852886e38;

/** Whether a double lies within float32's range (progress is float32 in ActionEvent.msg); NaN does not. */
export function fitsFloat32(value: number): boolean {
  return Math.abs(value) <= FLOAT32_MAX;
}

/**
 * Checks one incoming event of unknown shape: first its shape (zod schema generated
 * from ActionEvent.msg), then what the schema cannot say (checkActionEvent). Never
 * throws; a refusal carries a reason and a readable detail. For values from outside a
 * typed graph: a bag or JSONL import, a test, a caller of ActionLog.ingest.
 */
export function validateActionEvent(raw: unknown, nowMs: number, limits: EventLimits = DEFAULT_EVENT_LIMITS): ValidationResult {
  const parsed = ActionEventSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue ? issue.path.map(String).join(".") || "(root)" : "(root)";
    return reject("malformed", `field ${path}: ${issue?.message ?? "invalid"}`);
  }
  return checkActionEvent(parsed.data, nowMs, limits);
}

/**
 * The checks the schema cannot make, on an event whose shape is already known to match
 * ActionEvent.msg: sizes, ids, known status, a sane stamp, a stamp not far in the future.
 * A graph subscription delivers such events (see GraphPort's createSubscription: both
 * graphs validate every message against its schema before a callback sees it), so the
 * node runs only these, not the schema a second time. Never throws.
 * Pairing problems (an end without a start, a repeat) are the pairer's job.
 */
export function checkActionEvent(event: ActionEvent, nowMs: number, limits: EventLimits = DEFAULT_EVENT_LIMITS): ValidationResult {
  return findProblem(event, nowMs, limits) ?? { ok: true, event };
}

/** checkActionEvent's refusal, or undefined when the event passes (no result object on the hot path). */
export function findProblem(event: ActionEvent, nowMs: number, limits: EventLimits = DEFAULT_EVENT_LIMITS): (ValidationResult & { ok: false }) | undefined {
  for (const field of SHORT_FIELDS) {
    if (event[field].length > limits.maxFieldChars) {
      return reject("oversized", `${field} has ${event[field].length} characters; the limit is ${limits.maxFieldChars}`);
    }
  }
  if (event.header.frame_id.length > limits.maxFieldChars) {
    return reject("oversized", `header.frame_id has ${event.header.frame_id.length} characters; the limit is ${limits.maxFieldChars}`);
  }
  // Characters are at most 4 bytes: only measure bytes when the length makes it possible to be over.
  if (event.detail.length * 4 > limits.maxDetailBytes) {
    const bytes = Buffer.byteLength(event.detail, "utf8");
    if (bytes > limits.maxDetailBytes) return reject("oversized", `detail has ${bytes} bytes; the limit is ${limits.maxDetailBytes}`);
  }
  if (event.robot_id === "") return reject("missing_id", "robot_id is empty; every robot must name itself");
  if (event.action_id === "") return reject("missing_id", "action_id is empty; it pairs a STARTED event with its end");
  for (const field of ["robot_id", "action_id"] as const) {
    const at = controlCharacterAt(event[field]);
    if (at) return reject("bad_id", `${field} holds a control character (${at}); ids must be printable`);
  }
  if (!ALL_STATUSES.has(event.status)) {
    return reject("unknown_status", `status "${event.status.slice(0, 40)}" is not one of ${[...ALL_STATUSES].join(", ")}`);
  }
  if (event.status === "STARTED" && event.action === "") return reject("missing_action", "a STARTED event must name its action (e.g. pick)");
  if (!fitsFloat32(event.progress)) return reject("bad_progress", `progress ${event.progress} is outside float32's range (progress is float32 in ActionEvent.msg)`);
  if (event.status === "PROGRESS" && !(event.progress >= 0 && event.progress <= 1)) {
    return reject("bad_progress", `progress ${event.progress} is outside 0..1`);
  }
  const stamp = event.header.stamp;
  if (isZeroTime(stamp)) return reject("bad_stamp", "header.stamp is zero; stamp events with the robot's clock");
  if (!isValidTime(stamp)) return reject("bad_stamp", `header.stamp ${stamp.sec}.${stamp.nanosec} is not a valid time (sec >= 0, nanosec < 1e9)`);
  const aheadS = timeToSeconds(event.header.stamp) - nowMs / 1000;
  if (aheadS > limits.maxFutureS) {
    return reject("future_stamp", `header.stamp is ${aheadS.toFixed(1)} s ahead of this node's clock (limit ${limits.maxFutureS} s); check the robot's time sync`);
  }
  return undefined;
}
