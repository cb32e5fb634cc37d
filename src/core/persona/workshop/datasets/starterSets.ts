/**
 * The starter sets written by the team (data/personas/): contrast items per personality dimension
 * (Clara's format: one situation, a low, a neutral and a high reply) and Q&A items per expert domain.
 * Loading validates every line with zod and names the file and line of the first bad one.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { DIMENSIONS, EXPERTS, type DimensionName, type ExpertName } from "../types.js";

const reply = z.string().trim().min(2).max(400);

export const ContrastItemSchema = z.strictObject({
  dimension: z.enum(DIMENSIONS),
  situation: z.string().trim().min(8).max(300),
  low: reply,
  neutral: reply,
  high: reply,
});
export type ContrastItem = z.infer<typeof ContrastItemSchema>;

export const QaItemSchema = z.strictObject({
  domain: z.enum(EXPERTS),
  question: z.string().trim().min(8).max(300),
  answer: z.string().trim().min(8).max(600),
  difficulty: z.enum(["easy", "medium", "hard"]),
});
export type QaItem = z.infer<typeof QaItemSchema>;

export class StarterSetError extends Error {
  constructor(file: string, line: number, detail: string) {
    super(`${file}:${line}: ${detail}`);
    this.name = "StarterSetError";
  }
}

function readJsonl<T>(file: string, schema: z.ZodType<T>): T[] {
  const items: T[] = [];
  readFileSync(file, "utf8")
    .split("\n")
    .forEach((text, index) => {
      if (text.trim() === "") return;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (error) {
        throw new StarterSetError(file, index + 1, `not JSON (${(error as Error).message})`);
      }
      const result = schema.safeParse(value);
      if (!result.success) throw new StarterSetError(file, index + 1, result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
      items.push(result.data);
    });
  return items;
}

export function dimensionFile(dataDir: string, dimension: DimensionName): string {
  return join(dataDir, "dimensions", `${dimension}.jsonl`);
}
export function expertFile(dataDir: string, domain: ExpertName): string {
  return join(dataDir, "experts", `${domain}.jsonl`);
}

export function loadContrastItems(dataDir: string, dimension: DimensionName): ContrastItem[] {
  const file = dimensionFile(dataDir, dimension);
  const items = readJsonl(file, ContrastItemSchema);
  items.forEach((item, i) => {
    if (item.dimension !== dimension) throw new StarterSetError(file, i + 1, `dimension is ${item.dimension}, expected ${dimension}`);
  });
  return items;
}

export function loadQaItems(dataDir: string, domain: ExpertName): QaItem[] {
  const file = expertFile(dataDir, domain);
  const items = readJsonl(file, QaItemSchema);
  items.forEach((item, i) => {
    if (item.domain !== domain) throw new StarterSetError(file, i + 1, `domain is ${item.domain}, expected ${domain}`);
  });
  return items;
}
