/**
 * The record of trained adapters (configs/adapters.yaml): per adapter its file, sha256, size, the
 * base it was trained on, rank, data counts and gate figures. Only adapters that passed the gate are
 * written here; their names are the ones configs/models.yaml maps to models/adapters/<name>.gguf, so
 * the persona spec and the dialogue node find them without further configuration.
 * Writes go to a temporary file renamed over the old one, so a crash never leaves half a registry.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { z } from "zod";

const CurvePointSchema = z.strictObject({ scale: z.number(), target: z.number(), contrast: z.number() });

export const AdapterRecordSchema = z.strictObject({
  kind: z.enum(["dimension", "expert"]),
  target: z.string(),
  path: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().positive(),
  rank: z.number().int().positive(),
  base: z.strictObject({ path: z.string(), sha256: z.string() }),
  data: z.record(z.string(), z.number().int().nonnegative()),
  training: z.strictObject({ epochs: z.number(), learningRate: z.number(), learningRateMin: z.number().optional(), contextSize: z.number(), seconds: z.number(), trainedTokens: z.number() }),
  energyKept: z.number(),
  /** How far +1 goes, chosen on the dev split (absent in records written before calibration). */
  calibration: z.strictObject({ scale: z.number(), devCurve: z.array(CurvePointSchema) }).optional(),
  gate: z.strictObject({
    passed: z.boolean(),
    targetDrop: z.number(),
    contrastRise: z.number(),
    monotone: z.boolean(),
    curve: z.array(CurvePointSchema),
  }),
  createdAt: z.string(),
});
export type AdapterRecord = z.infer<typeof AdapterRecordSchema>;

const RegistryFileSchema = z.strictObject({ adapters: z.record(z.string(), AdapterRecordSchema).default({}) });

const HEADER = `# Trained persona adapters (written by \`npm run persona -- train\`; see docs/persona-workshop.md).
# Only adapters that passed the held-out NLL gate are listed. Names match configs/models.yaml's adapters.
`;

export class AdapterRegistry {
  constructor(readonly filePath: string) {}

  read(): Record<string, AdapterRecord> {
    if (!existsSync(this.filePath)) return {};
    const parsed = RegistryFileSchema.safeParse(parseYaml(readFileSync(this.filePath, "utf8")) ?? {});
    if (!parsed.success) throw new Error(`${this.filePath}: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
    return parsed.data.adapters;
  }

  register(name: string, record: AdapterRecord): void {
    const adapters = { ...this.read(), [name]: AdapterRecordSchema.parse(record) };
    const sorted = Object.fromEntries(Object.entries(adapters).sort(([a], [b]) => a.localeCompare(b)));
    const tmp = `${this.filePath}.tmp`;
    writeFileSync(tmp, HEADER + stringifyYaml({ adapters: sorted }));
    renameSync(tmp, this.filePath);
  }
}
