/**
 * The services' fleet answers: the same request types and validation as the local answers
 * (serviceRequests.ts of the action log and the memory), read from the fleet store. And the
 * rule for a robot without a connection: answer from its own store, and say so in `message`.
 */
import type {
  GetActionStatsRequest,
  GetActionStatsResponse,
  QueryOutcomesRequest,
  QueryOutcomesResponse,
  RecallRequest,
  RecallResponse,
} from "../interfaces/messages.generated.js";
import { outcomeQuery, statsQuery } from "../actionlog/serviceRequests.js";
import { failedRecall, recallQuery, recallResponse } from "../memory/serviceRequests.js";
import { millisToTime } from "../time.js";
import type { FleetReader } from "./FleetStore.js";
import type { FleetRecall, FleetRecallTuning } from "./FleetRecall.js";
import type { ForwarderSnapshot } from "./Forwarder.js";

export async function fleetStats(reader: FleetReader, req: GetActionStatsRequest, nowMs: number): Promise<GetActionStatsResponse> {
  const q = statsQuery(req);
  if (!q.ok) return { success: false, message: q.message, stats: [] };
  const { filter, groupBy, windowS } = q.value;
  const stats = await reader.stats(windowS > 0 ? { ...filter, since: millisToTime(nowMs - windowS * 1000) } : filter, groupBy);
  return { success: true, message: `fleet: ${stats.length} groups`, stats };
}

export async function fleetOutcomes(reader: FleetReader, req: QueryOutcomesRequest): Promise<QueryOutcomesResponse> {
  const q = outcomeQuery(req);
  if (!q.ok) return { success: false, message: q.message, outcomes: [], next_cursor: "", total: 0 };
  const page = await reader.queryOutcomes(q.value.filter, q.value.pageSize, q.value.cursor);
  return { success: true, message: "fleet", outcomes: page.outcomes, next_cursor: page.nextCursor === undefined ? "" : String(page.nextCursor), total: page.total };
}

export async function fleetRecallResponse(recall: FleetRecall, req: RecallRequest, tuning: FleetRecallTuning): Promise<RecallResponse> {
  const q = recallQuery(req);
  if (!q.ok) return failedRecall(q.message);
  return recallResponse(await recall.recall(q.value, tuning));
}

/** How `fleet: true` requests went, for /diagnostics (the local services count only what they answer). */
export interface FleetRequestTally {
  answered: number;
  fellBack: number;
}

/**
 * A service handler that answers `fleet: true` requests from the fleet when it can, and from this
 * robot's own store otherwise, with the reason in front of the local answer's message.
 */
export function withFleetFallback<Req extends { fleet: boolean }, Res extends { message: string }>(
  fleet: ((req: Req) => Promise<Res>) | undefined,
  unavailable: () => string,
  local: (req: Req) => Res | Promise<Res>,
  tally: FleetRequestTally = { answered: 0, fellBack: 0 },
): (req: Req) => Promise<Res> {
  return async (req) => {
    if (!req.fleet) return local(req);
    let reason = unavailable();
    if (fleet !== undefined) {
      try {
        const answer = await fleet(req);
        tally.answered++;
        return answer;
      } catch (error) {
        reason = `fleet store unreachable (${error instanceof Error ? error.message : String(error)})`;
      }
    }
    tally.fellBack++;
    const answer = await local(req);
    return { ...answer, message: `${reason}: answered from this robot's own store only. ${answer.message}`.trim() };
  };
}

export interface FleetHealth {
  readonly level: "ok" | "warn" | "error";
  readonly message: string;
  readonly values: Record<string, string | number | boolean>;
}

/** The /diagnostics status of a robot's forwarding: fleet_backlog and fleet_lag_s first. */
export function fleetHealth(s: ForwarderSnapshot, robotId: string, server: string, requests: FleetRequestTally = { answered: 0, fellBack: 0 }): FleetHealth {
  const values = {
    fleet_backlog: s.backlog,
    fleet_lag_s: s.lagS,
    fleet_max_backlog: s.maxBacklog,
    fleet_dropped: s.dropped,
    fleet_shipped: s.shipped,
    fleet_duplicates: s.duplicates,
    fleet_failures: s.failures,
    fleet_delivery_p99_s: s.deliveryP99S,
    fleet_robot_id: robotId,
    fleet_server: server,
    fleet_last_error: s.lastError,
    fleet_requests_answered: requests.answered,
    fleet_requests_fell_back: requests.fellBack,
  };
  if (s.backlog >= 0.9 * s.maxBacklog || s.dropped > 0) {
    return { level: "error", message: `outbox ${s.backlog}/${s.maxBacklog}${s.dropped ? `, ${s.dropped} oldest dropped` : ""}: the fleet store has been unreachable too long`, values };
  }
  if (s.failingFor > 0) return { level: "warn", message: `fleet store unreachable (${s.lastError}); ${s.backlog} waiting, kept locally`, values };
  return { level: "ok", message: `forwarding, ${s.backlog} waiting`, values };
}

/** A connection URL without its password, for logs and diagnostics. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparsable fleet.url)";
  }
}
