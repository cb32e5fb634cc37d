/**
 * action_log: the durable action-outcome log.
 *
 *   subscribes  /robot/action_events        embodied_assistant/msg/ActionEvent (KEEP_LAST queue_depth)
 *   publishes   /assistant/action_outcomes  embodied_assistant/msg/ActionOutcome (after commit only)
 *               /diagnostics                diagnostic_msgs/msg/DiagnosticArray
 *   services    ~/get_stats                 embodied_assistant/srv/GetActionStats
 *               ~/query                     embodied_assistant/srv/QueryOutcomes
 *               ~/export                    embodied_assistant/srv/ExportLog
 *
 * Wiring only: validation, pairing, storage and export live in src/core/actionlog.
 */
import { ActionLog, ActionLogOpenError, type ActionLogOptions } from "../core/actionlog/ActionLog.js";
import { exportLogOffThread, storeHasFile } from "../core/actionlog/sqlite/exportOffThread.js";
import type { OutcomeLogReader } from "../core/actionlog/OutcomeLogPort.js";
import { ActionLogStore } from "../core/actionlog/sqlite/ActionLogStore.js";
import { resolveExportPath } from "../core/actionlog/resolveExportPath.js";
import { ingestHealth, outcomesHealth, type HealthBaseline } from "../core/actionlog/healthReport.js";
import { RateLimitedReporter } from "../core/actionlog/RateLimitedReporter.js";
import { exportRequest, outcomeQuery, statsQuery } from "../core/actionlog/serviceRequests.js";
import type { Graph, ParameterDescriptor } from "../ros/GraphPort.js";
import { DiagnosticsUpdater } from "../ros/diagnostics.js";
import type { AssistantNode, NodeFactory, NodeStartOptions } from "./types.js";
import { defaultDataFile, ensureFolder, ensureFolderOf } from "./dataPaths.js";
import { timeToMillis } from "../core/time.js";
import { parameterReader } from "./parameterReader.js";
import { startActionLogFleet } from "./fleetWiring.js";

