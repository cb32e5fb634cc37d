/**
 * The router of the mixture of experts: per utterance, keyword hits from the persona spec plus
 * embedding similarity to each expert's prototype utterances give a gate in [0, 1] per domain
 * expert. Pure and synchronous, so it answers in well under a millisecond and can be asked
 * without generating anything.
 */
import { EXPERT_NAMES, type ExpertName, type PersonaSpec } from "./PersonaSpec.js";
import type { RoutingDecision } from "./types.js";
import { clamp01 } from "./blendPersona.js";
import { fnv1a32 } from "../hdc/prng.js";
import { compileKeywords, dot, matchKeywords, normalise, toUtterance, words, type KeywordMatcher } from "./keywordMatcher.js";

/** Any synchronous text encoder; vectors need not be normalised. */
export type EmbedSync = (text: string) => Float32Array;

const STOP_WORDS = new Set(
  "a an and are as at be but by can do does for from has have how i if in is it its me my of on or so that the this to was what when where which who why will with you your".split(" "),
);

/**
 * A hashed bag of words plus character trigrams (so "medicine" and "medical" overlap): no data
 * needed, about a microsecond per word. Good enough to compare short utterances with prototypes.
 */
export function hashedBagOfWords(dimensions = 512): EmbedSync {
  return (text: string) => {
    const v = new Float32Array(dimensions);
    for (const w of words(text)) {
      if (STOP_WORDS.has(w)) continue;
      const h = fnv1a32(w, 17);
      v[h % dimensions]! += h & 0x80000000 ? -1 : 1;
      const padded = `^${w}$`;
      for (let i = 0; i + 3 <= padded.length; i++) {
        const g = fnv1a32(padded.slice(i, i + 3), 91);
        v[g % dimensions]! += g & 0x80000000 ? -0.4 : 0.4;
      }
    }
    return v;
  };
}

interface CompiledExpert {
  readonly name: ExpertName;
  readonly keywords: KeywordMatcher;
  readonly prototypes: readonly Float32Array[];
}

export class ExpertRouter {
  private readonly experts: CompiledExpert[];

  constructor(
    private readonly spec: PersonaSpec,
    private readonly embed: EmbedSync = hashedBagOfWords(),
  ) {
    this.experts = EXPERT_NAMES.map((name) => {
      const e = spec.experts[name];
      return { name, keywords: compileKeywords(e.keywords), prototypes: e.prototypes.map((p) => normalise(this.embed(p))) };
    });
  }

  route(utterance: string): RoutingDecision {
    const r = this.spec.routing;
    const said = toUtterance(utterance);
    const query = normalise(this.embed(utterance));
    const gates = {} as Record<ExpertName, number>;
    const evidence = {} as Record<ExpertName, { keywords: string[]; similarity: number }>;
    for (const expert of this.experts) {
      const hits = matchKeywords(expert.keywords, said);
      const keywordGate = hits.length === 0 ? 0 : hits.length === 1 ? r.keywordGate : 1;
      let similarity = 0;
      for (const p of expert.prototypes) similarity = Math.max(similarity, dot(query, p));
      const similarityGate = clamp01((similarity - r.similarityFloor) / (r.similarityCeiling - r.similarityFloor));
      gates[expert.name] = Math.max(keywordGate, similarityGate);
      evidence[expert.name] = { keywords: hits, similarity };
    }
    const routed = EXPERT_NAMES.filter((n) => gates[n] >= r.threshold).sort((a, b) => gates[b] - gates[a]);
    return { gates, routed, evidence };
  }
}
