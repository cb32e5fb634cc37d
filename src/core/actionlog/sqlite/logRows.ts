/**
 * Reading the log's rows: the filters, the row shapes, and the paged, id-bounded reads an
 * export makes. Shared by the store's own connection and the export worker's read-only one.
 */
import type Database from "better-sqlite3";
import type { ActionEvent, ActionOutcome, BuiltinInterfacesTime } from "../../interfaces/messages.generated.js";
import type { EventFilter, ExportedEvent, OutcomeFilter, PageOptions } from "../logQueries.js";
import { millisToTime } from "../../time.js";


export const EVENT_COLUMNS = "id, robot_id, action_id, action, object, location, status, progress, detail, stamp_sec, stamp_nsec, frame_id, recv_ms";
export const OUTCOME_COLUMNS =
  "robot_id, action_id, action, object, location, result, reason, started_sec, started_nsec, ended_sec, ended_nsec, duration_s, progress_events, flagged, flag_reason, committed_ms";

export interface EventRow {
  id: number; robot_id: string; action_id: string; action: string; object: string; location: string; status: string;
  progress: number; detail: string; stamp_sec: number; stamp_nsec: number; frame_id: string; recv_ms: number;
}
export interface OutcomeRow {
  id: number; robot_id: string; action_id: string; action: string; object: string; location: string; result: string; reason: string;
  started_sec: number; started_nsec: number; ended_sec: number; ended_nsec: number; duration_s: number; progress_events: number;
  flagged: number; flag_reason: string; committed_ms: number;
}

export function rowToEvent(row: EventRow): ActionEvent {
  return {
    header: { stamp: { sec: row.stamp_sec, nanosec: row.stamp_nsec }, frame_id: row.frame_id },
    robot_id: row.robot_id, action_id: row.action_id, action: row.action, object: row.object, location: row.location,
    status: row.status, progress: row.progress, detail: row.detail,
  };
}

export function rowToOutcome(row: OutcomeRow): ActionOutcome {
  return {
    header: { stamp: millisToTime(row.committed_ms), frame_id: "" },
    robot_id: row.robot_id, action_id: row.action_id, action: row.action, object: row.object, location: row.location,
    result: row.result, reason: row.reason,
    started_at: { sec: row.started_sec, nanosec: row.started_nsec },
    ended_at: { sec: row.ended_sec, nanosec: row.ended_nsec },
    duration_s: row.duration_s, progress_events: row.progress_events, flagged: row.flagged === 1, flag_reason: row.flag_reason,
  };
}

/** Builds "col op ?" clauses for the filters that are set. */
export function whereOutcomes(filter: OutcomeFilter, params: unknown[]): string[] {
  const clauses: string[] = [];
  for (const [column, value] of [["robot_id", filter.robotId], ["action", filter.action], ["object", filter.object], ["result", filter.result]] as const) {
    if (value) {
      clauses.push(`${column} = ?`);
      params.push(value);
    }
  }
  timeRange("ended", filter, clauses, params);
  return clauses;
}

export function whereEvents(filter: EventFilter, params: unknown[]): string[] {
  const clauses: string[] = [];
  if (filter.robotId) {
    clauses.push("robot_id = ?");
    params.push(filter.robotId);
  }
  timeRange("stamp", filter, clauses, params);
  return clauses;
}

/** Inclusive [since, until] on a (<column>_sec, <column>_nsec) stamp; either bound may be absent. */
function timeRange(
  column: "ended" | "stamp",
  filter: { readonly since?: BuiltinInterfacesTime | undefined; readonly until?: BuiltinInterfacesTime | undefined },
  clauses: string[],
  params: unknown[],
): void {
  if (filter.since) {
    clauses.push(`(${column}_sec, ${column}_nsec) >= (?, ?)`);
    params.push(filter.since.sec, filter.since.nanosec);
  }
  if (filter.until) {
    clauses.push(`(${column}_sec, ${column}_nsec) <= (?, ?)`);
    params.push(filter.until.sec, filter.until.nanosec);
  }
}

export const where = (clauses: string[]) => (clauses.length ? ` WHERE ${clauses.join(" AND ")}` : "");


/** The newest event and outcome row ids: an export reads up to these, a snapshot of the log at its start. */
export function newestIds(db: Database.Database): { readonly event: number; readonly outcome: number } {
  return db.prepare("SELECT (SELECT COALESCE(MAX(id), 0) FROM events) AS event, (SELECT COALESCE(MAX(id), 0) FROM outcomes) AS outcome").get() as {
    event: number;
    outcome: number;
  };
}

/**
 * Events in arrival order, read a page at a time: no SQLite cursor (and no read transaction)
 * stays open between pages, so commits on the same connection go on during an export, and
 * on another connection the WAL checkpoint is never held back by it.
 */
export function* readEvents(db: Database.Database, filter: EventFilter, page: PageOptions = {}): Generator<ExportedEvent> {
  const params: unknown[] = [];
  const clauses = whereEvents(filter, params);
  for (const row of pages<EventRow>(db, "events", EVENT_COLUMNS, clauses, params, page)) yield { ...rowToEvent(row), recv_ms: row.recv_ms };
}

/** Outcomes in commit order, a page at a time (see readEvents). */
export function* readOutcomes(db: Database.Database, filter: OutcomeFilter, page: PageOptions = {}): Generator<ActionOutcome> {
  const params: unknown[] = [];
  const clauses = whereOutcomes(filter, params);
  for (const row of pages<OutcomeRow>(db, "outcomes", `id, ${OUTCOME_COLUMNS}`, clauses, params, page)) yield rowToOutcome(row);
}

/** Rows of a table in id order, pageSize at a time, up to page.throughId. */
function* pages<Row extends { id: number }>(db: Database.Database, table: string, columns: string, clauses: string[], params: unknown[], page: PageOptions): Generator<Row> {
  const pageSize = page.pageSize ?? 5000;
  clauses.push("id > ?", "id <= ?");
  const statement = db.prepare(`SELECT ${columns} FROM ${table}${where(clauses)} ORDER BY id LIMIT ?`);
  let after = 0;
  for (;;) {
    const rows = statement.all(...params, after, page.throughId ?? Number.MAX_SAFE_INTEGER, pageSize) as Row[];
    yield* rows;
    if (rows.length < pageSize) return;
    after = rows[rows.length - 1]!.id;
  }
}
