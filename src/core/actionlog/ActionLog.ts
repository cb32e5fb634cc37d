import type { ActionEvent, ActionOutcome } from "../interfaces/messages.generated.js";
import type { OutcomeFilter, OutcomeLogPort, RetentionPolicy, StatsRow } from "./OutcomeLogPort.js";
import { computeStats, percentile, type StatsGrouping } from "./computeStats.js";
import { ClosedActions } from "./ClosedActions.js";
import { OutcomePairer } from "./OutcomePairer.js";
import { millisToTime } from "../time.js";
import { FLAG_REASONS, outcomeMessage, REJECT_REASONS, type AcceptedEvent, type FlagReason, type IngestResult, type OutcomeDraft, type RejectReason } from "./types.js";
import { DEFAULT_EVENT_LIMITS, findProblem, validateActionEvent, type EventLimits } from "./validateActionEvent.js";

export interface ActionLogOptions<S extends OutcomeLogPort = OutcomeLogPort> {
  /**
   * The durable store, built by the caller (the node; openSqliteActionLog for the SQLite one).
   * The log owns it from here: close() closes it.
   */
  readonly store: S;
  /** Commit when this many events are pending (default 500)... */
  readonly batchMaxEvents?: number;
  /**
   * ...or once this long (default 20 ms) has passed since the previous commit began, whichever
   * comes first. Commits begin at most once per batchMaxMs (bar full batches), and an event waits
   * at most batchMaxMs for its commit to begin; after a slow commit or a stall, what arrived
   * meanwhile commits at once instead of waiting a whole window more.
   */
  readonly batchMaxMs?: number;
  /** See OutcomePairer (defaults 300 s, 5 s, 100,000). */
  readonly actionTimeoutS?: number;
  readonly reorderWindowS?: number;
  readonly closedCacheSize?: number;
  readonly limits?: Partial<EventLimits>;
  /** Applied by applyRetention(); the default keeps everything. */
  readonly retention?: Partial<RetentionPolicy>;
  /**
   * Events held while commits fail (disk full, I/O error) before new ones are refused as
   * store_unavailable (default 100,000): memory stays bounded and the node keeps running.
   */
  readonly maxPendingEvents?: number;
  /** Outcomes kept in memory for the rolling-window figures in diagnostics (default 10,000). */
  readonly recentOutcomes?: number;
  /** This node's clock, ms since the epoch (default Date.now); a simulation passes its own. */
  readonly clock?: () => number;
  /** Called with each committed batch's new outcomes, after the commit: publish them here. */
  readonly onCommitted?: (outcomes: ActionOutcome[]) => void;
  /** Called for each refused event (rate-limit the log line; the counters are kept here). */
  readonly onRejected?: (reason: RejectReason, detail: string) => void;
  /** Called for each conflicting repeat (same identity, other content; the first version is kept). */
  readonly onConflictingRepeat?: (detail: string) => void;
  /** Called when a commit fails; the batch stays pending and is retried. */
  readonly onCommitError?: (error: unknown) => void;
  /**
   * Called by close() when the final commit still fails after its retries, with how many
   * events and outcomes were not stored: log it at ERROR. Nothing else reports that loss.
   */
  readonly onUnstoredAtClose?: (events: number, outcomes: number, error: unknown) => void;
  /** How a delayed flush is scheduled (default setTimeout). */
  readonly schedule?: (callback: () => void, ms: number) => { cancel(): void };
}

interface Resolved {
  batchMaxEvents: number;
  maxPendingEvents: number;
  batchMaxMs: number;
  limits: EventLimits;
  retention: RetentionPolicy;
  recentOutcomes: number;
  clock: () => number;
  onCommitted: (outcomes: ActionOutcome[]) => void;
  onRejected: (reason: RejectReason, detail: string) => void;
  onConflictingRepeat: (detail: string) => void;
  onCommitError: (error: unknown) => void;
  onUnstoredAtClose: (events: number, outcomes: number, error: unknown) => void;
  schedule: (callback: () => void, ms: number) => { cancel(): void };
}

