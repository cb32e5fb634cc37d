/**
 * Parameters over the Foxglove protocol, named as foxglove_bridge names them on a ROS
 * graph: "<node>.<parameter>", e.g. "/dialogue.persona.warmth". A set goes through the
 * node's own setParameters, so descriptors (ranges, read-only) and the node's
 * validators decide; a refusal is sent back as a status message with the reason and
 * the unchanged value.
 */
import type { GraphNode, ParameterValue } from "../ros/GraphPort.js";
import type { FoxgloveParameter, FoxgloveParameterValue, FoxgloveServerInstance, IWebSocket } from "./wsProtocol.js";
import { StatusLevel } from "./wsProtocol.js";

export interface ParameterHost {
  nodeNames(): string[];
  getNode(fullyQualifiedName: string): GraphNode | undefined;
}

export interface ParameterCounters {
  parameterSetsRefused: number;
}

export function foxgloveParameterName(nodeName: string, parameter: string): string {
  return `${nodeName}.${parameter}`;
}

/** Splits "/ns/node.param.with.dots" at the first dot: node names cannot contain one. */
export function splitFoxgloveParameterName(name: string): { node: string; parameter: string } | undefined {
  const dot = name.indexOf(".");
  if (!name.startsWith("/") || dot < 2 || dot === name.length - 1) return undefined;
  return { node: name.slice(0, dot), parameter: name.slice(dot + 1) };
}

function toFoxglove(node: GraphNode, parameter: string): FoxgloveParameter {
  const value = node.getParameter(parameter);
  const type = node.getParameterDescriptor(parameter)?.type;
  const name = foxgloveParameterName(node.fullyQualifiedName, parameter);
  // Without the type hint Foxglove would show 1.0 as the integer 1 and send integers back.
  if (type === "double") return { name, value: value as number, type: "float64" };
  if (type === "double_array") return { name, value: [...(value as readonly number[])], type: "float64_array" };
  return { name, value: Array.isArray(value) ? [...value] : (value as FoxgloveParameterValue) };
}

/** Why a value from a client cannot be a ROS parameter value, or undefined when it can. */
function unsupportedValue(value: FoxgloveParameterValue, type: FoxgloveParameter["type"]): string | undefined {
  if (value === undefined || value === null) return "cannot be unset (parameters here are declared for the node's life)";
  if (type === "byte_array") return "is a byte array, which no parameter here takes";
  if (typeof value === "object" && !Array.isArray(value)) return "is an object, which no parameter here takes";
  if (Array.isArray(value) && !value.every((v) => typeof v === "number") && !value.every((v) => typeof v === "string")) {
    return "is a mixed array; a parameter array holds only numbers or only strings";
  }
  return undefined;
}

export class BridgeParameters {
  constructor(
    private readonly server: FoxgloveServerInstance,
    private readonly graph: ParameterHost,
    private readonly counters: ParameterCounters,
  ) {}

  /** Every parameter of every node, or the named ones that exist. */
  values(names: readonly string[]): FoxgloveParameter[] {
    if (names.length === 0) {
      return this.graph.nodeNames().flatMap((nodeName) => {
        const node = this.graph.getNode(nodeName);
        return node ? node.listParameters().map((parameter) => toFoxglove(node, parameter)) : [];
      });
    }
    const found: FoxgloveParameter[] = [];
    for (const name of names) {
      const split = splitFoxgloveParameterName(name);
      const node = split && this.graph.getNode(split.node);
      if (node && split && node.getParameterDescriptor(split.parameter)) found.push(toFoxglove(node, split.parameter));
    }
    return found;
  }

  handleGet(request: { parameterNames: string[]; id?: string }, connection: IWebSocket | undefined): void {
    this.server.publishParameterValues(this.values(request.parameterNames), request.id, connection);
  }

  /**
   * Applies each node's share of the request as one batch (all or nothing per node,
   * as ROS's set_parameters_atomically). Refusals go to the requesting client as
   * status messages; with an id, the client also gets the values now in force.
   */
  handleSet(request: { parameters: FoxgloveParameter[]; id?: string }, connection: IWebSocket | undefined): void {
    const byNode = new Map<string, Record<string, ParameterValue>>();
    const refusals: string[] = [];
    for (const { name, value, type } of request.parameters) {
      const split = splitFoxgloveParameterName(name);
      if (!split) {
        refusals.push(`${name}: not a parameter name of the form /node.parameter`);
        continue;
      }
      if (!this.graph.getNode(split.node)) {
        refusals.push(`${name}: no node ${split.node} in the graph`);
        continue;
      }
      const problem = unsupportedValue(value, type);
      if (problem) {
        refusals.push(`${name}: the value ${problem}`);
        continue;
      }
      const batch = byNode.get(split.node) ?? {};
      batch[split.parameter] = value as ParameterValue;
      byNode.set(split.node, batch);
    }
    for (const [nodeName, values] of byNode) {
      const result = this.graph.getNode(nodeName)!.setParameters(values);
      if (!result.successful) refusals.push(`${nodeName}: ${result.reason}`);
    }
    for (const message of refusals) {
      this.counters.parameterSetsRefused++;
      const status = { level: StatusLevel.WARNING, message: `parameter change refused: ${message}` };
      if (connection) this.server.sendStatus(status, connection);
    }
    if (request.id !== undefined) {
      this.server.publishParameterValues(this.values(request.parameters.map((p) => p.name)), request.id, connection);
    }
  }

  /** Tells subscribed clients about a change, whoever made it (console, Foxglove, a node). */
  watch(node: GraphNode): { dispose(): void } {
    return node.onParametersChanged((changes) => {
      this.server.updateParameterValues(changes.map((change) => toFoxglove(node, change.name)));
    });
  }
}
