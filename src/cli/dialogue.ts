#!/usr/bin/env node
import { runNodeMain } from "./runNode.js";
import { NODE_FACTORIES } from "../nodes/registry.js";

await runNodeMain({
  executable: "dialogue",
  summary: "Persona-weighted dialogue: a local LLM whose personality is a runtime blend of LoRA adapters, tuned by parameters.",
  nodes: [{ defaultName: "dialogue", factory: NODE_FACTORIES.dialogue }],
});
