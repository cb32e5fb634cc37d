import type { GraphNode } from "../ros/GraphPort.js";

/**
 * Typed reads of a node's declared parameters. The descriptors already fix each
 * parameter's type (the port refuses any other), so reading is a narrowing, not a check.
 */
export interface ParameterReader {
  num(name: string): number;
  str(name: string): string;
  bool(name: string): boolean;
  strs(name: string): readonly string[];
}

export function parameterReader(node: GraphNode): ParameterReader {
  return {
    num: (name) => node.getParameter(name) as number,
    str: (name) => node.getParameter(name) as string,
    bool: (name) => node.getParameter(name) as boolean,
    strs: (name) => node.getParameter(name) as readonly string[],
  };
}
