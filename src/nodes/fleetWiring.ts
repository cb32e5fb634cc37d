/**
 * Fleet wiring for the action_log and memory nodes: each node calls one start function after its
 * store is open, wraps the services that take a `fleet` flag, adds the diagnostics check, and
 * closes the link. With fleet.url '' nothing changes: no connection, no diagnostics check, and a
 * capture trigger left by an earlier fleet run is removed (an outbox nobody ships would only grow).
 *
 *   parameters  fleet.url          postgres://user@host:port/db of the site's fleet store; '' = this robot alone
 *               fleet.robot_id     this robot's name in the fleet (default: the host name)
 *               fleet.max_backlog  outbox entries kept while the fleet store is unreachable
 *               fleet.batch_max    entries per shipment
 */
import { hostname } from "node:os";
import { RateLimitedReporter } from "../core/actionlog/RateLimitedReporter.js";
import { FleetRecall } from "../core/fleet/FleetRecall.js";
import { fleetHealth, fleetOutcomes, fleetRecallResponse, fleetStats, redactUrl, withFleetFallback, type FleetRequestTally } from "../core/fleet/fleetServices.js";
import { Forwarder } from "../core/fleet/Forwarder.js";
import { EPISODES_SOURCE, Outbox, OUTCOMES_SOURCE, type OutboxSource } from "../core/fleet/Outbox.js";
import type { FleetMemoryIdentity } from "../core/fleet/types.js";
import type {
  AskRequest,
  AskResponse,
  GetActionStatsRequest,
  GetActionStatsResponse,
  QueryOutcomesRequest,
  QueryOutcomesResponse,
  RecallRequest,
  RecallResponse,
} from "../core/interfaces/messages.generated.js";
import { FleetAsk } from "../core/fleet/FleetAsk.js";
import { askQuery, askResponse, failedAsk } from "../core/memory/askRequests.js";
import { isValidTimeZone, systemTimeZone } from "../core/memory/ask/zonedTime.js";
import { timeToSeconds } from "../core/time.js";
import type { EpisodicMemory } from "../core/memory/EpisodicMemory.js";
import type { GraphNode, ParameterDescriptor } from "../ros/GraphPort.js";
import type { DiagnosticsUpdater } from "../ros/diagnostics.js";
import { PostgresFleetStore } from "../stores/postgres/PostgresFleetStore.js";
import { parameterReader } from "./parameterReader.js";

export const FLEET_PARAMETERS: readonly ParameterDescriptor[] = [
  { name: "fleet.url", type: "string", defaultValue: "", readOnly: true, description: "postgres://user@host:port/db of the site's fleet store (PostgreSQL 14+); '' keeps this robot on its own" },
  { name: "fleet.robot_id", type: "string", defaultValue: hostname(), readOnly: true, description: "this robot's name in the fleet (default: the host name); with the outbox's stream id it keys every forwarded record" },
  { name: "fleet.max_backlog", type: "integer", defaultValue: 2_000_000, integerRange: { from: 1000, to: 1_000_000_000 }, readOnly: true, description: "outbox entries kept on disk while the fleet store is unreachable; beyond this the oldest are dropped (fleet_dropped)" },
  { name: "fleet.batch_max", type: "integer", defaultValue: 2000, integerRange: { from: 1, to: 3000 }, readOnly: true, description: "entries per shipment to the fleet store" },
];

type Handler<Req, Res> = (req: Req) => Res | Promise<Res>;

/** What a node holds: the fleet's forwarding and its fleet answers. */
interface FleetLink {
  /** Adds the "fleet" status (fleet_backlog, fleet_lag_s, ...) to /diagnostics; nothing when fleet.url is ''. */
  addDiagnostics(diagnostics: DiagnosticsUpdater): void;
  /** Stops forwarding (what is left stays in the outbox for the next start) and disconnects. */
  close(): Promise<void>;
}

export interface ActionLogFleet extends FleetLink {
  serveStats(local: Handler<GetActionStatsRequest, GetActionStatsResponse>): (req: GetActionStatsRequest) => Promise<GetActionStatsResponse>;
  serveQuery(local: Handler<QueryOutcomesRequest, QueryOutcomesResponse>): (req: QueryOutcomesRequest) => Promise<QueryOutcomesResponse>;
}

export interface MemoryFleet extends FleetLink {
  serveRecall(local: Handler<RecallRequest, RecallResponse>): (req: RecallRequest) => Promise<RecallResponse>;
  serveAsk(local: Handler<AskRequest, AskResponse>): (req: AskRequest) => Promise<AskResponse>;
}

interface Connected {
  readonly store: PostgresFleetStore | undefined;
  /** How fleet: true requests went (answered by the fleet, or from this robot's own store). */
  readonly requests: FleetRequestTally;
  readonly why: () => string;
  addDiagnostics(diagnostics: DiagnosticsUpdater): void;
  close(): Promise<void>;
}