function resolve(options: ActionLogOptions<OutcomeLogPort>): Resolved {
  return {
    batchMaxEvents: options.batchMaxEvents ?? 500,
    maxPendingEvents: options.maxPendingEvents ?? 100_000,
    batchMaxMs: options.batchMaxMs ?? 20,
    limits: { ...DEFAULT_EVENT_LIMITS, ...options.limits },
    retention: { maxAgeS: 0, maxOutcomes: 0, maxEvents: 0, ...options.retention },
    recentOutcomes: options.recentOutcomes ?? 10_000,
    clock: options.clock ?? Date.now,
    onCommitted: options.onCommitted ?? (() => undefined),
    onRejected: options.onRejected ?? (() => undefined),
    onConflictingRepeat: options.onConflictingRepeat ?? (() => undefined),
    onCommitError: options.onCommitError ?? (() => undefined),
    onUnstoredAtClose: options.onUnstoredAtClose ?? (() => undefined),
    schedule:
      options.schedule ??
      ((callback, ms) => {
        const handle = setTimeout(callback, ms);
        return { cancel: () => clearTimeout(handle) };
      }),
  };
}

export class ActionLogOpenError extends Error {
  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    super(
      `cannot open the action log database ${path}: ${cause instanceof Error ? cause.message : String(cause)}. ` +
        `Check the file (PRAGMA integrity_check), its permissions and free space, or set db_path to another file`,
      { cause },
    );
    this.name = "ActionLogOpenError";
  }
}

export interface ActionLogCounters {
  received: number;
  accepted: number;
  duplicates: number;
  /** Repeats with the identity of a kept event (action, status, stamp) but other content; the first version is kept. */
  conflictingRepeats: number;
  rejected: Record<RejectReason, number>;
  flagged: Record<FlagReason, number>;
  outcomes: number;
  /** Events stored by successful commits (accepted minus those still pending). */
  committedEvents: number;
  commits: number;
  commitErrors: number;
  /** Events replayed from the database at start-up to rebuild open actions. */
  replayed: number;
}

export interface ActionLogSnapshot {
  readonly counters: Readonly<ActionLogCounters>;
  readonly rejectedTotal: number;
  readonly openActions: number;
  readonly pendingEvents: number;
  readonly pendingOutcomes: number;
  /** From the arrival of a batch's oldest event to the end of its commit, over the last 2048 commits. */
  readonly commitLatencyP50Ms: number;
  readonly commitLatencyP99Ms: number;
  readonly commitLatencyMaxMs: number;
}

const LATENCY_SAMPLES = 2048;

/** How many times close() tries the final commit (a busy or briefly failing disk gets another chance). */
const FINAL_COMMIT_ATTEMPTS = 3;

/** progress is float32 in ActionEvent.msg: store the value a ROS 2 peer would have received. */
function asFloat32Progress(event: ActionEvent): ActionEvent {
  const progress = Math.fround(event.progress);
  return progress === event.progress ? event : { ...event, progress };
}

function zeroCounts<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
}

/**
 * The action log: validates events, pairs them into outcomes, stores both in
 * batched transactions, and hands outcomes on only after their batch committed.
 * Data an event's sender may consider delivered is durable first; an outcome is
 * never announced before it can survive a crash.
 *
 * Crash recovery: each commit also stores the low-water event id (the first event
 * of the oldest still-open action). Opening replays the events from there to
 * rebuild open actions; outcomes already stored make their events count as repeats.
 */
