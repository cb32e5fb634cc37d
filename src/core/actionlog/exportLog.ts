import { closeSync, fstatSync, mkdirSync, openSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { McapWriter, type IWritable } from "@mcap/core";
import type { ActionLogStore, EventFilter } from "./ActionLogStore.js";
import { encodeActionEvent, encodeActionOutcome } from "./encodeCdr.js";
import { ros2MsgSchema } from "./ros2MsgSchema.js";

export type ExportFormat = "mcap" | "jsonl";

export interface ExportSummary {
  readonly path: string;
  readonly events: number;
  readonly outcomes: number;
  readonly bytes: number;
}

/** Topics the exported messages are filed under: the ones they travel on live. */
export const EVENTS_TOPIC = "/robot/action_events";
export const OUTCOMES_TOPIC = "/assistant/action_outcomes";

/** Appends to a file descriptor; writes are synchronous, so positions are exact. */
class FileWritable implements IWritable {
  private offset = 0n;
  constructor(private readonly fd: number) {}
  async write(buffer: Uint8Array): Promise<void> {
    let written = 0;
    while (written < buffer.length) written += writeSync(this.fd, buffer, written);
    this.offset += BigInt(buffer.length);
  }
  position(): bigint {
    return this.offset;
  }
}

const ns = (t: { sec: number; nanosec: number }) => BigInt(t.sec) * 1_000_000_000n + BigInt(t.nanosec);

function openOutput(path: string): number {
  mkdirSync(dirname(path), { recursive: true });
  return openSync(path, "w");
}

/**
 * Writes events (on /robot/action_events) and outcomes (on /assistant/action_outcomes)
 * to an MCAP file with ros2msg schemas and CDR messages, the profile `ros2 bag` writes,
 * so Foxglove Studio and `ros2 bag play` open it. Event log time is the robot's stamp;
 * outcome log time is its commit time. The robot filter and time range apply to both.
 */
export async function exportMcap(store: ActionLogStore, filter: EventFilter, path: string): Promise<ExportSummary> {
  const fd = openOutput(path);
  let events = 0;
  let outcomes = 0;
  try {
    const writer = new McapWriter({ writable: new FileWritable(fd), useStatistics: true, useChunks: true, useChunkIndex: true, useMessageIndex: true });
    await writer.start({ profile: "ros2", library: "embodied_assistant action_log" });
    const eventSchema = await writer.registerSchema({
      name: "embodied_assistant/msg/ActionEvent",
      encoding: "ros2msg",
      data: new TextEncoder().encode(ros2MsgSchema("embodied_assistant/msg/ActionEvent")),
    });
    const outcomeSchema = await writer.registerSchema({
      name: "embodied_assistant/msg/ActionOutcome",
      encoding: "ros2msg",
      data: new TextEncoder().encode(ros2MsgSchema("embodied_assistant/msg/ActionOutcome")),
    });
    const eventChannel = await writer.registerChannel({ topic: EVENTS_TOPIC, schemaId: eventSchema, messageEncoding: "cdr", metadata: new Map() });
    const outcomeChannel = await writer.registerChannel({ topic: OUTCOMES_TOPIC, schemaId: outcomeSchema, messageEncoding: "cdr", metadata: new Map() });
    for (const row of store.iterateEvents(filter)) {
      const { recv_ms, ...event } = row;
      await writer.addMessage({
        channelId: eventChannel,
        sequence: events++,
        logTime: ns(event.header.stamp),
        publishTime: BigInt(recv_ms) * 1_000_000n,
        data: encodeActionEvent(event),
      });
    }
    for (const outcome of store.iterateOutcomes({ robotId: filter.robotId, since: filter.since, until: filter.until })) {
      await writer.addMessage({
        channelId: outcomeChannel,
        sequence: outcomes++,
        logTime: ns(outcome.header.stamp),
        publishTime: ns(outcome.header.stamp),
        data: encodeActionOutcome(outcome),
      });
    }
    await writer.end();
    return { path, events, outcomes, bytes: fstatSync(fd).size };
  } finally {
    closeSync(fd);
  }
}

/**
 * One JSON object per line: {"topic": ..., "message": {...}} with the message in its
 * .msg field names, events first, then outcomes. Easy to grep, jq, or load in pandas.
 */
export async function exportJsonl(store: ActionLogStore, filter: EventFilter, path: string): Promise<ExportSummary> {
  const fd = openOutput(path);
  let events = 0;
  let outcomes = 0;
  try {
    let buffer: string[] = [];
    const spill = () => {
      if (buffer.length) writeSync(fd, buffer.join(""));
      buffer = [];
    };
    for (const row of store.iterateEvents(filter)) {
      const { recv_ms, ...message } = row;
      buffer.push(`${JSON.stringify({ topic: EVENTS_TOPIC, received_ms: recv_ms, message })}\n`);
      events++;
      if (buffer.length >= 1000) spill();
    }
    for (const message of store.iterateOutcomes({ robotId: filter.robotId, since: filter.since, until: filter.until })) {
      buffer.push(`${JSON.stringify({ topic: OUTCOMES_TOPIC, message })}\n`);
      outcomes++;
      if (buffer.length >= 1000) spill();
    }
    spill();
    return { path, events, outcomes, bytes: fstatSync(fd).size };
  } finally {
    closeSync(fd);
  }
}

export function exportLog(format: ExportFormat, store: ActionLogStore, filter: EventFilter, path: string): Promise<ExportSummary> {
  return format === "mcap" ? exportMcap(store, filter, path) : exportJsonl(store, filter, path);
}
