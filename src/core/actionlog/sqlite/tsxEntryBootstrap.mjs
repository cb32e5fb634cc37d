// Starts a TypeScript entry when the package runs from its sources (`node --import tsx`,
// vitest): it registers tsx, then imports the entry. Node 20 does not pass --import hooks on to
// worker threads, and a child process does not inherit them either. The entry is
// workerData.entry in a worker thread (bench/actionlogFeed.ts), the first argument in a
// child process (exportOffThread.ts's export process). Compiled JS never loads this file.
import { workerData } from "node:worker_threads";
import { register } from "tsx/esm/api";

register();
await import(workerData?.entry ?? process.argv[2]);
