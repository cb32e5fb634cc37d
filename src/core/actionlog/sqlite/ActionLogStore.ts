import Database from "better-sqlite3";
import type { ActionEvent, ActionOutcome, BuiltinInterfacesTime } from "../../interfaces/messages.generated.js";
import { actionKeyHash } from "./actionKeyHash.js";
import { KEY_GENERATION_BITS, migrate } from "./migrations.js";
import type { ClosedAction } from "../ClosedActions.js";
import { flagFields, type AcceptedEvent, type OutcomeDraft } from "../types.js";
import type { EventFilter, ExportedEvent, OutcomeFilter, PageOptions, RetentionPolicy, StatsRow } from "../logQueries.js";
import {
  EVENT_COLUMNS, OUTCOME_COLUMNS, newestIds, readEvents, readOutcomes, rowToEvent, rowToOutcome, where, whereOutcomes,
  type EventRow, type OutcomeRow,
} from "./logRows.js";

export { rowToEvent, rowToOutcome } from "./logRows.js";

/** Outcome ids are given by the store (see lastOutcomeId), never reused: keys_indexed_to relies on it. */
const OUTCOME_INSERT_COLUMNS = `id, ${OUTCOME_COLUMNS}, key_hash`;

export type Durability = "full" | "normal";

export interface ActionLogStoreOptions {
  /** SQLite file, or ":memory:" (tests). */
  readonly path: string;
  /**
   * full: synchronous=FULL, a committed batch survives power loss (default).
   * normal: synchronous=NORMAL, survives a process crash; the last batches may be lost on power loss.
   */
  readonly durability?: Durability;
}

/**
 * Rows per multi-row INSERT, largest first: a batch of n rows takes a few calls into SQLite
 * (500 = 7 x 64 + 3 x 16 + 1 x 4), each well under SQLite's 32,766-parameter limit.
 */
const ROWS_PER_INSERT = [64, 16, 4, 1] as const;
const EVENT_PARAMS = 13;
const OUTCOME_PARAMS = 18;

/** One multi-row INSERT statement and its reused parameter array. */
interface RowsInsert {
  readonly rows: number;
  readonly statement: Database.Statement;
  readonly params: unknown[];
}

/**
 * Committed outcomes whose keys are not yet in outcome_keys, at most, before a commit adds
 * them (sorted, in that commit's transaction). Thousands of sorted keys share the index's
 * pages, where a few hundred random ones per commit rewrote most of them. Well below the
 * pairer's closed cache (100,000 by default), which answers for these outcomes meanwhile.
 */
export const KEYS_PER_CATCH_UP = 8192;

/** The columns lookupClosed reads. */
const CLOSED_COLUMNS = "result, started_sec, started_nsec, ended_sec, ended_nsec, flag_reason";

/**
 * The durable half of the action log: events and outcomes in SQLite (WAL), written
 * in batches, one transaction per batch.
 */
export class ActionLogStore {
  readonly db: Database.Database;
  readonly path: string;
  readonly migratedFrom: number;
  private readonly insertEvents: readonly RowsInsert[];
  private readonly insertOutcomes: readonly RowsInsert[];
  private readonly setLowWater: Database.Statement;
  private readonly raiseRobotMax: Database.Statement;
  private readonly findClosed: Database.Statement;
  private readonly findClosedInTail: Database.Statement;
  private readonly catchUpKeys: Database.Statement;
  private readonly setKeysIndexedTo: Database.Statement;
  private readonly commitTx: (events: readonly AcceptedEvent[], outcomes: readonly OutcomeDraft[], committedMs: number, lowWater: number) => void;
  /** Outcomes with an id above this have no row in outcome_keys yet (the tail). */
  private keysIndexedTo: number;
  /**
   * The newest outcome id ever given (at least keys_indexed_to): the next outcome gets the next
   * id even when retention has emptied the table, so an id at or below keys_indexed_to is never
   * given again to an outcome whose key is not indexed.
   */
  private lastOutcomeId: number;
  /** Set inside commitTx, applied once its transaction committed. */
  private txLastOutcomeId = 0;
  private txKeysIndexedTo = 0;
  /** Counts the commits that also indexed the tail's keys (see keysCaughtUp). */
  private catchUps = 0;

