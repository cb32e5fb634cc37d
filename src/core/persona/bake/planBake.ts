/**
 * What a bake merges into and where it goes, shared by `persona bake` and the dialogue node's
 * background bakes: a quantized base is baked from its unquantized twin (the registry's
 * `unquantized`) and re-quantized to its own type; an F32/F16 base is baked as it is. Bakes are
 * named by their recipe, so the same mix always lands in the same file.
 */
import { existsSync } from "node:fs";
import { basename, join } from "node:path";
import { createHash } from "node:crypto";
import { readGgufHeader } from "../../models/GgufHeader.js";
import { ModelLock } from "../../models/ModelLock.js";
import { expectedChecksum } from "../../models/pullModel.js";
import type { ModelRegistry, RegistryEntry } from "../ModelRegistry.js";
import type { AdapterMix } from "../types.js";
import { modelFileType } from "./bakeModel.js";
import type { BakeMethod } from "./types.js";

export interface BakeBase {
  /** The F32/F16 file the deltas are added to. */
  readonly path: string;
  /** Its registry name (or file name), recorded in the recipe. */
  readonly name: string;
  /** Its sha256 when the registry or its lock knows it (otherwise the bake computes it). */
  readonly sha256?: string;
  /** llama-quantize type to re-quantize to: the base's own, when the base is quantized. */
  readonly quantizeTo?: string;
}

function knownSha256(registry: ModelRegistry, entry: RegistryEntry | undefined): string | undefined {
  return entry ? expectedChecksum(entry, ModelLock.read(registry.lockPath)).sha256 : undefined;
}

/** The registry entry of a base given by reference (name or path) and its resolved path. */
export function baseEntry(registry: ModelRegistry, basePath: string, reference = ""): RegistryEntry | undefined {
  return (reference ? registry.entry(reference) : undefined) ?? registry.modelAt(basePath);
}

/** Where a bake of this base merges; throws with the fix when it cannot (missing file or twin). */
export function bakeBaseFor(registry: ModelRegistry, basePath: string, options: { readonly reference?: string; readonly quantize?: boolean } = {}): BakeBase {
  const reference = options.reference ?? basePath;
  const entry = baseEntry(registry, basePath, options.reference);
  if (!existsSync(basePath)) throw new Error(`base model ${reference} is not here (${basePath}); npm run models -- pull ${entry?.name ?? reference}`);
  const baseType = modelFileType(readGgufHeader(basePath)) ?? "F32";
  if (["F32", "F16", "BF16"].includes(baseType)) {
    const sha256 = knownSha256(registry, entry);
    return { path: basePath, name: entry?.name ?? basename(basePath), ...(sha256 ? { sha256 } : {}) };
  }
  const twin = entry?.unquantized ? registry.entry(entry.unquantized) : undefined;
  if (!twin) throw new Error(`base ${reference} is ${baseType} and the registry names no unquantized twin for it; give an F16/F32 base`);
  if (!existsSync(twin.path)) throw new Error(`base ${reference} is ${baseType}: the bake merges into its unquantized twin ${twin.name}, which is not here; npm run models -- pull ${twin.name}`);
  const sha256 = knownSha256(registry, twin);
  return { path: twin.path, name: twin.name, ...(sha256 ? { sha256 } : {}), ...(options.quantize !== false ? { quantizeTo: baseType } : {}) };
}

/** The sha256s a bake of this base may carry as its recipe's base: the base's own and its twin's, where known. */
export function bakeBaseSha256s(registry: ModelRegistry, basePath: string, reference = ""): { known: string[]; unknownFiles: string[] } {
  const entry = baseEntry(registry, basePath, reference);
  const twin = entry?.unquantized ? registry.entry(entry.unquantized) : undefined;
  const known: string[] = [];
  const unknownFiles: string[] = [];
  for (const [e, path] of [[entry, basePath], [twin, twin?.path]] as const) {
    if (!path) continue;
    const sha = knownSha256(registry, e);
    if (sha) known.push(sha);
    else if (existsSync(path)) unknownFiles.push(path);
  }
  return { known, unknownFiles };
}

/** <bakes>/<persona>-<method>-<recipe hash>.gguf: one file per recipe. */
export function bakeOutPath(dir: string, persona: string, base: BakeBase, mix: AdapterMix, method: BakeMethod = "linear", density = 0.5, seed = 1): string {
  const recipeId = createHash("sha256")
    .update(JSON.stringify([basename(base.path), method, density, seed, mix.adapters.map((a) => [a.name, a.scale])]))
    .digest("hex")
    .slice(0, 8);
  return join(dir, `${persona}-${method}-${recipeId}.gguf`);
}
