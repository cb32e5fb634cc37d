/**
 * Schema versions of the fleet's PostgreSQL database, recorded in fleet_schema_migrations (one
 * row per applied version). Every robot runs migrate() when it connects; a transaction-scoped
 * advisory lock makes the robots of a site take turns, so each step runs once. A database written
 * by a newer release is refused rather than damaged.
 *
 * v1: outcomes and episodes, each unique on (origin, stream, seq): the forwarding robot, its
 * outbox's stream id and the entry's position in it. That key is what makes a resent batch
 * harmless (INSERT ... ON CONFLICT DO NOTHING). fleet_streams keeps, per stream, the highest seq
 * received (a robot's progress, and a check that shipping stays in order). Episodes keep their
 * vectors as bytea and the first FLEET_CODE_BITS bits of the text vector as a bit string, the
 * prefilter code that fleet recall compares with bit_count(code # query) (PostgreSQL 14+).
 */
import type { PoolClient } from "pg";

export const FLEET_SCHEMA_VERSION = 1;

/** The advisory lock key of migrations: any constant every release agrees on ("flee"). */
const MIGRATION_LOCK = 0x666c6565;

const STEPS: Record<number, string> = {
  1: `
CREATE TABLE fleet_streams (
  origin text NOT NULL, stream text NOT NULL, kind text NOT NULL,
  shipped_to bigint NOT NULL, updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (origin, stream)
);
CREATE TABLE fleet_outcomes (
  id bigserial PRIMARY KEY,
  origin text NOT NULL, stream text NOT NULL, seq bigint NOT NULL,
  robot_id text NOT NULL, action_id text NOT NULL, action text NOT NULL, object text NOT NULL, location text NOT NULL,
  result text NOT NULL, reason text NOT NULL,
  started_sec bigint NOT NULL, started_nsec integer NOT NULL, ended_sec bigint NOT NULL, ended_nsec integer NOT NULL,
  duration_s double precision NOT NULL, progress_events integer NOT NULL,
  flagged boolean NOT NULL, flag_reason text NOT NULL, committed_ms bigint NOT NULL,
  -- the same rule as the local log's statsRows: a real start-to-end measurement
  timed boolean GENERATED ALWAYS AS (result <> 'TIMEOUT' AND strpos(flag_reason, 'without_start') = 0 AND strpos(flag_reason, 'end_before_start') = 0) STORED,
  received_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (origin, stream, seq)
);
CREATE INDEX fleet_outcomes_robot ON fleet_outcomes (robot_id, id);
CREATE TABLE fleet_episodes (
  id bigserial PRIMARY KEY,
  origin text NOT NULL, stream text NOT NULL, seq bigint NOT NULL,
  episode_id text NOT NULL, sec bigint NOT NULL, nanosec integer NOT NULL,
  robot_id text NOT NULL, agent text NOT NULL, action text NOT NULL, object text NOT NULL, location text NOT NULL,
  result text NOT NULL, description text NOT NULL, source text NOT NULL,
  code bit varying NOT NULL, text_hv bytea NOT NULL, episode_hv bytea NOT NULL, embedding bytea NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (origin, stream, seq)
);
CREATE INDEX fleet_episodes_robot ON fleet_episodes (robot_id, id);
-- Hypervectors and embeddings are incompressible: stored out of line without a futile pglz attempt,
-- which also keeps the rows the code scan reads narrow.
ALTER TABLE fleet_episodes ALTER COLUMN text_hv SET STORAGE EXTERNAL, ALTER COLUMN episode_hv SET STORAGE EXTERNAL, ALTER COLUMN embedding SET STORAGE EXTERNAL;
CREATE TABLE fleet_memory_identity (
  only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  dimensions integer NOT NULL, seed bigint NOT NULL, encoder text NOT NULL, simhash text NOT NULL, code_bits integer NOT NULL
);
`,
};

export class FleetSchemaVersionError extends Error {
  constructor(readonly found: number) {
    super(`the fleet database has schema version ${found}, newer than this release understands (${FLEET_SCHEMA_VERSION}); upgrade embodied_assistant on this robot`);
    this.name = "FleetSchemaVersionError";
  }
}

/** Brings the database to FLEET_SCHEMA_VERSION; returns the version it had. */
export async function migrateFleetSchema(client: PoolClient): Promise<number> {
  await client.query("BEGIN");
  try {
    await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
    await client.query("CREATE TABLE IF NOT EXISTS fleet_schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())");
    const found = Number((await client.query("SELECT COALESCE(MAX(version), 0) AS v FROM fleet_schema_migrations")).rows[0].v);
    if (found > FLEET_SCHEMA_VERSION) throw new FleetSchemaVersionError(found);
    for (let version = found + 1; version <= FLEET_SCHEMA_VERSION; version++) {
      await client.query(STEPS[version]!);
      await client.query("INSERT INTO fleet_schema_migrations (version) VALUES ($1)", [version]);
    }
    await client.query("COMMIT");
    return found;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
}
