import { closeSync, fstatSync, fsync, linkSync, openSync, unlinkSync, writeSync } from "node:fs";
import { promisify } from "node:util";
import { basename, dirname, join } from "node:path";
import { McapWriter, type IWritable } from "@mcap/core";
import type { EventFilter, OutcomeFilter, OutcomeLogReader } from "./OutcomeLogPort.js";
import type { ExportedEvent } from "./logQueries.js";
import type { ActionOutcome } from "../interfaces/messages.generated.js";
import { encodeActionEvent, encodeActionOutcome } from "./encodeCdr.js";
import { pathExists } from "./resolveExportPath.js";
import { ros2MsgSchema } from "./ros2MsgSchema.js";

export type ExportFormat = "mcap" | "jsonl";

export interface ExportSummary {
  readonly path: string;
  readonly events: number;
  readonly outcomes: number;
  readonly bytes: number;
}

/** The rows an export writes, events first, then outcomes. */
export interface ExportRows {
  events(): Iterable<ExportedEvent> | AsyncIterable<ExportedEvent>;
  outcomes(): Iterable<ActionOutcome> | AsyncIterable<ActionOutcome>;
}

/** How an export shares the event loop with ingest. */
export interface ExportPacing {
  /** Rows per database read (default 250): one read is one block of the event loop, so it stays short. */
  readonly pageSize?: number;
  /**
   * The longest stretch of work between two yields to the event loop, in ms (default 4):
   * commits, subscriptions and services run in between, so an export never stalls ingest.
   */
  readonly sliceMs?: number;
  /**
   * How long the export rests after each slice, in ms (default 4, as long as a slice): the
   * export takes at most about half of the event loop's time, so on a busy machine the export
   * slows down, not ingest.
   */
  readonly restMs?: number;
}

/** Topics the exported messages are filed under: the ones they travel on live. */
export const EVENTS_TOPIC = "/robot/action_events";
export const OUTCOMES_TOPIC = "/assistant/action_outcomes";

const fsyncAsync = promisify(fsync);

/** Bytes written between two background flushes of an export file. */
const FLUSH_EVERY_BYTES = 4 * 1024 * 1024;

/**
 * Appends to an export file; writes are synchronous, so positions are exact. Every few
 * megabytes it flushes the file on the thread pool: left dirty, tens of megabytes would be
 * written out by the log's next commit fsync (ext4 orders data before the journal commit),
 * stalling the event loop inside a commit.
 */
class ExportFile implements IWritable {
  private offset = 0n;
  private unflushed = 0;
  private flushing: Promise<void> | undefined;
  constructor(private readonly fd: number) {}

  async write(buffer: Uint8Array): Promise<void> {
    this.append(buffer);
  }

  append(data: Uint8Array | string): void {
    const buffer = typeof data === "string" ? Buffer.from(data) : data;
    let written = 0;
    while (written < buffer.length) written += writeSync(this.fd, buffer, written);
    this.offset += BigInt(buffer.length);
    this.unflushed += buffer.length;
    if (this.unflushed >= FLUSH_EVERY_BYTES && !this.flushing) {
      this.unflushed = 0;
      this.flushing = fsyncAsync(this.fd).finally(() => (this.flushing = undefined));
    }
  }

  position(): bigint {
    return this.offset;
  }

  /** Resolves once no background flush runs on the descriptor (before it is closed). */
  async settled(): Promise<void> {
    await this.flushing?.catch(() => undefined);
  }

  /** Flushes everything written (on the thread pool); the file is durable when this resolves. */
  async sync(): Promise<void> {
    await this.settled();
    await fsyncAsync(this.fd);
  }
}

const ns = (t: { sec: number; nanosec: number }) => BigInt(t.sec) * 1_000_000_000n + BigInt(t.nanosec);

export const outcomeFilter = (filter: EventFilter): OutcomeFilter => ({ robotId: filter.robotId, since: filter.since, until: filter.until });

/**
 * Rows of the log as they were when the export began (rows committed during it are left out),
 * read a page at a time, with a yield to the event loop whenever a slice of work has run
 * sliceMs: a long export interleaves with commits instead of freezing the node.
 */
class ExportReader implements ExportRows {
  private readonly through: { readonly event: number; readonly outcome: number };
  private readonly pageSize: number;
  private readonly sliceMs: number;
  private readonly restMs: number;
  private sliceStart = performance.now();

  constructor(
    private readonly store: OutcomeLogReader,
    private readonly filter: EventFilter,
    pacing: ExportPacing,
  ) {
    this.through = store.newestIds();
    this.pageSize = pacing.pageSize ?? 250;
    this.sliceMs = pacing.sliceMs ?? 4;
    this.restMs = pacing.restMs ?? this.sliceMs;
  }

  events() {
    return this.paced(this.store.iterateEvents(this.filter, { pageSize: this.pageSize, throughId: this.through.event }));
  }

  outcomes() {
    return this.paced(this.store.iterateOutcomes(outcomeFilter(this.filter), { pageSize: this.pageSize, throughId: this.through.outcome }));
  }

  private async *paced<T>(rows: Iterable<T>): AsyncGenerator<T> {
    for (const row of rows) {
      if (performance.now() - this.sliceStart >= this.sliceMs) {
        await new Promise((resolve) => setTimeout(resolve, this.restMs));
        this.sliceStart = performance.now();
      }
      yield row;
    }
  }
}