  constructor(options: ActionLogStoreOptions) {
    this.path = options.path;
    this.db = new Database(options.path);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma(`synchronous = ${(options.durability ?? "full") === "full" ? "FULL" : "NORMAL"}`);
    this.db.pragma("busy_timeout = 5000");
    this.migratedFrom = migrate(this.db, options.path);
    const inserts = (table: string, columns: string, perRow: number): RowsInsert[] => {
      const row = `(${columns.split(",").map(() => "?").join(", ")})`;
      return ROWS_PER_INSERT.map((rows) => ({
        rows,
        statement: this.db.prepare(`INSERT INTO ${table} (${columns}) VALUES ${Array.from({ length: rows }, () => row).join(", ")}`),
        params: new Array<unknown>(rows * perRow),
      }));
    };
    this.insertEvents = inserts("events", EVENT_COLUMNS, EVENT_PARAMS);
    this.insertOutcomes = inserts("outcomes", OUTCOME_INSERT_COLUMNS, OUTCOME_PARAMS);
    this.raiseRobotMax = this.db.prepare(
      `INSERT INTO robots (robot_id, max_sec, max_nsec) VALUES (?, ?, ?) ON CONFLICT (robot_id) DO UPDATE
       SET max_sec = excluded.max_sec, max_nsec = excluded.max_nsec WHERE (excluded.max_sec, excluded.max_nsec) > (max_sec, max_nsec)`,
    );
    this.setLowWater = this.db.prepare("INSERT INTO meta (key, value) VALUES ('low_water', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value");
    // One seek per generation, oldest to newest stored (an IN list of them: a range on the
    // leading column would scan every key of the range instead).
    this.findClosed = this.db.prepare(
      `WITH RECURSIVE generations (g) AS (
         SELECT MIN(generation) FROM outcome_keys
         UNION ALL SELECT g + 1 FROM generations WHERE g < (SELECT MAX(generation) FROM outcome_keys)
       )
       SELECT ${CLOSED_COLUMNS} FROM outcome_keys k JOIN outcomes o ON o.id = k.outcome_id
       WHERE k.generation IN (SELECT g FROM generations) AND k.key_hash = ? AND o.robot_id = ? AND o.action_id = ?`,
    );
    this.findClosedInTail = this.db.prepare(`SELECT ${CLOSED_COLUMNS} FROM outcomes WHERE id > ? AND key_hash = ? AND robot_id = ? AND action_id = ?`);
    this.catchUpKeys = this.db.prepare(
      `INSERT INTO outcome_keys (generation, key_hash, outcome_id)
       SELECT id >> ${KEY_GENERATION_BITS}, key_hash, id FROM outcomes WHERE id > ? ORDER BY 1, 2, 3`,
    );
    this.setKeysIndexedTo = this.db.prepare("INSERT INTO meta (key, value) VALUES ('keys_indexed_to', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value");
    this.keysIndexedTo = (this.db.prepare("SELECT value FROM meta WHERE key = 'keys_indexed_to'").get() as { value: number } | undefined)?.value ?? 0;
    this.lastOutcomeId = Math.max(this.keysIndexedTo, (this.db.prepare("SELECT COALESCE(MAX(id), 0) AS id FROM outcomes").get() as { id: number }).id);
    const eventParams = (e: AcceptedEvent, out: unknown[], at: number) => {
      const m = e.event;
      const stamp = m.header.stamp;
      out[at] = e.id;
      out[at + 1] = m.robot_id;
      out[at + 2] = m.action_id;
      out[at + 3] = m.action;
      out[at + 4] = m.object;
      out[at + 5] = m.location;
      out[at + 6] = m.status;
      out[at + 7] = m.progress;
      out[at + 8] = m.detail;
      out[at + 9] = stamp.sec;
      out[at + 10] = stamp.nanosec;
      out[at + 11] = m.header.frame_id;
      out[at + 12] = e.recvMs;
    };
    let committedMsNow = 0;
    const outcomeParams = (o: OutcomeDraft, out: unknown[], at: number) => {
      out[at] = ++this.txLastOutcomeId;
      out[at + 1] = o.robot_id;
      out[at + 2] = o.action_id;
      out[at + 3] = o.action;
      out[at + 4] = o.object;
      out[at + 5] = o.location;
      out[at + 6] = o.result;
      out[at + 7] = o.reason;
      out[at + 8] = o.started_at.sec;
      out[at + 9] = o.started_at.nanosec;
      out[at + 10] = o.ended_at.sec;
      out[at + 11] = o.ended_at.nanosec;
      out[at + 12] = o.duration_s;
      out[at + 13] = o.progress_events;
      const { flagged, flag_reason } = flagFields(o.flags);
      out[at + 14] = flagged ? 1 : 0;
      out[at + 15] = flag_reason;
      out[at + 16] = committedMsNow;
      out[at + 17] = actionKeyHash(o.robot_id, o.action_id);
    };
    /** Inserts items with the fewest calls into SQLite. */
    const insertAll = <T>(items: readonly T[], inserts: readonly RowsInsert[], perRow: number, fill: (item: T, out: unknown[], at: number) => void): void => {
      let i = 0;
      for (const insert of inserts) {
        for (; i + insert.rows <= items.length; i += insert.rows) {
          const params = insert.params;
          for (let j = 0; j < insert.rows; j++) fill(items[i + j]!, params, j * perRow);
          insert.statement.run(params);
        }
      }
    };
    this.commitTx = this.db.transaction((events, outcomes, committedMs, lowWater) => {
      this.txKeysIndexedTo = this.keysIndexedTo;
      this.txLastOutcomeId = this.lastOutcomeId;
      committedMsNow = committedMs;
      insertAll(events, this.insertEvents, EVENT_PARAMS, eventParams);
      insertAll(outcomes, this.insertOutcomes, OUTCOME_PARAMS, outcomeParams);
      if (this.txLastOutcomeId - this.txKeysIndexedTo >= KEYS_PER_CATCH_UP) this.indexTail();
      const newest = new Map<string, BuiltinInterfacesTime>();
      for (const o of outcomes) {
        for (const t of [o.started_at, o.ended_at]) {
          const seen = newest.get(o.robot_id);
          if (!seen || t.sec > seen.sec || (t.sec === seen.sec && t.nanosec > seen.nanosec)) newest.set(o.robot_id, t);
        }
      }
      for (const [robotId, t] of newest) this.raiseRobotMax.run(robotId, t.sec, t.nanosec);
      this.setLowWater.run(lowWater);
    });
    // Outcomes a previous run committed without indexing their keys: index them now, so
    // that the tail holds only outcomes this process commits (and its pairer remembers).
    if (this.lastOutcomeId > this.keysIndexedTo) {
      this.txKeysIndexedTo = this.keysIndexedTo;
      this.txLastOutcomeId = this.lastOutcomeId;
      this.db.transaction(() => this.indexTail())();
      this.keysIndexedTo = this.lastOutcomeId;
    }
  }

