import type { NodeFactory } from "./types.js";

/**
 * The package's nodes by default name. Factories are imported on demand so an
 * executable loads only the node it runs (the dialogue node pulls in llama.cpp).
 */
export const NODE_FACTORIES: Readonly<Record<"action_log" | "memory" | "dialogue", () => Promise<NodeFactory>>> = {
  action_log: async () => (await import("./action_log.js")).createActionLogNode,
  memory: async () => (await import("./memory.js")).createMemoryNode,
  dialogue: async () => (await import("./dialogue.js")).createDialogueNode,
};

/** The three assistant nodes in start order: the log first, so outcomes find memory subscribed. */
export const ASSISTANT_NODES = [
  { defaultName: "action_log", factory: NODE_FACTORIES.action_log },
  { defaultName: "memory", factory: NODE_FACTORIES.memory },
  { defaultName: "dialogue", factory: NODE_FACTORIES.dialogue },
] as const;
