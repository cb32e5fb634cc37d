import { join } from "node:path";
import type { ParameterValue } from "../../ros/GraphPort.js";
import { convertGlove } from "../convert-glove.js";

/**
 * Where the standalone assistant keeps its state: every path parameter points
 * into one data directory, so `--data-dir` moves all of it. The names here are
 * the nodes' declared path parameters.
 */
export function standaloneOverrides(dataDir: string): Record<string, Record<string, ParameterValue>> {
  return {
    action_log: { db_path: join(dataDir, "action_log.db"), export_dir: join(dataDir, "exports") },
    memory: { db_path: join(dataDir, "memory.db") },
    dialogue: {},
  };
}

/** First-run preparation: the compact GloVe file the default memory encoder reads. */
export async function prepareStandaloneData(options: { print: (line: string) => void }): Promise<void> {
  const result = convertGlove({ progress: true });
  if (!result.skipped) options.print(`prepared GloVe vectors: ${result.words} words -> ${result.out}`);
}
