import { readFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { parse } from "@foxglove/rosmsg";
import { MessageReader } from "@foxglove/rosmsg2-serialization";
import { McapIndexedReader } from "@mcap/core";
import { describe, expect, it } from "vitest";
import { openSqliteActionLog, type SqliteActionLog as ActionLog } from "../src/core/actionlog/sqlite/openSqliteActionLog.js";
import { exportJsonl, exportMcap } from "../src/core/actionlog/exportLog.js";
import { ros2MsgSchema } from "../src/core/actionlog/ros2MsgSchema.js";
import { ActionEventSchema, ActionOutcomeSchema, type ActionEvent, type ActionOutcome } from "../src/core/interfaces/messages.generated.js";
import { ev, manualSchedule, T0, tempDb } from "./fixtures/actionlog/helpers.js";

function filledLog(): ActionLog {
  const log = openSqliteActionLog({ path: tempDb(), clock: () => (T0 + 1000) * 1000, schedule: manualSchedule });
  log.ingest(ev({ action_id: "a1", t: T0 + 0.25, frame_id: "base_link" }));
  log.ingest(ev({ action_id: "a1", status: "PROGRESS", progress: 0.5, t: T0 + 1 }));
  log.ingest(ev({ action_id: "a1", status: "FAILED", detail: "gripper slipped ✋", t: T0 + 2.125 }));
  log.ingest(ev({ action_id: "a2", robot_id: "r2", action: "navigate", object: "", t: T0 + 3 }));
  log.ingest(ev({ action_id: "a2", robot_id: "r2", action: "navigate", object: "", status: "SUCCEEDED", t: T0 + 9 }));
  log.ingest(ev({ action_id: "a3", t: T0 + 10 })); // stays open
  log.flush();
  return log;
}

async function readMcap(path: string) {
  const handle = await open(path, "r");
  const size = (await handle.stat()).size;
  const reader = await McapIndexedReader.Initialize({
    readable: {
      size: async () => BigInt(size),
      read: async (offset, length) => {
        const buffer = new Uint8Array(Number(length));
        await handle.read(buffer, 0, Number(length), Number(offset));
        return buffer;
      },
    },
  });
  const decoders = new Map<number, MessageReader>();
  for (const channel of reader.channelsById.values()) {
    const schema = reader.schemasById.get(channel.schemaId)!;
    expect(schema.encoding).toBe("ros2msg");
    expect(channel.messageEncoding).toBe("cdr");
    decoders.set(channel.id, new MessageReader(parse(new TextDecoder().decode(schema.data), { ros2: true })));
  }
  const byTopic = new Map<string, unknown[]>();
  for await (const message of reader.readMessages()) {
    const topic = reader.channelsById.get(message.channelId)!.topic;
    const decoded = decoders.get(message.channelId)!.readMessage(message.data);
    byTopic.set(topic, [...(byTopic.get(topic) ?? []), decoded]);
  }
  await handle.close();
  return { reader, byTopic };
}

describe("ros2MsgSchema", () => {
  it("concatenates the definition with its dependencies, rosbag2 style", () => {
    const text = ros2MsgSchema("embodied_assistant/msg/ActionOutcome");
    expect(text).toContain("\n" + "=".repeat(80) + "\nMSG: std_msgs/Header\n");
    expect(text).toContain("\nMSG: builtin_interfaces/Time\n");
    expect(text.match(/MSG: builtin_interfaces\/Time/g)).toHaveLength(1);
  });
});

describe("export", () => {
  it("writes an MCAP file that Foxglove's ROS 2 reader decodes back to the stored messages", async () => {
    const log = filledLog();
    const path = `${tempDb("x")}.mcap`;
    const summary = await exportMcap(log.store, {}, path);
    expect(summary).toMatchObject({ events: 6, outcomes: 2 });
    const { reader, byTopic } = await readMcap(path);
    expect(reader.header.profile).toBe("ros2");
    expect(reader.statistics?.messageCount).toBe(8n);

    const events = byTopic.get("/robot/action_events") as ActionEvent[];
    const stored = [...log.store.iterateEvents({})].map(({ recv_ms: _, ...e }) => e);
    expect(events).toHaveLength(6);
    // float32 progress survives exactly for 0.5; compare after the schema strips nothing.
    expect(events.map((e) => ActionEventSchema.parse(e))).toEqual(stored);
    expect(events[2]!.detail).toBe("gripper slipped ✋");
    expect(events[0]!.header.frame_id).toBe("base_link");

    const outcomes = byTopic.get("/assistant/action_outcomes") as ActionOutcome[];
    expect(outcomes.map((o) => ActionOutcomeSchema.parse(o))).toEqual([...log.store.iterateOutcomes({})]);
    expect(outcomes[0]).toMatchObject({ action_id: "a1", result: "FAILED", duration_s: 1.875, progress_events: 1, flagged: false });
    log.close();
  });

  it("filters the export by robot", async () => {
    const log = filledLog();
    const summary = await exportMcap(log.store, { robotId: "r2" }, `${tempDb("r2")}.mcap`);
    expect(summary).toMatchObject({ events: 2, outcomes: 1 });
    log.close();
  });

  it("writes JSONL, one message per line, that parses back into valid messages", async () => {
    const log = filledLog();
    const path = `${tempDb("x")}.jsonl`;
    const summary = await exportJsonl(log.store, { since: { sec: T0 + 2, nanosec: 0 } }, path);
    const lines = readFileSync(path, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { topic: string; message: unknown });
    expect(lines).toHaveLength(summary.events + summary.outcomes);
    expect(summary.events).toBe(4);
    for (const line of lines) {
      const schema = line.topic === "/robot/action_events" ? ActionEventSchema : ActionOutcomeSchema;
      expect(schema.safeParse(line.message).success).toBe(true);
    }
    log.close();
  });
});
