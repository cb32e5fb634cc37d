/**
 * The fleet store on PostgreSQL (with `pg`): what robots forward, and the fleet-wide queries.
 *
 * Writes: one transaction per batch, COPY of the entries past the stream's progress, and the
 * progress moved in the same transaction (see ship). Reads mirror the
 * local log's services (stats computed in SQL, newest-first pages by row id) and the memory's
 * free-text prefilter (Hamming distance of codes with bit_count(code # query)).
 */
import pg from "pg";
import type { ActionOutcome, ActionStats } from "../../core/interfaces/messages.generated.js";
import { rowToOutcome } from "../../core/actionlog/sqlite/ActionLogStore.js";
import type { OutcomeFilter } from "../../core/actionlog/logQueries.js";
import type { StatsGrouping } from "../../core/actionlog/computeStats.js";
import type { FleetCodePage, FleetEpisodeFilter, FleetEpisodeMatch, FleetEpisodeRow, FleetStore } from "../../core/fleet/FleetStore.js";
import { FLEET_CODE_BITS, FLEET_CODE_WORDS, fleetCodeLiteral } from "../../core/fleet/fleetCode.js";
import type { FleetMemoryIdentity, OutboxEntry, ShipBatch, ShipResult } from "../../core/fleet/types.js";
import { copyFrom, copyTextRow } from "./copyFrom.js";
import { countMatching, matchingEpisodes, robotsByMatches, unknownStems } from "./fleetAskQueries.js";
import { migrateFleetSchema } from "./migrations.js";
import { episodeFromRow, EPISODE_SELECT, whereEpisodes, whereOutcomes, where } from "./sqlFilters.js";

export interface PostgresFleetStoreOptions {
  /** postgres://user@host:port/db (the fleet.url parameter). */
  readonly url: string;
  /** Connections kept (default 2: one shipping, one answering queries). */
  readonly maxConnections?: number;
  /** Give up on a connection attempt after this long (default 5 s); the forwarder retries. */
  readonly connectTimeoutMs?: number;
  /** Give up on a statement after this long (default 30 s). */
  readonly queryTimeoutMs?: number;
  /** Called for errors of idle connections (the server went away); they are replaced on next use. */
  readonly onIdleError?: (error: Error) => void;
}

export class FleetMemoryMismatchError extends Error {
  constructor(field: string, fleet: string, local: string) {
    super(`the fleet's episodes use ${field}=${fleet}, this robot's memory ${field}=${local}: their vectors cannot be compared; configure the memory like the rest of the fleet`);
    this.name = "FleetMemoryMismatchError";
  }
}

/** Columns a shipped row fills after (origin, stream), in the order outcomeRow/episodeRow give them. */
const OUTCOME_COLUMNS = [
  "seq", "robot_id", "action_id", "action", "object", "location", "result", "reason", "started_sec", "started_nsec", "ended_sec", "ended_nsec",
  "duration_s", "progress_events", "flagged", "flag_reason", "committed_ms",
];
const EPISODE_COLUMNS = [
  "seq", "episode_id", "sec", "nanosec", "robot_id", "agent", "action", "object", "location", "result", "description", "source",
  "code", "text_hv", "episode_hv", "embedding",
];

function outcomeRow(origin: string, stream: string, entry: OutboxEntry): string {
  if (entry.kind !== "outcome") throw new TypeError(`a batch mixes kinds (outcome and ${entry.kind})`);
  const o = entry.outcome;
  return copyTextRow([
    origin, stream, entry.seq, o.robot_id, o.action_id, o.action, o.object, o.location, o.result, o.reason, o.started_at.sec, o.started_at.nanosec,
    o.ended_at.sec, o.ended_at.nanosec, o.duration_s, o.progress_events, o.flagged, o.flag_reason, o.committed_ms,
  ]);
}

function episodeRow(origin: string, stream: string, entry: OutboxEntry): string {
  if (entry.kind !== "episode") throw new TypeError(`a batch mixes kinds (episode and ${entry.kind})`);
  const { episode: e, textHv, episodeHv, embedding } = entry.episode;
  return copyTextRow([
    origin, stream, entry.seq, e.id, e.stamp.sec, e.stamp.nanosec, e.robot_id, e.agent, e.action, e.object, e.location, e.result, e.description, e.source,
    fleetCodeLiteral(textHv), textHv, episodeHv, embedding,
  ]);
}

