/**
 * What a power mode changes in one turn. reduce: a shorter reply (power.reduced_max_tokens), no
 * expert routing, and fewer adapters: the strongest power.reduced_max_adapters of the blend, or the
 * whole blend when a baked model matches it (a bake runs at the base model's speed, so cutting
 * adapters would only lose persona). pause: model-free, nothing generated.
 */
import type { AdapterScale } from "../persona/types.js";
import type { PowerMode } from "./types.js";

/**
 * The bake hook: given the adapters a turn would apply, the baked model that computes the same
 * blend (its name or path), or undefined. The bake feature installs one; without it there is none.
 */
export type { BakedModelMatcher } from "../persona/bake/BakeCatalog.js";
import type { BakedModelMatcher } from "../persona/bake/BakeCatalog.js";

export interface ReducedLimits {
  /** Token limit of a reply in reduce mode (never raises the turn's own). Default 24. */
  readonly maxTokens: number;
  /** Runtime adapters kept in reduce mode when no bake matches. Default 1. */
  readonly maxAdapters: number;
}
export const DEFAULT_REDUCED_LIMITS: ReducedLimits = { maxTokens: 24, maxAdapters: 1 };

export interface TurnBudget {
  readonly maxTokens: number;
  readonly routing: boolean;
  /** Most runtime adapters; undefined: the persona's own limit. */
  readonly maxAdapters?: number;
  readonly modelFree: boolean;
}

export function turnBudget(mode: PowerMode, turn: { readonly maxTokens: number; readonly routing: boolean }, reduced: ReducedLimits = DEFAULT_REDUCED_LIMITS): TurnBudget {
  switch (mode) {
    case "full":
      return { maxTokens: turn.maxTokens, routing: turn.routing, modelFree: false };
    case "reduce":
      return { maxTokens: Math.min(turn.maxTokens, reduced.maxTokens), routing: false, maxAdapters: reduced.maxAdapters, modelFree: false };
    case "pause":
      return { maxTokens: Math.min(turn.maxTokens, reduced.maxTokens), routing: false, maxAdapters: 0, modelFree: true };
  }
}

/**
 * The adapters a turn applies under a limit: all of them when a bake matches the blend (reported,
 * so the turn can say so), else the strongest |scale| first, kept in name order.
 */
export function limitAdapters(adapters: readonly AdapterScale[], maxAdapters: number | undefined, bakedModel?: BakedModelMatcher): { adapters: readonly AdapterScale[]; bake?: string } {
  if (maxAdapters === undefined || adapters.length <= maxAdapters) return { adapters };
  const bake = bakedModel?.(adapters);
  if (bake !== undefined) return { adapters, bake };
  const kept = [...adapters]
    .sort((a, b) => Math.abs(b.scale) - Math.abs(a.scale) || a.name.localeCompare(b.name))
    .slice(0, Math.max(0, maxAdapters))
    .sort((a, b) => a.name.localeCompare(b.name));
  return { adapters: kept };
}
