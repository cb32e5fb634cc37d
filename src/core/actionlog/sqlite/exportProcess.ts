/**
 * The export process: started by exportLogOffThread (exportOffThread.ts) at the lowest CPU
 * priority, it receives one ExportRequest over IPC, opens its own read-only connection to the
 * log's database file, writes one MCAP or JSONL export, sends one ExportResult and exits.
 */
import { getPriority } from "node:os";
import Database from "better-sqlite3";
import { outcomeFilter, writeExport, type ExportRows } from "../exportLog.js";
import { readEvents, readOutcomes } from "./logRows.js";
import type { ExportRequest, ExportResult } from "./exportOffThread.js";

/** Rows per read: each read is its own short read transaction (see readEvents). */
const PAGE_SIZE = 1000;

async function run(request: ExportRequest): Promise<ExportResult> {
  // Read-only: this connection never writes, never checkpoints, and a WAL reader never blocks
  // the node's writer. busy_timeout rides out the moments a checkpoint or recovery holds a lock.
  const db = new Database(request.dbPath, { readonly: true, fileMustExist: true });
  try {
    db.pragma("busy_timeout = 5000");
    const rows: ExportRows = {
      events: () => readEvents(db, request.filter, { pageSize: PAGE_SIZE, throughId: request.through.event }),
      outcomes: () => readOutcomes(db, outcomeFilter(request.filter), { pageSize: PAGE_SIZE, throughId: request.through.outcome }),
    };
    const summary = await writeExport(request.format, rows, request.path, request.temporary);
    return { ok: true, summary, lowPriority: getPriority() >= 19 };
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  } finally {
    db.close();
  }
}

// A node that goes away takes its export with it (the node removes the temporary file when it
// cancels one; a node killed outright leaves a .tmp name, never a half-written export).
process.once("disconnect", () => process.exit(1));
process.once("message", (request: ExportRequest) => {
  void run(request).then((result) => process.send!(result, () => process.exit(0)));
});
