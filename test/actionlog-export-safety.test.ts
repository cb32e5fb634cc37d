// Issue #8: ~/export writes only inside export_dir, never overwrites, leaves nothing half-written,
// does not stall ingest, and a failed final flush is reported at ERROR.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { openSqliteActionLog, type SqliteActionLog as ActionLog } from "../src/core/actionlog/sqlite/openSqliteActionLog.js";
import type { ActionLogStore } from "../src/core/actionlog/sqlite/ActionLogStore.js";
import { exportJsonl, exportMcap } from "../src/core/actionlog/exportLog.js";
import { resolveExportPath } from "../src/core/actionlog/resolveExportPath.js";
import type { ActionOutcome, ExportLogRequest } from "../src/core/interfaces/messages.generated.js";
import { startActionLogNode } from "../src/nodes/action_log.js";
import { InProcessGraph } from "../src/ros/inprocess/InProcessGraph.js";
import { ev, manualSchedule, T0, waitFor } from "./fixtures/actionlog/helpers.js";

const NOW_MS = (T0 + 100) * 1000;

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

/** A folder holding the live database, the export folder, and a file outside both. */
function workspace() {
  const root = mkdtempSync(join(tmpdir(), "actionlog-export-"));
  const exportDir = join(root, "exports");
  mkdirSync(exportDir);
  const outside = join(root, "outside.txt");
  writeFileSync(outside, "not yours to overwrite\n");
  return { root, exportDir, outside, dbPath: join(root, "action_log.db") };
}

async function startNode(dbPath: string, exportDir: string) {
  const logLines: string[] = [];
  const logStream = new PassThrough();
  logStream.on("data", (chunk: Buffer) => logLines.push(...chunk.toString().split("\n").filter(Boolean)));
  const graph = new InProcessGraph({ logLevel: "info", logDestination: logStream, clock: () => NOW_MS });
  const started = await startActionLogNode(graph, { parameterOverrides: { db_path: dbPath, export_dir: exportDir } });
  const robot = graph.createNode("robot");
  const publisher = robot.createPublisher("embodied_assistant/msg/ActionEvent", "/robot/action_events", 1000);
  const outcomes: ActionOutcome[] = [];
  robot.createSubscription("embodied_assistant/msg/ActionOutcome", "/assistant/action_outcomes", (o) => void outcomes.push(o), 10_000);
  const exporter = robot.createClient("embodied_assistant/srv/ExportLog", "/action_log/export");
  const exportTo = (path: string, format = "jsonl") =>
    // An export starts a worker thread (about 2 s from TypeScript sources on a loaded machine), hence
    // more than the client's default 5 s.
    exporter.call({ format, path, robot_id: "", since: { sec: 0, nanosec: 0 }, until: { sec: 0, nanosec: 0 } } satisfies ExportLogRequest, { timeoutMs: 60_000 });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await started.close();
    await graph.shutdown();
  };
  cleanup.push(close);
  return { started, publisher, outcomes, exportTo, logLines, close };
}

describe("~/export stays inside export_dir", () => {
  it("refuses every escape with its reason, touches neither the live database nor an outside file, and keeps ingesting", async () => {
    const { root, exportDir, outside, dbPath } = workspace();
    symlinkSync(root, join(exportDir, "up")); // a folder link that leaves export_dir
    symlinkSync(outside, join(exportDir, "link.jsonl")); // a file link that leaves it
    writeFileSync(join(exportDir, "existing.jsonl"), "an earlier export\n");
    const { started, publisher, outcomes, exportTo } = await startNode(dbPath, exportDir);
    publisher.publish(ev({ action_id: "a1", t: T0 }));
    publisher.publish(ev({ action_id: "a1", status: "SUCCEEDED", t: T0 + 1 }));
    await waitFor(() => outcomes.length === 1, "the first outcome");
    const before = { root: readdirSync(root).sort(), exports: readdirSync(exportDir).sort() };

    const escapes: [string, RegExp][] = [
      ["../action_log.db", /\.\./],
      ["../outside.txt", /\.\./],
      ["sub/../../action_log.db", /\.\./],
      [dbPath, /absolute/],
      [join(root, "escape.jsonl"), /absolute/],
      ["up/action_log.db", /outside export_dir/],
      ["up/new.jsonl", /outside export_dir/],
      ["link.jsonl", /already exists/],
      ["existing.jsonl", /already exists/],
      ["missing/folder/x.jsonl", /does not exist/],
      ["bad\u0000name.jsonl", /control character/],
    ];
    for (const [path, reason] of escapes) {
      for (const format of ["jsonl", "mcap"]) {
        const response = await exportTo(path, format);
        expect(response.success, `${format} export to ${JSON.stringify(path)}`).toBe(false);
        expect(response.message).toMatch(reason);
        expect(response.path).toBe("");
      }
    }
    expect(readFileSync(outside, "utf8")).toBe("not yours to overwrite\n");
    expect(readFileSync(join(exportDir, "existing.jsonl"), "utf8")).toBe("an earlier export\n");
    expect(readdirSync(root).sort()).toEqual(before.root);
    expect(readdirSync(exportDir).sort()).toEqual(before.exports);
    expect(started.log.store.integrityCheck()).toBe("ok");

    // Still ingesting, committing and publishing.
    publisher.publish(ev({ action_id: "a2", t: T0 + 2 }));
    publisher.publish(ev({ action_id: "a2", status: "FAILED", t: T0 + 3 }));
    await waitFor(() => outcomes.length === 2, "an outcome after the refusals");
    expect(started.log.store.countEvents()).toBe(4);

    // A plain name and a relative path below export_dir (also through a link that stays inside) work.
    mkdirSync(join(exportDir, "runs"));
    symlinkSync(join(exportDir, "runs"), join(exportDir, "runs-link"));
    for (const path of ["day.jsonl", "runs/day.mcap", "runs-link/again.jsonl", ""]) {
      const response = await exportTo(path, path.endsWith(".mcap") ? "mcap" : "jsonl");
      expect(response, path).toMatchObject({ success: true, events: 4, outcomes: 2 });
      expect(existsSync(response.path)).toBe(true);
    }
    // No temporary file is left behind by a completed export.
    expect(readdirSync(exportDir).filter((name) => name.includes(".tmp"))).toEqual([]);
    expect(readdirSync(join(exportDir, "runs")).sort()).toEqual(["again.jsonl", "day.mcap"]);
  });

  it("declares export_dir read-only", async () => {
    const { exportDir, dbPath } = workspace();
    const { started } = await startNode(dbPath, exportDir);
    const result = started.node.setParameters({ export_dir: "/" });
    expect(result.successful).toBe(false);
  });
});