const SHIP_TARGETS = {
  outcome: { copy: `fleet_outcomes (origin, stream, ${OUTCOME_COLUMNS.join(", ")})`, row: outcomeRow },
  episode: { copy: `fleet_episodes (origin, stream, ${EPISODE_COLUMNS.join(", ")})`, row: episodeRow },
} as const;

/** COPY data is sent in pieces of about this size (an episode row is ~6 KB of hex). */
const COPY_CHUNK_CHARS = 1 << 20;

function copyChunks(batch: ShipBatch, fresh: readonly OutboxEntry[], row: typeof outcomeRow): Buffer[] {
  const chunks: Buffer[] = [];
  let text = "";
  for (const entry of fresh) {
    text += row(batch.origin, batch.stream, entry);
    if (text.length >= COPY_CHUNK_CHARS) {
      chunks.push(Buffer.from(text));
      text = "";
    }
  }
  if (text) chunks.push(Buffer.from(text));
  return chunks;
}

const LOCK_STREAM = "SELECT shipped_to::float8 AS shipped_to FROM fleet_streams WHERE origin = $1 AND stream = $2 FOR UPDATE";

/**
 * The stream's progress, locked for this transaction (a second connection shipping the same
 * stream waits here, then sees what this one committed); a new stream starts at 0 (seqs start at 1).
 */
async function lockStream(client: pg.PoolClient, origin: string, stream: string, kind: string): Promise<number> {
  let row = (await client.query(LOCK_STREAM, [origin, stream])).rows[0] as { shipped_to: number } | undefined;
  if (!row) {
    await client.query("INSERT INTO fleet_streams (origin, stream, kind, shipped_to) VALUES ($1, $2, $3, 0) ON CONFLICT (origin, stream) DO NOTHING", [origin, stream, kind]);
    row = (await client.query(LOCK_STREAM, [origin, stream])).rows[0] as { shipped_to: number };
  }
  return row.shipped_to;
}

const OUTCOME_SELECT =
  "id::float8 AS id, robot_id, action_id, action, object, location, result, reason, started_sec::float8 AS started_sec, started_nsec, " +
  "ended_sec::float8 AS ended_sec, ended_nsec, duration_s, progress_events, flagged::int AS flagged, flag_reason, committed_ms::float8 AS committed_ms";

const GROUP_KEYS: Record<StatsGrouping, { select: string; group: string }> = {
  action_object: { select: "''::text AS robot_id, action, object", group: " GROUP BY action, object" },
  robot: { select: "robot_id, ''::text AS action, ''::text AS object", group: " GROUP BY robot_id" },
  all: { select: "''::text AS robot_id, ''::text AS action, ''::text AS object", group: "" },
};

const percentileOf = (p: number) => `COALESCE(percentile_cont(${p}) WITHIN GROUP (ORDER BY duration_s) FILTER (WHERE timed), 0) AS duration_p${Math.round(p * 100)}_s`;

export class PostgresFleetStore implements FleetStore {
  readonly pool: pg.Pool;
  private migrated: Promise<number> | undefined;