const PARAMETERS: readonly ParameterDescriptor[] = [
  { name: "db_path", type: "string", defaultValue: defaultDataFile("action_log.db"), readOnly: true, description: "SQLite file of the log (WAL mode; default $ROS_HOME/embodied_assistant/action_log.db); created and migrated on start" },
  { name: "durability", type: "string", defaultValue: "full", readOnly: true, allowedValues: ["full", "normal"], description: "full: a committed batch survives power loss (synchronous=FULL); normal: survives a crash of this process (synchronous=NORMAL)" },
  { name: "batch_max_events", type: "integer", defaultValue: 500, integerRange: { from: 1, to: 10_000 }, description: "commit when this many events are pending..." },
  { name: "batch_max_ms", type: "integer", defaultValue: 20, integerRange: { from: 1, to: 1000 }, description: "...or once this long has passed since the previous commit began, whichever first (no event waits longer; after an idle spell or a slow commit, pending events commit at once); outcomes are published after the commit" },
  { name: "queue_depth", type: "integer", defaultValue: 5000, integerRange: { from: 10, to: 1_000_000 }, readOnly: true, description: "KEEP_LAST depth of the event subscription: room for bursts from many robots" },
  { name: "max_pending_events", type: "integer", defaultValue: 100_000, integerRange: { from: 1000, to: 10_000_000 }, description: "events held while commits fail (disk full, I/O error); beyond this new events are rejected as store_unavailable, so memory stays bounded" },
  { name: "action_timeout_s", type: "double", defaultValue: 300, floatingPointRange: { from: 1, to: 604_800 }, description: "an action without an end after this long gets a TIMEOUT outcome" },
  { name: "reorder_window_s", type: "double", defaultValue: 5, floatingPointRange: { from: 0, to: 3600 }, description: "how long an end waits for a STARTED that may arrive out of order before it is recorded as flagged end_without_start" },
  { name: "max_future_s", type: "double", defaultValue: 60, floatingPointRange: { from: 0, to: 31_536_000 }, description: "events stamped further ahead of this node's clock are rejected (future_stamp)" },
  { name: "max_detail_bytes", type: "integer", defaultValue: 4096, integerRange: { from: 64, to: 1_048_576 }, description: "events with a longer detail (UTF-8 bytes) are rejected (oversized)" },
  { name: "max_field_chars", type: "integer", defaultValue: 256, integerRange: { from: 16, to: 65_536 }, description: "events with a longer robot_id, action_id, action, object, location or frame_id are rejected (oversized)" },
  { name: "retention.max_age_s", type: "double", defaultValue: 0, floatingPointRange: { from: 0, to: 3_153_600_000 }, description: "delete events and outcomes that arrived longer ago than this; 0 keeps everything" },
  { name: "retention.max_outcomes", type: "integer", defaultValue: 0, integerRange: { from: 0, to: 2_000_000_000 }, description: "keep at most this many outcomes (the newest); 0 means no limit" },
  { name: "retention.max_events", type: "integer", defaultValue: 0, integerRange: { from: 0, to: 2_000_000_000 }, description: "keep at most this many events (the newest; events of open actions are always kept); 0 means no limit" },
  { name: "retention.period_s", type: "double", defaultValue: 60, floatingPointRange: { from: 1, to: 86_400 }, readOnly: true, description: "how often retention runs" },
  { name: "stats_window_s", type: "double", defaultValue: 3600, floatingPointRange: { from: 1, to: 2_592_000 }, description: "rolling window of the outcome figures in /diagnostics (the newest 10,000 outcomes of this run at most; ~/get_stats is exact)" },
  { name: "reject_log_interval_s", type: "double", defaultValue: 10, floatingPointRange: { from: 0.1, to: 3600 }, readOnly: true, description: "at most one log line per rejection reason per this many seconds (all are counted)" },
  { name: "export_dir", type: "string", defaultValue: defaultDataFile("exports"), readOnly: true, description: "the only folder ~/export writes in: a request names a file or a relative path below it ('..', absolute paths and links out of it are refused); created if missing" },
];

/** The running node, with its log exposed for consoles and tests. */
export interface ActionLogNode extends AssistantNode {
  readonly log: ActionLog<ActionLogStore>;
  /** Events the subscription's KEEP_LAST queue dropped (a burst larger than queue_depth). */
  queueDropped(): number;
}