describe("export files", () => {
  function filledLog(path: string): ActionLog {
    const log = openSqliteActionLog({ path, clock: () => NOW_MS, schedule: manualSchedule });
    for (let i = 0; i < 50; i++) {
      log.ingest(ev({ action_id: `a${i}`, t: T0 + i }));
      log.ingest(ev({ action_id: `a${i}`, status: "SUCCEEDED", t: T0 + i + 0.5 }));
    }
    log.flush();
    return log;
  }

  it.each([
    ["jsonl", exportJsonl],
    ["mcap", exportMcap],
  ] as const)("%s: never overwrites, and a failed export leaves nothing behind", async (_format, exporter) => {
    const { root, exportDir } = workspace();
    const log = filledLog(join(root, "log.db"));
    const existing = join(exportDir, "taken");
    writeFileSync(existing, "keep me");
    await expect(exporter(log.store, {}, existing)).rejects.toThrow(/exists/);
    expect(readFileSync(existing, "utf8")).toBe("keep me");

    // A store that fails halfway through reading.
    const failing = Object.create(log.store) as ActionLogStore;
    failing.iterateEvents = function* (filter, options) {
      let n = 0;
      for (const row of log.store.iterateEvents(filter, options)) {
        if (++n === 30) throw new Error("disk I/O error");
        yield row;
      }
    };
    await expect(exporter(failing, {}, join(exportDir, "half"))).rejects.toThrow(/disk I\/O error/);
    expect(readdirSync(exportDir)).toEqual(["taken"]);
    log.close();
  });

  it("exports a snapshot: events committed while an export runs are not in it", async () => {
    const { root, exportDir } = workspace();
    const log = filledLog(join(root, "log.db"));
    const path = join(exportDir, "snap.jsonl");
    const running = exportJsonl(log.store, {}, path, { pageSize: 10, sliceMs: 0 });
    // The export yields between slices; commits go on meanwhile.
    await new Promise((r) => setImmediate(r));
    log.ingest(ev({ action_id: "late", t: T0 + 90 }));
    log.flush();
    const summary = await running;
    expect(summary).toMatchObject({ events: 100, outcomes: 50 });
    expect(log.store.countEvents()).toBe(101);
    log.close();
  });

  it("yields to the event loop while it exports, so timers and commits run during it", async () => {
    const { root, exportDir } = workspace();
    const log = filledLog(join(root, "log.db"));
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    await exportMcap(log.store, {}, join(exportDir, "slices.mcap"), { pageSize: 10, sliceMs: 0 });
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(5);
    log.close();
  });
});

describe("resolveExportPath", () => {
  it("resolves '' to a time-stamped name and relative paths below export_dir", () => {
    const { exportDir } = workspace();
    const named = resolveExportPath(exportDir, "", "mcap", NOW_MS);
    expect(named.ok && named.value).toMatch(/exports\/action_log-.*\.mcap$/);
    expect(resolveExportPath(exportDir, "./a.jsonl", "jsonl", NOW_MS)).toEqual({ ok: true, value: join(exportDir, "a.jsonl") });
  });

  it("creates export_dir itself when it is missing, but no folder below it", () => {
    const { root } = workspace();
    const fresh = join(root, "new-exports");
    expect(resolveExportPath(fresh, "a.jsonl", "jsonl", NOW_MS)).toEqual({ ok: true, value: join(fresh, "a.jsonl") });
    expect(existsSync(fresh)).toBe(true);
    expect(resolveExportPath(fresh, "x/a.jsonl", "jsonl", NOW_MS)).toMatchObject({ ok: false });
    expect(existsSync(join(fresh, "x"))).toBe(false);
  });
});

describe("close() after a failed final flush", () => {
  it("logs at ERROR how many events were not stored", async () => {
    const { exportDir, dbPath } = workspace();
    const { started, publisher, logLines, close } = await startNode(dbPath, exportDir);
    started.log.setBatching(10_000, 1000);
    for (let i = 0; i < 3; i++) publisher.publish(ev({ action_id: `x${i}`, t: T0 + i }));
    await waitFor(() => started.log.counters.accepted === 3, "three events");
    started.log.store.commit = () => {
      throw new Error("disk I/O error");
    };
    await close();
    const errors = logLines.map((l) => JSON.parse(l) as { level: number; msg: string; events_not_stored?: number }).filter((l) => l.level >= 50);
    expect(errors.some((l) => l.events_not_stored === 3 && /3 events and 0 outcomes were not stored/.test(l.msg))).toBe(true);
  });
});
