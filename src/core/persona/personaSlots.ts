/**
 * The one table of what a persona mixes: each personality dimension and each domain expert is a
 * slot with one key ("persona.warmth", "expertise.coding"). That key names the node's parameter,
 * the adapter (in a blend, a bake recipe and ~/persona_state), the adapter file in an adapter_dir
 * (<key>.gguf) and the Chat response's persona_names, so it is spelled here and nowhere else.
 */
import { DIMENSION_NAMES, EXPERT_NAMES, type DimensionName, type ExpertName, type PersonaSpec } from "./PersonaSpec.js";
import type { PersonaWeights } from "./types.js";

export type PersonaSlot =
  | { readonly key: string; readonly group: "dimensions"; readonly name: DimensionName }
  | { readonly key: string; readonly group: "experts"; readonly name: ExpertName };

export const PERSONA_SLOTS: readonly PersonaSlot[] = [
  ...DIMENSION_NAMES.map((name): PersonaSlot => ({ key: `persona.${name}`, group: "dimensions", name })),
  ...EXPERT_NAMES.map((name): PersonaSlot => ({ key: `expertise.${name}`, group: "experts", name })),
];

const SLOT_KEYS = new Set(PERSONA_SLOTS.map((s) => s.key));

/** Whether a parameter (or adapter) name is one of the slots' keys. */
export function isSlotKey(name: string): boolean {
  return SLOT_KEYS.has(name);
}

/** A slot's weight in a set of weights. */
export function slotWeight(weights: PersonaWeights, slot: PersonaSlot): number {
  return slot.group === "dimensions" ? weights.dimensions[slot.name] : weights.experts[slot.name];
}

/** A slot's entry in the persona spec (weight, adapter reference, gain). */
export function slotSpec(spec: PersonaSpec, slot: PersonaSlot): { readonly weight: number; readonly adapter?: string | undefined; readonly gain?: number | undefined } {
  return slot.group === "dimensions" ? spec.dimensions[slot.name] : spec.experts[slot.name];
}

/** Weights read slot by slot ("persona.warmth" -> its value). */
export function weightsFrom(read: (key: string, slot: PersonaSlot) => number): PersonaWeights {
  const dimensions: Record<string, number> = {};
  const experts: Record<string, number> = {};
  for (const slot of PERSONA_SLOTS) (slot.group === "dimensions" ? dimensions : experts)[slot.name] = read(slot.key, slot);
  return { dimensions, experts } as unknown as PersonaWeights;
}

/** Weights as flat slot keys ("persona.warmth" -> 0.9), in table order. */
export function flatWeights(weights: PersonaWeights): Record<string, number> {
  return Object.fromEntries(PERSONA_SLOTS.map((s) => [s.key, slotWeight(weights, s)]));
}
