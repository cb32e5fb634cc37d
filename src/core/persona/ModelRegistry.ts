/**
 * The model registry (configs/models.yaml): names for base GGUFs and LoRA adapter GGUFs, so a
 * persona spec says "tinyllama-chat" instead of a path that differs per robot.
 * Relative paths resolve against the registry's `root` (itself relative to the registry file).
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";

const EntrySchema = z.strictObject({
  path: z.string().min(1),
  description: z.string().optional(),
});

export const ModelRegistrySchema = z.strictObject({
  /** Directory that relative paths start from, relative to this file (default: the package root, ".."). */
  root: z.string().default(".."),
  models: z.record(z.string(), EntrySchema).default({}),
  adapters: z.record(z.string(), EntrySchema).default({}),
});

export class ModelRegistryError extends Error {
  constructor(source: string, detail: string) {
    super(`model registry ${source}: ${detail}`);
    this.name = "ModelRegistryError";
  }
}

export class ModelRegistry {
  private constructor(
    private readonly root: string,
    private readonly models: ReadonlyMap<string, string>,
    private readonly adapters: ReadonlyMap<string, string>,
  ) {}

  /** An empty registry: every reference is a path, relative to `root`. */
  static empty(root = process.cwd()): ModelRegistry {
    return new ModelRegistry(root, new Map(), new Map());
  }

  static fromObject(data: unknown, baseDir: string, source = "<inline>"): ModelRegistry {
    const result = ModelRegistrySchema.safeParse(data ?? {});
    if (!result.success) {
      throw new ModelRegistryError(source, result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
    }
    const root = resolve(baseDir, result.data.root);
    const toMap = (entries: Record<string, { path: string }>) =>
      new Map(Object.entries(entries).map(([name, e]) => [name, isAbsolute(e.path) ? e.path : resolve(root, e.path)]));
    return new ModelRegistry(root, toMap(result.data.models), toMap(result.data.adapters));
  }

  static load(filePath: string): ModelRegistry {
    let data: unknown;
    try {
      data = parseYaml(readFileSync(filePath, "utf8"));
    } catch (error) {
      throw new ModelRegistryError(filePath, `cannot read or parse it (${(error as Error).message}); check the models_file parameter`);
    }
    return ModelRegistry.fromObject(data, dirname(filePath), filePath);
  }

  /** A registry name becomes its path; anything else is taken as a path (relative to the root). */
  resolveModel(reference: string): string {
    return this.models.get(reference) ?? this.asPath(reference);
  }
  resolveAdapter(reference: string): string {
    return this.adapters.get(reference) ?? this.asPath(reference);
  }
  /** Whether the resolved file exists; a missing adapter is skipped, a missing base model means model-free. */
  exists(path: string): boolean {
    return path !== "" && existsSync(path);
  }
  private asPath(reference: string): string {
    if (reference === "") return "";
    return isAbsolute(reference) ? reference : resolve(this.root, reference);
  }
}
