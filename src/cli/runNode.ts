import type { Graph, ParameterValue } from "../ros/GraphPort.js";
import { createGraph, type GraphChoice } from "../ros/createGraph.js";
import { toPinoLevel } from "../ros/logger.js";
import { loadParamsFile, parseRosArguments, RosArgumentError } from "../ros/rosArgs.js";
import { normalizeNamespace } from "../ros/names.js";
import type { AssistantNode, NodeFactory } from "../nodes/types.js";
import type { FoxgloveBridge } from "../foxglove/FoxgloveBridge.js";
import { foxgloveOptionsHelp, parseFoxgloveArgs, splitFoxgloveArgs, startFoxgloveOnGraph } from "../foxglove/foxgloveOption.js";
import { ShutdownOnSignals, StartInterruptedError, type ShutdownOptions } from "./shutdown.js";
import { startDegradedNode } from "../nodes/degraded.js";

export interface NodeProgram {
  /** Executable name as installed in lib/embodied_assistant. */
  readonly executable: string;
  readonly summary: string;
  /** The nodes this executable runs, each with its default name. */
  readonly nodes: readonly { readonly defaultName: string; readonly factory: () => Promise<NodeFactory> }[];
}

const ROS_ARGS_HELP = `ROS arguments (after --ros-args, as with ros2 run):
  -r __node:=NAME          rename the node (single-node executables)
  -r __ns:=NAMESPACE       push the node into a namespace
  -r FROM:=TO              remap a topic or service name
  -p NAME:=VALUE           set a parameter (YAML literal; wins over params files)
  --params-file FILE       load parameters from a ROS 2 params YAML
  --log-level LEVEL        debug | info | warn | error | fatal
  (rcl's --log-config-file, --log-file-name, --enclave and --enable/--disable-*-logs are accepted)

Program options (before --ros-args):
  --graph auto|ros|in-process   which graph to join (default auto: ROS 2 when sourced)
${foxgloveOptionsHelp(32)}
  -h, --help                    show this help`;

export function helpText(program: NodeProgram): string {
  const names = program.nodes.map((n) => n.defaultName).join(", ");
  return `Usage: ${program.executable} [--graph auto|ros|in-process] [--ros-args ...]

${program.summary}
Nodes: ${names}

${ROS_ARGS_HELP}

Example:
  ros2 run embodied_assistant ${program.executable} --ros-args -r __ns:=/robot1 --params-file configs/assistant.yaml`;
}

export interface StartedProgram {
  readonly graph: Graph;
  readonly nodes: AssistantNode[];
  /** Nodes that could not start and run as stand-ins reporting the reason (multi-node programs only). */
  readonly degraded: readonly { readonly name: string; readonly reason: string }[];
  stop(): Promise<void>;
}

/** Parses argv, joins the graph and starts the program's nodes. Throws on bad arguments. */
export interface StartProgramOptions {
  /** Join this graph instead of creating one (standalone mode passes its in-process graph). */
  readonly graph?: Graph;
  /** Parameter values applied under the command line's, per node name (standalone data paths). */
  readonly baseOverrides?: Readonly<Record<string, Readonly<Record<string, ParameterValue>>>>;
}

