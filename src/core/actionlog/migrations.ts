/**
 * Schema versions of the action log database, kept in PRAGMA user_version.
 * A release opens any older log by running the steps above its version, in one
 * transaction; a log written by a newer release is refused rather than damaged.
 *
 * v1 was the first layout (events and outcomes, no flags, no arrival times).
 * v2 adds arrival/commit times, flagged outcomes, a time index and a meta table
 * (holding the replay low-water mark that makes crash recovery cheap).
 */
import type { Database } from "better-sqlite3";

export const SCHEMA_VERSION = 2;

/** The v1 layout, also used by tests to write an "old release" database. */
export const SCHEMA_V1 = `
CREATE TABLE events (
  id INTEGER PRIMARY KEY,
  robot_id TEXT NOT NULL, action_id TEXT NOT NULL, action TEXT NOT NULL, object TEXT NOT NULL,
  location TEXT NOT NULL, status TEXT NOT NULL, progress REAL NOT NULL, detail TEXT NOT NULL,
  stamp_sec INTEGER NOT NULL, stamp_nsec INTEGER NOT NULL
);
CREATE TABLE outcomes (
  id INTEGER PRIMARY KEY,
  robot_id TEXT NOT NULL, action_id TEXT NOT NULL, action TEXT NOT NULL, object TEXT NOT NULL,
  location TEXT NOT NULL, result TEXT NOT NULL, reason TEXT NOT NULL,
  started_sec INTEGER NOT NULL, started_nsec INTEGER NOT NULL,
  ended_sec INTEGER NOT NULL, ended_nsec INTEGER NOT NULL,
  duration_s REAL NOT NULL, progress_events INTEGER NOT NULL,
  UNIQUE (robot_id, action_id)
);
`;

const STEPS: Record<number, string> = {
  1: SCHEMA_V1,
  2: `
ALTER TABLE events ADD COLUMN frame_id TEXT NOT NULL DEFAULT '';
-- Arrival time was not kept in v1: the event's own stamp is the best estimate.
ALTER TABLE events ADD COLUMN recv_ms INTEGER NOT NULL DEFAULT 0;
UPDATE events SET recv_ms = stamp_sec * 1000 + stamp_nsec / 1000000;
ALTER TABLE outcomes ADD COLUMN flagged INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outcomes ADD COLUMN flag_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE outcomes ADD COLUMN committed_ms INTEGER NOT NULL DEFAULT 0;
UPDATE outcomes SET committed_ms = ended_sec * 1000 + ended_nsec / 1000000;
CREATE INDEX outcomes_ended ON outcomes (ended_sec, ended_nsec);
CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
-- v1 kept no replay mark: replay from the first event (outcomes already recorded are skipped).
INSERT INTO meta (key, value) VALUES ('low_water', 0);
`,
};

export class SchemaVersionError extends Error {
  constructor(
    readonly path: string,
    readonly found: number,
  ) {
    super(
      `action log ${path} has schema version ${found}, newer than this release understands (${SCHEMA_VERSION}); ` +
        `upgrade embodied_assistant, or set database_path to another file`,
    );
    this.name = "SchemaVersionError";
  }
}

/** Brings the database to SCHEMA_VERSION; returns the version it had. */
export function migrate(db: Database, path: string): number {
  const found = db.pragma("user_version", { simple: true }) as number;
  if (found > SCHEMA_VERSION) throw new SchemaVersionError(path, found);
  if (found === SCHEMA_VERSION) return found;
  db.transaction(() => {
    for (let version = found + 1; version <= SCHEMA_VERSION; version++) db.exec(STEPS[version]!);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  })();
  return found;
}
