import { existsSync } from "node:fs";

const NICE = "/usr/bin/nice";

/**
 * How to start `executable` at a lower CPU priority (nice `level`): through /usr/bin/nice where it
 * exists, so that the process and every thread it starts (V8's collector helpers, libuv's pool)
 * run below the robot's own nodes; as given where it does not.
 */
export function niceCommand(level: number, executable: string, args: readonly string[]): { command: string; args: string[] } {
  if (!existsSync(NICE)) return { command: executable, args: [...args] };
  return { command: NICE, args: ["-n", String(level), executable, ...args] };
}