export async function startActionLogNode(graph: Graph, options: NodeStartOptions = {}): Promise<ActionLogNode> {
  const node = graph.createNode(options.name ?? "action_log", options);
  for (const descriptor of PARAMETERS) node.declareParameter(descriptor);
  const { num, str } = parameterReader(node);
  const clock = () => timeToMillis(node.now());

  let closed = false;
  // Read-only: where exports may land is fixed for the node's life.
  const exportDir = str("export_dir");

  // ---- publishers ----
  const outcomesPublisher = node.createPublisher("embodied_assistant/msg/ActionOutcome", "/assistant/action_outcomes", 1000);

  // ---- the log (opens, migrates and recovers the database) ----
  const rejectLog = new RateLimitedReporter(
    (reason, message, suppressed) => node.logger.warn({ reason, suppressed_since_last: suppressed }, `rejected action event (${reason}): ${message}`),
    num("reject_log_interval_s") * 1000,
  );
  const conflictingRepeatLog = new RateLimitedReporter(
    (_, message, suppressed) => node.logger.warn({ suppressed_since_last: suppressed }, `conflicting repeat: ${message}`),
    num("reject_log_interval_s") * 1000,
  );
  const commitErrorLog = new RateLimitedReporter((_, message, suppressed) => node.logger.error({ suppressed_since_last: suppressed }, message), 10_000);
  // Read at start and again on every parameter change.
  const eventLimits = () => ({ maxFutureS: num("max_future_s"), maxDetailBytes: num("max_detail_bytes"), maxFieldChars: num("max_field_chars") });
  const retentionLimits = () => ({ maxAgeS: num("retention.max_age_s"), maxOutcomes: num("retention.max_outcomes"), maxEvents: num("retention.max_events") });
  const dbPath = str("db_path");
  const logOptions: Omit<ActionLogOptions, "store"> = {
    batchMaxEvents: num("batch_max_events"),
    batchMaxMs: num("batch_max_ms"),
    maxPendingEvents: num("max_pending_events"),
    actionTimeoutS: num("action_timeout_s"),
    reorderWindowS: num("reorder_window_s"),
    limits: eventLimits(),
    retention: retentionLimits(),
    clock,
    onCommitted: (outcomes) => {
      for (const outcome of outcomes) outcomesPublisher.publish(outcome);
    },
    onRejected: (reason, detail) => rejectLog.report(reason, detail),
    onConflictingRepeat: (detail) => conflictingRepeatLog.report("conflicting_repeat", detail),
    onCommitError: (error) => commitErrorLog.report("commit", `commit failed, will retry: ${errorText(error)}`),
    onUnstoredAtClose: (unstoredEvents, unstoredOutcomes, error) =>
      node.logger.error(
        { events_not_stored: unstoredEvents, outcomes_not_stored: unstoredOutcomes },
        `closing: the final commit failed after retries; ${unstoredEvents} events and ${unstoredOutcomes} outcomes were not stored: ${errorText(error)}`,
      ),
  };
  // The node builds the store and hands it to the log (which owns it from then on); the services
  // read through `reader`, the port, not through the log.
  let store: ActionLogStore | undefined;
  let log: ActionLog<ActionLogStore>;
  try {
    // A fresh machine has no $ROS_HOME/embodied_assistant yet: the node makes the folders it writes to.
    ensureFolderOf(dbPath);
    store = new ActionLogStore({ path: dbPath, durability: str("durability") as "full" | "normal" });
    log = new ActionLog({ ...logOptions, store });
  } catch (error) {
    // Without its database the node cannot keep its promise (durable first): refuse to start, clearly.
    store?.close();
    node.destroy();
    throw new ActionLogOpenError(dbPath, error);
  }
  const reader: OutcomeLogReader = store;
  try {
    ensureFolder(str("export_dir"));
  } catch (error) {
    node.logger.warn(`export_dir ${str("export_dir")} cannot be created (exports will fail until it can): ${error instanceof Error ? error.message : String(error)}`);
  }
  node.logger.info(
    { db_path: store.path, migrated_from: store.migratedFrom, replayed: log.counters.replayed, open_actions: log.snapshot().openActions },
    "action log open",
  );

  const fleet = startActionLogFleet(node, store.path, clock);

  // ---- subscriptions ----
  const events = node.createSubscription("embodied_assistant/msg/ActionEvent", "/robot/action_events", (event) => {
    // Messages already queued when close() ran are dropped: the database is closed.
    // The graph delivers only schema-valid messages (GraphPort's createSubscription), so
    // the log runs its semantic checks on them, not the zod schema a second time.
    if (!closed) log.ingestMessage(event);
  }, { depth: num("queue_depth"), reliability: "reliable" });

  // ---- services ----
  // Exports still running when the node closes are stopped (their temporary files removed).
  const exportsCancelled = new AbortController();
  if (!storeHasFile(store)) node.logger.info(`db_path ${store.path} has no file: ~/export runs paced on the node's thread, not in a worker`);
  node.createService("embodied_assistant/srv/GetActionStats", "~/get_stats", fleet.serveStats((req) => {
    const q = statsQuery(req);
    if (!q.ok) return { success: false, message: q.message, stats: [] };
    log.flush();
    const stats = log.stats(q.value.filter, q.value.groupBy, q.value.windowS);
    const snap = log.snapshot();
    const rejected = Object.entries(snap.counters.rejected).filter(([, n]) => n > 0).map(([r, n]) => `${r}=${n}`).join(" ");
    return { success: true, message: `${stats.length} groups; events accepted=${snap.counters.accepted} duplicates=${snap.counters.duplicates} conflicting_repeats=${snap.counters.conflictingRepeats} rejected=${snap.rejectedTotal}${rejected ? ` (${rejected})` : ""}`, stats };
  }));

  node.createService("embodied_assistant/srv/QueryOutcomes", "~/query", fleet.serveQuery((req) => {
    const q = outcomeQuery(req);
    if (!q.ok) return { success: false, message: q.message, outcomes: [], next_cursor: "", total: 0 };
    log.flush();
    const page = reader.queryOutcomes(q.value.filter, q.value.pageSize, q.value.cursor);
    return { success: true, message: "", outcomes: page.outcomes, next_cursor: page.nextCursor === undefined ? "" : String(page.nextCursor), total: page.total };
  }));

  node.createService("embodied_assistant/srv/ExportLog", "~/export", async (req) => {
    const failed = (message: string) => ({ success: false, message, path: "", events: 0, outcomes: 0, bytes: 0 });
    const q = exportRequest(req);
    if (!q.ok) return failed(q.message);
    const path = resolveExportPath(exportDir, req.path, q.value.format, clock());
    if (!path.ok) return failed(path.message);
    log.flush();
    try {
      // In a child process at the lowest CPU priority with its own read-only connection (paced
      // on this thread for a database without a file), so ingest, commits and services go on.
      const summary = await exportLogOffThread(q.value.format, store, q.value.filter, path.value, exportsCancelled.signal);
      const where =
        summary.mode === "process"
          ? `in a child process${summary.lowPriority ? " at nice 19" : " (at the node's priority: /usr/bin/nice is missing)"}`
          : "paced on the node's thread (the database has no file)";
      return { success: true, message: `wrote ${q.value.format} ${where}`, path: summary.path, events: summary.events, outcomes: summary.outcomes, bytes: summary.bytes };
    } catch (error) {
      return failed(`export to ${path.value} failed: ${errorText(error)}`);
    }
  });

  // ---- timers ----
  // Timeouts and reorder waits are checked often enough that a deadline is late by at most a quarter second.
  const expiry = node.createTimer(250, () => log.tick());
  const retention = node.createTimer(num("retention.period_s") * 1000, () => {
    const deleted = log.applyRetention();
    if (deleted.events || deleted.outcomes) node.logger.info(deleted, "retention deleted old rows");
  });
  const diagnostics = new DiagnosticsUpdater(node, { periodMs: 1000 });
  let baseline: HealthBaseline = { atMs: clock(), received: 0, rejected: 0, commitErrors: 0, dropped: 0, conflictingRepeats: 0 };
  diagnostics.add("ingest", () => {
    const { report, baseline: next } = ingestHealth(log.snapshot(), events.dropped, baseline, clock());
    baseline = next;
    return report;
  });
  diagnostics.add("outcomes", () => outcomesHealth(log.recentStats(num("stats_window_s")), num("stats_window_s")));
  fleet.addDiagnostics(diagnostics);

  // ---- callbacks: parameter changes apply from the next event or batch ----
  node.onParametersChanged(() => {
    log.setBatching(num("batch_max_events"), num("batch_max_ms"), num("max_pending_events"));
    log.setActionTimeoutS(num("action_timeout_s"));
    log.setReorderWindowS(num("reorder_window_s"));
    log.setLimits(eventLimits());
    log.setRetention(retentionLimits());
  });

  return {
    node,
    log,
    queueDropped: () => events.dropped,
    async close() {
      if (closed) return;
      closed = true;
      expiry.cancel();
      retention.cancel();
      diagnostics.stop();
      exportsCancelled.abort();
      await fleet.close();
      log.close();
      node.destroy();
    },
  };
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

export const createActionLogNode: NodeFactory = startActionLogNode;
