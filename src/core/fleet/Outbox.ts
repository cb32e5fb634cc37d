/**
 * The fleet outbox: a table in a robot's local SQLite file (the action log's or the memory's),
 * filled by a trigger on the table whose rows the fleet should get. The trigger runs inside the
 * store's own commit transaction, so a row is in the outbox exactly when the local commit (the
 * acknowledgement) happened: no crash window between "stored" and "queued for the fleet", and no
 * change to the store's code. The forwarder reads the oldest entries, ships them, and deletes
 * them (ack) only after the fleet store committed them.
 *
 * Capture is continuous while the trigger exists. detach() removes it and records how far capture
 * went (captured_to); the next attach() first enqueues the rows stored meanwhile, in the same
 * transaction that re-creates the trigger. The first attach to a file with history enqueues all of
 * it: the fleet gets the robot's whole log, not just what happens after fleet.url was set.
 */
import Database from "better-sqlite3";
import { randomUUID } from "node:crypto";
import type { FleetOutcome, OutboxEntry, OutboxKind } from "./types.js";

/** A local table whose new rows go to the fleet, and how one row becomes an outbox entry. */
export interface OutboxSource {
  readonly kind: OutboxKind;
  readonly table: string;
  /** Its integer primary key (increasing: rows are captured and backfilled in its order). */
  readonly rowId: string;
  /** The payload as a json_object(...) over the row alias r. */
  readonly payload: (r: string) => string;
  /** Blob columns copied alongside (episodes: text_hv, episode_hv, embedding), or NULLs. */
  readonly blobs: (r: string) => string;
  /**
   * Whether deleting a source row scrubs its unshipped entry. Episodes: a deletion is the memory's
   * ~/forget, which must not leave the text in the outbox. Outcomes: deletions are local
   * retention, and the fleet still gets them.
   */
  readonly forgetOnDelete: boolean;
}

const OUTCOME_FIELDS = [
  "robot_id", "action_id", "action", "object", "location", "result", "reason", "started_sec", "started_nsec",
  "ended_sec", "ended_nsec", "duration_s", "progress_events", "flagged", "flag_reason", "committed_ms",
] as const;
const EPISODE_FIELDS = ["id", "sec", "nanosec", "robot_id", "agent", "action", "object", "location", "result", "description", "source"] as const;

const jsonObject = (fields: readonly string[], r: string) => `json_object(${fields.map((f) => `'${f}', ${r}.${f}`).join(", ")})`;

/** The action log's outcomes table (src/core/actionlog/sqlite/migrations.ts, v3). */
export const OUTCOMES_SOURCE: OutboxSource = {
  kind: "outcome",
  table: "outcomes",
  rowId: "id",
  payload: (r) => jsonObject(OUTCOME_FIELDS, r),
  blobs: () => "NULL, NULL, NULL",
  forgetOnDelete: false,
};

/** The memory's episodes table (src/core/memory/sqlite/SqliteEpisodeStore.ts). */
export const EPISODES_SOURCE: OutboxSource = {
  kind: "episode",
  table: "episodes",
  rowId: "seq",
  payload: (r) => jsonObject(EPISODE_FIELDS, r),
  blobs: (r) => `${r}.text_hv, ${r}.episode_hv, ${r}.embedding`,
  forgetOnDelete: true,
};

const TRIGGER = "fleet_outbox_capture";
/**
 * A deleted source row's unshipped entry becomes a tombstone (kind 'forgotten', no content) in
 * the same transaction, rather than being deleted: seqs stay consecutive, which backlog() and
 * enforceLimit() rely on, and the forwarder acks tombstones without shipping them. The trigger
 * stays when capture is detached, so a forget still reaches entries left waiting.
 */
const FORGET_TRIGGER = "fleet_outbox_forget";
const TOMBSTONE = "forgotten";
/** Wall-clock milliseconds in SQLite (julianday has sub-millisecond resolution). */
const NOW_MS = "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)";
const COLUMNS = "kind, local_id, created_ms, payload, text_hv, episode_hv, embedding";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS fleet_outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  local_id INTEGER NOT NULL,
  created_ms INTEGER NOT NULL,
  payload TEXT NOT NULL,
  text_hv BLOB, episode_hv BLOB, embedding BLOB
);
CREATE TABLE IF NOT EXISTS fleet_outbox_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);`;

export class OutboxAttachError extends Error {
  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    super(`cannot attach the fleet outbox to ${path}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = "OutboxAttachError";
  }
}

interface Row {
  seq: number;
  kind: string;
  created_ms: number;
  payload: string;
  text_hv: Buffer | null;
  episode_hv: Buffer | null;
  embedding: Buffer | null;
}

