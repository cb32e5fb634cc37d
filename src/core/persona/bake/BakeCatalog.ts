/**
 * The registered bakes a dialogue node may run instead of its runtime blend: the GGUFs in the
 * registry's bakes folder whose recipe was merged into this node's base (or its unquantized
 * twin) from these very adapter files (sha256 both), with the linear method, which computes what
 * the runtime blend computes. match() answers per mix, synchronously, in microseconds.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { sha256File } from "../../models/sha256File.js";
import type { AdapterFiles } from "../resolveAdapterFiles.js";
import type { AdapterScale } from "../types.js";
import { readBakeRecipe, recipeMatchesBlend } from "./bakeRecipe.js";
import type { BakeRecipe } from "./types.js";

/** Given the adapters a turn would apply, the baked model that computes the same blend, if any. */
export type BakedModelMatcher = (adapters: readonly AdapterScale[]) => string | undefined;

export interface BakeCatalogOptions {
  readonly dir: string;
  /** sha256 of the files a bake for this node may have been merged into (the base, its twin). */
  readonly baseSha256s: readonly string[];
  /** sha256 of each live adapter file, by slot key. */
  readonly adapterSha256s: Readonly<Record<string, string>>;
}

export class BakeCatalog {
  private readonly bakes = new Map<string, BakeRecipe>();
  /** Files in the folder that are not bakes for this node, with the reason (for logs). */
  readonly skipped = new Map<string, string>();

  constructor(private readonly options: BakeCatalogOptions) {}

  /**
   * Hashes what needs hashing (the adapters; base files whose sha256 the registry does not know),
   * off the event loop's hot path, then reads the folder.
   */
  static async open(dir: string, base: { readonly known: readonly string[]; readonly unknownFiles: readonly string[] }, adapterFiles: AdapterFiles): Promise<BakeCatalog> {
    const computed = await Promise.all(base.unknownFiles.map((f) => sha256File(f)));
    const adapters = Object.entries(adapterFiles).filter((e): e is [string, string] => e[1] !== undefined);
    const shas = await Promise.all(adapters.map(([, path]) => sha256File(path)));
    const catalog = new BakeCatalog({ dir, baseSha256s: [...base.known, ...computed], adapterSha256s: Object.fromEntries(adapters.map(([name], i) => [name, shas[i]!])) });
    catalog.scan();
    return catalog;
  }

  get size(): number {
    return this.bakes.size;
  }

  /** The bakes for this node, by path. */
  list(): ReadonlyMap<string, BakeRecipe> {
    return this.bakes;
  }

  /** Reads the folder again (new bakes join, deleted ones leave). */
  scan(): void {
    this.bakes.clear();
    this.skipped.clear();
    if (!existsSync(this.options.dir)) return;
    for (const file of readdirSync(this.options.dir).filter((f) => f.endsWith(".gguf")).sort()) this.add(join(this.options.dir, file));
  }

  /** Registers one bake; false (with the reason in skipped) when it is not a bake for this node. */
  add(path: string): boolean {
    const problem = this.problemOf(path);
    if (problem) {
      this.skipped.set(path, problem);
      this.bakes.delete(path);
      return false;
    }
    this.bakes.set(path, readBakeRecipe(path)!);
    return true;
  }

  /** The baked model whose recipe equals this mix within 1e-3 (scales), or undefined. */
  match(adapters: readonly AdapterScale[]): string | undefined {
    if (adapters.length === 0) return undefined;
    for (const [path, recipe] of this.bakes) if (recipeMatchesBlend(recipe, adapters) && existsSync(path)) return path;
    return undefined;
  }

  private problemOf(path: string): string | undefined {
    const recipe = readBakeRecipe(path);
    if (!recipe) return "no bake recipe in its metadata";
    if (recipe.method !== "linear") return `a ${recipe.method} bake computes something other than the runtime blend`;
    if (!this.options.baseSha256s.includes(recipe.base.sha256)) return `baked from another base (${recipe.base.name})`;
    for (const a of recipe.adapters) {
      if (a.scale === 0) continue;
      const live = this.options.adapterSha256s[a.name];
      if (live === undefined) return `adapter ${a.name} is not loaded here`;
      if (live !== a.sha256) return `adapter ${a.name} differs from the file baked in`;
    }
    return undefined;
  }
}
