/**
 * The model registry (configs/models.yaml): names for base GGUFs and LoRA adapter GGUFs, so a
 * persona spec says "tinyllama-chat" instead of a path that differs per robot, and where each
 * file comes from (`uri`, `sha256`, `size`) so `npm run models -- pull` can fetch and check it.
 * Relative paths resolve against the registry's `root` (itself relative to the registry file).
 *
 * A sha256 (and size) written here wins. Where none is written (no trustworthy published value
 * was at hand), the first verified pull pins them in the lock file (trust on first use) and every
 * later pull and `models verify` checks against the pin.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";

const SHA256 = /^[0-9a-f]{64}$/;

const EntrySchema = z.strictObject({
  path: z.string().min(1),
  description: z.string().optional(),
  /** `hf:owner/repo/file.gguf` (optionally `#branch`) or an http(s) URL. */
  uri: z.string().regex(/^(hf:[^/\s]+\/[^/\s]+\/\S+|https?:\/\/\S+)$/, "uri is hf:owner/repo/file.gguf or an http(s) URL").optional(),
  sha256: z.string().toLowerCase().regex(SHA256, "sha256 is 64 hex digits").optional(),
  size: z.number().int().positive().optional(),
  /** The registry name of this model's unquantized twin (what `persona bake` merges into). */
  unquantized: z.string().min(1).optional(),
});

export const ModelRegistrySchema = z.strictObject({
  /** Directory that relative paths start from, relative to this file (default: the package root, ".."). */
  root: z.string().default(".."),
  /** The model `npm start` pulls on first run and `models pull` pulls without a name. */
  default: z.string().min(1).optional(),
  /** Trust-on-first-use pins (sha256, size) of entries without a sha256 here; relative to root. */
  lock: z.string().min(1).default("models/models.lock.json"),
  /** Where `persona bake` writes baked models and where the dialogue node looks for them; relative to root. */
  bakes: z.string().min(1).default("models/bakes"),
  /** Mirrors: `huggingFace` replaces https://huggingface.co/ for hf: URIs (also env HF_ENDPOINT). */
  endpoints: z.strictObject({ huggingFace: z.string().url().optional() }).default({}),
  models: z.record(z.string(), EntrySchema).default({}),
  adapters: z.record(z.string(), EntrySchema).default({}),
});

/** A registry entry with its path resolved. */
export interface RegistryEntry {
  readonly name: string;
  readonly kind: "model" | "adapter";
  readonly path: string;
  readonly description?: string;
  readonly uri?: string;
  readonly sha256?: string;
  readonly size?: number;
  readonly unquantized?: string;
}

export class ModelRegistryError extends Error {
  constructor(source: string, detail: string) {
    super(`model registry ${source}: ${detail}`);
    this.name = "ModelRegistryError";
  }
}

export class ModelRegistry {
  private constructor(
    readonly root: string,
    private readonly models: ReadonlyMap<string, RegistryEntry>,
    private readonly adapters: ReadonlyMap<string, RegistryEntry>,
    readonly defaultModel: string | undefined,
    /** Absolute path of the trust-on-first-use lock file. */
    readonly lockPath: string,
    /** Absolute folder of baked models. */
    readonly bakesDir: string,
    readonly endpoints: { readonly huggingFace?: string },
    /** The file it was read from ("" for an inline or empty registry). */
    readonly source: string,
  ) {}

  /** An empty registry: every reference is a path, relative to `root`. */
  static empty(root = process.cwd()): ModelRegistry {
    return new ModelRegistry(root, new Map(), new Map(), undefined, resolve(root, "models/models.lock.json"), resolve(root, "models/bakes"), {}, "");
  }

  static fromObject(data: unknown, baseDir: string, source = "<inline>"): ModelRegistry {
    const result = ModelRegistrySchema.safeParse(data ?? {});
    if (!result.success) {
      throw new ModelRegistryError(source, result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
    }
    const d = result.data;
    const root = resolve(baseDir, d.root);
    const at = (p: string) => (isAbsolute(p) ? p : resolve(root, p));
    const toMap = (kind: RegistryEntry["kind"], entries: Record<string, z.infer<typeof EntrySchema>>) =>
      new Map(Object.entries(entries).map(([name, e]) => [name, { name, kind, ...e, path: at(e.path) } satisfies RegistryEntry]));
    const models = toMap("model", d.models);
    if (d.default !== undefined && !models.has(d.default)) throw new ModelRegistryError(source, `default: ${d.default} is not one of models (${[...models.keys()].join(", ")})`);
    for (const e of models.values()) {
      if (e.unquantized !== undefined && !models.has(e.unquantized)) throw new ModelRegistryError(source, `models.${e.name}.unquantized: ${e.unquantized} is not one of models`);
    }
    return new ModelRegistry(root, models, toMap("adapter", d.adapters), d.default, at(d.lock), at(d.bakes), d.endpoints, source === "<inline>" ? "" : source);
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
    return this.models.get(reference)?.path ?? this.asPath(reference);
  }
  resolveAdapter(reference: string): string {
    return this.adapters.get(reference)?.path ?? this.asPath(reference);
  }
  /** The entry of a registered model or adapter name. */
  entry(name: string): RegistryEntry | undefined {
    return this.models.get(name) ?? this.adapters.get(name);
  }
  /** Every entry, models first, in file order. */
  entries(): RegistryEntry[] {
    return [...this.models.values(), ...this.adapters.values()];
  }
  /** The registered model whose file is this path, if any. */
  modelAt(path: string): RegistryEntry | undefined {
    const absolute = this.asPath(path);
    return [...this.models.values()].find((e) => e.path === absolute);
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
