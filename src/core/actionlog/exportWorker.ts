/**
 * The export worker thread: it opens its own read-only connection to the log's database
 * file and writes one MCAP or JSONL export, so the node's event loop only waits for the
 * result. Started by exportInWorker (exportOffThread.ts); posts one WorkerResult.
 */
import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";
import { outcomeFilter, writeExport, type ExportRows } from "./exportLog.js";
import { readEvents, readOutcomes } from "./logRows.js";
import type { WorkerRequest, WorkerResult } from "./exportOffThread.js";

/** Rows per read: each read is its own short read transaction (see readEvents). */
const PAGE_SIZE = 1000;

async function run(request: WorkerRequest): Promise<WorkerResult> {
  // Read-only: this connection never writes, never checkpoints, and a WAL reader never blocks
  // the node's writer. busy_timeout rides out the moments a checkpoint or recovery holds a lock.
  const db = new Database(request.dbPath, { readonly: true, fileMustExist: true });
  try {
    db.pragma("busy_timeout = 5000");
    const rows: ExportRows = {
      events: () => readEvents(db, request.filter, { pageSize: PAGE_SIZE, throughId: request.through.event }),
      outcomes: () => readOutcomes(db, outcomeFilter(request.filter), { pageSize: PAGE_SIZE, throughId: request.through.outcome }),
    };
    return { ok: true, summary: await writeExport(request.format, rows, request.path, request.temporary) };
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  } finally {
    db.close();
  }
}

parentPort!.postMessage(await run(workerData as WorkerRequest));
