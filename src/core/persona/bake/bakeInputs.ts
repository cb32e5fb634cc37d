/**
 * Where a bake's mix comes from: a persona spec's weights, a ROS params file's `persona.*` /
 * `expertise.*` values, or a PersonaState message (what the running node publishes on
 * ~/persona_state, e.g. saved with `ros2 topic echo --once /dialogue/persona_state > state.yaml`).
 * Weights become adapters through the same blend the dialogue node runs (no routing), so a linear
 * bake of them is what the node computes at run time.
 */
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { blendPersona, specWeights } from "../blendPersona.js";
import { DIMENSION_NAMES, EXPERT_NAMES, type PersonaSpec } from "../PersonaSpec.js";
import type { PersonaWeights } from "../types.js";
import type { BakeAdapter } from "./types.js";

/** Flattens nested YAML maps into dotted keys ({persona: {warmth: 1}} -> persona.warmth). */
function flatten(value: unknown, prefix = "", out: Record<string, unknown> = {}): Record<string, unknown> {
  if (value && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else out[prefix] = value;
  return out;
}

/** The dialogue node's parameters in a ROS params file ("/**\/dialogue", "/dialogue" or "dialogue"). */
export function dialogueParameters(paramsFile: string): Record<string, unknown> {
  const doc = parseYaml(readFileSync(paramsFile, "utf8")) as Record<string, { ros__parameters?: unknown }> | null;
  const key = Object.keys(doc ?? {}).find((k) => /(^|\/)dialogue$/.test(k));
  if (!key || !doc?.[key]?.ros__parameters) throw new Error(`${paramsFile} has no dialogue node section (/**/dialogue: ros__parameters: ...)`);
  return flatten(doc[key]!.ros__parameters);
}

/** Weights with overrides from flat "persona.<dim>" / "expertise.<expert>" values in [0, 1]. */
export function weightsWith(base: PersonaWeights, values: Readonly<Record<string, unknown>>): PersonaWeights {
  const pick = (name: string, fallback: number) => {
    const v = values[name];
    if (v === undefined) return fallback;
    if (typeof v !== "number" || !(v >= 0 && v <= 1)) throw new Error(`${name} must be a number in [0, 1], got ${String(v)}`);
    return v;
  };
  return {
    dimensions: Object.fromEntries(DIMENSION_NAMES.map((n) => [n, pick(`persona.${n}`, base.dimensions[n])])) as PersonaWeights["dimensions"],
    experts: Object.fromEntries(EXPERT_NAMES.map((n) => [n, pick(`expertise.${n}`, base.experts[n])])) as PersonaWeights["experts"],
  };
}

export function flatWeights(w: PersonaWeights): Record<string, number> {
  return {
    ...Object.fromEntries(DIMENSION_NAMES.map((n) => [`persona.${n}`, w.dimensions[n]])),
    ...Object.fromEntries(EXPERT_NAMES.map((n) => [`expertise.${n}`, w.experts[n]])),
  };
}

export interface BakeMix {
  readonly adapters: BakeAdapter[];
  readonly weights?: Record<string, number>;
}

/** The adapters (and scales) the node would apply for these weights, without routing. */
export function mixFromWeights(spec: PersonaSpec, weights: PersonaWeights, adapterFiles: Readonly<Record<string, string | undefined>>): BakeMix {
  const blend = blendPersona(spec, weights, undefined, { adapterFiles });
  return { adapters: blend.adapters.map((a) => ({ name: a.name, filePath: a.filePath, scale: a.scale })), weights: flatWeights(weights) };
}

/** The mix of a PersonaState message: its active adapters at their scales. */
export function mixFromState(stateFile: string, adapterFiles: Readonly<Record<string, string | undefined>>): BakeMix {
  const state = parseYaml(readFileSync(stateFile, "utf8")) as { active_adapters?: string[]; adapter_scales?: number[]; dimension_names?: string[]; dimension_weights?: number[]; expert_names?: string[]; expert_weights?: number[] } | null;
  const names = state?.active_adapters ?? [];
  const scales = state?.adapter_scales ?? [];
  if (names.length !== scales.length) throw new Error(`${stateFile}: active_adapters and adapter_scales differ in length`);
  const adapters = names.map((name, i) => {
    const filePath = adapterFiles[name];
    if (!filePath) throw new Error(`${stateFile}: adapter ${name} has no file here (check configs/models.yaml or --adapter-dir)`);
    return { name, filePath, scale: scales[i]! };
  });
  const weights: Record<string, number> = {};
  (state?.dimension_names ?? []).forEach((n, i) => (weights[`persona.${n}`] = state!.dimension_weights![i]!));
  (state?.expert_names ?? []).forEach((n, i) => (weights[`expertise.${n}`] = state!.expert_weights![i]!));
  return { adapters, ...(Object.keys(weights).length ? { weights } : {}) };
}

export { specWeights };
