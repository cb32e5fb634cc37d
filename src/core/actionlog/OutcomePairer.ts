import { fnv1a32 } from "../hdc/prng.js";
import type { ActionEvent, BuiltinInterfacesTime } from "../interfaces/messages.generated.js";
import { secondsToTime, stampKey, timeToSeconds } from "../time.js";
import { type AcceptedEvent, type FlagReason, type OutcomeDraft, type RejectReason } from "./types.js";
import { ClosedActions, type ClosedAction, type ClosedRobot } from "./ClosedActions.js";

export type { ClosedAction } from "./ClosedActions.js";

export interface OutcomePairerOptions {
  /** An action with no end after this many seconds gets a TIMEOUT outcome (default 300). */
  readonly actionTimeoutS?: number;
  /** How long an end waits for a STARTED that may still arrive out of order (default 5 s). */
  readonly reorderWindowS?: number;
  /**
   * Which actions are already closed (the closed cache, and the store behind it). The action log
   * gives one that asks its store; without it the pairer keeps a cache of 100,000 of its own.
   */
  readonly closedActions?: ClosedActions;
}

interface ResolvedOptions {
  /** Mutable: both may be retuned while the node runs. */
  actionTimeoutS: number;
  reorderWindowS: number;
}

function resolveOptions(options: OutcomePairerOptions): ResolvedOptions {
  return {
    actionTimeoutS: options.actionTimeoutS ?? 300,
    reorderWindowS: options.reorderWindowS ?? 5,
  };
}

/** What the pairer keeps per robot: its actions by action_id (no concatenated keys on the hot path). */
interface RobotState {
  readonly robotId: string;
  readonly open: Map<string, OpenAction>;
  /** This robot's part of the closed cache. */
  readonly closed: ClosedRobot;
  /** Newest accepted stamp of this robot, in seconds (-Infinity before the first). */
  watermark: number;
}

/** An action seen but not yet closed. */
interface OpenAction {
  readonly robot: RobotState;
  readonly actionId: string;
  readonly firstEventId: number;
  /** Set when the action closes (its entry may still sit in the low-water list until that is pruned). */
  done: boolean;
  start: ActionEvent | undefined;
  end: ActionEvent | undefined;
  /** The earliest PROGRESS event, standing in for the start of an action that never sent one. */
  firstProgress: ActionEvent | undefined;
  /**
   * The distinct PROGRESS events seen, so a repeated one is not counted twice: (sec, nanosec,
   * progress) triples in a flat array while they are few, a set of "sec.nanosec:progress" keys
   * beyond PROGRESS_LIST_MAX (so a flood of progress stays linear).
   */
  progressList: number[] | undefined;
  progressSet: Set<string> | undefined;
  progressCount: number;
  lastSeenMs: number;
  endSeenMs: number;
}

/** Distinct PROGRESS events kept in the flat list before switching to a set. */
const PROGRESS_LIST_MAX = 32;

export type PairDecision =
  | { readonly kind: "accepted"; readonly outcome?: OutcomeDraft }
  | { readonly kind: "duplicate" }
  | { readonly kind: "conflicting_repeat"; readonly detail: string }
  | { readonly kind: "rejected"; readonly reason: RejectReason; readonly detail: string };

const ACCEPTED: PairDecision = { kind: "accepted" };
const DUPLICATE: PairDecision = { kind: "duplicate" };

function sameStamp(a: BuiltinInterfacesTime, b: BuiltinInterfacesTime): boolean {
  return a.sec === b.sec && a.nanosec === b.nanosec;
}

/** The fields of an event besides its identity (robot, action id, status, stamp), compared between repeats. */
const CONTENT_FIELDS = ["action", "object", "location", "detail", "progress"] as const;

/** The first content field in which a repeat differs from the event kept, or undefined when it is an exact repeat. */
function differingField(kept: ActionEvent, repeat: ActionEvent): string | undefined {
  for (const field of CONTENT_FIELDS) if (kept[field] !== repeat[field]) return field;
  return kept.header.frame_id === repeat.header.frame_id ? undefined : "header.frame_id";
}

