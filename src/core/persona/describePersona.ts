/**
 * The persona in words, for the system prompt: a base model without adapters still shifts tone
 * when told to, and a model with adapters gets the same direction twice.
 */
import { DIMENSION_NAMES, EXPERT_NAMES, type PersonaSpec } from "./PersonaSpec.js";
import type { PersonaWeights } from "./types.js";

/** Weights in the middle third say nothing: the model's own default tone is the neutral point. */
function dimensionPhrase(weight: number, high: string, low: string): string | undefined {
  if (weight >= 0.85) return `very ${high}`;
  if (weight >= 0.62) return high;
  if (weight <= 0.15) return `very ${low}`;
  if (weight <= 0.38) return low;
  return undefined;
}

export function describePersona(spec: PersonaSpec, weights: PersonaWeights): string {
  const traits = DIMENSION_NAMES.map((n) => dimensionPhrase(weights.dimensions[n], spec.dimensions[n].high, spec.dimensions[n].low)).filter(
    (t): t is string => t !== undefined,
  );
  const expertise = EXPERT_NAMES.filter((n) => weights.experts[n] >= 0.5)
    .sort((a, b) => weights.experts[b] - weights.experts[a])
    .map((n) => spec.experts[n].describe);
  const parts = [spec.identity.trim()];
  if (traits.length > 0) parts.push(`Your manner is ${joinList(traits)}.`);
  if (expertise.length > 0) parts.push(`Draw on ${joinList(expertise)}.`);
  return parts.join(" ");
}

function joinList(items: readonly string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

/**
 * Without a model the persona still shows, honestly, in a fixed opener and closer chosen from the
 * strongest dimensions (the memory content itself is never paraphrased).
 */
export function personaFlourish(weights: PersonaWeights): { opener: string; closer: string } {
  const d = weights.dimensions;
  let opener = "";
  if (d.formal >= 0.62) opener = "Certainly.";
  else if (d.playful >= 0.62) opener = "Ooh, good question!";
  else if (d.warmth >= 0.62) opener = "Happy to help!";
  else if (d.warmth <= 0.38) opener = "";
  const closer = d.encouragement >= 0.62 ? (d.formal >= 0.62 ? "Please keep up the good work." : "You're doing great, keep going!") : "";
  return { opener, closer };
}