  /** Adds the tail's keys to outcome_keys, sorted; inside a transaction (commitTx or the constructor). */
  private indexTail(): void {
    this.catchUpKeys.run(this.txKeysIndexedTo);
    this.setKeysIndexedTo.run(this.txLastOutcomeId);
    this.txKeysIndexedTo = this.txLastOutcomeId;
  }

  /**
   * How many commits have indexed the tail's keys so far, the open included. After one,
   * every committed outcome is in outcome_keys: what the tail holds then was committed later.
   */
  get keysCaughtUp(): number {
    return this.catchUps;
  }

  /** The id the next stored event gets (ids are assigned by the log, before the insert). */
  nextEventId(): number {
    const row = this.db.prepare("SELECT COALESCE(MAX(id), 0) + 1 AS next FROM events").get() as { next: number };
    return row.next;
  }

  /** Per robot, the newest stamp among its stored outcomes (see the robots table). */
  robotMaxStamps(): Map<string, BuiltinInterfacesTime> {
    const rows = this.db.prepare("SELECT robot_id, max_sec, max_nsec FROM robots").all() as { robot_id: string; max_sec: number; max_nsec: number }[];
    return new Map(rows.map((r) => [r.robot_id, { sec: r.max_sec, nanosec: r.max_nsec }]));
  }

