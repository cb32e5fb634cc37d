/**
 * The graph port on a real ROS 2 graph, through rclnodejs. Loaded only by src/ros/createGraph.ts
 * (through a computed import) when a sourced ROS 2 is detected; the main tsconfig excludes this
 * folder and `npm run typecheck:ros` checks it against rclnodejs's real declarations instead.
 * Its runtime needs librcl, so it is exercised only on a robot (docs/ros2.md).
 */
import type { LevelWithSilent } from "pino";
import type { Graph, GraphNode, NodeOptions } from "../GraphPort.js";
import { createNodeLogger } from "../logger.js";
import { normalizeNamespace } from "../names.js";
import { withoutParameterArguments } from "../rosArgs.js";
import { MESSAGE_TYPES, SERVICE_TYPES } from "./messageConformance.js";
import { rosParameterType } from "./parameterConversion.js";
import { RclnodejsNode } from "./RclnodejsNode.js";
import type { Rcl, RclnodejsModule } from "./types.js";

export interface RclnodejsGraphOptions {
  /** pino level for every node's logger (default "info"). */
  readonly logLevel?: LevelWithSilent;
  /**
   * The `--ros-args ...` span of the command line. rcl_init gets it without `-p` and
   * `--params-file` (withoutParameterArguments): parameters reach each node resolved by this
   * program, in NodeOptions.parameterOverrides of the adapter's nodes.
   */
  readonly rosArgv?: readonly string[];
}

export class RclnodejsInterfacesMissingError extends Error {
  constructor(missing: readonly string[]) {
    super(
      `rclnodejs cannot load ${missing.length} interface type(s) this package needs: ${missing.join(", ")}. ` +
        "Build the package with rosidl on the robot (colcon build in ros_ws with rosidl_default_generators installed), " +
        "source ros_ws/install/setup.bash, then regenerate rclnodejs's messages (`npx generate-ros-messages`).",
    );
    this.name = "RclnodejsInterfacesMissingError";
  }
}

function asRclnodejs(candidate: unknown): RclnodejsModule {
  const mod = candidate as Partial<RclnodejsModule> | null;
  if (!mod || typeof mod.init !== "function" || typeof mod.Node !== "function" || typeof mod.require !== "function") {
    throw new TypeError("RclnodejsGraph.create: the argument is not the rclnodejs module (pass the module's default export)");
  }
  return mod as RclnodejsModule;
}

export class RclnodejsGraph implements Graph {
  readonly kind = "rclnodejs" as const;
  private readonly nodes: RclnodejsNode[] = [];
  private spinning = false;
  private intakeStopped = false;

  private constructor(
    private readonly rcl: RclnodejsModule,
    private readonly options: RclnodejsGraphOptions,
  ) {}

  /** Initialises rcl with the ROS arguments and checks that every interface type can be loaded. */
  static async create(rclnodejs: unknown, options: RclnodejsGraphOptions = {}): Promise<RclnodejsGraph> {
    const rcl = asRclnodejs(rclnodejs);
    // Importing rclnodejs installed process.on('SIGINT') → shutdownAll(), which destroys every node
    // (index.js _sigHandler; node.js destroy() sets _clock = null) before the program's own clean
    // stop could flush and close its stores. The program stops the nodes itself (src/cli/shutdown.ts),
    // in order, and shuts rcl down last (shutdown()).
    rcl.removeSignalHandlers();
    // rcl_init parses everything after --ros-args; argv[0] is taken as the program name.
    await rcl.init(undefined, ["embodied_assistant", ...withoutParameterArguments(options.rosArgv ?? [])]);
    const missing: string[] = [];
    for (const name of [...Object.keys(MESSAGE_TYPES), ...Object.keys(SERVICE_TYPES)]) {
      try {
        rcl.require(name);
      } catch {
        missing.push(name);
      }
    }
    if (missing.length > 0) {
      rcl.shutdown();
      throw new RclnodejsInterfacesMissingError(missing);
    }
    return new RclnodejsGraph(rcl, options);
  }

  createNode(name: string, options: NodeOptions = {}): GraphNode {
    // __node/__ns remaps and -r topic remaps from rosArgv are applied by rcl itself.
    const ros = new this.rcl.Node(name, normalizeNamespace(options.namespace), this.rcl.Context.defaultContext(), libraryNodeOptions(this.rcl, options));
    const logger = createNodeLogger(ros.getFullyQualifiedName(), { level: this.options.logLevel ?? "info" });
    const node = new RclnodejsNode(this.rcl, ros, options, logger);
    this.nodes.push(node);
    if (this.spinning) ros.spin();
    return node;
  }

  spin(): void {
    if (this.spinning || this.intakeStopped) return;
    this.spinning = true;
    for (const node of this.nodes) if (!node.destroyed) node.ros.spin();
  }

  /**
   * Stops rclnodejs's executor for every node: no subscription, service or timer callback runs
   * from here on, and messages not yet taken stay with the middleware (never acknowledged). The
   * nodes stay valid, so their owners can still flush, publish and read the clock while closing.
   */
  stopIntake(): void {
    this.intakeStopped = true;
    this.spinning = false;
    for (const node of this.nodes) if (!node.destroyed && node.ros.spinning) node.ros.stop();
  }

  async shutdown(): Promise<void> {
    this.stopIntake();
    for (const node of this.nodes.splice(0)) {
      try {
        node.destroy();
      } catch (error) {
        node.logger.warn({ err: error }, "error while destroying the node");
      }
    }
    if (!this.rcl.isShutdown()) this.rcl.shutdown();
  }
}

/**
 * Parameters that rclnodejs's own Node reads while it is constructed (time_source.js: use_sim_time;
 * type_description_service.js on Jazzy: start_type_description_service). The program's resolved
 * value goes to rclnodejs as a NodeOptions override, which wins over rcl's (node.js _init), so
 * `use_sim_time` set in a launch dict, under `/**\/dialogue` or with `-p` reaches the node's clock.
 */
const LIBRARY_PARAMETERS = ["use_sim_time", "start_type_description_service"] as const;

function libraryNodeOptions(rcl: RclnodejsModule, options: NodeOptions): Rcl.NodeOptions {
  const nodeOptions = new rcl.NodeOptions();
  const overrides: Rcl.Parameter[] = [];
  for (const name of LIBRARY_PARAMETERS) {
    const value = options.parameterOverrides?.[name];
    // Both are bool parameters; anything else is left to rclnodejs's default (false / true).
    if (typeof value === "boolean") overrides.push(new rcl.Parameter(name, rosParameterType("bool"), value));
  }
  nodeOptions.parameterOverrides = overrides;
  return nodeOptions;
}