function toEntry(row: Row): OutboxEntry {
  const p = JSON.parse(row.payload) as Record<string, unknown>;
  if (row.kind === "outcome") {
    // The payload holds the outcomes table's columns: flags as 0/1, stamps as sec/nsec pairs.
    // Built field by field: a rest-spread here cost more than the JSON parse (the forwarder's hot path).
    const o = p as Record<(typeof OUTCOME_FIELDS)[number], never>;
    const outcome: FleetOutcome = {
      robot_id: o.robot_id, action_id: o.action_id, action: o.action, object: o.object, location: o.location, result: o.result,
      reason: o.reason, started_at: { sec: o.started_sec, nanosec: o.started_nsec }, ended_at: { sec: o.ended_sec, nanosec: o.ended_nsec },
      duration_s: o.duration_s, progress_events: o.progress_events, flagged: (o.flagged as number) === 1, flag_reason: o.flag_reason,
      committed_ms: o.committed_ms,
    };
    return { kind: "outcome", seq: row.seq, createdMs: row.created_ms, outcome };
  }
  const e = p as Record<(typeof EPISODE_FIELDS)[number], string> & { sec: number; nanosec: number };
  return {
    kind: "episode",
    seq: row.seq,
    createdMs: row.created_ms,
    episode: {
      episode: {
        id: e.id, stamp: { sec: e.sec, nanosec: e.nanosec }, robot_id: e.robot_id, agent: e.agent, action: e.action, object: e.object,
        location: e.location, result: e.result, description: e.description, source: e.source,
      },
      textHv: row.text_hv ?? new Uint8Array(0),
      episodeHv: row.episode_hv ?? new Uint8Array(0),
      embedding: row.embedding ?? new Uint8Array(0),
    },
  };
}

export class Outbox {
  readonly path: string;
  readonly source: OutboxSource;
  /** Random id of this outbox's sequence (see ShipBatch.stream). */
  readonly stream: string;
  private readonly db: Database.Database;
  private readonly peekRows: Database.Statement;
  private readonly deleteThrough: Database.Statement;
  private readonly deleteTombstoneTail: Database.Statement;
  private readonly bounds: Database.Statement;
  private readonly setMeta: Database.Statement;
  private droppedTotal: number;

  private constructor(path: string, source: OutboxSource, db: Database.Database) {
    this.path = path;
    this.source = source;
    this.db = db;
    const meta = (key: string) => (db.prepare("SELECT value FROM fleet_outbox_meta WHERE key = ?").get(key) as { value: string } | undefined)?.value;
    this.setMeta = db.prepare("INSERT INTO fleet_outbox_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value");
    this.stream = meta("stream")!;
    this.droppedTotal = Number(meta("dropped") ?? 0);
    this.peekRows = db.prepare(`SELECT seq, kind, created_ms, payload, text_hv, episode_hv, embedding FROM fleet_outbox WHERE seq > ? AND kind <> '${TOMBSTONE}' ORDER BY seq LIMIT ?`);
    this.deleteTombstoneTail = db.prepare(
      `DELETE FROM fleet_outbox WHERE seq > COALESCE((SELECT MAX(seq) FROM fleet_outbox WHERE kind <> '${TOMBSTONE}'), 0)`,
    );
    this.deleteThrough = db.prepare("DELETE FROM fleet_outbox WHERE seq <= ?");
    this.bounds = db.prepare("SELECT MIN(seq) AS lo, MAX(seq) AS hi FROM fleet_outbox");
  }

  /**
   * Opens its own connection to the store's file (which must exist and hold the source table),
   * creates the outbox tables, enqueues rows not captured yet, and installs the capture trigger.
   */
  static attach(path: string, source: OutboxSource): Outbox {
    if (path === "" || path === ":memory:") throw new OutboxAttachError(path || "(no file)", new Error("the fleet needs the store in a file (set db_path)"));
    let db: Database.Database | undefined;
    try {
      db = new Database(path, { fileMustExist: true });
      db.pragma("journal_mode = WAL");
      // An ack lost to a power cut only makes the forwarder resend, and the fleet store drops repeats.
      db.pragma("synchronous = NORMAL");
      db.pragma("busy_timeout = 5000");
      const conn = db;
      conn.transaction(() => {
        conn.exec(SCHEMA);
        const put = conn.prepare("INSERT INTO fleet_outbox_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING");
        put.run("stream", randomUUID());
        put.run("captured_to", "0");
        const hasTrigger = conn.prepare("SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = ?").get(TRIGGER) !== undefined;
        if (!hasTrigger) {
          const from = Number((conn.prepare("SELECT value FROM fleet_outbox_meta WHERE key = 'captured_to'").get() as { value: string }).value);
          const { table, rowId } = source;
          conn.prepare(`INSERT INTO fleet_outbox (${COLUMNS}) SELECT '${source.kind}', r.${rowId}, ${NOW_MS}, ${source.payload("r")}, ${source.blobs("r")}
            FROM ${table} r WHERE r.${rowId} > ? ORDER BY r.${rowId}`).run(from);
          conn.exec(`CREATE TRIGGER ${TRIGGER} AFTER INSERT ON ${table} BEGIN
            INSERT INTO fleet_outbox (${COLUMNS}) VALUES ('${source.kind}', NEW.${rowId}, ${NOW_MS}, ${source.payload("NEW")}, ${source.blobs("NEW")});
          END`);
        }
        if (source.forgetOnDelete) {
          // The memory's file only (a few inserts a second): the index keeps a forget from scanning the outbox.
          conn.exec(`CREATE INDEX IF NOT EXISTS fleet_outbox_local_id ON fleet_outbox (local_id)`);
          conn.exec(`CREATE TRIGGER IF NOT EXISTS ${FORGET_TRIGGER} AFTER DELETE ON ${source.table} BEGIN
            UPDATE fleet_outbox SET kind = '${TOMBSTONE}', payload = '{}', text_hv = NULL, episode_hv = NULL, embedding = NULL
              WHERE local_id = OLD.${source.rowId} AND kind = '${source.kind}';
          END`);
        }
      })();
      return new Outbox(path, source, conn);
    } catch (error) {
      db?.close();
      throw error instanceof OutboxAttachError ? error : new OutboxAttachError(path, error);
    }
  }

