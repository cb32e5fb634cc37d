/**
 * The trust-on-first-use lock: for registry entries without a sha256 in configs/models.yaml, the
 * first verified pull pins the file's sha256 and size here, and every later pull and verify checks
 * against the pin. It also remembers which file (size, mtime) was last verified, so `models list`
 * can say "verified" without hashing gigabytes. Written to a temporary file and renamed.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { z } from "zod";

const PinSchema = z.object({
  uri: z.string().optional(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  size: z.number().int().nonnegative().optional(),
  pinnedAt: z.string().optional(),
  /** The file that last passed verification. */
  verified: z.object({ size: z.number(), mtimeMs: z.number(), at: z.string() }).optional(),
});
const LockSchema = z.object({ version: z.literal(1), models: z.record(z.string(), PinSchema) });

export type ModelPin = z.infer<typeof PinSchema>;

export class ModelLock {
  private constructor(
    readonly path: string,
    private readonly pins: Record<string, ModelPin>,
  ) {}

  /** Reads the lock; a missing file is an empty lock, an unreadable one an error naming the file. */
  static read(path: string): ModelLock {
    if (!existsSync(path)) return new ModelLock(path, {});
    let data: unknown;
    try {
      data = JSON.parse(readFileSync(path, "utf8"));
    } catch (error) {
      throw new Error(`model lock ${path} is not valid JSON (${(error as Error).message}); fix or delete it (deleting it forgets the pinned checksums)`);
    }
    const parsed = LockSchema.safeParse(data);
    if (!parsed.success) throw new Error(`model lock ${path} is malformed (${parsed.error.issues[0]?.message}); fix or delete it`);
    return new ModelLock(path, parsed.data.models);
  }

  get(name: string): ModelPin | undefined {
    return this.pins[name];
  }

  set(name: string, pin: ModelPin): void {
    this.pins[name] = pin;
    this.write();
  }

  private write(): void {
    mkdirSync(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.tmp-${process.pid}`;
    writeFileSync(tmp, JSON.stringify({ version: 1, models: this.pins }, null, 2) + "\n");
    renameSync(tmp, this.path);
  }
}
