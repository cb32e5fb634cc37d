// Starts exportWorker.ts in a worker thread when the package runs from its TypeScript sources
// (`node --import tsx`, vitest): Node 20 does not pass --import hooks on to worker threads,
// so the worker registers tsx itself before it loads the .ts entry. Compiled JS starts
// exportWorker.js directly and never loads this file. bench/actionlogFeed.ts starts its feed
// thread through it too (any .ts entry named in workerData.entry).
import { workerData } from "node:worker_threads";
import { register } from "tsx/esm/api";

register();
await import(workerData.entry);