/** Declares the parameters, then either detaches (fleet.url '') or attaches the outbox, connects and starts forwarding. */
function connect(node: GraphNode, dbPath: string, source: OutboxSource, prepare?: (store: PostgresFleetStore) => Promise<void>): Connected {
  for (const descriptor of FLEET_PARAMETERS) node.declareParameter(descriptor);
  const { num, str } = parameterReader(node);
  const url = str("fleet.url");
  if (url === "") {
    const left = Outbox.detach(dbPath, source);
    if (left !== undefined) node.logger.warn(`fleet.url is '': stopped filling the fleet outbox of ${dbPath} (${left} entries were never shipped; they go out when fleet.url is set again)`);
    return { store: undefined, requests: { answered: 0, fellBack: 0 }, why: () => "fleet.url is not set on this robot", addDiagnostics: () => undefined, close: async () => undefined };
  }
  const server = redactUrl(url);
  const robotId = str("fleet.robot_id");
  const errors = new RateLimitedReporter((_, message, suppressed) => node.logger.warn({ suppressed_since_last: suppressed }, message), 10_000);
  const store = new PostgresFleetStore({ url, onIdleError: (error) => errors.report("idle", `fleet store connection lost: ${error.message}`) });
  let outbox: Outbox | undefined;
  let forwarder: Forwarder | undefined;
  let attachError = "";
  try {
    outbox = Outbox.attach(dbPath, source);
    forwarder = new Forwarder({
      outbox,
      sink: store,
      origin: robotId,
      batchMax: num("fleet.batch_max"),
      maxBacklog: num("fleet.max_backlog"),
      ...(prepare ? { prepare: () => prepare(store) } : {}),
      onError: (error) => errors.report("ship", `fleet forwarding to ${server} failed, will retry: ${error instanceof Error ? error.message : String(error)}`),
    });
    forwarder.start();
    node.logger.info({ fleet_server: server, fleet_robot_id: robotId, backlog: outbox.backlog() }, "fleet forwarding started");
  } catch (error) {
    // The robot keeps working alone; fleet queries still work; /diagnostics says why nothing is forwarded.
    attachError = error instanceof Error ? error.message : String(error);
    node.logger.error(`fleet forwarding unavailable: ${attachError}`);
  }
  const requests: FleetRequestTally = { answered: 0, fellBack: 0 };
  return {
    store,
    requests,
    why: () => `fleet store ${server} unavailable`,
    addDiagnostics(diagnostics) {
      diagnostics.add("fleet", () =>
        forwarder === undefined
          ? { level: "error", message: `not forwarding: ${attachError}`, values: { fleet_backlog: 0, fleet_lag_s: 0, fleet_server: server, fleet_requests_answered: requests.answered, fleet_requests_fell_back: requests.fellBack } }
          : fleetHealth(forwarder.snapshot(), robotId, server, requests),
      );
    },
    async close() {
      await forwarder?.stop();
      outbox?.close();
      await store.close();
    },
  };
}

/** The action log's fleet link: forwards its outcomes; answers ~/get_stats and ~/query with fleet: true. */
export function startActionLogFleet(node: GraphNode, dbPath: string, clock: () => number): ActionLogFleet {
  const link = connect(node, dbPath, OUTCOMES_SOURCE);
  const store = link.store;
  return {
    addDiagnostics: link.addDiagnostics,
    close: link.close,
    serveStats: (local) => withFleetFallback(store && ((req) => fleetStats(store, req, clock())), link.why, local, link.requests),
    serveQuery: (local) => withFleetFallback(store && ((req) => fleetOutcomes(store, req)), link.why, local, link.requests),
  };
}

/**
 * The memory's fleet link: forwards its episodes; answers ~/recall with fleet: true, tuned by the
 * memory node's own default_k, candidates and threshold, and ~/ask with fleet: true (FleetAsk). A memory that failed to open (undefined)
 * can do neither: its requests get the local answer (the failure) as before.
 */
export function startMemoryFleet(node: GraphNode, memory: EpisodicMemory | undefined, dbPath: string): MemoryFleet {
  if (memory === undefined) {
    return { addDiagnostics: () => undefined, close: async () => undefined, serveRecall: (local) => async (req) => local(req), serveAsk: (local) => async (req) => local(req) };
  }
  const o = memory.options;
  const identity: FleetMemoryIdentity = { dimensions: o.dims, seed: o.seed, encoder: o.embedder.identity, simhash: o.simhash, code_bits: o.codeBits };
  const claim = (store: PostgresFleetStore) => store.claimMemoryIdentity(identity);
  const link = connect(node, dbPath, EPISODES_SOURCE, claim);
  const store = link.store;
  const recall = store && new FleetRecall({ reader: store, encoder: memory.encoder, embedder: o.embedder });
  const { num, str } = parameterReader(node);
  let claimed: Promise<void> | undefined;
  const recallFleet = recall && (async (req: RecallRequest) => {
    // Vectors of another memory configuration would be compared as if they were ours: check first, once.
    claimed ??= claim(store!).catch((error: unknown) => {
      claimed = undefined;
      throw error;
    });
    await claimed;
    return fleetRecallResponse(recall, req, { k: num("default_k"), candidates: num("candidates"), threshold: num("threshold") });
  });
  // ~/ask with fleet: true, read in the memory node's time_zone (declared and checked there).
  const zone = () => {
    const z = str("time_zone") || systemTimeZone();
    return isValidTimeZone(z) ? z : "UTC";
  };
  const fleetAsk = store && new FleetAsk(store, { timeZone: zone(), now: () => timeToSeconds(node.now()) });
  const answerAsk = fleetAsk && (async (req: AskRequest): Promise<AskResponse> => {
    const q = askQuery(req);
    if (!q.ok) return failedAsk(q.message);
    fleetAsk.options = { ...fleetAsk.options, timeZone: zone() };
    const answer = await fleetAsk.ask(q.value);
    return askResponse(answer);
  });
  return {
    addDiagnostics: link.addDiagnostics,
    close: link.close,
    serveRecall: (local) => withFleetFallback(recallFleet, link.why, local, link.requests),
    serveAsk: (local) => withFleetFallback(answerAsk, link.why, local, link.requests),
  };
}
