/**
 * Crash safety: a child process remembers episodes one by one and prints "ack <id>" after each
 * remember() resolves; the parent SIGKILLs it mid-stream, reopens the file, and checks that every
 * acknowledged episode is there with the vectors a fresh encoding gives.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { GloveEmbedder } from "../src/core/embedding/index.js";
import { equals } from "../src/core/hdc/index.js";
import { openSqliteMemory, type EpisodeInput } from "../src/core/memory/index.js";

const dir = mkdtempSync(join(tmpdir(), "memory-restart-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ROOT = resolve(import.meta.dirname, "..");

function episodeAt(i: number): EpisodeInput {
  const objects = ["cup", "plate", "book", "towel", "door"];
  return {
    stamp: { sec: 1_763_800_000 + i, nanosec: 0 },
    robot_id: `r${i % 3}`,
    agent: `r${i % 3}`,
    action: i % 2 ? "pick" : "place",
    object: objects[i % objects.length]!,
    location: i % 4 ? "kitchen" : "garage",
    result: i % 5 ? "SUCCEEDED" : "FAILED",
    description: `episode ${i}: the robot handled the ${objects[i % objects.length]} carefully`,
    source: "remember",
  };
}

const CHILD = `
import { GloveEmbedder } from ${JSON.stringify(join(ROOT, "src/core/embedding/index.ts"))};
import { openSqliteMemory } from ${JSON.stringify(join(ROOT, "src/core/memory/index.ts"))};
const episodeAt = ${episodeAt.toString()};
const memory = await openSqliteMemory({ embedder: GloveEmbedder.load(), dbPath: process.argv[2] });
for (let i = 0; ; i++) {
  const [e] = await memory.remember([episodeAt(i)]);
  process.stdout.write("ack " + e.id + "\\n");
}
`;

describe("episodic memory restart", () => {
  it("loses no acknowledged episode when the process is SIGKILLed", async () => {
    const dbPath = join(dir, "crash.db");
    const script = join(dir, "child.mts");
    writeFileSync(script, CHILD);
    const child = spawn(process.execPath, ["--import", "tsx", script, dbPath], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    const acked: string[] = [];
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    await new Promise<void>((resolveKill, reject) => {
      let buffer = "";
      child.stdout.on("data", (d: Buffer) => {
        buffer += d.toString();
        const lines = buffer.split("\n");
        buffer = lines.pop() ?? "";
        for (const line of lines) if (line.startsWith("ack ")) acked.push(line.slice(4));
        if (acked.length >= 40) {
          child.kill("SIGKILL");
          resolveKill();
        }
      });
      child.on("exit", (code, signal) => {
        if (signal !== "SIGKILL") reject(new Error(`child exited early (${code}): ${stderr}`));
      });
    });
    await new Promise((r) => child.once("close", r));

    const glove = GloveEmbedder.load();
    const reopened = await openSqliteMemory({ embedder: glove, dbPath });
    expect(reopened.size).toBeGreaterThanOrEqual(acked.length);
    const fresh = await openSqliteMemory({ embedder: glove });
    await fresh.remember(Array.from({ length: reopened.size }, (_, i) => ({ ...episodeAt(i), id: `ep-${i + 1}` })));
    for (const id of acked) {
      const i = reopened.index.indexOf(id);
      expect(i, `acknowledged ${id} is missing after the crash`).toBeDefined();
      const j = fresh.index.indexOf(id)!;
      expect(reopened.index.episode(i!)).toEqual(fresh.index.episode(j));
      expect(equals(reopened.index.episodeVector(i!), fresh.index.episodeVector(j))).toBe(true);
      expect(equals(reopened.index.textVector(i!), fresh.index.textVector(j))).toBe(true);
    }
    // The restored memory answers and keeps numbering after the last stored id.
    const [next] = await reopened.remember([episodeAt(10_000)]);
    expect(next!.id).toBe(`ep-${reopened.size}`);
    reopened.close();
  });
});

describe("the open's reader thread", () => {
  it("reports why it could not read a file instead of hanging, so the store reads on its own connection", async () => {
    const { pagesInWorker } = await import("../src/core/memory/sqlite/pagesInWorker.js");
    const pages = pagesInWorker(join(dir, "no-such-memory.db"), 32);
    const step = pages.next();
    expect(step.done).toBe(true);
    expect(step.value).toMatch(/unable to open|no such file|directory does not exist/i);
  });

  it("a reopened file holds every episode, in order, across several pages", async () => {
    const dbPath = join(dir, "pages.db");
    const glove = GloveEmbedder.load();
    const first = await openSqliteMemory({ embedder: glove, dbPath });
    const n = 9_000; // three pages of 4,096
    for (let i = 0; i < n; i += 1000) await first.remember(Array.from({ length: 1000 }, (_, j) => episodeAt(i + j)));
    const ids = Array.from({ length: n }, (_, i) => first.index.episode(i).id);
    first.close();
    const reopened = await openSqliteMemory({ embedder: glove, dbPath });
    expect(reopened.size).toBe(n);
    expect(Array.from({ length: n }, (_, i) => reopened.index.episode(i).id)).toEqual(ids);
    reopened.close();
  });
});