export class ActionLog<S extends OutcomeLogPort = OutcomeLogPort> {
  readonly store: S;
  private readonly options: Resolved;
  private readonly pairer: OutcomePairer;
  private nextId: number;
  private pendingEvents: AcceptedEvent[] = [];
  private pendingOutcomes: OutcomeDraft[] = [];
  /** performance.now() at the arrival of the oldest pending item. */
  private pendingSince = 0;
  /** performance.now() when the last commit began (successful or not); the next is due batchMaxMs later. */
  private lastCommitStart = -Infinity;
  private flushTimer: { cancel(): void } | undefined;
  private readonly latencies = new Float64Array(LATENCY_SAMPLES);
  private latencyCount = 0;
  private readonly recent: { committedMs: number; row: StatsRow }[] = [];
  private recentHead = 0;
  private closed = false;
  /** Which actions are already closed: the pairer asks it, and every commit tells it (afterCommit). */
  private readonly closedActions: ClosedActions;
  readonly counters: ActionLogCounters = {
    received: 0, accepted: 0, duplicates: 0, conflictingRepeats: 0, rejected: zeroCounts(REJECT_REASONS), flagged: zeroCounts(FLAG_REASONS),
    outcomes: 0, committedEvents: 0, commits: 0, commitErrors: 0, replayed: 0,
  };

  constructor(options: ActionLogOptions<S>) {
    this.options = resolve(options);
    this.store = options.store;
    const store = this.store;
    this.closedActions = new ClosedActions({
      ...(options.closedCacheSize !== undefined ? { capacity: options.closedCacheSize } : {}),
      store,
      storedUntil: store.robotMaxStamps(),
    });
    this.pairer = new OutcomePairer({
      ...(options.actionTimeoutS !== undefined ? { actionTimeoutS: options.actionTimeoutS } : {}),
      ...(options.reorderWindowS !== undefined ? { reorderWindowS: options.reorderWindowS } : {}),
      closedActions: this.closedActions,
    });
    const lowWater = store.lowWater();
    this.nextId = Math.max(store.nextEventId(), lowWater);
    this.recover(lowWater);
  }

  private recover(lowWater: number): void {
    for (const accepted of this.store.eventsFrom(lowWater)) {
      this.counters.replayed++;
      const decision = this.pairer.accept(accepted);
      // An outcome here means its commit never happened; commit it now.
      if (decision.kind === "accepted" && decision.outcome) this.addOutcome(decision.outcome);
    }
    // Record the new low-water mark at once, so the next start replays as little as possible.
    this.flush(true);
  }

  /**
   * Takes one event of unknown shape (any value): the ActionEvent schema and then the
   * semantic checks run here. Never throws on bad input. For imports, tests and any
   * caller that is not a graph subscription.
   */
  ingest(raw: unknown): IngestResult {
    if (this.closed) throw new Error("the action log is closed");
    this.counters.received++;
    const recvMs = this.options.clock();
    const checked = validateActionEvent(raw, recvMs, this.options.limits);
    return checked.ok ? this.admit(checked.event, recvMs) : this.refuse(checked.reason, checked.detail);
  }

  /**
   * Takes one event delivered by a graph subscription, which is schema-valid by the
   * graph's contract (GraphPort's createSubscription): only the semantic checks run
   * (sizes, ids, status, stamps, future stamps), then pairing. Never throws on bad input.
   */
  ingestMessage(event: ActionEvent): IngestResult {
    if (this.closed) throw new Error("the action log is closed");
    this.counters.received++;
    const recvMs = this.options.clock();
    const problem = findProblem(event, recvMs, this.options.limits);
    return problem ? this.refuse(problem.reason, problem.detail) : this.admit(event, recvMs);
  }

  /** Pairs and queues an event that passed validation. */
  private admit(event: ActionEvent, recvMs: number): IngestResult {
    if (this.pendingEvents.length >= this.options.maxPendingEvents) {
      return this.refuse("store_unavailable", `${this.pendingEvents.length} events are waiting for a commit that keeps failing; see the commit errors in the log`);
    }
    const accepted: AcceptedEvent = { id: this.nextId, event: asFloat32Progress(event), recvMs };
    const decision = this.pairer.accept(accepted);
    if (decision.kind === "rejected") return this.refuse(decision.reason, decision.detail);
    if (decision.kind === "duplicate") {
      this.counters.duplicates++;
      return decision;
    }
    if (decision.kind === "conflicting_repeat") {
      this.counters.conflictingRepeats++;
      this.options.onConflictingRepeat(decision.detail);
      return decision;
    }
    this.nextId++;
    this.counters.accepted++;
    if (this.pendingEvents.length === 0 && this.pendingOutcomes.length === 0) this.pendingSince = performance.now();
    this.pendingEvents.push(accepted);
    if (decision.outcome) this.addOutcome(decision.outcome);
    // At max_pending_events too, not only at batch_max_events: the bound is there for a store whose
    // commits fail, and a batch size set above it must not make a healthy store refuse events.
    if (this.pendingEvents.length >= Math.min(this.options.batchMaxEvents, this.options.maxPendingEvents)) this.flush();
    else this.scheduleFlush();
    return { kind: "accepted", eventId: accepted.id };
  }

