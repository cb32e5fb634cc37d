/**
 * The persona a dialogue node runs with when its persona file cannot be used: neutral weights, no
 * adapters, no model. The node then still answers from memory (model-free) and reports the reason at
 * ERROR, instead of taking the assistant's other nodes down with it.
 */
import { DIMENSION_NAMES, EXPERT_NAMES, parsePersonaSpec, type PersonaSpec } from "../persona/PersonaSpec.js";

const POLES: Record<(typeof DIMENSION_NAMES)[number], { high: string; low: string }> = {
  warmth: { high: "warm", low: "reserved" },
  playful: { high: "playful", low: "serious" },
  formal: { high: "formal", low: "casual" },
  encouragement: { high: "encouraging", low: "neutral" },
};

export function fallbackPersona(): PersonaSpec {
  return parsePersonaSpec(
    {
      name: "fallback",
      identity: "You are a helpful robot assistant.",
      dimensions: Object.fromEntries(DIMENSION_NAMES.map((n) => [n, { weight: 0.5, ...POLES[n] }])),
      experts: Object.fromEntries(EXPERT_NAMES.map((n) => [n, { weight: 0, describe: `knowledgeable about ${n}` }])),
    },
    "<built-in fallback persona>",
  );
}
