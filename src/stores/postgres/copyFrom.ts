/**
 * COPY ... FROM STDIN with `pg` alone (pg-copy-streams is not a dependency): a "submittable" that
 * pg's client drives through the protocol's copy-in sub-protocol. The data is given whole, as
 * chunks of COPY text format. Used by the fleet benchmark for its raw COPY baseline.
 */
import type pg from "pg";

interface CopyConnection {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
}

class CopyFromSubmittable {
  rowCount = 0;
  private error: Error | undefined;

  constructor(
    private readonly text: string,
    private readonly chunks: readonly Buffer[],
    private readonly done: (error: Error | undefined, rows: number) => void,
  ) {}

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
    this.error = error;
  }

  handleReadyForQuery(): void {
    this.done(this.error, this.rowCount);
  }

  // Not part of a COPY FROM exchange; present because the client may call them on any query.
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
}

/** Runs `COPY <target> FROM STDIN` (text format) with the given data; resolves with the rows copied. */
export function copyFrom(client: pg.ClientBase, target: string, chunks: readonly Buffer[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const submittable = new CopyFromSubmittable(`COPY ${target} FROM STDIN`, chunks, (error, rows) => (error ? reject(error) : resolve(rows)));
    (client as unknown as { query(s: unknown): void }).query(submittable);
  });
}
