import type { LevelWithSilent } from "pino";
import type { Graph } from "./GraphPort.js";
import { InProcessGraph } from "./inprocess/InProcessGraph.js";

export type GraphChoice = "auto" | "ros" | "in-process";

export interface CreateGraphOptions {
  readonly choice?: GraphChoice;
  readonly logLevel?: LevelWithSilent;
  /** Arguments handed to rcl (the --ros-args span), used by the rclnodejs graph. */
  readonly rosArgv?: readonly string[];
}

export class RosUnavailableError extends Error {
  constructor(reason: string) {
    super(
      `ROS 2 graph requested but not usable: ${reason}. Source your ROS 2 setup (e.g. \`source /opt/ros/jazzy/setup.bash\`) ` +
        "and install rclnodejs (`npm install rclnodejs`), or run with --graph in-process.",
    );
    this.name = "RosUnavailableError";
  }
}

/** A sourced ROS 2 environment sets these; without them rclnodejs cannot load. */
export function rosEnvironmentDetected(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env["AMENT_PREFIX_PATH"] && env["ROS_DISTRO"]);
}

interface RclnodejsGraphModule {
  RclnodejsGraph: { create(rclnodejs: unknown, options: { logLevel?: LevelWithSilent; rosArgv?: readonly string[] }): Promise<Graph> };
}

/**
 * Picks the graph: rclnodejs when ROS 2 is sourced (or asked for), else the
 * in-process graph. rclnodejs and the adapter are imported only on that path, so
 * machines without ROS never load them.
 */
export async function createGraph(options: CreateGraphOptions = {}): Promise<Graph> {
  const choice = options.choice ?? "auto";
  const useRos = choice === "ros" || (choice === "auto" && rosEnvironmentDetected());
  if (!useRos) return new InProcessGraph({ logLevel: options.logLevel ?? "info" });
  if (!rosEnvironmentDetected()) throw new RosUnavailableError("AMENT_PREFIX_PATH and ROS_DISTRO are not set");
  let rclnodejs: unknown;
  try {
    const rclnodejsName = "rclnodejs";
    rclnodejs = await import(rclnodejsName);
  } catch (error) {
    throw new RosUnavailableError(`rclnodejs could not be loaded (${error instanceof Error ? error.message : String(error)})`);
  }
  // A computed specifier keeps the adapter (checked separately against rclnodejs's declarations) out of the main program.
  const adapterPath = "./rclnodejs/RclnodejsGraph.js";
  const adapter = (await import(adapterPath)) as RclnodejsGraphModule;
  return adapter.RclnodejsGraph.create((rclnodejs as { default?: unknown }).default ?? rclnodejs, {
    ...(options.logLevel ? { logLevel: options.logLevel } : {}),
    ...(options.rosArgv ? { rosArgv: options.rosArgv } : {}),
  });
}
