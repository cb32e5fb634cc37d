/**
 * Turns service requests (GetActionStats, QueryOutcomes, ExportLog) into store
 * filters, with the conventions of the .srv files: '' and zero times mean "all".
 * Each refusal is a sentence the caller can act on.
 */
import type {
  BuiltinInterfacesTime,
  ExportLogRequest,
  GetActionStatsRequest,
  QueryOutcomesRequest,
} from "../interfaces/messages.generated.js";
import type { EventFilter, OutcomeFilter } from "./logQueries.js";
import { STATS_GROUPINGS, type StatsGrouping } from "./computeStats.js";
import type { ExportFormat } from "./exportLog.js";
import { isZeroTime } from "../time.js";

export type Checked<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

const optionalTime = (t: BuiltinInterfacesTime) => (isZeroTime(t) ? undefined : t);

export function statsQuery(req: GetActionStatsRequest): Checked<{ filter: OutcomeFilter; groupBy: StatsGrouping; windowS: number }> {
  const groupBy = (req.group_by || "action_object") as StatsGrouping;
  if (!STATS_GROUPINGS.includes(groupBy)) return { ok: false, message: `group_by "${req.group_by}" is not one of ${STATS_GROUPINGS.join(", ")}` };
  if (!(req.window_s >= 0)) return { ok: false, message: `window_s must be >= 0 (0 means all time), got ${req.window_s}` };
  return { ok: true, value: { filter: { robotId: req.robot_id, action: req.action, object: req.object }, groupBy, windowS: req.window_s } };
}

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

export function outcomeQuery(req: QueryOutcomesRequest): Checked<{ filter: OutcomeFilter; pageSize: number; cursor: number | undefined }> {
  let cursor: number | undefined;
  if (req.cursor !== "") {
    cursor = Number(req.cursor);
    if (!Number.isSafeInteger(cursor) || cursor <= 0) return { ok: false, message: `cursor "${req.cursor.slice(0, 40)}" is not one this service gave out; pass '' to start from the newest` };
  }
  if (req.page_size > MAX_PAGE_SIZE) return { ok: false, message: `page_size ${req.page_size} is over the limit of ${MAX_PAGE_SIZE}; page with next_cursor instead` };
  const since = optionalTime(req.since);
  const until = optionalTime(req.until);
  return {
    ok: true,
    value: {
      filter: { robotId: req.robot_id, action: req.action, object: req.object, result: req.result, ...(since ? { since } : {}), ...(until ? { until } : {}) },
      pageSize: req.page_size === 0 ? DEFAULT_PAGE_SIZE : req.page_size,
      cursor,
    },
  };
}

/** The format and filters of an export; its path is checked against export_dir by resolveExportPath. */
export function exportRequest(req: ExportLogRequest): Checked<{ format: ExportFormat; filter: EventFilter }> {
  const format = req.format || "mcap";
  if (format !== "mcap" && format !== "jsonl") return { ok: false, message: `format "${req.format.slice(0, 40)}" is not one of mcap, jsonl` };
  const since = optionalTime(req.since);
  const until = optionalTime(req.until);
  return { ok: true, value: { format, filter: { robotId: req.robot_id, ...(since ? { since } : {}), ...(until ? { until } : {}) } } };
}