  /** Closes timed-out actions and expired reorder waits; call it periodically. */
  tick(): void {
    if (this.closed) return;
    for (const outcome of this.pairer.expire(this.options.clock())) this.addOutcome(outcome);
    if (this.pendingEvents.length || this.pendingOutcomes.length) this.scheduleFlush();
  }

  /**
   * Commits everything pending in one transaction, then reports the new outcomes.
   * Returns false when the commit failed (the batch stays pending).
   */
  flush(force = false): boolean {
    this.flushTimer?.cancel();
    this.flushTimer = undefined;
    if (!force && this.pendingEvents.length === 0 && this.pendingOutcomes.length === 0) return true;
    this.lastCommitStart = performance.now();
    const committedMs = this.options.clock();
    try {
      this.store.commit(this.pendingEvents, this.pendingOutcomes, committedMs, this.pairer.lowWater(this.nextId));
      this.closedActions.afterCommit();
    } catch (error) {
      this.counters.commitErrors++;
      this.options.onCommitError(error);
      this.scheduleFlush();
      return false;
    }
    const hadItems = this.pendingEvents.length > 0 || this.pendingOutcomes.length > 0;
    if (hadItems) this.recordLatency(performance.now() - this.pendingSince);
    this.counters.commits++;
    this.counters.committedEvents += this.pendingEvents.length;
    const stamp = millisToTime(committedMs);
    const outcomes: ActionOutcome[] = [];
    for (const draft of this.pendingOutcomes) {
      outcomes.push(outcomeMessage(draft, { stamp, frame_id: "" }));
      this.remember(committedMs, draft);
    }
    this.pendingEvents = [];
    this.pendingOutcomes = [];
    this.counters.outcomes += outcomes.length;
    if (outcomes.length) this.options.onCommitted(outcomes);
    return true;
  }

  snapshot(): ActionLogSnapshot {
    const n = Math.min(this.latencyCount, LATENCY_SAMPLES);
    const sorted = Array.from(this.latencies.subarray(0, n)).sort((a, b) => a - b);
    return {
      counters: this.counters,
      rejectedTotal: Object.values(this.counters.rejected).reduce((a, b) => a + b, 0),
      openActions: this.pairer.openCount,
      pendingEvents: this.pendingEvents.length,
      pendingOutcomes: this.pendingOutcomes.length,
      commitLatencyP50Ms: percentile(sorted, 50),
      commitLatencyP99Ms: percentile(sorted, 99),
      commitLatencyMaxMs: sorted.length ? sorted[sorted.length - 1]! : 0,
    };
  }

  /** Statistics from the database; windowS > 0 keeps outcomes that ended within the last windowS seconds. */
  stats(filter: OutcomeFilter, groupBy: StatsGrouping, windowS = 0) {
    const since = windowS > 0 ? millisToTime(this.options.clock() - windowS * 1000) : undefined;
    return computeStats(this.store.statsRows({ ...filter, ...(since ? { since } : {}) }), groupBy);
  }

  /** Statistics over the outcomes committed in the last windowS seconds, from memory (cheap enough for diagnostics). */
  recentStats(windowS: number, groupBy: StatsGrouping = "all") {
    const cutoff = this.options.clock() - windowS * 1000;
    return computeStats(this.recent.filter((r) => r.committedMs >= cutoff).map((r) => r.row), groupBy);
  }

