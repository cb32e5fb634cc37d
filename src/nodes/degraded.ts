/**
 * The stand-in for a node that could not start inside a multi-node program (`assistant`, `npm start`):
 * it keeps the node's name on the graph and reports, once a second on /diagnostics at ERROR, why the
 * node is not serving, while the program's other nodes keep running.
 */
import type { Graph } from "../ros/GraphPort.js";
import { DiagnosticsUpdater } from "../ros/diagnostics.js";
import type { AssistantNode, NodeStartOptions } from "./types.js";

export interface DegradedNode extends AssistantNode {
  /** Why the real node did not start. */
  readonly reason: string;
}

export function startDegradedNode(graph: Graph, name: string, options: NodeStartOptions, reason: string): DegradedNode {
  const node = graph.createNode(name, options);
  node.logger.error(`${name} failed to start and is not serving; the other nodes keep running: ${reason}`);
  const diagnostics = new DiagnosticsUpdater(node, { periodMs: 1000 });
  diagnostics.add("startup", () => ({ level: "error", message: `not running: ${reason}` }));
  diagnostics.forceUpdate();
  let closed = false;
  return {
    node,
    reason,
    async close() {
      if (closed) return;
      closed = true;
      diagnostics.stop();
      node.destroy();
    },
  };
}