  constructor(options: PostgresFleetStoreOptions) {
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: options.maxConnections ?? 2,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
      query_timeout: options.queryTimeoutMs ?? 30_000,
      idleTimeoutMillis: 30_000,
      application_name: "embodied_assistant fleet",
    });
    // Without a listener an idle connection's error (the server was killed) would crash the process.
    this.pool.on("error", (error) => options.onIdleError?.(error));
    // A connection can also fail while it is checked out between two statements (the server was
    // killed): the statement in flight rejects, and this keeps the client's own 'error' event
    // from being unhandled, which would end the process.
    this.pool.on("connect", (client) => client.on("error", (error) => options.onIdleError?.(error)));
  }

  /** Applies the schema migrations once per store (every call awaits the same run; a failed run is retried). */
  migrate(): Promise<number> {
    if (!this.migrated) {
      this.migrated = (async () => {
        const client = await this.pool.connect();
        try {
          return await migrateFleetSchema(client);
        } finally {
          client.release();
        }
      })();
      this.migrated.catch(() => (this.migrated = undefined));
    }
    return this.migrated;
  }

  /**
   * One transaction per batch: lock the stream's progress, COPY the entries past it, move the
   * progress to the batch's last seq. Progress and rows commit together and a stream ships in
   * seq order, so an entry at or below the progress is already stored: a batch resent after a
   * lost acknowledgement is skipped instead of re-inserted (the (origin, stream, seq) unique key
   * stays as the last guard). COPY instead of INSERT ... ON CONFLICT: about half the server's
   * work per row (bench:fleet, ratio_vs_copy).
   */
  async ship(batch: ShipBatch): Promise<ShipResult> {
    if (batch.entries.length === 0) return { inserted: 0, duplicates: 0 };
    await this.migrate();
    const kind = batch.entries[0]!.kind;
    const target = SHIP_TARGETS[kind];
    const lastSeq = batch.entries[batch.entries.length - 1]!.seq;
    const client = await this.pool.connect();
    let failure: Error | undefined;
    try {
      await client.query("BEGIN");
      const shippedTo = await lockStream(client, batch.origin, batch.stream, kind);
      const fresh = batch.entries.filter((entry) => entry.seq > shippedTo);
      if (fresh.length > 0) {
        await copyFrom(client, target.copy, copyChunks(batch, fresh, target.row));
        await client.query("UPDATE fleet_streams SET shipped_to = $3, updated_at = now() WHERE origin = $1 AND stream = $2", [batch.origin, batch.stream, lastSeq]);
      }
      await client.query("COMMIT");
      return { inserted: fresh.length, duplicates: batch.entries.length - fresh.length };
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error));
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    } finally {
      // A connection that failed inside a batch (server gone, timeout mid-COPY) is not reused.
      client.release(failure);
    }
  }

  async claimMemoryIdentity(identity: FleetMemoryIdentity): Promise<void> {
    await this.migrate();
    await this.pool.query(
      "INSERT INTO fleet_memory_identity (dimensions, seed, encoder, simhash, code_bits) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (only_row) DO NOTHING",
      [identity.dimensions, identity.seed, identity.encoder, identity.simhash, identity.code_bits],
    );
    const row = (await this.pool.query("SELECT dimensions, seed::float8 AS seed, encoder, simhash FROM fleet_memory_identity")).rows[0];
    // code_bits is a local prefilter setting; the fleet uses its own code (FLEET_CODE_BITS).
    for (const field of ["dimensions", "seed", "encoder", "simhash"] as const) {
      if (String(row[field]) !== String(identity[field])) throw new FleetMemoryMismatchError(field, String(row[field]), String(identity[field]));
    }
  }

  async stats(filter: OutcomeFilter, groupBy: StatsGrouping): Promise<ActionStats[]> {
    await this.migrate();
    const params: unknown[] = [];
    const clauses = whereOutcomes(filter, params);
    const keys = GROUP_KEYS[groupBy];
    const count = (result: string) => `count(*) FILTER (WHERE result = '${result}')::int`;
    const { rows } = await this.pool.query(
      `SELECT ${keys.select}, count(*)::int AS count, ${count("SUCCEEDED")} AS succeeded, ${count("FAILED")} AS failed,
         ${count("ABORTED")} AS aborted, ${count("CANCELED")} AS canceled, ${count("TIMEOUT")} AS timeout,
         COALESCE(avg(duration_s) FILTER (WHERE timed), 0) AS duration_mean_s, ${percentileOf(0.5)}, ${percentileOf(0.9)}, ${percentileOf(0.99)}
       FROM fleet_outcomes${where(clauses)}${keys.group}`,
      params,
    );
    const stats = (rows as ActionStats[])
      .filter((r) => r.count > 0)
      .map((r) => ({ ...r, success_rate: r.succeeded / r.count }));
    // The local log's order (computeStats): most frequent first, then by name.
    return stats.sort((a, b) => b.count - a.count || a.robot_id.localeCompare(b.robot_id) || a.action.localeCompare(b.action) || a.object.localeCompare(b.object));
  }

  async queryOutcomes(filter: OutcomeFilter, pageSize: number, cursor: number | undefined): Promise<{ outcomes: ActionOutcome[]; nextCursor: number | undefined; total: number }> {
    await this.migrate();
    const params: unknown[] = [];
    const clauses = whereOutcomes(filter, params);
    const total = Number((await this.pool.query(`SELECT count(*) AS n FROM fleet_outcomes${where(clauses)}`, params)).rows[0].n);
    if (cursor !== undefined) {
      params.push(cursor);
      clauses.push(`id < $${params.length}`);
    }
    params.push(pageSize + 1);
    const { rows } = await this.pool.query(`SELECT ${OUTCOME_SELECT} FROM fleet_outcomes${where(clauses)} ORDER BY id DESC LIMIT $${params.length}`, params);
    const more = rows.length > pageSize;
    if (more) rows.length = pageSize;
    return { outcomes: rows.map((r) => rowToOutcome(r)), nextCursor: more ? (rows[rows.length - 1].id as number) : undefined, total };
  }

  async nearestCodes(code: Uint32Array, n: number, filter: FleetEpisodeFilter): Promise<number[]> {
    await this.migrate();
    const params: unknown[] = [fleetCodeLiteral(code)];
    const clauses = whereEpisodes(filter, params);
    params.push(n);
    const { rows } = await this.pool.query(
      `SELECT id::float8 AS id FROM fleet_episodes${where(clauses)} ORDER BY bit_count(code # $1::varbit), id DESC LIMIT $${params.length}`,
      params,
    );
    return rows.map((r) => r.id as number);
  }

  async codesAfter(afterRowId: number, limit: number): Promise<FleetCodePage> {
    await this.migrate();
    const { rows } = await this.pool.query(
      `SELECT id::float8 AS id, substring(text_hv FROM 1 FOR ${FLEET_CODE_BITS / 8}) AS code, robot_id, sec::float8 + nanosec / 1e9 AS t
       FROM fleet_episodes WHERE id > $1 ORDER BY id LIMIT $2`,
      [afterRowId, limit],
    );
    const page: FleetCodePage = {
      rowIds: new Float64Array(rows.length),
      codes: new Uint32Array(rows.length * FLEET_CODE_WORDS),
      robotIds: rows.map((r) => r.robot_id as string),
      stamps: new Float64Array(rows.length),
    };
    const bytes = new Uint8Array(page.codes.buffer);
    rows.forEach((r, i) => {
      page.rowIds[i] = r.id;
      page.stamps[i] = r.t;
      bytes.set(r.code as Buffer, i * FLEET_CODE_WORDS * 4);
    });
    return page;
  }

  async episodesByRowIds(rowIds: readonly number[], withEmbedding: boolean): Promise<FleetEpisodeRow[]> {
    if (rowIds.length === 0) return [];
    await this.migrate();
    const { rows } = await this.pool.query(
      `SELECT ${EPISODE_SELECT}${withEmbedding ? ", embedding" : ""} FROM fleet_episodes WHERE id = ANY($1::int8[])`,
      [rowIds],
    );
    const byId = new Map(rows.map((r) => [r.row_id as number, episodeFromRow(r)]));
    return rowIds.map((id) => byId.get(id)).filter((r): r is FleetEpisodeRow => r !== undefined);
  }

  async matchRoles(cue: Readonly<Record<string, string>>, limit: number, filter: FleetEpisodeFilter): Promise<FleetEpisodeRow[]> {
    await this.migrate();
    const params: unknown[] = [];
    const clauses = whereEpisodes(filter, params);
    for (const [role, filler] of Object.entries(cue)) {
      if (!["agent", "action", "object", "location", "result"].includes(role)) throw new RangeError(`${role} is not a role`);
      params.push(filler);
      clauses.push(`${role} = $${params.length}`);
    }
    params.push(limit);
    const { rows } = await this.pool.query(`SELECT ${EPISODE_SELECT} FROM fleet_episodes${where(clauses)} ORDER BY sec DESC, id DESC LIMIT $${params.length}`, params);
    return rows.map(episodeFromRow);
  }

  async recentEpisodes(limit: number, filter: FleetEpisodeFilter): Promise<FleetEpisodeRow[]> {
    return this.matchRoles({}, limit, filter);
  }

  async unknownStems(stems: readonly string[]): Promise<string[]> {
    await this.migrate();
    return unknownStems(this.pool, stems);
  }

  async countMatching(match: FleetEpisodeMatch): Promise<number> {
    await this.migrate();
    return countMatching(this.pool, match);
  }

  async matchingEpisodes(match: FleetEpisodeMatch, order: "oldest" | "newest", offset: number, limit: number): Promise<FleetEpisodeRow[]> {
    await this.migrate();
    return matchingEpisodes(this.pool, match, order, offset, limit);
  }

  async robotsByMatches(match: FleetEpisodeMatch, limit: number): Promise<{ robotId: string; count: number }[]> {
    await this.migrate();
    return robotsByMatches(this.pool, match, limit);
  }

  async countEpisodes(): Promise<number> {
    await this.migrate();
    return Number((await this.pool.query("SELECT count(*) AS n FROM fleet_episodes")).rows[0].n);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
