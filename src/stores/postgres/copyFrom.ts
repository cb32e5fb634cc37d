/**
 * COPY ... FROM STDIN with `pg` alone (pg-copy-streams is not a dependency): a "submittable" that
 * pg's client drives through the protocol's copy-in sub-protocol. The data is given whole, as
 * chunks of COPY text format (copyTextRow builds its lines). The forwarder ships with it
 * (PostgresFleetStore.ship) and the fleet benchmark uses it for its raw COPY baseline.
 *
 * It keeps pg's own Query contract: the outcome goes through `callback`, which pg wraps for its
 * query_timeout; an error settles at once, because after an error message (or a dead socket) pg
 * never hands this query the ReadyForQuery that follows.
 */
import type pg from "pg";

interface CopyConnection {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
}

type CopyCallback = (error: Error | null, rows?: number) => void;

class CopyFromSubmittable {
  /** Set before the client sees it; pg's read timeout wraps it. */
  callback: CopyCallback;
  private rowCount = 0;

  constructor(
    private readonly text: string,
    private readonly chunks: readonly Buffer[],
    done: CopyCallback,
  ) {
    let settled = false;
    this.callback = (error, rows) => {
      if (settled) return;
      settled = true;
      done(error, rows);
    };
  }

  submit(connection: CopyConnection): void {
    connection.query(this.text);
  }

  handleCopyInResponse(connection: CopyConnection): void {
    for (const chunk of this.chunks) connection.sendCopyFromChunk(chunk);
    connection.endCopyFrom();
  }

  handleCommandComplete(msg: { text?: string }): void {
    this.rowCount = Number(/COPY (\d+)/.exec(msg.text ?? "")?.[1] ?? 0);
  }

  handleError(error: Error): void {
    this.callback(error);
  }

  handleReadyForQuery(): void {
    this.callback(null, this.rowCount);
  }

  // Not part of a COPY FROM exchange; present because the client may call them on any query.
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyData(): void {}
}

/** Runs `COPY <target> FROM STDIN` (text format) with the given data; resolves with the rows copied. */
export function copyFrom(client: pg.ClientBase, target: string, chunks: readonly Buffer[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const submittable = new CopyFromSubmittable(`COPY ${target} FROM STDIN`, chunks, (error, rows) => (error ? reject(error) : resolve(rows ?? 0)));
    (client as unknown as { query(s: unknown): void }).query(submittable);
  });
}

/** A value of one COPY text-format field. */
export type CopyValue = string | number | boolean | Uint8Array;

const ESCAPES: Record<string, string> = { "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t" };
const ESCAPED = /[\\\n\r\t]/g;
/** The same set without the global flag: test() on a global pattern would carry lastIndex between calls. */
const HAS_ESCAPED = /[\\\n\r\t]/;

function copyField(value: CopyValue): string {
  if (typeof value === "string") return HAS_ESCAPED.test(value) ? value.replace(ESCAPED, (c) => ESCAPES[c]!) : value;
  if (typeof value === "number") return String(value); // shortest round-trip form; NaN and Infinity read back
  if (typeof value === "boolean") return value ? "t" : "f";
  // bytea in hex form; the backslash itself is escaped for the text format.
  return `\\\\x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("hex")}`;
}

/** One line of COPY text format (tab-separated fields, newline-terminated); no field is NULL. */
export function copyTextRow(values: readonly CopyValue[]): string {
  let line = "";
  for (let i = 0; i < values.length; i++) line += (i ? "\t" : "") + copyField(values[i]!);
  return line + "\n";
}
