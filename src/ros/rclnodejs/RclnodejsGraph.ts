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
import { MESSAGE_TYPES, SERVICE_TYPES } from "./messageConformance.js";
import { RclnodejsNode } from "./RclnodejsNode.js";
import type { RclnodejsModule } from "./types.js";

export interface RclnodejsGraphOptions {
  /** pino level for every node's logger (default "info"). */
  readonly logLevel?: LevelWithSilent;
  /** The `--ros-args ...` span of the command line, handed to rcl_init (remaps, -p, --params-file). */
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

  private constructor(
    private readonly rcl: RclnodejsModule,
    private readonly options: RclnodejsGraphOptions,
  ) {}

  /** Initialises rcl with the ROS arguments and checks that every interface type can be loaded. */
  static async create(rclnodejs: unknown, options: RclnodejsGraphOptions = {}): Promise<RclnodejsGraph> {
    const rcl = asRclnodejs(rclnodejs);
    // rcl_init parses everything after --ros-args; argv[0] is taken as the program name.
    await rcl.init(undefined, ["embodied_assistant", ...(options.rosArgv ?? [])]);
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
    const ros = new this.rcl.Node(name, normalizeNamespace(options.namespace));
    const logger = createNodeLogger(ros.getFullyQualifiedName(), { level: this.options.logLevel ?? "info" });
    const node = new RclnodejsNode(this.rcl, ros, options, logger);
    this.nodes.push(node);
    if (this.spinning) ros.spin();
    return node;
  }

  spin(): void {
    if (this.spinning) return;
    this.spinning = true;
    for (const node of this.nodes) node.ros.spin();
  }

  async shutdown(): Promise<void> {
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
