import type { Graph, GraphNode, NodeOptions } from "../ros/GraphPort.js";

/** A running assistant node: its graph node plus whatever it must close (stores, models). */
export interface AssistantNode {
  readonly node: GraphNode;
  /** Flushes durable state and releases resources; the node is unusable afterwards. */
  close(): Promise<void>;
}

export interface NodeStartOptions extends NodeOptions {
  /** Node name; each node has its own default (action_log, memory, dialogue). */
  readonly name?: string;
}

/** Every node file exports one of these; the CLI and the standalone runner call it. */
export type NodeFactory = (graph: Graph, options?: NodeStartOptions) => Promise<AssistantNode>;
