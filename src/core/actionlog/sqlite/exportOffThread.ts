/**
 * Exports off the event loop: a worker thread with its own read-only connection reads the
 * log and writes the file, and the calling thread only posts the request and awaits the
 * result, so ingest, commits and services go on at full speed during a long export. The
 * worker runs at the lowest CPU priority: on a busy machine the export slows, not ingest.
 * A store without a file (':memory:' or '', tests) cannot be opened by a second
 * connection: it falls back to the paced export on this thread (exportLog).
 */
import { Worker } from "node:worker_threads";
import { unlinkSync } from "node:fs";
import type { ActionLogStore } from "./ActionLogStore.js";
import { exportLog, temporaryNameFor, type ExportFormat, type ExportSummary } from "../exportLog.js";
import type { EventFilter } from "../logQueries.js";
import { isSharedDatabaseFile } from "../../sqliteFile.js";

/** What the export worker is asked to do (its workerData). */
export interface WorkerRequest {
  readonly format: ExportFormat;
  readonly dbPath: string;
  readonly filter: EventFilter;
  readonly path: string;
  readonly temporary: string;
  /** The newest event and outcome ids when the request arrived: the export's snapshot. */
  readonly through: { readonly event: number; readonly outcome: number };
}

export type WorkerResult =
  | { readonly ok: true; readonly summary: ExportSummary; readonly lowPriority: boolean }
  | { readonly ok: false; readonly message: string };

/** Where an export ran: in a worker thread, or paced on the event loop (a store without a file). */
export type ExportMode = "worker" | "paced";

export interface OffThreadSummary extends ExportSummary {
  readonly mode: ExportMode;
  /** Whether the worker ran at the lowest CPU priority (nice 19; Linux), below the node's thread. */
  readonly lowPriority: boolean;
}

/** Whether a second connection can open the store's database: a file, not ':memory:', '' or a URI. */
export function storeHasFile(store: ActionLogStore): boolean {
  return !store.db.memory && isSharedDatabaseFile(store.path);
}

/**
 * Exports the rows committed now (flush the log first) to `path`: in a worker thread when
 * the store has a file, else paced on this thread. Aborting `signal` stops the worker and
 * removes its temporary file.
 */
export async function exportLogOffThread(
  format: ExportFormat,
  store: ActionLogStore,
  filter: EventFilter,
  path: string,
  signal?: AbortSignal,
): Promise<OffThreadSummary> {
  if (!storeHasFile(store)) return { ...(await exportLog(format, store, filter, path)), mode: "paced", lowPriority: false };
  const request: WorkerRequest = { format, dbPath: store.path, filter, path, temporary: temporaryNameFor(path), through: store.newestIds() };
  const { summary, lowPriority } = await exportInWorker(request, signal);
  return { ...summary, mode: "worker", lowPriority };
}

/**
 * The worker's entry: exportWorker.ts through a bootstrap that registers tsx when this
 * module runs from TypeScript sources, exportWorker.js when it runs compiled.
 */
function startWorker(request: WorkerRequest): Worker {
  const fromSources = import.meta.url.endsWith(".ts");
  if (!fromSources) return new Worker(new URL("./exportWorker.js", import.meta.url), { workerData: request });
  const entry = new URL("./exportWorker.ts", import.meta.url).href;
  return new Worker(new URL("./exportWorkerBootstrap.mjs", import.meta.url), { workerData: { ...request, entry } });
}

function exportInWorker(request: WorkerRequest, signal?: AbortSignal): Promise<{ summary: ExportSummary; lowPriority: boolean }> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new Error("export cancelled"));
    const worker = startWorker(request);
    let result: WorkerResult | undefined;
    let failure: Error | undefined;
    const cancel = () => {
      failure = new Error("export cancelled: the node is closing");
      void worker.terminate();
    };
    signal?.addEventListener("abort", cancel, { once: true });
    worker.on("message", (message: WorkerResult) => (result = message));
    worker.on("error", (error) => (failure ??= error));
    worker.on("exit", (code) => {
      signal?.removeEventListener("abort", cancel);
      if (result?.ok) return resolve({ summary: result.summary, lowPriority: result.lowPriority });
      // A worker that failed cleanly removed its temporary file; one that was stopped or
      // crashed may not have: nothing half-written is left either way.
      removeIfThere(request.temporary);
      reject(result ? new Error(result.message) : (failure ?? new Error(`the export worker exited with code ${code} and no result`)));
    });
  });
}

function removeIfThere(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Not there: the worker removed it, or never created it.
  }
}
