/**
 * Weights plus this turn's routing become LoRA adapter scales: a linear task-arithmetic merge that
 * llama.cpp does at run time (W' = W + sum_i scale_i * B_i A_i * alpha_i / r_i).
 */
import { EXPERT_NAMES, type ExpertName, type PersonaSpec } from "./PersonaSpec.js";
import { PERSONA_SLOTS, slotSpec, slotWeight, weightsFrom } from "./personaSlots.js";
import type { AdapterFiles } from "./resolveAdapterFiles.js";
import type { AdapterMix, AdapterScale, PersonaBlend, PersonaWeights, RoutingDecision } from "./types.js";

export function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}

/** linear: 0 means "not at all"; centred: 0.5 is neutral and 0 pushes towards the opposite pole. */
export function weightToScale(weight: number, mapping: "linear" | "centred", gain: number): number {
  return (mapping === "centred" ? 2 * weight - 1 : weight) * gain;
}

/** The spec's weights, as the operator's starting point. */
export function specWeights(spec: PersonaSpec): PersonaWeights {
  return weightsFrom((_key, slot) => slotSpec(spec, slot).weight);
}

/** Expert weights after routing: (1 - strength) * weight + strength * gate, so a gate raises or lowers. */
export function applyRouting(spec: PersonaSpec, weights: PersonaWeights, routing: RoutingDecision | undefined): PersonaWeights {
  if (!routing || !spec.routing.enabled) return weights;
  const s = spec.routing.strength;
  const step = spec.routing.gateStep;
  const gate = (g: number) => (step > 0 ? Math.round(g / step) * step : g);
  const experts = Object.fromEntries(
    EXPERT_NAMES.map((n: ExpertName) => [n, clamp01((1 - s) * weights.experts[n] + s * gate(routing.gates[n]))]),
  ) as PersonaWeights["experts"];
  return { dimensions: weights.dimensions, experts };
}

export interface BlendOptions {
  /** Resolved adapter file per "persona.<dim>" / "expertise.<expert>"; missing entries have no adapter. */
  readonly adapterFiles: AdapterFiles;
}

function round(value: number, step: number): number {
  return Math.round(value / step) * step;
}

/**
 * Chooses the adapters for one turn: scale from the mapping and gain, rounded to the spec's scale
 * step (so nearby weights share a cached context), dropped below the activation threshold, and at
 * most maxActiveAdapters of them, largest |scale| first, since each one costs inference time.
 */
export function blendPersona(
  spec: PersonaSpec,
  weights: PersonaWeights,
  routing: RoutingDecision | undefined,
  options: BlendOptions,
): PersonaBlend {
  const effective = applyRouting(spec, weights, routing);
  const step = spec.runtime.scaleStep;
  const candidates: AdapterScale[] = [];
  for (const slot of PERSONA_SLOTS) {
    const filePath = options.adapterFiles[slot.key];
    if (!filePath) continue;
    const mapping = slot.group === "dimensions" ? spec.mapping : spec.expertMapping;
    const scale = round(weightToScale(slotWeight(effective, slot), mapping, slotSpec(spec, slot).gain ?? spec.gain), step);
    candidates.push({ name: slot.key, filePath, scale });
  }
  const active = candidates
    .filter((a) => Math.abs(a.scale) >= spec.activationThreshold && a.scale !== 0)
    .sort((a, b) => Math.abs(b.scale) - Math.abs(a.scale) || a.name.localeCompare(b.name))
    .slice(0, spec.maxActiveAdapters);
  return { effective, ...adapterMix(active) };
}

/** The mix of these adapters: name order, scales to 6 decimals, zero scales dropped, and its key. */
export function adapterMix(adapters: Iterable<AdapterScale>): AdapterMix {
  const sorted = [...adapters]
    .filter((a) => a.scale !== 0)
    .map((a) => ({ name: a.name, filePath: a.filePath, scale: Number(a.scale.toFixed(6)) }))
    .sort((a, b) => a.name.localeCompare(b.name));
  return { adapters: sorted, key: scaleKey(sorted) };
}

/** The base model alone. */
export const NO_ADAPTERS: AdapterMix = { adapters: [], key: "" };

/** A stable key of a scale vector: the same adapters at the same scales give the same key. */
export function scaleKey(adapters: readonly AdapterScale[]): string {
  return adapters.map((a) => `${a.filePath}@${a.scale.toFixed(4)}`).join("|");
}
