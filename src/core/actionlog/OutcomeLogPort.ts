/**
 * What the action log's core needs from a durable outcome store. ActionLog is given one (the node
 * builds it); the SQLite store (sqlite/ActionLogStore.ts) implements it, and another store can.
 *
 * Split by who uses it: the ingest path writes (OutcomeLogWriter), which includes what ClosedActions
 * asks of the store (ClosedActionSource: the recorded outcome of an action, and the key catch-ups);
 * services and export read (OutcomeLogReader). The fleet's
 * PostgreSQL store answers the reader's questions asynchronously (src/core/fleet/FleetStore.ts).
 *
 * Synchronous on purpose for now: the log's hot path commits in one synchronous SQLite
 * transaction. test/fleet-ports.test.ts checks that ActionLogStore satisfies this port, so the
 * two cannot drift apart unnoticed.
 */
import type { ActionEvent, ActionOutcome, BuiltinInterfacesTime } from "../interfaces/messages.generated.js";
import type { EventFilter, OutcomeFilter, PageOptions, RetentionPolicy, StatsRow } from "./logQueries.js";
import type { ClosedAction, ClosedActionSource } from "./ClosedActions.js";
import type { AcceptedEvent, OutcomeDraft } from "./types.js";

export type { EventFilter, OutcomeFilter, PageOptions, RetentionPolicy, StatsRow, ClosedAction };

export interface OutcomeLogWriter extends ClosedActionSource {
  /** One batch in one transaction: events, their new outcomes, and the replay low-water mark. */
  commit(events: readonly AcceptedEvent[], outcomes: readonly OutcomeDraft[], committedMs: number, lowWater: number): void;
  /** Where replay starts after a restart (the first event of the oldest open action). */
  lowWater(): number;
  nextEventId(): number;
  /** Per robot, the newest stamp among stored outcomes (lets the pairer skip lookups). */
  robotMaxStamps(): Map<string, BuiltinInterfacesTime>;
  eventsFrom(fromId: number): Iterable<AcceptedEvent>;
  applyRetention(policy: RetentionPolicy, nowMs: number, lowWater: number): { events: number; outcomes: number };
  close(): void;
}

export interface OutcomeLogReader {
  queryOutcomes(filter: OutcomeFilter, pageSize: number, cursor: number | undefined): { outcomes: ActionOutcome[]; nextCursor: number | undefined; total: number };
  statsRows(filter: OutcomeFilter): StatsRow[];
  /** Highest event and outcome ids now: an export reads through them, not into rows stored after it began. */
  newestIds(): { readonly event: number; readonly outcome: number };
  iterateEvents(filter: EventFilter, page?: PageOptions): Iterable<ActionEvent & { recv_ms: number }>;
  iterateOutcomes(filter: OutcomeFilter, page?: PageOptions): Iterable<ActionOutcome>;
  countEvents(): number;
  countOutcomes(): number;
}

/** The whole local outcome log: what ActionLog holds today as `store`. */
export interface OutcomeLogPort extends OutcomeLogWriter, OutcomeLogReader {
  /** The file it lives in (the fleet outbox attaches to it). */
  readonly path: string;
}