export async function startNodeProgram(program: NodeProgram, argv: readonly string[], options: StartProgramOptions = {}): Promise<StartedProgram> {
  const ros = parseRosArguments(argv);
  const { foxglove: foxgloveArgs, rest: programArgs } = splitFoxgloveArgs(ros.programArgs);
  const foxglove = parseFoxgloveArgs(foxgloveArgs);
  let graphChoice: GraphChoice = "auto";
  for (let i = 0; i < programArgs.length; i++) {
    const arg = programArgs[i]!;
    if (arg === "--graph") {
      const value = programArgs[++i];
      if (value !== "auto" && value !== "ros" && value !== "in-process") throw new RosArgumentError(`--graph must be auto, ros or in-process, not ${value}`);
      graphChoice = value;
    } else if (arg.startsWith("--graph=")) {
      const value = arg.slice("--graph=".length);
      if (value !== "auto" && value !== "ros" && value !== "in-process") throw new RosArgumentError(`--graph must be auto, ros or in-process, not ${value}`);
      graphChoice = value;
    } else {
      throw new RosArgumentError(`unknown option ${arg}; see ${program.executable} --help`);
    }
  }
  if (ros.nodeName !== undefined && program.nodes.length > 1) {
    throw new RosArgumentError(`${program.executable} runs several nodes; -r __node:= cannot rename them all (use a namespace instead)`);
  }
  const namespace = normalizeNamespace(ros.namespace);
  const rosArgvStart = argv.indexOf("--ros-args");
  const graph = options.graph ?? await createGraph({
    choice: graphChoice,
    logLevel: toPinoLevel(ros.logLevel),
    ...(rosArgvStart >= 0 ? { rosArgv: argv.slice(rosArgvStart) } : {}),
  });
  const nodes: AssistantNode[] = [];
  let bridge: FoxgloveBridge | undefined;
  const degraded: { name: string; reason: string }[] = [];
  try {
    for (const spec of program.nodes) {
      const name = ros.nodeName ?? spec.defaultName;
      const overrides: Record<string, ParameterValue> = { ...(options.baseOverrides?.[spec.defaultName] ?? {}) };
      for (const file of ros.paramsFiles) Object.assign(overrides, loadParamsFile(file, name, namespace));
      Object.assign(overrides, ros.parameters, ros.nodeParameters[name] ?? {});
      const nodeOptions = { name, namespace, parameterOverrides: overrides, remappings: ros.remappings };
      try {
        const factory = await spec.factory();
        nodes.push(await factory(graph, nodeOptions));
      } catch (error) {
        // One node that cannot start must not take the others down: it is replaced by a stand-in
        // that reports why at ERROR. A single-node executable has nothing else to keep: it fails.
        if (program.nodes.length === 1 || error instanceof StartInterruptedError) throw error;
        const reason = error instanceof Error ? error.message : String(error);
        nodes.push(startDegradedNode(graph, name, nodeOptions, reason));
        degraded.push({ name, reason });
      }
    }
    if (foxglove) bridge = await startFoxgloveOnGraph(graph, foxglove, (line) => console.error(line));
  } catch (error) {
    for (const node of nodes.reverse()) await node.close().catch(() => undefined);
    await graph.shutdown();
    throw error;
  }
  graph.spin();
  let stopping: Promise<void> | undefined;
  return {
    graph,
    nodes,
    degraded,
    stop: () =>
      (stopping ??= (async () => {
        await bridge?.close();
        for (const node of [...nodes].reverse()) await node.close();
        await graph.shutdown();
      })()),
  };
}

export interface RunNodeOptions extends StartProgramOptions, Omit<ShutdownOptions, "executable"> {}

/**
 * Entry point of a node executable: --help, start, and a clean stop on SIGINT/SIGTERM
 * (ShutdownOnSignals: installed before the nodes start, so a signal during start-up is handled).
 */
export async function runNodeMain(program: NodeProgram, argv: readonly string[] = process.argv.slice(2), options: RunNodeOptions = {}): Promise<void> {
  const before = argv.indexOf("--ros-args") >= 0 ? argv.slice(0, argv.indexOf("--ros-args")) : argv;
  if (before.includes("--help") || before.includes("-h")) {
    console.log(helpText(program));
    return;
  }
  const shutdown = new ShutdownOnSignals({ ...options, executable: program.executable });
  let started: StartedProgram;
  try {
    started = await startNodeProgram(shutdown.interruptible(program), argv, options);
  } catch (error) {
    shutdown.detach();
    if (error instanceof StartInterruptedError) {
      console.error(`${program.executable}: ${error.message}; the nodes already started were closed`);
      (options.exit ?? ((code: number) => process.exit(code)))(0);
      return;
    }
    console.error(`${program.executable}: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
    return;
  }
  for (const node of started.nodes) node.node.logger.info("node started");
  shutdown.attach(started);
}