  lowWater(): number {
    const row = this.db.prepare("SELECT value FROM meta WHERE key = 'low_water'").get() as { value: number } | undefined;
    return row?.value ?? 0;
  }

  /**
   * Writes one batch in one transaction. Outcomes are not checked for uniqueness
   * here: the pairer produces one per action, and asks lookupClosed before it opens
   * an action it has not seen in this process.
   */
  commit(events: readonly AcceptedEvent[], outcomes: readonly OutcomeDraft[], committedMs: number, lowWater: number): void {
    this.commitTx(events, outcomes, committedMs, lowWater);
    // Committed: now the in-memory marks may move.
    this.lastOutcomeId = this.txLastOutcomeId;
    if (this.txKeysIndexedTo !== this.keysIndexedTo) {
      this.keysIndexedTo = this.txKeysIndexedTo;
      this.catchUps++;
    }
  }

  /**
   * The recorded outcome of (robotId, actionId), if any. Outcomes in the tail (committed,
   * keys not yet indexed) are found only with scanTail; the log leaves it off while its
   * closed cache still holds every outcome of the tail (ClosedActions decides).
   */
  lookupClosed(robotId: string, actionId: string, scanTail = true): ClosedAction | undefined {
    const hash = actionKeyHash(robotId, actionId);
    type Row = { result: string; started_sec: number; started_nsec: number; ended_sec: number; ended_nsec: number; flag_reason: string };
    let row = this.findClosed.get(hash, robotId, actionId) as Row | undefined;
    if (!row && scanTail && this.lastOutcomeId > this.keysIndexedTo) row = this.findClosedInTail.get(this.keysIndexedTo, hash, robotId, actionId) as Row | undefined;
    if (!row) return undefined;
    const hadStart = !row.flag_reason.includes("end_without_start") && !row.flag_reason.includes("progress_without_start");
    return {
      startSec: hadStart ? row.started_sec : -1,
      startNsec: row.started_nsec,
      result: row.result,
      endSec: row.ended_sec,
      endNsec: row.ended_nsec,
    };
  }

  /** Events from `fromId` on, in arrival order, for replay after a restart. */
  *eventsFrom(fromId: number, pageSize = 5000): Generator<AcceptedEvent> {
    // Paged, because replay looks up outcomes on the same connection while it reads.
    const page = this.db.prepare(`SELECT ${EVENT_COLUMNS} FROM events WHERE id >= ? ORDER BY id LIMIT ?`);
    let from = fromId;
    for (;;) {
      const rows = page.all(from, pageSize) as EventRow[];
      for (const row of rows) yield { id: row.id, event: rowToEvent(row), recvMs: row.recv_ms };
      if (rows.length < pageSize) return;
      from = rows[rows.length - 1]!.id + 1;
    }
  }

  countEvents(): number {
    return (this.db.prepare("SELECT COUNT(*) AS n FROM events").get() as { n: number }).n;
  }

  countOutcomes(): number {
    return (this.db.prepare("SELECT COUNT(*) AS n FROM outcomes").get() as { n: number }).n;
  }

  /** Newest first, `pageSize` at a time; the cursor is the last row id returned. */
  queryOutcomes(filter: OutcomeFilter, pageSize: number, cursor: number | undefined): { outcomes: ActionOutcome[]; nextCursor: number | undefined; total: number } {
    const params: unknown[] = [];
    const clauses = whereOutcomes(filter, params);
    const total = (this.db.prepare(`SELECT COUNT(*) AS n FROM outcomes${where(clauses)}`).get(params) as { n: number }).n;
    if (cursor !== undefined) {
      clauses.push("id < ?");
      params.push(cursor);
    }
    const rows = this.db.prepare(`SELECT id, ${OUTCOME_COLUMNS} FROM outcomes${where(clauses)} ORDER BY id DESC LIMIT ?`).all(...params, pageSize + 1) as OutcomeRow[];
    const more = rows.length > pageSize;
    if (more) rows.length = pageSize;
    return { outcomes: rows.map(rowToOutcome), nextCursor: more ? rows[rows.length - 1]!.id : undefined, total };
  }

