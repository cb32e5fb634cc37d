/**
 * WHERE clauses of the fleet queries, with numbered parameters ($n), following the local log's
 * conventions: '' and undefined filters mean "all"; time bounds are inclusive.
 */
import type { OutcomeFilter } from "../../core/actionlog/logQueries.js";
import type { FleetEpisodeFilter, FleetEpisodeRow } from "../../core/fleet/FleetStore.js";

const param = (params: unknown[], value: unknown) => {
  params.push(value);
  return `$${params.length}`;
};

export function whereOutcomes(filter: OutcomeFilter, params: unknown[]): string[] {
  const clauses: string[] = [];
  for (const [column, value] of [["robot_id", filter.robotId], ["action", filter.action], ["object", filter.object], ["result", filter.result]] as const) {
    if (value) clauses.push(`${column} = ${param(params, value)}`);
  }
  if (filter.since) clauses.push(`(ended_sec, ended_nsec) >= (${param(params, filter.since.sec)}::int8, ${param(params, filter.since.nanosec)}::int4)`);
  if (filter.until) clauses.push(`(ended_sec, ended_nsec) <= (${param(params, filter.until.sec)}::int8, ${param(params, filter.until.nanosec)}::int4)`);
  return clauses;
}

export function whereEpisodes(filter: FleetEpisodeFilter, params: unknown[]): string[] {
  const clauses: string[] = [];
  if (filter.robotId) clauses.push(`robot_id = ${param(params, filter.robotId)}`);
  if (filter.since !== undefined) clauses.push(`sec + nanosec / 1e9 >= ${param(params, filter.since)}::float8`);
  if (filter.until !== undefined) clauses.push(`sec + nanosec / 1e9 <= ${param(params, filter.until)}::float8`);
  return clauses;
}

export const where = (clauses: readonly string[]) => (clauses.length ? ` WHERE ${clauses.join(" AND ")}` : "");

export const EPISODE_SELECT =
  "id::float8 AS row_id, origin, episode_id, sec::float8 AS sec, nanosec, robot_id, agent, action, object, location, result, description, source";

export function episodeFromRow(r: Record<string, unknown>): FleetEpisodeRow {
  const embedding = r["embedding"] as Buffer | undefined;
  return {
    rowId: r["row_id"] as number,
    origin: r["origin"] as string,
    episode: {
      id: r["episode_id"] as string,
      stamp: { sec: r["sec"] as number, nanosec: r["nanosec"] as number },
      robot_id: r["robot_id"] as string,
      agent: r["agent"] as string,
      action: r["action"] as string,
      object: r["object"] as string,
      location: r["location"] as string,
      result: r["result"] as string,
      description: r["description"] as string,
      source: r["source"] as string,
    },
    ...(embedding ? { embedding: new Float32Array(embedding.buffer.slice(embedding.byteOffset, embedding.byteOffset + embedding.byteLength)) } : {}),
  };
}
