import type { DimensionName, ExpertName } from "./PersonaSpec.js";

/** The operator-set personality: each weight in [0, 1]. */
export interface PersonaWeights {
  readonly dimensions: Readonly<Record<DimensionName, number>>;
  readonly experts: Readonly<Record<ExpertName, number>>;
}

/** One LoRA adapter with the llama.cpp scale a context applies it with. */
export interface AdapterScale {
  /** "persona.warmth" or "expertise.coding". */
  readonly name: string;
  readonly filePath: string;
  readonly scale: number;
}

/** The router's decision for one utterance. */
export interface RoutingDecision {
  /** Gate in [0, 1] per expert. */
  readonly gates: Readonly<Record<ExpertName, number>>;
  /** Experts whose gate reached the threshold, strongest first. */
  readonly routed: readonly ExpertName[];
  /** Why each expert's gate is what it is (keyword hits, similarity), for logs and tests. */
  readonly evidence: Readonly<Record<ExpertName, { readonly keywords: readonly string[]; readonly similarity: number }>>;
}

/** Weights plus routing turned into what one turn applies. */
export interface PersonaBlend {
  /** Weights after routing (dimensions unchanged, experts gated). */
  readonly effective: PersonaWeights;
  /** Adapters applied, sorted by name; empty when none passes the threshold. */
  readonly adapters: readonly AdapterScale[];
  /** Cache key of the scale vector ("" for no adapters). */
  readonly key: string;
}
