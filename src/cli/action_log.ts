#!/usr/bin/env node
import { runNodeMain } from "./runNode.js";
import { NODE_FACTORIES } from "../nodes/registry.js";

await runNodeMain({
  executable: "action_log",
  summary: "Durable action-outcome log: pairs robot ActionEvents into outcomes, stores them in SQLite, serves statistics, queries and MCAP/JSONL export.",
  nodes: [{ defaultName: "action_log", factory: NODE_FACTORIES.action_log }],
});
