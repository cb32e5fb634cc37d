/**
 * Schema versions of the action log database, kept in PRAGMA user_version.
 * A release opens any older log by running the steps above its version, in one
 * transaction; a log written by a newer release is refused rather than damaged.
 *
 * v1 was the first layout (events and outcomes, no flags, no arrival times, outcomes
 * unique on the text pair (robot_id, action_id)).
 * v2 adds arrival/commit times, flagged outcomes and a meta table (holding the replay
 * low-water mark that makes crash recovery cheap), and indexes outcomes by an integer
 * hash of (robot_id, action_id) instead: a much smaller index on the hot write path.
 * v3 moves that key index into its own table, outcome_keys, filled in bulk: an index on a
 * hash takes its inserts at random places, so each commit of a few hundred outcomes
 * rewrote most of the index's pages (a quarter of the node's write cost). The store now
 * adds the keys of committed outcomes a few thousand at a time, sorted, inside a batch's
 * transaction (ActionLogStore: keysIndexedTo, KEYS_PER_CATCH_UP); the outcomes above the
 * mark are found by the pairer's closed cache, or by a short scan of the tail.
 * v4 leads outcome_keys with a generation (outcome_id >> KEY_GENERATION_BITS): a catch-up's
 * sorted keys then land in the newest generation's part of the tree, a bounded number of
 * pages, where v3 spread them over the whole index and each catch-up grew with the log
 * (15 ms at 80,000 outcomes, 44 ms at 490,000). A lookup seeks once per generation.
 */
import type { Database } from "better-sqlite3";
import { actionKeyHash } from "./actionKeyHash.js";

export const SCHEMA_VERSION = 4;

/** Outcome ids per generation of outcome_keys (v4): 65,536, eight catch-ups' worth. */
export const KEY_GENERATION_BITS = 16;

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
-- A table constraint cannot be dropped in place: rebuild outcomes (SQLite's documented way).
CREATE TABLE outcomes_v2 (
  id INTEGER PRIMARY KEY,
  robot_id TEXT NOT NULL, action_id TEXT NOT NULL, action TEXT NOT NULL, object TEXT NOT NULL,
  location TEXT NOT NULL, result TEXT NOT NULL, reason TEXT NOT NULL,
  started_sec INTEGER NOT NULL, started_nsec INTEGER NOT NULL,
  ended_sec INTEGER NOT NULL, ended_nsec INTEGER NOT NULL,
  duration_s REAL NOT NULL, progress_events INTEGER NOT NULL,
  flagged INTEGER NOT NULL DEFAULT 0, flag_reason TEXT NOT NULL DEFAULT '',
  committed_ms INTEGER NOT NULL DEFAULT 0, key_hash INTEGER NOT NULL
);
INSERT INTO outcomes_v2 (id, robot_id, action_id, action, object, location, result, reason, started_sec, started_nsec,
  ended_sec, ended_nsec, duration_s, progress_events, committed_ms, key_hash)
SELECT id, robot_id, action_id, action, object, location, result, reason, started_sec, started_nsec,
  ended_sec, ended_nsec, duration_s, progress_events, ended_sec * 1000 + ended_nsec / 1000000, action_key_hash(robot_id, action_id)
FROM outcomes;
DROP TABLE outcomes;
ALTER TABLE outcomes_v2 RENAME TO outcomes;
CREATE INDEX outcomes_key ON outcomes (key_hash);
-- Newest stamp among each robot's recorded outcomes: a STARTED stamped later cannot
-- repeat a recorded one, so the hot path skips the outcomes lookup for it.
CREATE TABLE robots (robot_id TEXT PRIMARY KEY, max_sec INTEGER NOT NULL, max_nsec INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO robots (robot_id, max_sec, max_nsec)
SELECT robot_id, MAX(MAX(started_sec), MAX(ended_sec)), 999999999 FROM outcomes GROUP BY robot_id;
CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
-- v1 kept no replay mark: replay from the first event (outcomes already recorded are skipped).
INSERT INTO meta (key, value) VALUES ('low_water', 0);
`,
  3: `
DROP INDEX outcomes_key;
-- The key index, as its own table: (key_hash, outcome id), sorted, filled in bulk.
CREATE TABLE outcome_keys (key_hash INTEGER NOT NULL, outcome_id INTEGER NOT NULL, PRIMARY KEY (key_hash, outcome_id)) WITHOUT ROWID;
INSERT INTO outcome_keys (key_hash, outcome_id) SELECT key_hash, id FROM outcomes ORDER BY key_hash, id;
-- Outcomes with an id above this have no row in outcome_keys yet.
INSERT INTO meta (key, value) VALUES ('keys_indexed_to', (SELECT COALESCE(MAX(id), 0) FROM outcomes));
`,
  4: `
-- The key index by generation (outcome id >> ${KEY_GENERATION_BITS}), then key: catch-ups write only the newest generation's pages.
CREATE TABLE outcome_keys_v4 (
  generation INTEGER NOT NULL, key_hash INTEGER NOT NULL, outcome_id INTEGER NOT NULL,
  PRIMARY KEY (generation, key_hash, outcome_id)
) WITHOUT ROWID;
INSERT INTO outcome_keys_v4 (generation, key_hash, outcome_id)
SELECT outcome_id >> ${KEY_GENERATION_BITS}, key_hash, outcome_id FROM outcome_keys ORDER BY 1, 2, 3;
DROP TABLE outcome_keys;
ALTER TABLE outcome_keys_v4 RENAME TO outcome_keys;
`,
};

export class SchemaVersionError extends Error {
  constructor(
    readonly path: string,
    readonly found: number,
  ) {
    super(
      `action log ${path} has schema version ${found}, newer than this release understands (${SCHEMA_VERSION}); ` +
        `upgrade embodied_assistant, or set db_path to another file`,
    );
    this.name = "SchemaVersionError";
  }
}

/** Brings the database to SCHEMA_VERSION; returns the version it had. */
export function migrate(db: Database, path: string): number {
  const found = db.pragma("user_version", { simple: true }) as number;
  if (found > SCHEMA_VERSION) throw new SchemaVersionError(path, found);
  if (found === SCHEMA_VERSION) return found;
  db.function("action_key_hash", { deterministic: true }, (robotId, actionId) => actionKeyHash(String(robotId), String(actionId)));
  db.transaction(() => {
    for (let version = found + 1; version <= SCHEMA_VERSION; version++) db.exec(STEPS[version]!);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  })();
  return found;
}
