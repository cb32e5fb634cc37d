/**
 * The persona spec: a YAML file in configs/personas/ that names the base model, one optional LoRA
 * adapter per personality dimension and per domain expert, their weights, how weights become
 * adapter scales, the router's keywords and prototypes, and the generation defaults.
 * Validated with zod; every error names the field and the fix.
 */
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { PanelSpecSchema } from "./panel/PanelSpec.js";

import { DIMENSION_NAMES, EXPERT_NAMES, type DimensionName, type ExpertName } from "./personaNames.js";

export { DIMENSION_NAMES, EXPERT_NAMES, type DimensionName, type ExpertName } from "./personaNames.js";

const weight = z.number().min(0, "weights lie in [0, 1]").max(1, "weights lie in [0, 1]");
const mapping = z.enum(["linear", "centred"]);

const DimensionSchema = z.strictObject({
  weight,
  /** A name in the model registry, a path, or omitted (the dimension then acts through the prompt only). */
  adapter: z.string().min(1).optional(),
  /** Overrides the spec's gain for this adapter. */
  gain: z.number().positive().optional(),
  /** How the system prompt describes the two poles. */
  high: z.string().min(1),
  low: z.string().min(1),
});

const ExpertSchema = z.strictObject({
  weight,
  adapter: z.string().min(1).optional(),
  gain: z.number().positive().optional(),
  /** Words or phrases that gate this expert on when the utterance contains them. */
  keywords: z.array(z.string().min(1)).default([]),
  /** Example utterances; the router compares each utterance with them by embedding similarity. */
  prototypes: z.array(z.string().min(1)).default([]),
  /** How the system prompt describes this expertise when it is active. */
  describe: z.string().min(1),
});

const RoutingSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** Effective expert weight = (1 - strength) * weight + strength * gate. */
  strength: weight.default(0.6),
  /** Gate given by one keyword hit; two hits or more give 1. */
  keywordGate: weight.default(0.8),
  /** Similarity below floor gives gate 0, above ceiling gate 1, linear between. */
  similarityFloor: z.number().min(-1).max(1).default(0.15),
  similarityCeiling: z.number().min(-1).max(1).default(0.6),
  /** An expert counts as routed when its gate reaches this. */
  threshold: weight.default(0.5),
  /**
   * Gates are rounded to this step before blending, so that utterances share a few scale vectors
   * (and their cached contexts) instead of each building its own. 0 keeps them exact.
   */
  gateStep: z.number().min(0).max(1).default(0.25),
});

const GenerationSchema = z.strictObject({
  maxTokens: z.number().int().min(1).max(4096).default(55),
  temperature: z.number().min(0).max(2).default(0.7),
  topP: z.number().min(0).max(1).default(0.9),
  /** Fixed seed for reproducible replies; omit for a random one per turn. */
  seed: z.number().int().min(0).optional(),
  stop: z.array(z.string().min(1)).default(["\nUser:", "\nuser:", "\n\n"]),
  /** Removed from every reply and from the stream, case-insensitively. */
  forbiddenPhrases: z.array(z.string().min(1)).default([]),
  /** Gestures allowed in JSON mode. */
  gestures: z.array(z.string().min(1)).min(1).default(["none", "nod", "wave", "point", "thumbs_up", "shrug"]),
  /** Turns of a session's history kept in the prompt. */
  historyTurns: z.number().int().min(0).max(20).default(3),
});

const GroundingSchema = z.strictObject({
  topK: z.number().int().min(0).max(20).default(3),
  /** Episodes scoring below this are not put into the prompt. */
  minScore: z.number().min(0).max(1).default(0.2),
  timeoutMs: z.number().int().min(1).default(1500),
});

