/**
 * Answers the unknown role of a partial cue from the best-matching episodes:
 * 1. an episode "matches" when every cue role's filler is recoverable from its vector
 *    (sim(episode, ROLE_r xor filler_r) well above the 0.5 of unrelated vectors);
 * 2. for each match, ROLE_ask is unbound from the episode vector and cleaned up against the
 *    item memory of that role;
 * 3. the matches vote; confidence = vote share x cleanup margin x cue match strength, and the memory
 *    abstains below its threshold.
 * The thresholds come from the statistics of majority bundles: a component of a bundle of ~7 items
 * agrees with it on ~65% of bits, unrelated vectors on 50% +- 0.5% at D = 10,240.
 */
import { unbind } from "../hdc/bind.js";
import type { EpisodeEncoder } from "./EpisodeEncoder.js";
import type { EpisodeIndex, ScoredIndex } from "./EpisodeIndex.js";
import type { Hypervector } from "../hdc/hypervector.js";
import type { Role } from "./types.js";

/** A role is present in an episode when its pair is at least this similar (0.5 = unrelated). */
export const ROLE_MATCH_SIMILARITY = 0.56;
/** Cleanup margin (best - runner-up similarity) that counts as fully certain. */
const FULL_MARGIN = 0.06;

export interface CueAnswer {
  readonly answer: string;
  readonly confidence: number;
  /** Indices (into the index) of the episodes that matched the cue, best first. */
  readonly matched: readonly number[];
  readonly votes: ReadonlyMap<string, number>;
  readonly explanation: string;
}

export function cueMatchStrength(
  encoder: EpisodeEncoder,
  index: EpisodeIndex,
  i: number,
  probes: readonly Hypervector[],
): number {
  let weakest = 1;
  const vector = index.episodeVector(i);
  for (const p of probes) weakest = Math.min(weakest, encoder.roleSimilarity(vector, 0, p));
  return weakest;
}

export function answerCue(
  encoder: EpisodeEncoder,
  index: EpisodeIndex,
  ranked: readonly ScoredIndex[],
  probes: readonly Hypervector[],
  askRole: Role | undefined,
): CueAnswer {
  const matched: number[] = [];
  let bestStrength = 0;
  for (const { index: i } of ranked) {
    const strength = cueMatchStrength(encoder, index, i, probes);
    if (strength >= ROLE_MATCH_SIMILARITY) {
      matched.push(i);
      bestStrength = Math.max(bestStrength, strength);
    }
  }
  const cueConfidence = clamp01((bestStrength - 0.53) / 0.07);
  if (matched.length === 0) {
    return { answer: "", confidence: 0, matched, votes: new Map(), explanation: "no stored episode matches the cue" };
  }
  if (askRole === undefined) {
    return { answer: "", confidence: cueConfidence, matched, votes: new Map(), explanation: `${matched.length} episode(s) match the cue` };
  }
  const memory = encoder.itemMemory(askRole);
  const key = encoder.roleKey(askRole);
  const votes = new Map<string, number>();
  const margins = new Map<string, number>();
  for (const i of matched) {
    const noisy = unbind(index.episodeVector(i), key);
    const clean = memory.cleanup(noisy);
    // Below the match level the episode has no filler for this role (e.g. a fact without a location).
    if (clean === undefined || clean.similarity < ROLE_MATCH_SIMILARITY) continue;
    votes.set(clean.symbol, (votes.get(clean.symbol) ?? 0) + 1);
    margins.set(clean.symbol, Math.max(margins.get(clean.symbol) ?? 0, clean.similarity - clean.runnerUpSimilarity));
  }
  let answer = "";
  let top = 0;
  let total = 0;
  for (const [symbol, n] of votes) {
    total += n;
    if (n > top || (n === top && symbol < answer)) {
      answer = symbol;
      top = n;
    }
  }
  if (total === 0) {
    return { answer: "", confidence: 0, matched, votes, explanation: `the matching episodes have no ${askRole}` };
  }
  const confidence = (top / total) * clamp01((margins.get(answer) ?? 0) / FULL_MARGIN) * cueConfidence;
  const tally = [...votes].sort((a, b) => b[1] - a[1]).map(([s, n]) => `${s} (${n})`).join(", ");
  return { answer, confidence, matched, votes, explanation: `${askRole} from ${total} matching episode(s): ${tally}` };
}

function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}
