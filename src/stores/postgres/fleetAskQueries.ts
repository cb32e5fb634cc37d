/**
 * The SQL of fleet ~/ask (FleetAskReader): episodes whose words start with the question's stems
 * (PostgreSQL's \m word-start in a case-insensitive regular expression), with the result and time
 * filters of the local engine. A sequential scan per question: fine for a site's questions, not a
 * bulk workload (see docs/fleet.md).
 */
import type pg from "pg";
import type { FleetEpisodeMatch, FleetEpisodeRow } from "../../core/fleet/FleetStore.js";
import { episodeFromRow, EPISODE_SELECT, where, whereEpisodes } from "./sqlFilters.js";

/** Role fillers are identifiers (pick_up, kitchen_table): their parts are words too. */
const WORDS = "(translate(action || ' ' || object || ' ' || location, '_', ' ') || ' ' || description)";

/** Stems are [a-z0-9]+ (parseQuestion's content words): nothing in them is special to a regex. */
function stemPattern(stem: string): string {
  if (!/^[a-z0-9]+$/.test(stem)) throw new RangeError(`not a stem: ${JSON.stringify(stem)}`);
  return `\\m${stem}`;
}

function whereMatch(match: FleetEpisodeMatch, params: unknown[]): string[] {
  const clauses = whereEpisodes(match.filter, params);
  for (const stem of match.stems) {
    params.push(stemPattern(stem));
    clauses.push(`${WORDS} ~* $${params.length}`);
  }
  if (match.results === "succeeded") clauses.push("result IN ('', 'SUCCEEDED')");
  if (match.results === "failed") clauses.push("result NOT IN ('', 'SUCCEEDED')");
  return clauses;
}

export async function unknownStems(pool: pg.Pool, stems: readonly string[]): Promise<string[]> {
  const unknown: string[] = [];
  for (const stem of stems) {
    const { rows } = await pool.query(`SELECT EXISTS (SELECT 1 FROM fleet_episodes WHERE ${WORDS} ~* $1) AS found`, [stemPattern(stem)]);
    if (!rows[0].found) unknown.push(stem);
  }
  return unknown;
}

export async function countMatching(pool: pg.Pool, match: FleetEpisodeMatch): Promise<number> {
  const params: unknown[] = [];
  const clauses = whereMatch(match, params);
  return Number((await pool.query(`SELECT count(*) AS n FROM fleet_episodes${where(clauses)}`, params)).rows[0].n);
}

export async function matchingEpisodes(pool: pg.Pool, match: FleetEpisodeMatch, order: "oldest" | "newest", offset: number, limit: number): Promise<FleetEpisodeRow[]> {
  const params: unknown[] = [];
  const clauses = whereMatch(match, params);
  const dir = order === "oldest" ? "ASC" : "DESC";
  params.push(Math.max(0, offset), limit);
  const { rows } = await pool.query(
    `SELECT ${EPISODE_SELECT} FROM fleet_episodes${where(clauses)} ORDER BY sec ${dir}, nanosec ${dir}, id ${dir} OFFSET $${params.length - 1} LIMIT $${params.length}`,
    params,
  );
  return rows.map(episodeFromRow);
}

export async function robotsByMatches(pool: pg.Pool, match: FleetEpisodeMatch, limit: number): Promise<{ robotId: string; count: number }[]> {
  const params: unknown[] = [];
  const clauses = whereMatch(match, params);
  params.push(limit);
  const { rows } = await pool.query(
    `SELECT robot_id, count(*)::int AS n FROM fleet_episodes${where(clauses)} GROUP BY robot_id ORDER BY n DESC, robot_id LIMIT $${params.length}`,
    params,
  );
  return rows.map((r) => ({ robotId: r.robot_id as string, count: r.n as number }));
}
