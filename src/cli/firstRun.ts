/**
 * First run of `npm start`: when the registry's default model is missing, pull it (with a
 * progress bar) if the network answers within a few seconds; otherwise say in one line how to get
 * it and let the assistant run model-free. `--offline` skips the attempt. Only `npm start` does
 * this: the ROS nodes download nothing unless their auto_download parameter says so.
 */
import { existsSync } from "node:fs";
import { ModelRegistry } from "../core/persona/ModelRegistry.js";
import { pullWithProgress } from "./modelPullProgress.js";

export interface FirstRunOptions {
  readonly modelsFile: string;
  readonly offline: boolean;
  readonly print: (line: string) => void;
  /** How long the first request may take before the machine counts as offline (default 4 s). */
  readonly probeTimeoutMs?: number;
}

export type FirstRunOutcome = "present" | "pulled" | "skipped" | "failed" | "no-default";

export async function ensureDefaultModel(options: FirstRunOptions): Promise<FirstRunOutcome> {
  if (!existsSync(options.modelsFile)) return "no-default";
  const registry = ModelRegistry.load(options.modelsFile);
  const name = registry.defaultModel;
  const entry = name ? registry.entry(name) : undefined;
  if (!name || !entry) return "no-default";
  if (existsSync(entry.path)) return "present";
  const howTo = `get it with \`npm run models -- pull ${name}\` (or copy it to ${entry.path})`;
  if (options.offline) {
    options.print(`model ${name} is not here and --offline was given: running model-free; ${howTo}`);
    return "skipped";
  }
  options.print(`first run: fetching the default model ${name} (npm start -- --offline skips this)`);
  try {
    const result = await pullWithProgress(registry, name, { print: options.print, probeTimeoutMs: options.probeTimeoutMs ?? 4000 });
    options.print(`model ${name} ready: ${result.path}${result.checkedAgainst === "pinned now" ? " (sha256 pinned on this first pull)" : " (sha256 ok)"}`);
    return "pulled";
  } catch (error) {
    options.print(`could not fetch model ${name}: ${(error as Error).message.split("\n")[0]}. Running model-free; ${howTo}`);
    return "failed";
  }
}
