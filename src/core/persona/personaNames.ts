/** The personality dimensions and domain experts every persona spec names (one adapter each). */
export const DIMENSION_NAMES = ["warmth", "playful", "formal", "encouragement"] as const;
export const EXPERT_NAMES = ["medical", "coding", "teaching", "quantum"] as const;
export type DimensionName = (typeof DIMENSION_NAMES)[number];
export type ExpertName = (typeof EXPERT_NAMES)[number];
