#!/usr/bin/env node
/**
 * `npm run persona -- <command>`: persona tools.
 *   bake    a persona mix -> one GGUF (base + merged adapter deltas), recipe in its metadata
 * The persona workshop's commands (data | train | gate | list) are routed to
 * src/cli/personaWorkshop.ts (`runWorkshopCommand(argv)`) when that module is part of the build.
 */
import { existsSync, mkdirSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { createHash } from "node:crypto";
import { ModelRegistry } from "../core/persona/ModelRegistry.js";
import { loadPersonaSpec } from "../core/persona/PersonaSpec.js";
import { DIMENSION_NAMES, EXPERT_NAMES } from "../core/persona/PersonaSpec.js";
import { bakeModel, modelFileType } from "../core/persona/bake/bakeModel.js";
import { describeRecipe } from "../core/persona/bake/bakeRecipe.js";
import { dialogueParameters, mixFromState, mixFromWeights, specWeights, weightsWith } from "../core/persona/bake/bakeInputs.js";
import { BAKE_METHODS, type BakeMethod } from "../core/persona/bake/types.js";
import { readGgufHeader } from "../core/models/GgufHeader.js";
import { ModelLock } from "../core/models/ModelLock.js";
import { expectedChecksum } from "../core/models/pullModel.js";
import { packageRoot } from "../core/packageRoot.js";

const HELP = `Usage: npm run persona -- <command> [options]

Commands:
  bake      bake a persona mix into one GGUF that runs at the base model's speed (no adapters at run time)
  data | train | gate | list    the persona workshop (adapters from data), when installed

bake options:
  --persona FILE      persona spec (default configs/personas/teaching_assistant.yaml): base, adapters, weights
  --params FILE       take the weights from a ROS params file's dialogue section (persona.*, expertise.*)
  --state FILE        take the mix from a saved PersonaState message (the running node's ~/persona_state:
                      ros2 topic echo --once /dialogue/persona_state > state.yaml)
  --set NAME=W        one weight, e.g. --set persona.warmth=0.9 (repeatable; applied last)
  --method M          linear (default; equals the runtime blend) | ties | dare
  --density D         ties/dare: fraction of each adapter's delta kept (default 0.5)
  --seed N            dare: seed of the drop masks (default 1)
  --base NAME|PATH    base model (default: the persona's baseModel). A quantized base is baked from its
                      unquantized twin (registry field 'unquantized') and re-quantized to its type
  --no-quantize       keep the bake unquantized (F16/F32)
  --adapter-dir DIR   adapters as <DIR>/persona.<dim>.gguf and expertise.<expert>.gguf (default: the registry)
  --out FILE          output (default: <registry bakes folder>/<persona>-<method>-<recipe hash>.gguf)
  --models-file FILE  registry (default configs/models.yaml)
  --threads N         llama-quantize threads (default 2)

Re-quantizing needs llama.cpp's llama-quantize: bash scripts/build-llama-tools.sh (once, cached).`;

class UsageError extends Error {}

interface BakeArgs {
  persona: string;
  params?: string;
  state?: string;
  sets: Record<string, number>;
  method: BakeMethod;
  density: number;
  seed: number;
  base?: string;
  quantize: boolean;
  adapterDir?: string;
  out?: string;
  modelsFile: string;
  threads: number;
}

function parseBakeArgs(argv: readonly string[]): BakeArgs {
  const root = packageRoot();
  const a: BakeArgs = { persona: join(root, "configs", "personas", "teaching_assistant.yaml"), sets: {}, method: "linear", density: 0.5, seed: 1, quantize: true, modelsFile: join(root, "configs", "models.yaml"), threads: 2 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    const number = () => {
      const n = Number(value());
      if (!Number.isFinite(n)) throw new UsageError(`${flag} needs a number`);
      return n;
    };
    switch (flag) {
      case "--persona": a.persona = resolve(value()); break;
      case "--params": a.params = resolve(value()); break;
      case "--state": a.state = resolve(value()); break;
      case "--set": {
        const [k, v] = value().split("=");
        if (!k || v === undefined || !Number.isFinite(Number(v))) throw new UsageError("--set needs NAME=WEIGHT, e.g. persona.warmth=0.9");
        a.sets[k] = Number(v);
        break;
      }
      case "--method": {
        const m = value();
        if (!BAKE_METHODS.includes(m as BakeMethod)) throw new UsageError(`--method is one of ${BAKE_METHODS.join(", ")}`);
        a.method = m as BakeMethod;
        break;
      }
      case "--density": a.density = number(); break;
      case "--seed": a.seed = Math.floor(number()); break;
      case "--base": a.base = value(); break;
      case "--no-quantize": a.quantize = false; break;
      case "--adapter-dir": a.adapterDir = resolve(value()); break;
      case "--out": a.out = resolve(value()); break;
      case "--models-file": a.modelsFile = resolve(value()); break;
      case "--threads": a.threads = Math.max(1, Math.floor(number())); break;
      default: throw new UsageError(`unknown option ${flag}`);
    }
  }
  if (a.params && a.state) throw new UsageError("give --params or --state, not both");
  return a;
}

async function bake(argv: readonly string[], print: (line: string) => void): Promise<number> {
  const args = parseBakeArgs(argv);
  const spec = loadPersonaSpec(args.persona);
  const registry = existsSync(args.modelsFile) ? ModelRegistry.load(args.modelsFile) : ModelRegistry.empty(packageRoot());

  // Adapters: the same resolution as the dialogue node (adapter_dir, else the registry).
  const adapterFiles: Record<string, string | undefined> = {};
  for (const [kind, names] of [["persona", DIMENSION_NAMES], ["expertise", EXPERT_NAMES]] as const) {
    for (const n of names) {
      const ref = kind === "persona" ? spec.dimensions[n as (typeof DIMENSION_NAMES)[number]].adapter : spec.experts[n as (typeof EXPERT_NAMES)[number]].adapter;
      const path = args.adapterDir ? join(args.adapterDir, `${kind}.${n}.gguf`) : ref ? registry.resolveAdapter(ref) : "";
      if (path && existsSync(path)) adapterFiles[`${kind}.${n}`] = path;
    }
  }
  const mix = args.state
    ? mixFromState(args.state, adapterFiles)
    : mixFromWeights(spec, weightsWith(weightsWith(specWeights(spec), args.params ? dialogueParameters(args.params) : {}), args.sets), adapterFiles);
  if (mix.adapters.length === 0) {
    print(`persona bake: no adapter is active for this mix (${Object.keys(adapterFiles).length} adapter files found); the base model alone is the bake`);
    return 1;
  }

  // Base: a quantized base is baked from its unquantized twin, then re-quantized to the base's type.
  const baseRef = args.base ?? spec.baseModel;
  const basePath = registry.resolveModel(baseRef);
  const baseEntry = registry.entry(baseRef) ?? registry.modelAt(basePath);
  if (!existsSync(basePath)) throw new Error(`base model ${baseRef} is not here (${basePath}); npm run models -- pull ${baseEntry?.name ?? baseRef}`);
  const baseType = modelFileType(readGgufHeader(basePath)) ?? "F32";
  let mergeBase = basePath;
  let mergeEntry = baseEntry;
  let quantizeTo: string | undefined;
  if (!["F32", "F16", "BF16"].includes(baseType)) {
    const twin = baseEntry?.unquantized ? registry.entry(baseEntry.unquantized) : undefined;
    if (!twin) throw new Error(`base ${baseRef} is ${baseType} and the registry names no unquantized twin for it; give --base an F16/F32 model`);
    if (!existsSync(twin.path)) throw new Error(`base ${baseRef} is ${baseType}: the bake merges into its unquantized twin ${twin.name}, which is not here; npm run models -- pull ${twin.name}`);
    mergeBase = twin.path;
    mergeEntry = twin;
    if (args.quantize) quantizeTo = baseType;
  }
  const lockSha = mergeEntry ? expectedChecksum(mergeEntry, ModelLock.read(registry.lockPath)).sha256 : undefined;

  const recipeId = createHash("sha256").update(JSON.stringify([basename(mergeBase), args.method, args.density, args.seed, mix.adapters.map((a) => [a.name, a.scale])])).digest("hex").slice(0, 8);
  const out = args.out ?? join(registry.bakesDir, `${spec.name}-${args.method}-${recipeId}.gguf`);
  mkdirSync(dirname(out), { recursive: true });
  print(`persona bake: ${args.method} of ${mix.adapters.map((a) => `${a.name}@${a.scale}`).join(", ")} into ${basename(mergeBase)}${quantizeTo ? `, then ${quantizeTo}` : ""}`);
  let lastPercent = -1;
  const result = await bakeModel({
    basePath: mergeBase,
    baseName: mergeEntry?.name ?? basename(mergeBase),
    ...(lockSha ? { baseSha256: lockSha } : {}),
    adapters: mix.adapters,
    method: args.method,
    density: args.density,
    seed: args.seed,
    outPath: out,
    ...(quantizeTo ? { quantizeTo } : {}),
    threads: args.threads,
    ...(mix.weights ? { weights: mix.weights } : {}),
    onProgress: (stage, done, total) => {
      if (stage === "quantize") {
        if (done === 0) print(`persona bake: re-quantizing to ${quantizeTo} with llama-quantize`);
        return;
      }
      const percent = Math.floor((100 * done) / total / 10) * 10;
      if (percent !== lastPercent) {
        lastPercent = percent;
        print(`persona bake: merging ${percent}% (${done}/${total} tensors)`);
      }
    },
  });
  print(`persona bake: wrote ${result.outPath} (merge ${result.mergeSeconds.toFixed(1)} s${quantizeTo ? `, quantize ${result.quantizeSeconds.toFixed(1)} s` : ""})`);
  print(`recipe: ${describeRecipe(result.recipe)}`);
  return 0;
}

/** The persona workshop's subcommands live in their own module (issue #10); routed here when present. */
const WORKSHOP_COMMANDS = new Set(["data", "train", "gate", "list"]);
async function workshop(argv: readonly string[], print: (line: string) => void): Promise<number> {
  const specifier = "./personaWorkshop.js"; // not a literal import: the module may not be in this build
  let module: { runWorkshopCommand?: (argv: string[]) => Promise<number> };
  try {
    module = (await import(specifier)) as typeof module;
  } catch {
    print(`persona ${argv[0]}: the persona workshop is not part of this build (src/cli/personaWorkshop.ts)`);
    return 2;
  }
  if (!module.runWorkshopCommand) throw new Error("src/cli/personaWorkshop.ts does not export runWorkshopCommand");
  return module.runWorkshopCommand([...argv]);
}

export async function runPersonaCommand(argv: readonly string[], print: (line: string) => void = (l) => console.log(l)): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (!command || command === "-h" || command === "--help") {
      print(HELP);
      return command ? 0 : 2;
    }
    if (command === "bake") {
      if (rest.includes("-h") || rest.includes("--help")) {
        print(HELP);
        return 0;
      }
      return await bake(rest, print);
    }
    if (WORKSHOP_COMMANDS.has(command)) return await workshop(argv, print);
    throw new UsageError(`unknown command ${command}`);
  } catch (error) {
    print(`persona ${command}: ${(error as Error).message}${error instanceof UsageError ? "; see npm run persona -- --help" : ""}`);
    return error instanceof UsageError ? 2 : 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runPersonaCommand(process.argv.slice(2)).then((code) => process.exit(code));
}
