/**
 * Picks the panel members a problem concerns: members whose trigger keywords it contains come
 * first (more hits first, then nearer by embedding); when fewer than asked match, the nearest
 * remaining members by embedding similarity (to their focus and example problems) fill the panel.
 * Pure and synchronous, so routing alone (~/classify) costs well under a millisecond.
 */
import { hashedBagOfWords, type EmbedSync } from "../ExpertRouter.js";
import { compileKeywords, dot, matchKeywords, normalise, toUtterance, type KeywordMatcher } from "../keywordMatcher.js";
import type { PanelMember, PanelSpec } from "./PanelSpec.js";

export interface PanelChoice {
  readonly member: PanelMember;
  /** In [0, 1]: 0.5 and above for a keyword match (more hits, higher), below 0.5 by similarity alone. */
  readonly score: number;
  readonly matchedBy: "keywords" | "embedding";
  readonly keywords: readonly string[];
  /** Cosine similarity of the problem to the member's nearest prototype (or its focus). */
  readonly similarity: number;
}

interface CompiledMember {
  readonly member: PanelMember;
  readonly keywords: KeywordMatcher;
  readonly prototypes: readonly Float32Array[];
}

/** Keyword hits beyond this add nothing to the score. */
const SATURATING_HITS = 3;

export class PanelRouter {
  private readonly members: CompiledMember[];

  constructor(
    readonly panel: PanelSpec,
    private readonly embed: EmbedSync = hashedBagOfWords(),
  ) {
    this.members = panel.members.map((member) => ({
      member,
      keywords: compileKeywords(member.keywords),
      prototypes: [member.focus, ...member.prototypes].map((p) => normalise(this.embed(p))),
    }));
  }

  /** All members, best first; take the first N. */
  rank(problem: string): PanelChoice[] {
    const said = toUtterance(problem);
    const query = normalise(this.embed(problem));
    const scored = this.members.map(({ member, keywords, prototypes }) => {
      const hits = matchKeywords(keywords, said);
      let similarity = -1;
      for (const p of prototypes) similarity = Math.max(similarity, dot(query, p));
      return { member, hits, similarity };
    });
    scored.sort((a, b) => b.hits.length - a.hits.length || b.similarity - a.similarity || a.member.name.localeCompare(b.member.name));
    return scored.map(({ member, hits, similarity }) => ({
      member,
      score: hits.length > 0 ? 0.5 + (0.5 * Math.min(hits.length, SATURATING_HITS)) / SATURATING_HITS : 0.5 * Math.max(0, similarity),
      matchedBy: hits.length > 0 ? "keywords" : "embedding",
      keywords: hits,
      similarity,
    }));
  }

  /** The N best members (N = 0: the panel's default count), at most the panel's size. */
  choose(problem: string, perspectives: number): PanelChoice[] {
    const n = perspectives > 0 ? perspectives : this.panel.defaultPerspectives;
    return this.rank(problem).slice(0, Math.min(n, this.members.length));
  }
}
