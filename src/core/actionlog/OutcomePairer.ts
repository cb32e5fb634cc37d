import type { ActionEvent, BuiltinInterfacesTime } from "../interfaces/messages.generated.js";
import { secondsToTime, stampKey, timeToSeconds } from "./time.js";
import { type AcceptedEvent, type FlagReason, type OutcomeDraft, type RejectReason } from "./types.js";

/** What the log remembers about an action whose outcome is recorded: enough to tell a repeat from a late event. */
export interface ClosedAction {
  /** The STARTED event's stamp; sec is -1 when the action had none. Numbers, not strings: one of these is kept per closed action. */
  readonly startSec: number;
  readonly startNsec: number;
  /** The result (SUCCEEDED ... or TIMEOUT) and ended_at. */
  readonly result: string;
  readonly endSec: number;
  readonly endNsec: number;
}

export interface OutcomePairerOptions {
  /** An action with no end after this many seconds gets a TIMEOUT outcome (default 300). */
  readonly actionTimeoutS?: number;
  /** How long an end waits for a STARTED that may still arrive out of order (default 5 s). */
  readonly reorderWindowS?: number;
  /** How many closed actions are remembered in memory for duplicate detection (default 100,000). */
  readonly closedCacheSize?: number;
  /** Asks the durable store about actions closed before this process (or evicted from the cache). */
  readonly lookupClosed?: (robotId: string, actionId: string) => ClosedAction | undefined;
  /**
   * Per robot, the newest stamp among outcomes stored before this process started.
   * A STARTED stamped later cannot repeat a stored one (a repeat has the same stamp),
   * so it opens without asking lookupClosed: one indexed read saved per action.
   * Ends and progress for unknown actions are always looked up.
   */
  readonly storedUntil?: ReadonlyMap<string, BuiltinInterfacesTime>;
}

interface ResolvedOptions {
  readonly storedUntil: ReadonlyMap<string, BuiltinInterfacesTime>;
  /** Mutable: both may be retuned while the node runs. */
  actionTimeoutS: number;
  reorderWindowS: number;
  readonly closedCacheSize: number;
  readonly lookupClosed: (robotId: string, actionId: string) => ClosedAction | undefined;
}

function resolveOptions(options: OutcomePairerOptions): ResolvedOptions {
  return {
    actionTimeoutS: options.actionTimeoutS ?? 300,
    reorderWindowS: options.reorderWindowS ?? 5,
    closedCacheSize: options.closedCacheSize ?? 100_000,
    lookupClosed: options.lookupClosed ?? (() => undefined),
    storedUntil: options.storedUntil ?? new Map(),
  };
}

/** An action seen but not yet closed. */
interface OpenAction {
  readonly key: string;
  readonly firstEventId: number;
  start: ActionEvent | undefined;
  end: ActionEvent | undefined;
  /** The earliest PROGRESS event, standing in for the start of an action that never sent one. */
  firstProgress: ActionEvent | undefined;
  /** stampKey:progress of each PROGRESS event, so a repeated one is not counted twice. */
  progress: Set<string> | undefined;
  lastSeenMs: number;
  endSeenMs: number;
}

export type PairDecision =
  | { readonly kind: "accepted"; readonly outcome?: OutcomeDraft }
  | { readonly kind: "duplicate" }
  | { readonly kind: "rejected"; readonly reason: RejectReason; readonly detail: string };

const ACCEPTED: PairDecision = { kind: "accepted" };
const DUPLICATE: PairDecision = { kind: "duplicate" };

function sameStamp(a: BuiltinInterfacesTime, b: BuiltinInterfacesTime): boolean {
  return a.sec === b.sec && a.nanosec === b.nanosec;
}

export function actionKey(robotId: string, actionId: string): string {
  return `${robotId}\u0000${actionId}`;
}

/**
 * Pairs STARTED events with their ends into outcomes, by (robot_id, action_id).
 *
 * - Out of order: an end that arrives before its STARTED waits reorderWindowS for it;
 *   if none comes, it becomes an outcome flagged end_without_start.
 * - Repeats are idempotent: an event identical to one already seen (same status and
 *   stamp) is reported as a duplicate and changes nothing, also after the action closed
 *   and, through lookupClosed, after a restart.
 * - Timeouts: an open action times out when the robot's own clock (the newest stamp it
 *   sent) has passed start + actionTimeoutS, or when nothing was heard about it for
 *   actionTimeoutS of this node's clock (a robot that went silent). Using the robot's
 *   clock keeps replays of recorded or simulated days correct.
 *
 * Pure in-memory state; the caller stores events and outcomes.
 */
export class OutcomePairer {
  private readonly options: ResolvedOptions;
  private readonly open = new Map<string, OpenAction>();
  private readonly closed = new Map<string, ClosedAction>();
  /** Per robot, the newest stamp of an action evicted from the closed cache: lookups needed at or below it. */
  private readonly evictedUntil = new Map<string, BuiltinInterfacesTime>();
  /** Newest accepted stamp per robot, in seconds. */
  private readonly watermark = new Map<string, number>();
  /** First event id and key of each action, in arrival order, for the low-water mark (two arrays: no object per action). */
  private firstIds: number[] = [];
  private firstKeys: string[] = [];
  private firstIdsHead = 0;

  constructor(options: OutcomePairerOptions = {}) {
    this.options = resolveOptions(options);
  }