/** A 32-bit digest of the content fields, kept per closed action (a collision only hides one conflict). */
function contentHash(event: ActionEvent): number {
  return fnv1a32(`${event.action}\u0000${event.object}\u0000${event.location}\u0000${event.detail}\u0000${event.progress}\u0000${event.header.frame_id}`);
}

/** The answer to an event with the same identity as one kept: a plain repeat, or a conflicting one. */
function repeatOf(kept: ActionEvent, repeat: ActionEvent): PairDecision {
  const field = differingField(kept, repeat);
  return field === undefined ? DUPLICATE : conflictingRepeat(repeat, `its ${field} differs from the first version's`);
}

function conflictingRepeat(event: ActionEvent, why: string): PairDecision {
  return {
    kind: "conflicting_repeat",
    detail: `${event.status} of action ${event.action_id} of ${event.robot_id} stamped ${stampKey(event.header.stamp)} repeats one already kept, but ${why}; the first version is kept`,
  };
}

/**
 * Pairs STARTED events with their ends into outcomes, by (robot_id, action_id).
 *
 * - Out of order: an end that arrives before its STARTED waits reorderWindowS for it;
 *   if none comes, it becomes an outcome flagged end_without_start.
 * - Repeats are idempotent: an event identical to one already seen (same status and
 *   stamp) is reported as a duplicate and changes nothing, also after the action closed
 *   and, through lookupClosed, after a restart. A repeat whose other fields differ is a
 *   conflicting_repeat: the first version is kept, and the caller counts and reports it.
 * - Timeouts: an open action times out when the robot's own clock (the newest stamp it
 *   sent) has passed start + actionTimeoutS, or when nothing was heard about it for
 *   actionTimeoutS of this node's clock (a robot that went silent). Using the robot's
 *   clock keeps replays of recorded or simulated days correct.
 *
 * Pure in-memory state; the caller stores events and outcomes.
 */
export class OutcomePairer {
  private readonly options: ResolvedOptions;
  private readonly robots = new Map<string, RobotState>();
  private openTotal = 0;
  private readonly closed: ClosedActions;
  /**
   * Every action in the order of its first event, from firstHead on: the low-water mark is the
   * first one not done, and expire() walks the open ones in this (the opening) order.
   */
  private firsts: OpenAction[] = [];
  private firstHead = 0;

  constructor(options: OutcomePairerOptions = {}) {
    this.options = resolveOptions(options);
    this.closed = options.closedActions ?? new ClosedActions();
  }

  get openCount(): number {
    return this.openTotal;
  }

  get actionTimeoutS(): number {
    return this.options.actionTimeoutS;
  }

  /** Takes effect for every open action from the next expire(). */
  setActionTimeoutS(seconds: number): void {
    this.options.actionTimeoutS = seconds;
  }

  setReorderWindowS(seconds: number): void {
    this.options.reorderWindowS = seconds;
  }

  private robot(robotId: string): RobotState {
    let robot = this.robots.get(robotId);
    if (!robot) {
      robot = { robotId, open: new Map(), closed: this.closed.robot(robotId), watermark: -Infinity };
      this.robots.set(robotId, robot);
    }
    return robot;
  }

  accept({ id, event, recvMs }: AcceptedEvent): PairDecision {
    const robot = this.robot(event.robot_id);
    const actionId = event.action_id;
    let entry = robot.open.get(actionId);
    if (!entry) {
      const closed = this.closed.find(robot.closed, event);
      if (closed) return this.judgeClosed(event, closed);
      entry = {
        robot, actionId, firstEventId: id, done: false, start: undefined, end: undefined, firstProgress: undefined,
        progressList: undefined, progressSet: undefined, progressCount: 0, lastSeenMs: recvMs, endSeenMs: 0,
      };
      robot.open.set(actionId, entry);
      this.openTotal++;
      this.firsts.push(entry);
    }
    const stamp = event.header.stamp;
    const t = timeToSeconds(stamp);
    const status = event.status;
    if (status === "STARTED") {
      if (entry.start) {
        return sameStamp(entry.start.header.stamp, stamp)
          ? repeatOf(entry.start, event)
          : { kind: "rejected", reason: "conflicting_start", detail: `action ${event.action_id} of ${event.robot_id} is already open since a STARTED stamped ${stampKey(entry.start.header.stamp)}` };
      }
      entry.start = event;
    } else if (status === "PROGRESS") {
      if (!addProgress(entry, stamp, event.progress)) return DUPLICATE;
      if (!entry.firstProgress || t < timeToSeconds(entry.firstProgress.header.stamp)) entry.firstProgress = event;
    } else {
      if (entry.end) {
        return entry.end.status === status && sameStamp(entry.end.header.stamp, stamp)
          ? repeatOf(entry.end, event)
          : { kind: "rejected", reason: "conflicting_end", detail: `action ${event.action_id} of ${event.robot_id} already ended ${entry.end.status}` };
      }
      entry.end = event;
      entry.endSeenMs = recvMs;
    }
    entry.lastSeenMs = recvMs;
    if (t > robot.watermark) robot.watermark = t;
    if (entry.start && entry.end) {
      const outcome = this.closeWithEnd(entry);
      return { kind: "accepted", outcome };
    }
    return ACCEPTED;
  }

