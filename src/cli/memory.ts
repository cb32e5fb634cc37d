#!/usr/bin/env node
import { runNodeMain } from "./runNode.js";
import { NODE_FACTORIES } from "../nodes/registry.js";

await runNodeMain({
  executable: "memory",
  summary: "Episodic memory: stores action outcomes and facts as hyperdimensional episodes and answers recall queries.",
  nodes: [{ defaultName: "memory", factory: NODE_FACTORIES.memory }],
});