  statsRows(filter: OutcomeFilter): StatsRow[] {
    const params: unknown[] = [];
    const clauses = whereOutcomes(filter, params);
    return this.db
      .prepare(
        `SELECT robot_id, action, object, result, duration_s,
           (result != 'TIMEOUT' AND instr(flag_reason, 'without_start') = 0 AND instr(flag_reason, 'end_before_start') = 0) AS timed
         FROM outcomes${where(clauses)}`,
      )
      .all(params) as StatsRow[];
  }

  /** The newest event and outcome row ids: an export reads up to these, a snapshot of the log at its start. */
  newestIds(): { readonly event: number; readonly outcome: number } {
    return newestIds(this.db);
  }

  /** Events in arrival order, a page at a time (see readEvents). */
  iterateEvents(filter: EventFilter, page: PageOptions = {}): Generator<ExportedEvent> {
    return readEvents(this.db, filter, page);
  }

  /** Outcomes in commit order, a page at a time (see readEvents). */
  iterateOutcomes(filter: OutcomeFilter, page: PageOptions = {}): Generator<ActionOutcome> {
    return readOutcomes(this.db, filter, page);
  }

  /**
   * Deletes what the policy no longer keeps. Events at or above `lowWater` belong to
   * open actions and are never deleted: replay after a restart needs them.
   */
  applyRetention(policy: RetentionPolicy, nowMs: number, lowWater: number): { events: number; outcomes: number } {
    let events = 0;
    let outcomes = 0;
    this.db.transaction(() => {
      if (policy.maxAgeS > 0) {
        const cutoff = nowMs - policy.maxAgeS * 1000;
        events += this.db.prepare("DELETE FROM events WHERE recv_ms < ? AND id < ?").run(cutoff, lowWater).changes;
        outcomes += this.db.prepare("DELETE FROM outcomes WHERE committed_ms < ?").run(cutoff).changes;
      }
      if (policy.maxEvents > 0) {
        events += this.db
          .prepare("DELETE FROM events WHERE id < ? AND id <= (SELECT MAX(id) FROM events) - ?")
          .run(lowWater, policy.maxEvents).changes;
      }
      if (policy.maxOutcomes > 0) {
        outcomes += this.db.prepare("DELETE FROM outcomes WHERE id <= (SELECT MAX(id) FROM outcomes) - ?").run(policy.maxOutcomes).changes;
      }
      if (outcomes > 0) {
        // Keys of deleted outcomes. Retention deletes the oldest ids, so their keys sit in the
        // oldest generations; a key left behind by any other deletion finds no outcome in
        // lookupClosed's join, so it is harmless.
        this.db
          .prepare(
            `WITH kept (first_id) AS (SELECT COALESCE(MIN(id), 9007199254740991) FROM outcomes)
             DELETE FROM outcome_keys WHERE generation <= (SELECT first_id >> ${KEY_GENERATION_BITS} FROM kept) AND outcome_id < (SELECT first_id FROM kept)`,
          )
          .run();
      }
    })();
    return { events, outcomes };
  }

  /** The journal mode and synchronous level this connection writes with (tests pin them). */
  durabilityPragmas(): { journal_mode: string; synchronous: number } {
    return { journal_mode: this.db.pragma("journal_mode", { simple: true }) as string, synchronous: this.db.pragma("synchronous", { simple: true }) as number };
  }

  /** PRAGMA integrity_check; "ok" when the file is sound. */
  integrityCheck(): string {
    const rows = this.db.pragma("integrity_check") as { integrity_check: string }[];
    return rows.map((r) => r.integrity_check).join("; ");
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
