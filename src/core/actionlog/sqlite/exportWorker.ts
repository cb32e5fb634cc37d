/**
 * The export worker thread: it opens its own read-only connection to the log's database
 * file and writes one MCAP or JSONL export, so the node's event loop only waits for the
 * result. Started by exportInWorker (exportOffThread.ts); posts one WorkerResult.
 */
import { readlinkSync } from "node:fs";
import { setPriority } from "node:os";
import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";
import { outcomeFilter, writeExport, type ExportRows } from "../exportLog.js";
import { readEvents, readOutcomes } from "./logRows.js";
import type { WorkerRequest, WorkerResult } from "./exportOffThread.js";

/** Rows per read: each read is its own short read transaction (see readEvents). */
const PAGE_SIZE = 1000;

/**
 * Lowers this thread's CPU priority to the lowest (nice 19), leaving the node's thread as it is:
 * on a busy machine the export then slows down, not ingest. Linux only (a thread's id comes
 * from /proc/thread-self); elsewhere the worker runs at the process's priority.
 */
function yieldCpuToTheNode(): boolean {
  try {
    const threadId = Number(readlinkSync("/proc/thread-self").split("/").pop());
    if (!Number.isInteger(threadId) || threadId === process.pid) return false;
    setPriority(threadId, 19);
    return true;
  } catch {
    return false;
  }
}

async function run(request: WorkerRequest, lowPriority: boolean): Promise<WorkerResult> {
  // Read-only: this connection never writes, never checkpoints, and a WAL reader never blocks
  // the node's writer. busy_timeout rides out the moments a checkpoint or recovery holds a lock.
  const db = new Database(request.dbPath, { readonly: true, fileMustExist: true });
  try {
    db.pragma("busy_timeout = 5000");
    const rows: ExportRows = {
      events: () => readEvents(db, request.filter, { pageSize: PAGE_SIZE, throughId: request.through.event }),
      outcomes: () => readOutcomes(db, outcomeFilter(request.filter), { pageSize: PAGE_SIZE, throughId: request.through.outcome }),
    };
    return { ok: true, summary: await writeExport(request.format, rows, request.path, request.temporary), lowPriority };
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  } finally {
    db.close();
  }
}

parentPort!.postMessage(await run(workerData as WorkerRequest, yieldCpuToTheNode()));