  /** Closes what is due: timeouts and ends whose STARTED never came. */
  expire(nowMs: number): OutcomeDraft[] {
    const outcomes: OutcomeDraft[] = [];
    const { actionTimeoutS, reorderWindowS } = this.options;
    // Open actions in the order they opened; closing one here only marks it done.
    const firsts = this.firsts;
    for (let i = this.firstHead; i < firsts.length; i++) {
      const entry = firsts[i]!;
      if (entry.done) continue;
      const anyEvent = entry.start ?? entry.end ?? entry.firstProgress;
      if (!anyEvent) continue;
      const mark = entry.robot.watermark === -Infinity ? 0 : entry.robot.watermark;
      if (entry.end) {
        const endS = timeToSeconds(entry.end.header.stamp);
        if (nowMs - entry.endSeenMs >= reorderWindowS * 1000 || mark - endS >= reorderWindowS) outcomes.push(this.closeWithEnd(entry));
        continue;
      }
      const first = entry.start ?? entry.firstProgress!;
      const startS = timeToSeconds(first.header.stamp);
      if (mark - startS >= actionTimeoutS || nowMs - entry.lastSeenMs >= actionTimeoutS * 1000) {
        outcomes.push(this.closeWithTimeout(entry, startS));
      }
    }
    return outcomes;
  }

  /**
   * The lowest event id that still belongs to an open action (or `nextId` when none
   * is open): every event below it is settled, so a restart replays only from here.
   */
  lowWater(nextId: number): number {
    const firsts = this.firsts;
    while (this.firstHead < firsts.length) {
      const entry = firsts[this.firstHead]!;
      if (!entry.done) {
        // Drop the settled prefix now and then, so the array does not grow without bound.
        if (this.firstHead > 4096) {
          this.firsts = firsts.slice(this.firstHead);
          this.firstHead = 0;
        }
        return entry.firstEventId;
      }
      this.firstHead++;
    }
    this.firsts = [];
    this.firstHead = 0;
    return nextId;
  }

  private judgeClosed(event: ActionEvent, closed: ClosedAction): PairDecision {
    const { sec, nanosec } = event.header.stamp;
    if (event.status === "STARTED") {
      if (closed.startSec === sec && closed.startNsec === nanosec) return closedRepeat(event, closed.startContent);
    } else if (event.status === "PROGRESS") {
      // Progress is not kept per closed action; one stamped within the action's life is a re-send.
      if (sec < closed.endSec || (sec === closed.endSec && nanosec <= closed.endNsec)) return DUPLICATE;
    } else if (closed.result === event.status && closed.endSec === sec && closed.endNsec === nanosec) {
      return closedRepeat(event, closed.endContent);
    }
    return {
      kind: "rejected",
      reason: "after_close",
      detail: `${event.status} for action ${event.action_id} of ${event.robot_id}, whose outcome (${closed.result}) is already recorded`,
    };
  }

