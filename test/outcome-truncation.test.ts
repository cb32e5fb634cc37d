/**
 * Issue #8 item 4: every outcome the action log commits becomes an episode. Text longer than the
 * memory's field limit is shortened at a word boundary, marked as shortened and counted, never refused.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createActionOutcome, type Episode } from "../src/core/interfaces/messages.generated.js";
import { outcomeEpisode } from "../src/core/memory/describeOutcome.js";
import { fitText } from "../src/core/memory/fitText.js";
import { MAX_FIELD_CHARS } from "../src/core/memory/limits.js";
import { startActionLogNode } from "../src/nodes/action_log.js";
import { startMemoryNode } from "../src/nodes/memory.js";
import { InProcessGraph } from "../src/ros/inprocess/InProcessGraph.js";
import type { ParameterValue } from "../src/ros/GraphPort.js";
import { ev } from "./fixtures/actionlog/helpers.js";

const dir = mkdtempSync(join(tmpdir(), "outcome-truncation-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Words of varying length up to exactly `bytes` ASCII bytes. */
function words(bytes: number, seed = 1): string {
  const vocabulary = ["the", "gripper", "slipped", "while", "lifting", "a", "heavy", "ceramic", "mug", "near", "sink"];
  let text = "";
  for (let i = seed; text.length < bytes; i++) text += (text ? " " : "") + vocabulary[i % vocabulary.length];
  return text.slice(0, bytes);
}

describe("fitText", () => {
  it("leaves text within the limit as it is", () => {
    expect(fitText("short text", 20)).toEqual({ text: "short text", omitted: 0 });
    const exact = "x".repeat(50);
    expect(fitText(exact, 50)).toEqual({ text: exact, omitted: 0 });
  });

  it("cuts at a word boundary, stays within the limit and says how much it left out", () => {
    const text = words(5000);
    const fitted = fitText(text, 4096);
    expect(fitted.text.length).toBeLessThanOrEqual(4096);
    const kept = fitted.text.slice(0, fitted.text.indexOf(" … [truncated:"));
    expect(text.startsWith(kept)).toBe(true);
    expect(text[kept.length]).toBe(" "); // the next character of the original is a space: no word was split
    expect(fitted.omitted).toBe(text.length - kept.length);
    expect(fitted.text.endsWith(`[truncated: ${fitted.omitted} more characters]`)).toBe(true);
  });

  it("cuts inside an endless word without splitting a surrogate pair", () => {
    const emoji = "😀".repeat(3000); // 6000 UTF-16 units, no whitespace
    for (const limit of [4096, 4097]) {
      const fitted = fitText(emoji, limit);
      expect(fitted.text.length).toBeLessThanOrEqual(limit);
      expect(fitted.text).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
      expect(fitted.text).toMatch(/^(?:😀)+ … \[truncated: \d+ more characters\]$/u);
    }
  });
});

describe("outcomeEpisode", () => {
  it("fits every text field of an outcome whose fields exceed the memory's limit", () => {
    const outcome = { ...createActionOutcome(), robot_id: "r1", action_id: "a1", action: "pick", object: "o".repeat(5000), location: "kitchen", result: "FAILED", reason: words(4090) };
    const { input, truncated } = outcomeEpisode(outcome);
    expect(truncated).toEqual(["object", "description"]);
    for (const field of ["robot_id", "agent", "action", "object", "location", "result", "description"] as const) expect(input[field].length).toBeLessThanOrEqual(MAX_FIELD_CHARS);
    expect(input.description.startsWith("r1 tried to pick the")).toBe(true);
  });
});

describe("action_log -> memory with a 4,090-byte detail", () => {
  async function rig(logParameters: Record<string, ParameterValue> = {}) {
    const graph = new InProcessGraph({ logLevel: "silent" });
    const db = mkdtempSync(join(dir, "rig-"));
    const log = await startActionLogNode(graph, { parameterOverrides: { db_path: join(db, "log.db"), export_dir: join(db, "exports"), batch_max_ms: 1, ...logParameters } });
    const memory = await startMemoryNode(graph, { parameterOverrides: { db_path: join(db, "memory.db"), encoder: "ngram" } });
    const robot = graph.createNode("robot");
    const events = robot.createPublisher("embodied_assistant/msg/ActionEvent", "/robot/action_events", 10);
    const episodes: Episode[] = [];
    robot.createSubscription("embodied_assistant/msg/Episode", "/memory/episodes", (e) => void episodes.push(e));
    const stop = async () => {
      await memory.close();
      await log.close();
      await graph.shutdown();
    };
    return { log, memory, events, episodes, stop };
  }
  const waitFor = async (done: () => boolean) => {
    for (let i = 0; i < 500 && !done(); i++) await new Promise((r) => setTimeout(r, 10));
  };

  it("stores the outcome as an episode, shortened at a word boundary and counted, with nothing failed", async () => {
    const r = await rig();
    try {
      const detail = words(4090);
      expect(Buffer.byteLength(detail)).toBe(4090);
      const t = Date.now() / 1000 - 5;
      r.events.publish(ev({ action_id: "long-1", status: "STARTED", t }));
      r.events.publish(ev({ action_id: "long-1", status: "FAILED", detail, t: t + 1 }));
      await waitFor(() => r.episodes.length > 0 || r.memory.counters.outcomesFailed > 0);
      expect(r.log.log.snapshot().counters.accepted).toBe(2);
      expect(r.memory.counters.outcomesFailed).toBe(0);
      expect(r.episodes.map((e) => e.id)).toEqual(["outcome:r1/long-1"]);
      const description = r.episodes[0]!.description;
      expect(description.length).toBeLessThanOrEqual(MAX_FIELD_CHARS);
      expect(description).toMatch(/ … \[truncated: \d+ more characters\]$/);
      expect(description).toContain(detail.slice(0, 3000));
      expect(r.memory.counters.outcomesTruncated).toBe(1);
      expect(r.memory.memory!.has("outcome:r1/long-1")).toBe(true);
    } finally {
      await r.stop();
    }
  });

  it("also stores an outcome whose ids exceed the limit when the log's max_field_chars allows them", async () => {
    const r = await rig({ max_field_chars: 8192 });
    try {
      const t = Date.now() / 1000 - 5;
      const object = "mug_".repeat(1500);
      r.events.publish(ev({ action_id: "long-2", object, status: "STARTED", t }));
      r.events.publish(ev({ action_id: "long-2", object, status: "SUCCEEDED", t: t + 1 }));
      await waitFor(() => r.episodes.length > 0 || r.memory.counters.outcomesFailed > 0);
      expect(r.memory.counters.outcomesFailed).toBe(0);
      expect(r.episodes).toHaveLength(1);
      expect(r.episodes[0]!.object.length).toBeLessThanOrEqual(MAX_FIELD_CHARS);
      expect(r.episodes[0]!.object).toMatch(/\[truncated: \d+ more characters\]$/);
    } finally {
      await r.stop();
    }
  });
});
