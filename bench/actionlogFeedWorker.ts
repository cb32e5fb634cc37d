/**
 * The simulated robots of the export phase, in a worker thread: it generates events
 * (actionlogEvents.ts) and posts them in bursts when the benchmark asks for more. Started by
 * startEventFeed (actionlogFeed.ts).
 */
import { parentPort, workerData } from "node:worker_threads";
import { eventStream, type StreamOptions } from "./actionlogEvents.js";
import type { ActionEvent } from "../src/core/interfaces/messages.generated.js";

const { options, total } = workerData as { options: StreamOptions; total: number };
const bursts = eventStream(options);
let sent = 0;
let carry: ActionEvent[] = [];

parentPort!.on("message", ({ want }: { want: number }) => {
  let owed = Math.min(want, total - sent);
  while (owed > 0) {
    if (carry.length === 0) {
      const next = bursts.next();
      if (next.done) break;
      carry = next.value;
    }
    const burst = carry.slice(0, owed);
    carry = carry.slice(burst.length);
    owed -= burst.length;
    sent += burst.length;
    parentPort!.postMessage(burst);
  }
  if (sent >= total || owed > 0) parentPort!.postMessage("done");
});