  /**
   * Stops capture in a file that has it (fleet.url was cleared): without a forwarder the outbox
   * would only grow. Records how far capture went, for the next attach. Returns the entries left
   * unshipped, or undefined when the file had no outbox. Reads only, when there is nothing to stop.
   */
  static detach(path: string, source: OutboxSource): number | undefined {
    if (path === "" || path === ":memory:") return undefined;
    let db: Database.Database;
    try {
      db = new Database(path, { fileMustExist: true });
    } catch {
      return undefined;
    }
    try {
      if (db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = ?").get(TRIGGER) === undefined) return undefined;
      db.pragma("busy_timeout = 5000");
      return db.transaction(() => {
        const to = (db.prepare(`SELECT COALESCE(MAX(${source.rowId}), 0) AS n FROM ${source.table}`).get() as { n: number }).n;
        db.prepare("INSERT INTO fleet_outbox_meta (key, value) VALUES ('captured_to', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(String(to));
        db.exec(`DROP TRIGGER ${TRIGGER}`);
        return (db.prepare("SELECT COUNT(*) AS n FROM fleet_outbox").get() as { n: number }).n;
      })();
    } finally {
      db.close();
    }
  }

  /**
   * Up to `limit` entries after `afterSeq` (0: from the oldest), oldest first, without the
   * tombstones of forgotten ones (those among them go with the next ack).
   */
  peek(limit: number, afterSeq = 0): OutboxEntry[] {
    return (this.peekRows.all(afterSeq, limit) as Row[]).map(toEntry);
  }

  /** Deletes the tombstones after the last real entry, which no ack would reach. Returns how many. */
  dropTombstoneTail(): number {
    return this.deleteTombstoneTail.run().changes;
  }

  /** Deletes every entry up to and including seq: the fleet store has committed them. */
  ack(throughSeq: number): number {
    return this.deleteThrough.run(throughSeq).changes;
  }

  /** Entries waiting. Seqs are consecutive (deletes only ever take the oldest), so this is O(log n). */
  backlog(): number {
    const { lo, hi } = this.bounds.get() as { lo: number | null; hi: number | null };
    return lo === null || hi === null ? 0 : hi - lo + 1;
  }

  /** Wall-clock ms when the oldest waiting entry was committed locally; undefined when empty. */
  oldestCreatedMs(): number | undefined {
    const row = this.db.prepare("SELECT created_ms FROM fleet_outbox ORDER BY seq LIMIT 1").get() as { created_ms: number } | undefined;
    return row?.created_ms;
  }

  /**
   * Keeps at most maxEntries, dropping the oldest: a robot cut off for longer than its outbox
   * holds loses the fleet's copy of its oldest records (they stay in its local store), rather than
   * its disk or its local ingest. Returns how many were dropped now; dropped() counts them all.
   */
  enforceLimit(maxEntries: number): number {
    const { lo, hi } = this.bounds.get() as { lo: number | null; hi: number | null };
    if (lo === null || hi === null || hi - lo + 1 <= maxEntries) return 0;
    const through = hi - maxEntries;
    const dropped = this.db.transaction(() => {
      const n = this.deleteThrough.run(through).changes;
      this.droppedTotal += n;
      this.setMeta.run("dropped", String(this.droppedTotal));
      return n;
    })();
    return dropped;
  }

  /** Entries ever dropped by enforceLimit (kept in the file across restarts). */
  dropped(): number {
    return this.droppedTotal;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
