/**
 * A panel member's adapter mix: the operator's weights with the member's own overrides, blended
 * like any turn (routing off: choosing the member is this turn's routing), plus the member's own
 * adapter when it has one, which always stays within the persona's adapter limit.
 */
import { blendPersona, scaleKey } from "../blendPersona.js";
import { DIMENSION_NAMES, EXPERT_NAMES, type PersonaSpec } from "../PersonaSpec.js";
import type { AdapterScale, PersonaBlend, PersonaWeights } from "../types.js";
import type { PanelMember } from "./PanelSpec.js";

export function memberWeights(member: PanelMember, operator: PersonaWeights): PersonaWeights {
  return {
    dimensions: Object.fromEntries(DIMENSION_NAMES.map((n) => [n, member.weights.persona[n] ?? operator.dimensions[n]])) as PersonaWeights["dimensions"],
    experts: Object.fromEntries(EXPERT_NAMES.map((n) => [n, member.weights.expertise[n] ?? operator.experts[n]])) as PersonaWeights["experts"],
  };
}

export interface MemberBlendOptions {
  readonly adapterFiles: Readonly<Record<string, string | undefined>>;
  /** The member's own adapter file, when it has one that exists. */
  readonly memberAdapterFile?: string;
}

export function memberBlend(spec: PersonaSpec, member: PanelMember, operator: PersonaWeights, options: MemberBlendOptions): PersonaBlend {
  const blend = blendPersona(spec, memberWeights(member, operator), undefined, { adapterFiles: options.adapterFiles });
  if (!options.memberAdapterFile || member.adapterScale === 0 || spec.maxActiveAdapters === 0) return blend;
  const own: AdapterScale = { name: `panel.${member.name}`, filePath: options.memberAdapterFile, scale: member.adapterScale };
  // The member's own adapter first: it is what makes this member; the weakest persona ones give way.
  const kept = blend.adapters.slice().sort((a, b) => Math.abs(b.scale) - Math.abs(a.scale)).slice(0, Math.max(0, spec.maxActiveAdapters - 1));
  const adapters = [own, ...kept].sort((a, b) => a.name.localeCompare(b.name));
  return { effective: blend.effective, adapters, key: scaleKey(adapters) };
}
