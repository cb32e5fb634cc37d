// The export runs in a child process at nice 19 with its own read-only connection (issue #8
// item 3): the node's event loop stays free for ingest while a large export is written.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openSqliteActionLog, type SqliteActionLog } from "../src/core/actionlog/sqlite/openSqliteActionLog.js";
import { exportJsonl, exportMcap } from "../src/core/actionlog/exportLog.js";
import { exportLogOffThread } from "../src/core/actionlog/sqlite/exportOffThread.js";
import { ev, manualSchedule, T0 } from "./fixtures/actionlog/helpers.js";

const NOW_MS = (T0 + 100_000) * 1000;

let logs: SqliteActionLog[] = [];
afterEach(() => {
  for (const log of logs) log.close();
  logs = [];
});

/** A log at `path` holding `actions` finished actions (two events and one outcome each). */
function filledLog(path: string, actions: number): SqliteActionLog {
  const log = openSqliteActionLog({ path, clock: () => NOW_MS, schedule: manualSchedule, batchMaxEvents: 5000 });
  logs.push(log);
  for (let i = 0; i < actions; i++) {
    log.ingest(ev({ robot_id: `r${i % 4}`, action_id: `a${i}`, t: T0 + i * 0.01, detail: "a detail of some length" }));
    log.ingest(ev({ robot_id: `r${i % 4}`, action_id: `a${i}`, status: i % 5 ? "SUCCEEDED" : "FAILED", t: T0 + i * 0.01 + 0.005, detail: "done" }));
  }
  log.flush();
  return log;
}

function folders() {
  const root = mkdtempSync(join(tmpdir(), "actionlog-export-"));
  const exportDir = join(root, "exports");
  mkdirSync(exportDir);
  return { dbPath: join(root, "log.db"), exportDir };
}

/**
 * The longest delay of a 1 ms interval timer while `work` runs: how long the event loop
 * was held at once. Also counts the ticks.
 */
async function eventLoopLag<T>(work: () => Promise<T>): Promise<{ maxLagMs: number; ticks: number; result: T }> {
  let last = performance.now();
  let maxLagMs = 0;
  let ticks = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    maxLagMs = Math.max(maxLagMs, now - last);
    last = now;
    ticks++;
  }, 1);
  try {
    const result = await work();
    maxLagMs = Math.max(maxLagMs, performance.now() - last);
    return { maxLagMs, ticks, result };
  } finally {
    clearInterval(timer);
  }
}

describe("export in a child process", () => {
  it("writes the same file as the export on the node's thread, from its own connection", async () => {
    const { dbPath, exportDir } = folders();
    const log = filledLog(dbPath, 300);
    const inProcess = await exportLogOffThread("jsonl", log.store, { robotId: "r1" }, join(exportDir, "process.jsonl"));
    const onThread = await exportJsonl(log.store, { robotId: "r1" }, join(exportDir, "thread.jsonl"));
    expect(inProcess.mode).toBe("process");
    // Below the node's thread, so that on a busy machine the export slows, not ingest.
    if (process.platform === "linux") expect(inProcess.lowPriority).toBe(true);
    expect(inProcess).toMatchObject({ events: 150, outcomes: 75 });
    expect(readFileSync(inProcess.path, "utf8")).toBe(readFileSync(onThread.path, "utf8"));

    const mcapProcess = await exportLogOffThread("mcap", log.store, {}, join(exportDir, "process.mcap"));
    const mcapThread = await exportMcap(log.store, {}, join(exportDir, "thread.mcap"));
    expect(mcapProcess).toMatchObject({ mode: "process", events: 600, outcomes: 300, bytes: mcapThread.bytes });
    expect(readdirSync(exportDir).sort()).toEqual(["process.jsonl", "process.mcap", "thread.jsonl", "thread.mcap"]);
  });

  it("keeps the event loop free during a large export, where the same export on the thread holds it", async () => {
    const { dbPath, exportDir } = folders();
    const log = filledLog(dbPath, 15_000);
    // The baseline: the same export on this thread with no yields, which holds the event loop throughout.
    const blocking = await eventLoopLag(() => exportMcap(log.store, {}, join(exportDir, "blocking.mcap"), { sliceMs: Number.POSITIVE_INFINITY }));
    const offThread = await eventLoopLag(() => exportLogOffThread("mcap", log.store, {}, join(exportDir, "process.mcap")));
    expect(offThread.result).toMatchObject({ mode: "process", events: 30_000, outcomes: 15_000, bytes: blocking.result.bytes });
    console.log(`event loop max lag: ${offThread.maxLagMs.toFixed(1)} ms during the export in a process (${offThread.ticks} ticks), ${blocking.maxLagMs.toFixed(1)} ms during the blocking one`);
    // Relative to the baseline, not a wall-clock threshold: the blocking export holds the loop
    // for its whole run; the export in a process lets the timer run throughout.
    expect(offThread.maxLagMs).toBeLessThan(blocking.maxLagMs / 4);
    expect(offThread.ticks).toBeGreaterThan(blocking.ticks * 10);
  });

  it("exports a snapshot while commits go on, and they are not in it", async () => {
    const { dbPath, exportDir } = folders();
    const log = filledLog(dbPath, 2000);
    const running = exportLogOffThread("jsonl", log.store, {}, join(exportDir, "snap.jsonl"));
    for (let i = 0; i < 100; i++) log.ingest(ev({ action_id: `late${i}`, t: T0 + 90_000 + i }));
    log.flush();
    const summary = await running;
    expect(summary).toMatchObject({ mode: "process", events: 4000, outcomes: 2000 });
    expect(log.store.countEvents()).toBe(4100);
  });

  it("never overwrites, and a cancelled export leaves nothing behind", async () => {
    const { dbPath, exportDir } = folders();
    const log = filledLog(dbPath, 5000);
    writeFileSync(join(exportDir, "taken.mcap"), "keep me");
    await expect(exportLogOffThread("mcap", log.store, {}, join(exportDir, "taken.mcap"))).rejects.toThrow(/exists/);
    expect(readFileSync(join(exportDir, "taken.mcap"), "utf8")).toBe("keep me");

    const cancel = new AbortController();
    const running = exportLogOffThread("mcap", log.store, {}, join(exportDir, "cancelled.mcap"), cancel.signal);
    // Stopped once its temporary file exists: the process is killed mid-write.
    while (!readdirSync(exportDir).some((name) => name.endsWith(".tmp"))) await new Promise((r) => setTimeout(r, 2));
    cancel.abort();
    await expect(running).rejects.toThrow(/cancelled/);
    expect(readdirSync(exportDir)).toEqual(["taken.mcap"]);
  });

  it("falls back to the paced export on the node's thread for a database without a file", async () => {
    const { exportDir } = folders();
    for (const path of [":memory:", ""]) {
      const log = filledLog(path, 20);
      const summary = await exportLogOffThread("jsonl", log.store, {}, join(exportDir, `mem${path.length}.jsonl`));
      expect(summary).toMatchObject({ mode: "paced", events: 40, outcomes: 20 });
    }
  });
});
