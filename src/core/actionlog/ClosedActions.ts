import type { ActionEvent, BuiltinInterfacesTime } from "../interfaces/messages.generated.js";

/** What the log remembers about an action whose outcome is recorded: enough to tell a repeat from a late event. */
export interface ClosedAction {
  /** The STARTED event's stamp; sec is -1 when the action had none. Numbers, not strings: one of these is kept per closed action. */
  readonly startSec: number;
  readonly startNsec: number;
  /** The result (SUCCEEDED ... or TIMEOUT) and ended_at. */
  readonly result: string;
  readonly endSec: number;
  readonly endNsec: number;
  /**
   * contentHash of the STARTED and of the end event, to tell a conflicting repeat from a plain
   * one. Absent for actions looked up in the store (closed by an earlier run): the store keeps
   * the outcome, not every field of its events, so such repeats are matched on status and stamp.
   */
  readonly startContent?: number | undefined;
  readonly endContent?: number | undefined;
}

/**
 * What ClosedActions asks of the durable store: the recorded outcome of an action (scanTail: also
 * among outcomes committed since the store last indexed their keys), and how many commits have
 * indexed that tail so far (it grows by one each time the tail is emptied).
 */
export interface ClosedActionSource {
  lookupClosed(robotId: string, actionId: string, scanTail?: boolean): ClosedAction | undefined;
  readonly keysCaughtUp: number;
}

/** One robot's part of the closed cache; the pairer keeps a reference beside its open actions. */
export interface ClosedRobot {
  readonly closed: Map<string, ClosedAction>;
  /** Newest stamp of this robot's actions evicted from the cache: the store is asked at or below it. */
  evictedUntil: BuiltinInterfacesTime | undefined;
  /** Newest stamp among this robot's outcomes stored before this process (the store's robotMaxStamps). */
  readonly storedUntil: BuiltinInterfacesTime | undefined;
}

export interface ClosedActionsOptions {
  /** How many closed actions are remembered in memory (default 100,000); the oldest go first. */
  readonly capacity?: number;
  /** The durable store; without one only the cache answers (a pairer used on its own). */
  readonly store?: ClosedActionSource;
  /** Per robot, the newest stamp among outcomes stored before this process started. */
  readonly storedUntil?: ReadonlyMap<string, BuiltinInterfacesTime>;
}

/**
 * The one owner of "is this action already closed?", which duplicate and after-close detection ask
 * of every event of an action not open in memory. It answers from, in order:
 * 1. the closed cache: the newest closed actions across robots, bounded, the oldest evicted first;
 * 2. the store's indexed outcomes, asked only when the action may be stored (a STARTED stamped after
 *    everything stored before this process and after everything evicted cannot repeat one);
 * 3. the store's unindexed tail (outcomes committed since its last key catch-up), scanned only when
 *    the cache may have lost part of it: every outcome in the tail was closed at or after
 *    `tailFromSeq` (the cache's order at the last catch-up), and the cache still holds everything
 *    from position `evicted` on.
 * The store keeps its own index; this class keeps where the tail starts, told by afterCommit().
 */
export class ClosedActions {
  private readonly capacity: number;
  private readonly store: ClosedActionSource | undefined;
  private readonly storedUntil: ReadonlyMap<string, BuiltinInterfacesTime>;
  private readonly robots = new Map<string, ClosedRobot>();
  /** Insertion order across robots (parallel arrays from head on), for eviction. */
  private orderRobots: ClosedRobot[] = [];
  private orderIds: string[] = [];
  private head = 0;
  private total = 0;
  /** Closed actions ever put in the cache, and ever evicted from it (positions in its order). */
  private inserted = 0;
  private evicted = 0;
  /** `inserted` at the last commit that indexed the store's tail (the tail was emptied then). */
  private tailFromSeq = 0;
  private catchUpsSeen: number;

  constructor(options: ClosedActionsOptions = {}) {
    this.capacity = options.capacity ?? 100_000;
    this.store = options.store;
    this.storedUntil = options.storedUntil ?? new Map();
    // The tail of an earlier run is indexed when the store opens, so at start the tail is this run's.
    this.catchUpsSeen = this.store?.keysCaughtUp ?? 0;
  }

  /** The robot's part of the cache (made on first use). */
  robot(robotId: string): ClosedRobot {
    let robot = this.robots.get(robotId);
    if (!robot) {
      robot = { closed: new Map(), evictedUntil: undefined, storedUntil: this.storedUntil.get(robotId) };
      this.robots.set(robotId, robot);
    }
    return robot;
  }

  /** The recorded outcome of the event's action, if any: from the cache, else from the store when it may be there. */
  find(robot: ClosedRobot, event: ActionEvent): ClosedAction | undefined {
    const cached = robot.closed.get(event.action_id);
    if (cached || !this.store || !mayBeStored(robot, event)) return cached;
    return this.store.lookupClosed(event.robot_id, event.action_id, !this.tailInCache());
  }

  /** Records a newly closed action; the oldest cached one goes when the cache is full. */
  remember(robot: ClosedRobot, actionId: string, closed: ClosedAction): void {
    if (robot.closed.has(actionId)) {
      robot.closed.set(actionId, closed); // keeps its place in the eviction order, as a Map would
      return;
    }
    robot.closed.set(actionId, closed);
    this.orderRobots.push(robot);
    this.orderIds.push(actionId);
    this.total++;
    this.inserted++;
    if (this.total > this.capacity) this.evictOldest();
  }

  /** Call after each successful commit: when it also indexed the store's tail, the tail starts afresh. */
  afterCommit(): void {
    const catchUps = this.store?.keysCaughtUp ?? 0;
    if (catchUps === this.catchUpsSeen) return;
    this.catchUpsSeen = catchUps;
    // Every action closed so far is committed and indexed; the tail holds only those closed from here on.
    this.tailFromSeq = this.inserted;
  }

  /** Closed actions in memory now. */
  get size(): number {
    return this.total;
  }

  /** Whether the cache still holds every outcome of the store's unindexed tail. */
  private tailInCache(): boolean {
    return this.evicted <= this.tailFromSeq;
  }

  private evictOldest(): void {
    // Its robot's evictedUntil covers it from now on.
    const robot = this.orderRobots[this.head]!;
    const actionId = this.orderIds[this.head]!;
    this.head++;
    const gone = robot.closed.get(actionId)!;
    robot.closed.delete(actionId);
    this.total--;
    this.evicted++;
    const bound = robot.evictedUntil;
    const last = gone.startSec > gone.endSec ? { sec: gone.startSec, nanosec: gone.startNsec } : { sec: gone.endSec, nanosec: gone.endNsec };
    if (!bound || last.sec > bound.sec || (last.sec === bound.sec && last.nanosec > bound.nanosec)) robot.evictedUntil = last;
    if (this.head > 4096 && this.head * 2 > this.orderIds.length) {
      this.orderRobots = this.orderRobots.slice(this.head);
      this.orderIds = this.orderIds.slice(this.head);
      this.head = 0;
    }
  }
}

/** Ends and progress of an unknown action are always looked up; a STARTED only if not newer than what was stored or evicted. */
function mayBeStored(robot: ClosedRobot, event: ActionEvent): boolean {
  if (event.status !== "STARTED") return true;
  const t = event.header.stamp;
  return notAfter(t, robot.storedUntil) || notAfter(t, robot.evictedUntil);
}

function notAfter(t: BuiltinInterfacesTime, bound: BuiltinInterfacesTime | undefined): boolean {
  return bound !== undefined && (t.sec < bound.sec || (t.sec === bound.sec && t.nanosec <= bound.nanosec));
}