  private closeWithEnd(entry: OpenAction): OutcomeDraft {
    const end = entry.end!;
    const start = entry.start;
    const flags: FlagReason[] = [];
    let startedAt: BuiltinInterfacesTime;
    let duration: number;
    if (start) {
      startedAt = start.header.stamp;
      duration = timeToSeconds(end.header.stamp) - timeToSeconds(startedAt);
      if (duration < 0) {
        flags.push("end_before_start");
        duration = 0;
      }
    } else {
      flags.push("end_without_start");
      startedAt = (entry.firstProgress ?? end).header.stamp;
      duration = 0;
    }
    return this.close(entry, start ?? end, {
      result: end.status,
      reason: end.detail,
      started_at: startedAt,
      ended_at: end.header.stamp,
      duration_s: duration,
      flags,
    });
  }

  private closeWithTimeout(entry: OpenAction, startS: number): OutcomeDraft {
    const timeoutS = this.options.actionTimeoutS;
    const first = entry.start ?? entry.firstProgress!;
    return this.close(entry, first, {
      result: "TIMEOUT",
      reason: `no end event within action_timeout_s=${timeoutS} s`,
      started_at: first.header.stamp,
      ended_at: secondsToTime(startS + timeoutS),
      duration_s: timeoutS,
      flags: entry.start ? [] : ["progress_without_start"],
    });
  }

  private close(
    entry: OpenAction,
    source: ActionEvent,
    end: { result: string; reason: string; started_at: BuiltinInterfacesTime; ended_at: BuiltinInterfacesTime; duration_s: number; flags: FlagReason[] },
  ): OutcomeDraft {
    const robot = entry.robot;
    robot.open.delete(entry.actionId);
    this.openTotal--;
    entry.done = true;
    this.closed.remember(robot.closed, entry.actionId, {
      startSec: entry.start ? entry.start.header.stamp.sec : -1,
      startNsec: entry.start ? entry.start.header.stamp.nanosec : 0,
      result: end.result,
      endSec: end.ended_at.sec,
      endNsec: end.ended_at.nanosec,
      startContent: entry.start ? contentHash(entry.start) : undefined,
      endContent: entry.end ? contentHash(entry.end) : undefined,
    });
    // The start names the action; an end-only action falls back to what its end said.
    const named = entry.start ?? entry.end ?? source;
    const outcome: OutcomeDraft = {
      robot_id: source.robot_id,
      action_id: source.action_id,
      action: named.action || (entry.end?.action ?? ""),
      object: named.object || (entry.end?.object ?? ""),
      location: named.location || (entry.end?.location ?? ""),
      result: end.result,
      reason: end.reason,
      started_at: end.started_at,
      ended_at: end.ended_at,
      duration_s: end.duration_s,
      progress_events: entry.progressCount,
      flags: end.flags,
    };
    // The entry may wait in the low-water list a while longer: let its events go now.
    entry.start = entry.end = entry.firstProgress = undefined;
    entry.progressList = entry.progressSet = undefined;
    return outcome;
  }
}

/** A repeat of a closed action's STARTED or end: conflicting when its content digest differs from the one kept. */
function closedRepeat(event: ActionEvent, kept: number | undefined): PairDecision {
  return kept === undefined || kept === contentHash(event) ? DUPLICATE : conflictingRepeat(event, "its content differs from the recorded version's");
}

/** Records a PROGRESS event's (stamp, progress); false when the same one was seen before. */
function addProgress(entry: OpenAction, stamp: BuiltinInterfacesTime, progress: number): boolean {
  if (entry.progressSet) {
    const key = `${stampKey(stamp)}:${progress}`;
    if (entry.progressSet.has(key)) return false;
    entry.progressSet.add(key);
  } else {
    const list = (entry.progressList ??= []);
    for (let i = 0; i < list.length; i += 3) {
      if (list[i] === stamp.sec && list[i + 1] === stamp.nanosec && list[i + 2] === progress) return false;
    }
    if (list.length < PROGRESS_LIST_MAX * 3) list.push(stamp.sec, stamp.nanosec, progress);
    else {
      // Many distinct progress events: move them to a set (same identity: stamp and value).
      const set = new Set<string>();
      for (let i = 0; i < list.length; i += 3) set.add(`${list[i]}.${list[i + 1]}:${list[i + 2]}`);
      set.add(`${stampKey(stamp)}:${progress}`);
      entry.progressSet = set;
      entry.progressList = undefined;
    }
  }
  entry.progressCount++;
  return true;
}
