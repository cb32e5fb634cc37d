#!/usr/bin/env node
import { runNodeMain } from "./runNode.js";
import { NODE_FACTORIES } from "../nodes/registry.js";

await runNodeMain({
  executable: "assistant",
  summary: "All three embodied_assistant nodes (action_log, memory, dialogue) in one process, sharing one ROS context.",
  nodes: [
    { defaultName: "action_log", factory: NODE_FACTORIES.action_log },
    { defaultName: "memory", factory: NODE_FACTORIES.memory },
    { defaultName: "dialogue", factory: NODE_FACTORIES.dialogue },
  ],
});
