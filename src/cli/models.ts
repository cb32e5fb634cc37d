#!/usr/bin/env node
/**
 * `npm run models -- pull|list|verify|rm`: the model files of configs/models.yaml. Nothing here
 * runs unless asked: a robot in the field never downloads by surprise.
 */
import { existsSync, readdirSync, rmSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { ModelRegistry, type RegistryEntry } from "../core/persona/ModelRegistry.js";
import { ModelLock } from "../core/models/ModelLock.js";
import { expectedChecksum, isMarkedVerified, markVerified } from "../core/models/pullModel.js";
import { sha256File } from "../core/models/sha256File.js";
import { UnknownModelError } from "../core/models/errors.js";
import { describeRecipe, readBakeRecipe } from "../core/persona/bake/bakeRecipe.js";
import { packageRoot } from "../core/packageRoot.js";
import { pullWithProgress } from "./modelPullProgress.js";

const HELP = `Usage: npm run models -- <command> [options]

Commands:
  pull [name ...]     fetch models (default: the registry's default, ${"`tinyllama-chat`"}), resuming a partial
                      download, checking sha256 before the file is moved into place
  pull --all          every entry that has a uri
  list                name, kind, size, present, verified; then baked models and their recipes
  verify [name ...]   re-hash present files against configs/models.yaml or the lock (default: all present)
  rm name ...         delete a model file (its checksum pin stays, so a new pull is checked against it)

Options:
  --models-file FILE  registry (default configs/models.yaml)
  --mirror URL        hf: downloads from this mirror instead of huggingface.co (or env HF_ENDPOINT)
  --timeout S         seconds the first request may take before the machine counts as offline (default 5)
  --force             pull again even when a verified file is in place
  -h, --help          this help

Exit status: 0 done, 1 a model failed (the message names the fix), 2 bad usage.`;

interface Options {
  modelsFile: string;
  mirror?: string;
  timeoutS: number;
  force: boolean;
  all: boolean;
  names: string[];
}

function parseOptions(argv: readonly string[]): Options {
  const o: Options = { modelsFile: join(packageRoot(), "configs", "models.yaml"), timeoutS: 5, force: false, all: false, names: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      return v;
    };
    if (a === "--models-file") o.modelsFile = resolve(value());
    else if (a === "--mirror") o.mirror = value();
    else if (a === "--timeout") o.timeoutS = Number(value());
    else if (a === "--force") o.force = true;
    else if (a === "--all") o.all = true;
    else if (a.startsWith("-")) throw new UsageError(`unknown option ${a}`);
    else o.names.push(a);
  }
  if (!(o.timeoutS > 0)) throw new UsageError("--timeout needs a number of seconds > 0");
  return o;
}

class UsageError extends Error {}

const mb = (bytes: number | undefined) => (bytes === undefined ? "?" : `${(bytes / 1e6).toFixed(1)} MB`);

function pick(registry: ModelRegistry, names: readonly string[]): RegistryEntry[] {
  return names.map((n) => registry.entry(n) ?? (() => { throw new UnknownModelError(n, registry.entries().map((e) => e.name)); })());
}

function list(registry: ModelRegistry, print: (line: string) => void): void {
  const lock = ModelLock.read(registry.lockPath);
  const rows = registry.entries().map((e) => {
    const present = existsSync(e.path);
    const expected = expectedChecksum(e, lock);
    const size = present ? statSync(e.path).size : expected.size;
    const verified = !present ? "-" : isMarkedVerified(e, lock) ? (expected.source === "lock" ? "yes (pinned)" : "yes") : "no (run verify)";
    return [e.name + (e.name === registry.defaultModel ? " *" : ""), e.kind, mb(size), present ? "yes" : "no", verified, e.uri ? "" : "no uri"];
  });
  const header = ["name", "kind", "size", "present", "verified", ""];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const r of [header, ...rows]) print(r.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd());
  print(`(* = default; files under ${relative(process.cwd(), registry.root) || "."}; checksum pins in ${relative(process.cwd(), registry.lockPath)})`);
  const bakes = existsSync(registry.bakesDir) ? readdirSync(registry.bakesDir).filter((f) => f.endsWith(".gguf")).sort() : [];
  print(`baked models in ${relative(process.cwd(), registry.bakesDir) || registry.bakesDir}: ${bakes.length === 0 ? "none (npm run persona -- bake)" : ""}`);
  for (const f of bakes) {
    const path = join(registry.bakesDir, f);
    const recipe = readBakeRecipe(path);
    print(`  ${f}  ${mb(statSync(path).size)}  ${recipe ? describeRecipe(recipe) : "(no recipe: not made by persona bake)"}`);
  }
}

