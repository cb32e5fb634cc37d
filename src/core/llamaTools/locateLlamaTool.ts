/**
 * Where llama.cpp's own command-line tools live (llama-quantize, llama-export-lora, llama-finetune,
 * llama-perplexity), built from the llama.cpp source that node-llama-cpp bundles by
 * scripts/build-llama-tools.sh. One place finds them, so every caller fails with the same fix.
 *
 * Search order:
 *   1. $EMBODIED_LLAMA_TOOLS_DIR (a folder holding the binaries, e.g. a CUDA build on a Jetson);
 *   2. <package root>/.cache/llama-tools/build/bin (what the build script writes).
 */
import { accessSync, constants, existsSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../packageRoot.js";

export const LLAMA_TOOLS_DIR_ENV = "EMBODIED_LLAMA_TOOLS_DIR";
export const LLAMA_TOOL_NAMES = ["llama-quantize", "llama-export-lora", "llama-finetune", "llama-perplexity"] as const;
export type LlamaToolName = (typeof LLAMA_TOOL_NAMES)[number];

export class LlamaToolMissingError extends Error {
  constructor(
    readonly tool: string,
    readonly searched: readonly string[],
  ) {
    super(
      `${tool} was not found (looked in ${searched.join(", ")}); build llama.cpp's tools once with ` +
        `\`bash scripts/build-llama-tools.sh\` (about 4-8 minutes on 2 cores, cached), or set ${LLAMA_TOOLS_DIR_ENV} to a folder that holds ${tool}`,
    );
    this.name = "LlamaToolMissingError";
  }
}

/** The folder the build script caches its build in. */
export function defaultLlamaToolsBuildDir(root = packageRoot()): string {
  return join(root, ".cache", "llama-tools", "build", "bin");
}

/** The folders searched, in order. */
export function llamaToolSearchDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const dirs: string[] = [];
  const fromEnv = env[LLAMA_TOOLS_DIR_ENV];
  if (fromEnv) dirs.push(fromEnv);
  dirs.push(defaultLlamaToolsBuildDir());
  return dirs;
}

/** The absolute path of an executable tool; throws LlamaToolMissingError naming the fix. */
export function locateLlamaTool(name: LlamaToolName | string, env: NodeJS.ProcessEnv = process.env): string {
  const dirs = llamaToolSearchDirs(env);
  for (const dir of dirs) {
    const candidate = join(dir, name);
    if (!existsSync(candidate)) continue;
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Present but not executable: keep looking, the error lists where we looked.
    }
  }
  throw new LlamaToolMissingError(name, dirs);
}

/** Whether a tool can be found (for tests and `models list` that only report). */
export function hasLlamaTool(name: LlamaToolName | string, env: NodeJS.ProcessEnv = process.env): boolean {
  try {
    locateLlamaTool(name, env);
    return true;
  } catch {
    return false;
  }
}
