/**
 * The fleet store on PostgreSQL (with `pg`): what robots forward, and the fleet-wide queries.
 *
 * Writes: one statement per batch, a multi-row insert from unnest() of one array per column
 * (a single round trip and a single plan, whatever the batch size), ON CONFLICT (origin, stream,
 * seq) DO NOTHING, with the stream's progress upserted in the same statement. Reads mirror the
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
import type { FleetMemoryIdentity, FleetOutcome, OutboxEntry, ShipBatch, ShipResult } from "../../core/fleet/types.js";
import { boolArray, numberArray, textArray } from "./arrayLiterals.js";
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

const OUTCOME_COLUMNS: readonly (readonly [string, string])[] = [
  ["seq", "int8"], ["robot_id", "text"], ["action_id", "text"], ["action", "text"], ["object", "text"], ["location", "text"],
  ["result", "text"], ["reason", "text"], ["started_sec", "int8"], ["started_nsec", "int4"], ["ended_sec", "int8"], ["ended_nsec", "int4"],
  ["duration_s", "float8"], ["progress_events", "int4"], ["flagged", "bool"], ["flag_reason", "text"], ["committed_ms", "int8"],
];
const EPISODE_COLUMNS: readonly (readonly [string, string])[] = [
  ["seq", "int8"], ["episode_id", "text"], ["sec", "int8"], ["nanosec", "int4"], ["robot_id", "text"], ["agent", "text"], ["action", "text"],
  ["object", "text"], ["location", "text"], ["result", "text"], ["description", "text"], ["source", "text"],
  ["code", "text"], ["text_hv", "bytea"], ["episode_hv", "bytea"], ["embedding", "bytea"],
];

/** INSERT ... SELECT FROM unnest($3::t[], ...) ON CONFLICT DO NOTHING, plus the stream's progress. */
function shipStatement(table: string, kind: string, columns: readonly (readonly [string, string])[]): string {
  const names = columns.map(([c]) => c);
  const arrays = columns.map(([, t], i) => `$${i + 3}::${t}[]`).join(", ");
  const selected = names.map((c) => (c === "code" ? "u.code::varbit" : `u.${c}`)).join(", ");
  const last = columns.length + 3;
  return `WITH ins AS (
      INSERT INTO ${table} (origin, stream, ${names.join(", ")})
      SELECT $1::text, $2::text, ${selected} FROM unnest(${arrays}) AS u(${names.join(", ")})
      ON CONFLICT (origin, stream, seq) DO NOTHING RETURNING 1),
    progress AS (
      INSERT INTO fleet_streams (origin, stream, kind, shipped_to) VALUES ($1::text, $2::text, '${kind}', $${last}::int8)
      ON CONFLICT (origin, stream) DO UPDATE SET shipped_to = GREATEST(fleet_streams.shipped_to, excluded.shipped_to), updated_at = now())
    SELECT count(*)::int AS n FROM ins`;
}

const SHIP_OUTCOMES = shipStatement("fleet_outcomes", "outcome", OUTCOME_COLUMNS);
const SHIP_EPISODES = shipStatement("fleet_episodes", "episode", EPISODE_COLUMNS);

/** One array literal per OUTCOME_COLUMNS entry (see arrayLiterals.ts for why not pg's own serialization). */
function outcomeArrays(entries: readonly OutboxEntry[]): string[] {
  const outcomes = entries.map((entry) => {
    if (entry.kind !== "outcome") throw new TypeError(`a batch mixes kinds (outcome and ${entry.kind})`);
    return entry.outcome;
  });
  const text = (pick: (o: FleetOutcome) => string) => textArray(outcomes.map(pick));
  const num = (pick: (o: FleetOutcome) => number) => numberArray(outcomes.map(pick));
  return [
    numberArray(entries.map((e) => e.seq)), text((o) => o.robot_id), text((o) => o.action_id), text((o) => o.action), text((o) => o.object),
    text((o) => o.location), text((o) => o.result), text((o) => o.reason), num((o) => o.started_at.sec), num((o) => o.started_at.nanosec),
    num((o) => o.ended_at.sec), num((o) => o.ended_at.nanosec), num((o) => o.duration_s), num((o) => o.progress_events),
    boolArray(outcomes.map((o) => o.flagged)), text((o) => o.flag_reason), num((o) => o.committed_ms),
  ];
}

const asBuffer = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

function episodeArrays(entries: readonly OutboxEntry[]): unknown[] {
  const cols: unknown[][] = EPISODE_COLUMNS.map(() => new Array(entries.length));
  entries.forEach((entry, i) => {
    if (entry.kind !== "episode") throw new TypeError(`a batch mixes kinds (episode and ${entry.kind})`);
    const { episode: e, textHv, episodeHv, embedding } = entry.episode;
    const values = [
      entry.seq, e.id, e.stamp.sec, e.stamp.nanosec, e.robot_id, e.agent, e.action, e.object, e.location, e.result, e.description, e.source,
      fleetCodeLiteral(textHv), asBuffer(textHv), asBuffer(episodeHv), asBuffer(embedding),
    ];
    for (let c = 0; c < values.length; c++) cols[c]![i] = values[c];
  });
  return cols;
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

  async ship(batch: ShipBatch): Promise<ShipResult> {
    if (batch.entries.length === 0) return { inserted: 0, duplicates: 0 };
    await this.migrate();
    const kind = batch.entries[0]!.kind;
    const arrays = kind === "outcome" ? outcomeArrays(batch.entries) : episodeArrays(batch.entries);
    const lastSeq = batch.entries[batch.entries.length - 1]!.seq;
    const result = await this.pool.query(kind === "outcome" ? SHIP_OUTCOMES : SHIP_EPISODES, [batch.origin, batch.stream, ...arrays, lastSeq]);
    const inserted = result.rows[0].n as number;
    return { inserted, duplicates: batch.entries.length - inserted };
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
