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

/**
 * A mix of scales: the adapters one context applies, in name order, and its key. The one value
 * that flows from the parameters (through blendPersona) to the engine, to a bake and to the bake
 * matcher; build it with adapterMix() so the key always agrees with the adapters.
 */
export interface AdapterMix {
  /** Sorted by name; empty for the base model alone. */
  readonly adapters: readonly AdapterScale[];
  /** Identifies the scale vector (files and scales): the context cache's key; "" for no adapters. */
  readonly key: string;
}

/** Weights plus routing turned into what one turn applies. */
export interface PersonaBlend extends AdapterMix {
  /** Weights after routing (dimensions unchanged, experts gated). */
  readonly effective: PersonaWeights;
}
