/**
 * A panel of takes (the Hamster seed): a few members, each a perspective with its own identity,
 * adapter mix and trigger keywords. Declared in a persona YAML under `panel:`; Chat with
 * perspectives > 0 asks the members the router picks for a short take each.
 */
import { z } from "zod";
import { DIMENSION_NAMES, EXPERT_NAMES, type DimensionName, type ExpertName } from "../personaNames.js";

/** The Hamster seed's hard limit for a take. */
export const MAX_TAKE_TOKENS = 55;

const weight = z.number().min(0, "weights lie in [0, 1]").max(1, "weights lie in [0, 1]");

const MemberWeightsSchema = z.strictObject({
  persona: z.strictObject(Object.fromEntries(DIMENSION_NAMES.map((n) => [n, weight.optional()])) as Record<DimensionName, z.ZodOptional<typeof weight>>).default({}),
  expertise: z.strictObject(Object.fromEntries(EXPERT_NAMES.map((n) => [n, weight.optional()])) as Record<ExpertName, z.ZodOptional<typeof weight>>).default({}),
});

export const PanelMemberSchema = z.strictObject({
  /** Short id, as takes are tagged on ~/reply_stream and listed in responses. */
  name: z.string().regex(/^[a-z][a-z0-9_]*$/, "a member name is lower-case letters, digits and _"),
  title: z.string().min(1),
  /** The first sentence of this member's system prompt: who speaks and from which framework. */
  identity: z.string().min(1),
  /** What this member looks at, in a phrase; compared with the problem by embedding, and said model-free. */
  focus: z.string().min(1),
  /** Words, stems ("habit*") or phrases that send a problem to this member. */
  keywords: z.array(z.string().min(1)).default([]),
  /** Example problems; the fallback when no keyword matches is the nearest member by embedding. */
  prototypes: z.array(z.string().min(1)).default([]),
  /** This member's mix: weights over the persona's adapters; unnamed ones keep the operator's weight. */
  weights: MemberWeightsSchema.default({ persona: {}, expertise: {} }),
  /** The member's own LoRA adapter (a registry name or a path), e.g. one trained on its framework. */
  adapter: z.string().min(1).optional(),
  adapterScale: z.number().min(-4).max(4).default(1),
});

export const PanelSpecSchema = z.strictObject({
  /** Members asked when a request says perspectives without a count (Classify with 0). */
  defaultPerspectives: z.number().int().min(1).max(16).default(2),
  /** Token limit of one take (never above the seed's 55). */
  maxTakeTokens: z.number().int().min(1).max(MAX_TAKE_TOKENS).default(MAX_TAKE_TOKENS),
  members: z
    .array(PanelMemberSchema)
    .min(1)
    .refine((members) => new Set(members.map((m) => m.name)).size === members.length, "member names must be unique"),
});

export type PanelSpec = z.infer<typeof PanelSpecSchema>;
export type PanelMember = z.infer<typeof PanelMemberSchema>;
