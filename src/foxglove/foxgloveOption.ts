/**
 * The `--foxglove [PORT]` and `--foxglove-host HOST` program options, shared by
 * `npm start` and the node executables, and starting the bridge on the graph they
 * joined. Only the in-process graph can be served: on a ROS 2 graph the real
 * foxglove_bridge does this job.
 */
import type { Graph } from "../ros/GraphPort.js";
import { InProcessGraph } from "../ros/inprocess/InProcessGraph.js";
import { DEFAULT_FOXGLOVE_HOST, DEFAULT_FOXGLOVE_PORT, FoxgloveBridge, FoxgloveBridgeError } from "./FoxgloveBridge.js";

/** Help lines for the two options, descriptions starting at `column` as in the caller's help. */
export function foxgloveOptionsHelp(column: number): string {
  return [
    ["--foxglove [PORT]", `serve the in-process graph to Foxglove over WebSocket (default port ${DEFAULT_FOXGLOVE_PORT})`],
    ["--foxglove-host HOST", `interface to listen on (default ${DEFAULT_FOXGLOVE_HOST}; 0.0.0.0 opens it to the network)`],
  ].map(([option, text]) => `  ${option!.padEnd(column - 3)} ${text}`).join("\n");
}

export interface FoxgloveOptions {
  readonly port: number;
  readonly host: string;
}

export class FoxgloveOptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FoxgloveOptionError";
  }
}

const PORT = /^\d+$/;

/** Takes the Foxglove options (and a port right after --foxglove) out of argv, up to --ros-args. */
export function splitFoxgloveArgs(argv: readonly string[]): { foxglove: string[]; rest: string[] } {
  const foxglove: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--ros-args") {
      rest.push(...argv.slice(i));
      break;
    }
    if (arg === "--foxglove") {
      foxglove.push(arg);
      if (PORT.test(argv[i + 1] ?? "")) foxglove.push(argv[++i]!);
    } else if (arg === "--foxglove-host") {
      foxglove.push(arg, argv[++i] ?? "");
    } else if (arg.startsWith("--foxglove=") || arg.startsWith("--foxglove-host=")) {
      foxglove.push(arg);
    } else {
      rest.push(arg);
    }
  }
  return { foxglove, rest };
}

/** Reads what splitFoxgloveArgs took; undefined when --foxglove was not given. */
export function parseFoxgloveArgs(tokens: readonly string[]): FoxgloveOptions | undefined {
  let enabled = false;
  let port = DEFAULT_FOXGLOVE_PORT;
  let host: string | undefined;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token === "--foxglove" || token.startsWith("--foxglove=")) {
      enabled = true;
      const value = token === "--foxglove" ? (PORT.test(tokens[i + 1] ?? "") ? tokens[++i] : undefined) : token.slice("--foxglove=".length);
      if (value === undefined) continue;
      port = Number(value);
      if (!PORT.test(value) || port > 65535) throw new FoxgloveOptionError(`--foxglove takes a port in [0, 65535], not ${value}`);
    } else {
      host = token === "--foxglove-host" ? tokens[++i] : token.slice("--foxglove-host=".length);
      if (!host) throw new FoxgloveOptionError("--foxglove-host needs an address, e.g. 127.0.0.1 or 0.0.0.0");
    }
  }
  if (!enabled) {
    if (host !== undefined) throw new FoxgloveOptionError("--foxglove-host has no effect without --foxglove [PORT]");
    return undefined;
  }
  return { port, host: host ?? DEFAULT_FOXGLOVE_HOST };
}

/** Starts the bridge on `graph`, which must be the in-process graph. */
export async function startFoxgloveOnGraph(graph: Graph, options: FoxgloveOptions, announce?: (line: string) => void): Promise<FoxgloveBridge> {
  if (!(graph instanceof InProcessGraph)) {
    throw new FoxgloveBridgeError("--foxglove serves the in-process graph only; on a ROS 2 graph run foxglove_bridge (ros2 launch foxglove_bridge foxglove_bridge_launch.xml)");
  }
  const bridge = await FoxgloveBridge.start(graph, options);
  announce?.(`foxglove: ${bridge.url} (Foxglove: Open connection > Foxglove WebSocket; layout in configs/foxglove/)`);
  return bridge;
}