  applyRetention(): { events: number; outcomes: number } {
    this.flush();
    return this.store.applyRetention(this.options.retention, this.options.clock(), this.pairer.lowWater(this.nextId));
  }

  setRetention(policy: Partial<RetentionPolicy>): void {
    this.options.retention = { ...this.options.retention, ...policy };
  }

  setBatching(batchMaxEvents: number, batchMaxMs: number, maxPendingEvents = this.options.maxPendingEvents): void {
    this.options.batchMaxEvents = batchMaxEvents;
    this.options.batchMaxMs = batchMaxMs;
    this.options.maxPendingEvents = maxPendingEvents;
  }

  setActionTimeoutS(seconds: number): void {
    this.pairer.setActionTimeoutS(seconds);
  }

  setReorderWindowS(seconds: number): void {
    this.pairer.setReorderWindowS(seconds);
  }

  setLimits(limits: Partial<EventLimits>): void {
    this.options.limits = { ...this.options.limits, ...limits };
  }

  /**
   * Commits what is pending and closes the database. Open actions stay open: the next start
   * replays them. A failing final commit is tried FINAL_COMMIT_ATTEMPTS times; if it still
   * fails, onUnstoredAtClose says how many events and outcomes were not stored.
   */
  close(): void {
    if (this.closed) return;
    let lastError: unknown;
    const onCommitError = this.options.onCommitError;
    this.options.onCommitError = (error) => {
      lastError = error;
      onCommitError(error);
    };
    let stored = false;
    for (let attempt = 0; attempt < FINAL_COMMIT_ATTEMPTS && !stored; attempt++) stored = this.flush();
    this.options.onCommitError = onCommitError;
    this.closed = true;
    this.flushTimer?.cancel();
    if (!stored) this.options.onUnstoredAtClose(this.pendingEvents.length, this.pendingOutcomes.length, lastError);
    this.store.close();
  }

  private refuse(reason: RejectReason, detail: string): IngestResult {
    this.counters.rejected[reason]++;
    this.options.onRejected(reason, detail);
    return { kind: "rejected", reason, detail };
  }

  private addOutcome(outcome: OutcomeDraft): void {
    if (this.pendingEvents.length === 0 && this.pendingOutcomes.length === 0) this.pendingSince = performance.now();
    this.pendingOutcomes.push(outcome);
    for (const reason of outcome.flags) this.counters.flagged[reason]++;
  }

  /**
   * Due batchMaxMs after the previous commit began, not after the oldest pending event arrived:
   * the same cadence under steady load, but events that queued up behind a slow commit (or any
   * stall of the thread) commit at once rather than waiting out a fresh window, which would put
   * the stall, a full window and their own commit on their latency. The oldest pending event
   * arrived after that commit began, so it never waits longer than batchMaxMs either.
   */
  private scheduleFlush(): void {
    if (this.flushTimer || this.closed) return;
    const sinceCommit = performance.now() - this.lastCommitStart;
    this.flushTimer = this.options.schedule(() => {
      this.flushTimer = undefined;
      if (!this.closed) this.flush();
    }, Math.max(0, this.options.batchMaxMs - sinceCommit));
  }

  private recordLatency(ms: number): void {
    this.latencies[this.latencyCount % LATENCY_SAMPLES] = ms;
    this.latencyCount++;
  }

  private remember(committedMs: number, o: OutcomeDraft): void {
    const timed = o.result !== "TIMEOUT" && o.flags.length === 0 ? 1 : 0;
    const entry = { committedMs, row: { robot_id: o.robot_id, action: o.action, object: o.object, result: o.result, duration_s: o.duration_s, timed } };
    if (this.recent.length < this.options.recentOutcomes) this.recent.push(entry);
    else {
      this.recent[this.recentHead] = entry;
      this.recentHead = (this.recentHead + 1) % this.options.recentOutcomes;
    }
  }
}