  get openCount(): number {
    return this.open.size;
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

  accept({ id, event, recvMs }: AcceptedEvent): PairDecision {
    const key = actionKey(event.robot_id, event.action_id);
    let entry = this.open.get(key);
    if (!entry) {
      const closed = this.closed.get(key) ?? (this.mayBeStored(event) ? this.options.lookupClosed(event.robot_id, event.action_id) : undefined);
      if (closed) return this.judgeClosed(event, closed);
      entry = { key, firstEventId: id, start: undefined, end: undefined, firstProgress: undefined, progress: undefined, lastSeenMs: recvMs, endSeenMs: 0 };
      this.open.set(key, entry);
      this.firstIds.push(id);
      this.firstKeys.push(key);
    }
    const t = timeToSeconds(event.header.stamp);
    const status = event.status;
    if (status === "STARTED") {
      if (entry.start) {
        return sameStamp(entry.start.header.stamp, event.header.stamp)
          ? DUPLICATE
          : { kind: "rejected", reason: "conflicting_start", detail: `action ${event.action_id} of ${event.robot_id} is already open since a STARTED stamped ${stampKey(entry.start.header.stamp)}` };
      }
      entry.start = event;
    } else if (status === "PROGRESS") {
      const progressKey = `${stampKey(event.header.stamp)}:${event.progress}`;
      entry.progress ??= new Set();
      if (entry.progress.has(progressKey)) return DUPLICATE;
      entry.progress.add(progressKey);
      if (!entry.firstProgress || t < timeToSeconds(entry.firstProgress.header.stamp)) entry.firstProgress = event;
    } else {
      if (entry.end) {
        return entry.end.status === status && sameStamp(entry.end.header.stamp, event.header.stamp)
          ? DUPLICATE
          : { kind: "rejected", reason: "conflicting_end", detail: `action ${event.action_id} of ${event.robot_id} already ended ${entry.end.status}` };
      }
      entry.end = event;
      entry.endSeenMs = recvMs;
    }
    entry.lastSeenMs = recvMs;
    const mark = this.watermark.get(event.robot_id);
    if (mark === undefined || t > mark) this.watermark.set(event.robot_id, t);
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
    for (const entry of this.open.values()) {
      const anyEvent = entry.start ?? entry.end ?? entry.firstProgress;
      if (!anyEvent) continue;
      const mark = this.watermark.get(anyEvent.robot_id) ?? 0;
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
    while (this.firstIdsHead < this.firstIds.length) {
      const id = this.firstIds[this.firstIdsHead]!;
      const entry = this.open.get(this.firstKeys[this.firstIdsHead]!);
      if (entry && entry.firstEventId === id) {
        // Drop the settled prefix now and then, so the arrays do not grow without bound.
        if (this.firstIdsHead > 4096) {
          this.firstIds = this.firstIds.slice(this.firstIdsHead);
          this.firstKeys = this.firstKeys.slice(this.firstIdsHead);
          this.firstIdsHead = 0;
        }
        return id;
      }
      this.firstIdsHead++;
    }
    this.firstIds = [];
    this.firstKeys = [];
    this.firstIdsHead = 0;
    return nextId;
  }

  private mayBeStored(event: ActionEvent): boolean {
    if (event.status !== "STARTED") return true;
    const t = event.header.stamp;
    for (const bound of [this.options.storedUntil.get(event.robot_id), this.evictedUntil.get(event.robot_id)]) {
      if (bound && (t.sec < bound.sec || (t.sec === bound.sec && t.nanosec <= bound.nanosec))) return true;
    }
    return false;
  }

  private judgeClosed(event: ActionEvent, closed: ClosedAction): PairDecision {
    const { sec, nanosec } = event.header.stamp;
    if (event.status === "STARTED") {
      if (closed.startSec === sec && closed.startNsec === nanosec) return DUPLICATE;
    } else if (event.status === "PROGRESS") {
      // Progress is not kept per closed action; one stamped within the action's life is a re-send.
      if (sec < closed.endSec || (sec === closed.endSec && nanosec <= closed.endNsec)) return DUPLICATE;
    } else if (closed.result === event.status && closed.endSec === sec && closed.endNsec === nanosec) {
      return DUPLICATE;
    }
    return {
      kind: "rejected",
      reason: "after_close",
      detail: `${event.status} for action ${event.action_id} of ${event.robot_id}, whose outcome (${closed.result}) is already recorded`,
    };
  }

  private remember(key: string, closed: ClosedAction): void {
    this.closed.set(key, closed);
    if (this.closed.size > this.options.closedCacheSize) {
      // Map iterates in insertion order: the first key is the oldest.
      const oldest = this.closed.entries().next().value;
      if (oldest !== undefined) {
        const [oldKey, gone] = oldest;
        this.closed.delete(oldKey);
        const robotId = oldKey.slice(0, oldKey.indexOf("\u0000"));
        const bound = this.evictedUntil.get(robotId);
        const last = gone.startSec > gone.endSec ? { sec: gone.startSec, nanosec: gone.startNsec } : { sec: gone.endSec, nanosec: gone.endNsec };
        if (!bound || last.sec > bound.sec || (last.sec === bound.sec && last.nanosec > bound.nanosec)) this.evictedUntil.set(robotId, last);
      }
    }
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
    this.open.delete(entry.key);
    this.remember(entry.key, {
      startSec: entry.start ? entry.start.header.stamp.sec : -1,
      startNsec: entry.start ? entry.start.header.stamp.nanosec : 0,
      result: end.result,
      endSec: end.ended_at.sec,
      endNsec: end.ended_at.nanosec,
    });
    // The start names the action; an end-only action falls back to what its end said.
    const named = entry.start ?? entry.end ?? source;
    return {
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
      progress_events: entry.progress?.size ?? 0,
      flagged: end.flags.length > 0,
      flag_reason: end.flags.join(","),
    };
  }
}
