/**
 * The shapes the outcome log is queried in: filters, paging, retention and the rows stats and
 * export read. They belong to the port (OutcomeLogPort.ts), not to a store: the SQLite store
 * (sqlite/) and the fleet's PostgreSQL store both answer them.
 */
import type { ActionEvent, BuiltinInterfacesTime } from "../interfaces/messages.generated.js";

/** Filters shared by query, stats and export; '' and undefined mean "all". */
export interface OutcomeFilter {
  readonly robotId?: string;
  readonly action?: string;
  readonly object?: string;
  readonly result?: string;
  /** On ended_at; undefined means unbounded. */
  readonly since?: BuiltinInterfacesTime;
  readonly until?: BuiltinInterfacesTime;
}

export interface EventFilter {
  readonly robotId?: string;
  readonly since?: BuiltinInterfacesTime;
  readonly until?: BuiltinInterfacesTime;
}

/** How iterateEvents and iterateOutcomes read. */
export interface PageOptions {
  /** Rows per query (default 5000). */
  readonly pageSize?: number;
  /** Read no row with a higher id (default: to the end, rows committed meanwhile included). */
  readonly throughId?: number;
}

/** An event as exported: the message and its arrival time. */
export type ExportedEvent = ActionEvent & { recv_ms: number };

export interface StatsRow {
  readonly robot_id: string;
  readonly action: string;
  readonly object: string;
  readonly result: string;
  readonly duration_s: number;
  /** 1 when the duration is a real measurement (a start and an end, not a timeout). */
  readonly timed: number;
}

export interface RetentionPolicy {
  /** Delete rows that arrived more than this long ago; 0 keeps everything. */
  readonly maxAgeS: number;
  /** Keep at most this many outcomes (the newest); 0 means no limit. */
  readonly maxOutcomes: number;
  /** Keep at most this many events (the newest); 0 means no limit. */
  readonly maxEvents: number;
}
