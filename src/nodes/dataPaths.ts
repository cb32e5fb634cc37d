import { mkdirSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";

/**
 * Where a node keeps its files by default: $ROS_HOME/embodied_assistant (ROS_HOME defaults
 * to ~/.ros, as for every ROS 2 tool), not the directory `ros2 launch` happened to start in.
 */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env["ROS_HOME"] || join(homedir(), ".ros"), "embodied_assistant");
}

export function defaultDataFile(fileName: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(defaultDataDir(env), fileName);
}

/**
 * Creates the folder a node writes into (and its parents), so a fresh machine whose
 * $ROS_HOME/embodied_assistant does not exist yet starts with default parameters.
 * '' and SQLite's ':memory:' name no folder and are left alone.
 */
export function ensureFolder(dir: string): void {
  if (dir === "" || dir === ":memory:") return;
  mkdirSync(dir, { recursive: true });
}

/** ensureFolder for the folder that holds `filePath` (a database file, a log). */
export function ensureFolderOf(filePath: string): void {
  if (filePath === "" || filePath === ":memory:") return;
  ensureFolder(dirname(filePath));
}
