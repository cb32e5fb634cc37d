import { homedir } from "node:os";
import { join } from "node:path";

/**
 * Where a node keeps its files by default: $ROS_HOME/embodied_assistant (ROS_HOME defaults
 * to ~/.ros, as for every ROS 2 tool), not the directory `ros2 launch` happened to start in.
 */
export function defaultDataFile(fileName: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(env["ROS_HOME"] || join(homedir(), ".ros"), "embodied_assistant", fileName);
}