async function verify(registry: ModelRegistry, names: readonly string[], print: (line: string) => void): Promise<boolean> {
  const lock = ModelLock.read(registry.lockPath);
  const entries = names.length > 0 ? pick(registry, names) : registry.entries().filter((e) => existsSync(e.path));
  let ok = true;
  for (const e of entries) {
    if (!existsSync(e.path)) {
      print(`${e.name}: missing (${e.path}); npm run models -- pull ${e.name}`);
      ok = false;
      continue;
    }
    const expected = expectedChecksum(e, lock);
    const sha = await sha256File(e.path);
    const size = statSync(e.path).size;
    if (!expected.sha256) {
      markVerified(e, lock, sha);
      print(`${e.name}: no known sha256; pinned now ${sha} (trust on first use)`);
    } else if (sha === expected.sha256 && (expected.size === undefined || size === expected.size)) {
      markVerified(e, lock, sha);
      print(`${e.name}: ok (sha256 ${sha.slice(0, 16)}..., from ${expected.source})`);
    } else {
      ok = false;
      print(`${e.name}: MISMATCH: sha256 ${sha} size ${size}, expected ${expected.sha256} (${expected.source}); delete it (npm run models -- rm ${e.name}) and pull again`);
    }
  }
  return ok;
}

export async function runModelsCommand(argv: readonly string[], print: (line: string) => void = (l) => console.log(l)): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === "-h" || command === "--help") {
    print(HELP);
    return command ? 0 : 2;
  }
  let options: Options;
  try {
    options = parseOptions(rest);
  } catch (error) {
    print(`models: ${(error as Error).message}; see npm run models -- --help`);
    return 2;
  }
  const registry = ModelRegistry.load(options.modelsFile);
  const err = (line: string) => console.error(line);
  try {
    switch (command) {
      case "list":
        list(registry, print);
        return 0;
      case "verify":
        return (await verify(registry, options.names, print)) ? 0 : 1;
      case "rm":
        if (options.names.length === 0) throw new UsageError("rm needs a name");
        for (const e of pick(registry, options.names)) {
          if (existsSync(e.path)) {
            rmSync(e.path);
            print(`${e.name}: removed ${e.path}`);
          } else print(`${e.name}: not present`);
        }
        return 0;
      case "pull": {
        const entries = options.all ? registry.entries().filter((e) => e.uri) : pick(registry, options.names.length ? options.names : registry.defaultModel ? [registry.defaultModel] : []);
        if (entries.length === 0) throw new UsageError("nothing to pull: name a model, or set `default` in the registry");
        let failed = 0;
        for (const e of entries) {
          try {
            const r = await pullWithProgress(registry, e.name, { print: err, probeTimeoutMs: options.timeoutS * 1000, force: options.force, ...(options.mirror ? { hfEndpoint: options.mirror } : {}) });
            const how = r.checkedAgainst === "pinned now" ? "no known sha256: pinned now (trust on first use)" : `sha256 ok (${r.checkedAgainst})`;
            print(`${e.name}: ${r.status === "present" ? "already present" : `pulled ${mb(r.bytes)} in ${r.seconds.toFixed(1)} s`}, ${how} -> ${r.path}`);
          } catch (error) {
            failed++;
            print(`${e.name}: ${(error as Error).message}`);
          }
        }
        return failed ? 1 : 0;
      }
      default:
        throw new UsageError(`unknown command ${command}`);
    }
  } catch (error) {
    print(`models: ${(error as Error).message}${error instanceof UsageError ? "; see npm run models -- --help" : ""}`);
    return error instanceof UsageError ? 2 : 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runModelsCommand(process.argv.slice(2)).then((code) => process.exit(code));
}
