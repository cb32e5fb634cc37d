#!/usr/bin/env node
import { runNodeMain } from "./runNode.js";
import { ASSISTANT_NODES } from "../nodes/registry.js";

await runNodeMain({
  executable: "assistant",
  summary: "All three embodied_assistant nodes (action_log, memory, dialogue) in one process, sharing one ROS context.",
  nodes: ASSISTANT_NODES,
});
