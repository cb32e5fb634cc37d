import { existsSync } from "node:fs";

const NICE = "/usr/bin/nice";

/**
 * How to start `executable` at a lower CPU priority (nice `level`): through /usr/bin/nice where it
 * exists, so that the process and every thread it starts (V8's collector helpers, libuv's pool)
 * run below the robot's own nodes; as given where it does not.
 */
export function niceCommand(level: number, executable: string, args: readonly string[]): { command: string; args: string[]; niced: boolean } {
  if (!existsSync(NICE)) return { command: executable, args: [...args], niced: false };
  return { command: NICE, args: ["-n", String(level), executable, ...args], niced: true };
}