const RuntimeSchema = z.strictObject({
  gpu: z.union([z.enum(["auto", "cuda", "vulkan", "metal"]), z.literal(false)]).default("auto"),
  /** "max", "auto" or a layer count; on a Jetson "max" puts every layer on the GPU. */
  gpuLayers: z.union([z.enum(["max", "auto"]), z.number().int().min(0)]).default("auto"),
  contextSize: z.number().int().min(128).max(131072).default(2048),
  /** 0 lets llama.cpp choose. */
  threads: z.number().int().min(0).max(256).default(0),
  /** Contexts kept, one per adapter-scale vector (each holds a KV cache). */
  contextCacheSize: z.number().int().min(1).max(64).default(4),
  /** Scales are rounded to this step, so nearby weights share a cached context. */
  scaleStep: z.number().positive().max(1).default(0.05),
  /**
   * Merge the active adapters of a scale vector into one adapter of the summed rank (exactly the
   * same sum): on a GPU each stacked adapter costs about as much as the next, so 3 merged run
   * ~1.8x faster than 3 stacked (docs/gpu.md). Costs a merge (file write) per new scale vector.
   */
  mergeAdapters: z.boolean().default(false),
  /** Merged adapters stay loaded in llama.cpp until the model closes: at most this many are made. */
  maxMergedAdapters: z.number().int().min(1).max(256).default(8),
});

export const PersonaSpecSchema = z.strictObject({
  name: z.string().min(1),
  /** Who the assistant is, first sentence of the system prompt. */
  identity: z.string().min(1),
  /** A name in the model registry or a path; "" or omitted runs model-free (replies from memory). */
  baseModel: z.string().default(""),
  /** Weight-to-scale mapping of the dimensions: linear (scale = w * gain) or centred (scale = (2w - 1) * gain). */
  mapping: mapping.default("centred"),
  /** The experts' mapping; linear by default, since "the opposite of medical" means nothing. */
  expertMapping: mapping.default("linear"),
  gain: z.number().positive().max(4).default(1),
  /** Adapters whose |scale| is below this are not applied (each one costs inference time). */
  activationThreshold: z.number().min(0).max(4).default(0.1),
  maxActiveAdapters: z.number().int().min(0).max(16).default(3),
  dimensions: z.strictObject(Object.fromEntries(DIMENSION_NAMES.map((n) => [n, DimensionSchema])) as Record<DimensionName, typeof DimensionSchema>),
  experts: z.strictObject(Object.fromEntries(EXPERT_NAMES.map((n) => [n, ExpertSchema])) as Record<ExpertName, typeof ExpertSchema>),
  routing: RoutingSchema.default(RoutingSchema.parse({})),
  generation: GenerationSchema.default(GenerationSchema.parse({})),
  grounding: GroundingSchema.default(GroundingSchema.parse({})),
  runtime: RuntimeSchema.default(RuntimeSchema.parse({})),
  /** A panel of perspectives for Chat with perspectives > 0 (see panel/PanelSpec.ts); optional. */
  panel: PanelSpecSchema.optional(),
});

export type PersonaSpec = z.infer<typeof PersonaSpecSchema>;
export type DimensionSpec = z.infer<typeof DimensionSchema>;
export type ExpertSpec = z.infer<typeof ExpertSchema>;
export type RoutingSpec = z.infer<typeof RoutingSchema>;
export type GenerationSpec = z.infer<typeof GenerationSchema>;
export type RuntimeSpec = z.infer<typeof RuntimeSchema>;

export class PersonaSpecError extends Error {
  constructor(
    readonly source: string,
    readonly issues: readonly string[],
  ) {
    super(`persona spec ${source} is invalid:\n  - ${issues.join("\n  - ")}\nFix these fields (see configs/personas/teaching_assistant.yaml for a complete example).`);
    this.name = "PersonaSpecError";
  }
}

/** Validates an already-parsed object. */
export function parsePersonaSpec(data: unknown, source = "<inline>"): PersonaSpec {
  const result = PersonaSpecSchema.safeParse(data);
  if (!result.success) {
    throw new PersonaSpecError(
      source,
      result.error.issues.map((issue) => `${issue.path.length ? issue.path.join(".") : "(root)"}: ${issue.message}`),
    );
  }
  const spec = result.data;
  if (spec.routing.similarityCeiling <= spec.routing.similarityFloor) {
    throw new PersonaSpecError(source, ["routing.similarityCeiling: must be greater than routing.similarityFloor"]);
  }
  return spec;
}

/** Reads and validates a persona YAML file. */
export function loadPersonaSpec(filePath: string): PersonaSpec {
  let text: string;
  try {
    text = readFileSync(filePath, "utf8");
  } catch (error) {
    throw new PersonaSpecError(filePath, [`cannot read the file (${(error as Error).message}); check the persona parameter`]);
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (error) {
    throw new PersonaSpecError(filePath, [`not valid YAML: ${(error as Error).message}`]);
  }
  return parsePersonaSpec(data, filePath);
}
