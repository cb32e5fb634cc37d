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

/** Any synchronous text encoder; vectors need not be normalised. */
export type EmbedSync = (text: string) => Float32Array;

const STOP_WORDS = new Set(
  "a an and are as at be but by can do does for from has have how i if in is it its me my of on or so that the this to was what when where which who why will with you your".split(" "),
);

export function words(text: string): string[] {
  return text.toLowerCase().match(/[a-z0-9]+(?:'[a-z]+)?/g) ?? [];
}

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

function normalise(v: Float32Array): Float32Array {
  let n = 0;
  for (let i = 0; i < v.length; i++) n += v[i]! * v[i]!;
  n = Math.sqrt(n);
  if (n > 0) for (let i = 0; i < v.length; i++) v[i]! /= n;
  return v;
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) s += a[i]! * b[i]!;
  return s;
}

interface CompiledExpert {
  readonly name: ExpertName;
  /** Single words (exact, or prefix when written "stem*"). */
  readonly exact: ReadonlySet<string>;
  readonly prefixes: readonly string[];
  /** Multi-word phrases, matched on the normalised text. */
  readonly phrases: readonly string[];
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
      const exact = new Set<string>();
      const prefixes: string[] = [];
      const phrases: string[] = [];
      for (const raw of e.keywords) {
        const k = raw.toLowerCase().trim();
        if (k.endsWith("*")) prefixes.push(k.slice(0, -1));
        else if (/\s/.test(k)) phrases.push(` ${words(k).join(" ")} `);
        else exact.add(k);
      }
      return { name, exact, prefixes, phrases, prototypes: e.prototypes.map((p) => normalise(this.embed(p))) };
    });
  }

  route(utterance: string): RoutingDecision {
    const r = this.spec.routing;
    const tokens = words(utterance);
    const joined = ` ${tokens.join(" ")} `;
    const query = normalise(this.embed(utterance));
    const gates = {} as Record<ExpertName, number>;
    const evidence = {} as Record<ExpertName, { keywords: string[]; similarity: number }>;
    for (const expert of this.experts) {
      const hits = new Set<string>();
      for (const t of tokens) {
        if (expert.exact.has(t)) hits.add(t);
        else for (const p of expert.prefixes) if (t.startsWith(p)) hits.add(t);
      }
      for (const phrase of expert.phrases) if (joined.includes(phrase)) hits.add(phrase.trim());
      const keywordGate = hits.size === 0 ? 0 : hits.size === 1 ? r.keywordGate : 1;
      let similarity = 0;
      for (const p of expert.prototypes) similarity = Math.max(similarity, dot(query, p));
      const similarityGate = clamp01((similarity - r.similarityFloor) / (r.similarityCeiling - r.similarityFloor));
      gates[expert.name] = Math.max(keywordGate, similarityGate);
      evidence[expert.name] = { keywords: [...hits], similarity };
    }
    const routed = EXPERT_NAMES.filter((n) => gates[n] >= r.threshold).sort((a, b) => gates[b] - gates[a]);
    return { gates, routed, evidence };
  }
}
