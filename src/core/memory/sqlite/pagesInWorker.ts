/**
 * The episodes of a memory file read in a worker thread (loadWorker.mjs) while this thread builds
 * the index from the pages read so far: at 1M episodes the two halves of an open (SQLite stepping
 * and string creation there, index building here) then overlap on two cores. The opening thread
 * blocks on shared counters between pages (Atomics.wait), so the open stays one synchronous loop.
 */
import { MessageChannel, Worker, receiveMessageOnPort } from "node:worker_threads";
import type { EpisodeRow } from "./episodePages.mjs";

export interface TransferredPage {
  readonly rows: EpisodeRow[];
  readonly embeddings: Uint8Array;
  readonly codes: Uint8Array;
}

type Message = { rows: string; embeddings: ArrayBuffer; codes: ArrayBuffer } | { done: true } | { error: string };

/** Pages the reader may run ahead of the index build (each ~2 MB at 4,096 episodes). */
const AHEAD = 4;
/** With no page for this long the reader is given up, and the caller reads on its own connection. */
const SILENCE_MS = 30_000;

/**
 * Yields the pages of `path` in seq order. Returns normally when all were read, or the reason the
 * reader thread failed (the caller then reads the rest itself, after the last page it got).
 */
export function* pagesInWorker(path: string, codeBytes: number): Generator<TransferredPage, string | undefined> {
  const control = new SharedArrayBuffer(8);
  const counters = new Int32Array(control); // [pages posted, pages taken]
  const { port1, port2 } = new MessageChannel();
  let worker: Worker;
  try {
    worker = new Worker(new URL("./loadWorker.mjs", import.meta.url), { workerData: { path, codeBytes, port: port2, control, ahead: AHEAD }, transferList: [port2] });
  } catch (error) {
    port1.close();
    return `no reader thread: ${error instanceof Error ? error.message : String(error)}`;
  }
  worker.unref();
  const next = (): Message => {
    const deadline = Date.now() + SILENCE_MS;
    for (;;) {
      const seen = Atomics.load(counters, 0);
      const received = receiveMessageOnPort(port1);
      if (received !== undefined) {
        Atomics.add(counters, 1, 1);
        Atomics.notify(counters, 1);
        return received.message as Message;
      }
      if (Date.now() > deadline) return { error: `the reader thread sent nothing for ${SILENCE_MS / 1000} s` };
      Atomics.wait(counters, 0, seen, 50);
    }
  };
  try {
    for (;;) {
      const message = next();
      if ("error" in message) return message.error;
      if ("done" in message) return undefined;
      yield { rows: JSON.parse(message.rows) as EpisodeRow[], embeddings: new Uint8Array(message.embeddings), codes: new Uint8Array(message.codes) };
    }
  } finally {
    void worker.terminate();
    port1.close();
  }
}
