import { spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { tempDb } from "./fixtures/actionlog/helpers.js";

const WORKER = join(import.meta.dirname, "..", "bench", "actionlogCrashWorker.ts");

/** Runs the crash worker until it has published `atLeast` outcomes, then SIGKILLs it. */
async function runAndKill(dbPath: string, run: number, atLeast: number): Promise<{ printed: string[]; replayed: number }> {
  const child = spawn(process.execPath, ["--import", "tsx", WORKER, dbPath, String(run)], { stdio: ["ignore", "pipe", "inherit"] });
  const printed: string[] = [];
  let replayed = 0;
  const lines = createInterface({ input: child.stdout! });
  const closed = new Promise<void>((r) => lines.once("close", () => r()));
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  await new Promise<void>((resolve) => {
    lines.on("line", (line) => {
      if (line.startsWith("READY")) replayed = Number(/replayed=(\d+)/.exec(line)?.[1] ?? 0);
      if (line.startsWith("O ")) printed.push(line.slice(2));
      if (printed.length >= atLeast) resolve();
    });
    void exited.then(() => resolve());
  });
  child.kill("SIGKILL");
  await exited;
  await closed;
  return { printed, replayed };
}

describe("action_log under SIGKILL", () => {
  it("keeps every published outcome and a sound database across kills and restarts", async () => {
    const dbPath = tempDb();
    let replayedOnce = false;
    for (let run = 0; run < 3; run++) {
      const { printed, replayed } = await runAndKill(dbPath, run, 300 + run * 200);
      expect(printed.length).toBeGreaterThan(0);
      if (run > 0 && replayed > 0) replayedOnce = true;
      const db = new Database(dbPath, { readonly: true });
      expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
      const find = db.prepare("SELECT COUNT(*) AS n FROM outcomes WHERE robot_id = ? AND action_id = ?");
      const missing = printed.filter((id) => (find.get(id.slice(0, id.indexOf("/")), id.slice(id.indexOf("/") + 1)) as { n: number }).n !== 1);
      expect(missing).toEqual([]);
      // One outcome per action, also across restarts that replay the open actions.
      expect(db.prepare("SELECT COUNT(*) AS n FROM (SELECT 1 FROM outcomes GROUP BY robot_id, action_id HAVING COUNT(*) > 1)").get()).toEqual({ n: 0 });
      db.close();
    }
    // A kill mid-stream leaves open actions; the next start replays their events.
    expect(replayedOnce).toBe(true);
  }, 60_000);
});
