/**
 * Exports off the event loop: a child process with its own read-only connection reads the
 * log and writes the file, and the calling thread only sends the request and awaits the
 * result, so ingest, commits and services go on at full speed during a long export. The
 * process runs at the lowest CPU priority (nice 19), all of its threads included: on a busy
 * machine the export slows, not ingest. A worker thread did not manage that: its garbage
 * collection ran on V8's helper threads and its file writes on libuv's pool, both shared
 * with the node and at the node's priority (commit p99 during a 200,000-event export, six
 * interleaved runs: 60-512 ms in a thread, 44-79 ms in a process; docs/action_log.md).
 * A store without a file (':memory:' or '', tests) cannot be opened by a second
 * connection: it falls back to the paced export on this thread (exportLog).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { unlinkSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { niceCommand } from "../../niceCommand.js";
import type { ActionLogStore } from "./ActionLogStore.js";
import { exportLog, temporaryNameFor, type ExportFormat, type ExportSummary } from "../exportLog.js";
import type { EventFilter } from "../logQueries.js";
import { isSharedDatabaseFile } from "../../sqliteFile.js";

/** What the export process is asked to do (its one IPC message). */
export interface ExportRequest {
  readonly format: ExportFormat;
  readonly dbPath: string;
  readonly filter: EventFilter;
  readonly path: string;
  readonly temporary: string;
  /** The newest event and outcome ids when the request arrived: the export's snapshot. */
  readonly through: { readonly event: number; readonly outcome: number };
}

export type ExportResult =
  | { readonly ok: true; readonly summary: ExportSummary; readonly lowPriority: boolean }
  | { readonly ok: false; readonly message: string };

/** Where an export ran: in a child process, or paced on the event loop (a store without a file). */
export type ExportMode = "process" | "paced";

export interface OffThreadSummary extends ExportSummary {
  readonly mode: ExportMode;
  /** Whether the export process ran at the lowest CPU priority (nice 19), below the node. */
  readonly lowPriority: boolean;
}

/** Whether a second connection can open the store's database: a file, not ':memory:', '' or a URI. */
export function storeHasFile(store: ActionLogStore): boolean {
  return !store.db.memory && isSharedDatabaseFile(store.path);
}

/**
 * Exports the rows committed now (flush the log first) to `path`: in a child process when
 * the store has a file, else paced on this thread. Aborting `signal` stops the process and
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
  const request: ExportRequest = { format, dbPath: store.path, filter, path, temporary: temporaryNameFor(path), through: store.newestIds() };
  const { summary, lowPriority } = await exportInProcess(request, signal);
  return { ...summary, mode: "process", lowPriority };
}

/**
 * Starts the export process at nice 19: exportProcess.js when this module runs compiled,
 * exportProcess.ts through the bootstrap that registers tsx when it runs from sources.
 */
function startExportProcess(): ChildProcess {
  const fromSources = import.meta.url.endsWith(".ts");
  const entry = fromSources
    ? [fileURLToPath(new URL("./tsxEntryBootstrap.mjs", import.meta.url)), new URL("./exportProcess.ts", import.meta.url).href]
    : [fileURLToPath(new URL("./exportProcess.js", import.meta.url))];
  const { command, args } = niceCommand(19, process.execPath, entry);
  return spawn(command, args, { stdio: ["ignore", "inherit", "inherit", "ipc"] });
}

function exportInProcess(request: ExportRequest, signal?: AbortSignal): Promise<{ summary: ExportSummary; lowPriority: boolean }> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new Error("export cancelled"));
    const child = startExportProcess();
    let result: ExportResult | undefined;
    let failure: Error | undefined;
    const cancel = () => {
      failure = new Error("export cancelled: the node is closing");
      child.kill("SIGKILL");
    };
    signal?.addEventListener("abort", cancel, { once: true });
    child.on("message", (message: ExportResult) => (result = message));
    child.on("error", (error) => (failure ??= error));
    // 'close', not 'exit': it comes after the IPC channel has delivered every message.
    child.on("close", (code, killedBy) => {
      signal?.removeEventListener("abort", cancel);
      if (result?.ok) return resolve({ summary: result.summary, lowPriority: result.lowPriority });
      // A process that failed cleanly removed its temporary file; one that was stopped or
      // crashed may not have: nothing half-written is left either way.
      removeIfThere(request.temporary);
      const how = killedBy ? `was stopped by ${killedBy}` : `exited with code ${code}`;
      reject(result ? new Error(result.message) : (failure ?? new Error(`the export process ${how} and sent no result`)));
    });
    child.send(request);
  });
}

function removeIfThere(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Not there: the process removed it, or never created it.
  }
}
