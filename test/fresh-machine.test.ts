/**
 * Issue #8 item 2: on a fresh machine ($ROS_HOME/embodied_assistant does not exist yet) every
 * executable starts with default parameters, and the assistant ingests and answers.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startNodeProgram } from "../src/cli/runNode.js";
import { createChatRequest, createGetActionStatsRequest, createRecallRequest } from "../src/core/interfaces/messages.generated.js";
import { ASSISTANT_NODES } from "../src/nodes/registry.js";
import { InProcessGraph } from "../src/ros/inprocess/InProcessGraph.js";
import { ev } from "./fixtures/actionlog/helpers.js";
import { runUntilStarted } from "./fixtures/nodes/runExecutable.js";

const homes: string[] = [];
afterAll(() => {
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

/** An empty ROS_HOME: the state of a machine where the package has never run. */
function freshRosHome(): string {
  const home = mkdtempSync(join(tmpdir(), "fresh-ros-home-"));
  homes.push(home);
  return home;
}

describe("a fresh machine (empty ROS_HOME)", () => {
  it.each([
    ["action_log", 1, ["action_log.db", "exports"]],
    ["memory", 1, ["memory.db"]],
    ["dialogue", 1, []],
    ["assistant", 3, ["action_log.db", "exports", "memory.db"]],
  ] as const)("%s starts with default parameters and creates its folders", async (executable, nodes, files) => {
    const home = freshRosHome();
    const run = await runUntilStarted(executable, nodes, ["--graph", "in-process"], { ROS_HOME: home });
    expect(run.started, run.output).toBe(nodes);
    expect(run.code, run.output).toBe(0);
    const data = join(home, "embodied_assistant");
    for (const file of files) expect(existsSync(join(data, file)), `${file} in ${existsSync(data) ? readdirSync(data).join(",") : "(no folder)"}`).toBe(true);
  }, 60_000);

  it("the assistant's three nodes ingest an action, recall it and chat about it", async () => {
    const home = freshRosHome();
    const saved = process.env["ROS_HOME"];
    process.env["ROS_HOME"] = home;
    const graph = new InProcessGraph({ logLevel: "silent" });
    try {
      // No parameters at all: every path is a default under the empty ROS_HOME.
      const started = await startNodeProgram({ executable: "assistant", summary: "", nodes: ASSISTANT_NODES }, ["--graph", "in-process"], { graph });
      try {
        const tester = graph.createNode("tester");
        const events = tester.createPublisher("embodied_assistant/msg/ActionEvent", "/robot/action_events", 10);
        const episodes: string[] = [];
        tester.createSubscription("embodied_assistant/msg/Episode", "/memory/episodes", (e) => void episodes.push(e.id));
        const t = Date.now() / 1000 - 10;
        events.publish(ev({ action_id: "fresh-1", action: "pick", object: "cup", location: "kitchen", status: "STARTED", t }));
        events.publish(ev({ action_id: "fresh-1", action: "pick", object: "cup", location: "kitchen", status: "FAILED", detail: "the gripper slipped", t: t + 1 }));
        for (let i = 0; i < 500 && episodes.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
        expect(episodes).toEqual(["outcome:r1/fresh-1"]);

        const stats = await tester.createClient("embodied_assistant/srv/GetActionStats", "/action_log/get_stats").call(createGetActionStatsRequest());
        expect(stats.success, stats.message).toBe(true);
        expect(stats.message).toContain("accepted=2");
        const recall = await tester.createClient("embodied_assistant/srv/Recall", "/memory/recall").call({ ...createRecallRequest(), cue_action: "pick", cue_result: "FAILED", ask_role: "object" });
        expect(recall.success, recall.message).toBe(true);
        expect(recall.answer).toBe("cup");
        const chat = await tester.createClient("embodied_assistant/srv/Chat", "/dialogue/chat").call({ ...createChatRequest(), text: "what happened with the cup?" }, { timeoutMs: 20_000 });
        expect(chat.success, chat.message).toBe(true);
        expect(chat.cited_episodes).toContain("outcome:r1/fresh-1");
        expect(existsSync(join(home, "embodied_assistant", "action_log.db"))).toBe(true);
        expect(existsSync(join(home, "embodied_assistant", "memory.db"))).toBe(true);
      } finally {
        await started.stop();
      }
    } finally {
      if (saved === undefined) delete process.env["ROS_HOME"];
      else process.env["ROS_HOME"] = saved;
    }
  }, 60_000);
});