/** The hidden temporary name, beside `path`, an export writes before it links the file to `path`. */
export function temporaryNameFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}-${Math.random().toString(36).slice(2, 10)}.tmp`);
}

/**
 * Writes an export to a temporary file beside `path`, then links it to `path` once complete
 * (a link, unlike a rename, fails when `path` exists: an export never overwrites a file).
 * A failed export removes its temporary file, so nothing half-written is left.
 */
async function writeAtomically(
  path: string,
  temporary: string,
  write: (file: ExportFile) => Promise<{ events: number; outcomes: number }>,
): Promise<ExportSummary> {
  if (pathExists(path)) throw new Error(`${path} already exists; exports never overwrite a file`);
  const fd = openSync(temporary, "wx");
  const file = new ExportFile(fd);
  let open = true;
  try {
    const counts = await write(file);
    // On the thread pool: flushing tens of megabytes must not hold the event loop.
    await file.sync();
    const bytes = fstatSync(fd).size;
    open = false;
    closeSync(fd);
    linkSync(temporary, path);
    return { path, ...counts, bytes };
  } catch (error) {
    if (open) {
      await file.settled();
      closeSync(fd);
    }
    if (error instanceof Error && (error as NodeJS.ErrnoException).code === "EEXIST") throw new Error(`${path} already exists; exports never overwrite a file`, { cause: error });
    throw error;
  } finally {
    unlinkSync(temporary);
  }
}

/**
 * Writes events (on /robot/action_events) and outcomes (on /assistant/action_outcomes)
 * to an MCAP file with ros2msg schemas and CDR messages, the profile `ros2 bag` writes,
 * so Foxglove Studio and `ros2 bag play` open it. Event log time is the robot's stamp;
 * outcome log time is its commit time. The robot filter and time range apply to both.
 */
export function exportMcap(store: OutcomeLogReader, filter: EventFilter, path: string, pacing: ExportPacing = {}): Promise<ExportSummary> {
  return writeMcap(new ExportReader(store, filter, pacing), path);
}

/** Writes `rows` to an MCAP file at `path` (see exportMcap), through `temporary`. */
export function writeMcap(rows: ExportRows, path: string, temporary = temporaryNameFor(path)): Promise<ExportSummary> {
  return writeAtomically(path, temporary, async (file) => {
    let events = 0;
    let outcomes = 0;
    // 256 KiB chunks, not the library's 1 MiB: a chunk is checksummed twice and copied in one go
    // when it closes, which is the longest block of the event loop in an export.
    const writer = new McapWriter({
      writable: file, useStatistics: true, useChunks: true, useChunkIndex: true, useMessageIndex: true, chunkSize: 256 * 1024,
    });
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
    for await (const row of rows.events()) {
      const { recv_ms, ...event } = row;
      await writer.addMessage({
        channelId: eventChannel,
        sequence: events++,
        logTime: ns(event.header.stamp),
        publishTime: BigInt(recv_ms) * 1_000_000n,
        data: encodeActionEvent(event),
      });
    }
    for await (const outcome of rows.outcomes()) {
      await writer.addMessage({
        channelId: outcomeChannel,
        sequence: outcomes++,
        logTime: ns(outcome.header.stamp),
        publishTime: ns(outcome.header.stamp),
        data: encodeActionOutcome(outcome),
      });
    }
    await writer.end();
    return { events, outcomes };
  });
}

/**
 * One JSON object per line: {"topic": ..., "message": {...}} with the message in its
 * .msg field names, events first, then outcomes. Easy to grep, jq, or load in pandas.
 */
export function exportJsonl(store: OutcomeLogReader, filter: EventFilter, path: string, pacing: ExportPacing = {}): Promise<ExportSummary> {
  return writeJsonl(new ExportReader(store, filter, pacing), path);
}

/** Writes `rows` to a JSONL file at `path` (see exportJsonl), through `temporary`. */
export function writeJsonl(rows: ExportRows, path: string, temporary = temporaryNameFor(path)): Promise<ExportSummary> {
  return writeAtomically(path, temporary, async (file) => {
    let events = 0;
    let outcomes = 0;
    let buffer: string[] = [];
    const spill = () => {
      if (buffer.length) file.append(buffer.join(""));
      buffer = [];
    };
    for await (const row of rows.events()) {
      const { recv_ms, ...message } = row;
      buffer.push(`${JSON.stringify({ topic: EVENTS_TOPIC, received_ms: recv_ms, message })}\n`);
      events++;
      if (buffer.length >= 1000) spill();
    }
    for await (const message of rows.outcomes()) {
      buffer.push(`${JSON.stringify({ topic: OUTCOMES_TOPIC, message })}\n`);
      outcomes++;
      if (buffer.length >= 1000) spill();
    }
    spill();
    return { events, outcomes };
  });
}

/** The paced export on this thread (see ExportReader). */
export function exportLog(format: ExportFormat, store: OutcomeLogReader, filter: EventFilter, path: string, pacing: ExportPacing = {}): Promise<ExportSummary> {
  return writeExport(format, new ExportReader(store, filter, pacing), path);
}

export function writeExport(format: ExportFormat, rows: ExportRows, path: string, temporary = temporaryNameFor(path)): Promise<ExportSummary> {
  return format === "mcap" ? writeMcap(rows, path, temporary) : writeJsonl(rows, path, temporary);
}
