/**
 * Answers questions from the episodic memory: parse (parseQuestion, no model), resolve words to
 * stored roles and people (Lexicon), gather evidence from structure (evidence.ts), then answer by
 * kind from stamps, durations and results. "What happened" questions rank their evidence by hybrid
 * retrieval: reciprocal rank fusion of SQLite FTS5 BM25, the hypervector text search and the
 * structural match, with weights fitted on the question suite (bench/memory.ts --fit-fusion).
 */
import type { EpisodicMemory } from "../EpisodicMemory.js";
import type { Filter } from "../EpisodeIndex.js";
import { humanize } from "../describeOutcome.js";
import type { Episode } from "../types.js";
import { timeToSeconds } from "../../time.js";
import { evidenceRows, personOf, reasonOf } from "./evidence.js";
import { Lexicon, phraseOf, type Resolution } from "./Lexicon.js";
import { tryParseQuestion } from "./parseQuestion.js";
import * as say from "./sentences.js";
import type { AskAnswer, AskQuery, ParsedQuestion } from "./types.js";

export interface FusionWeights {
  /** Weight of the FTS5 BM25 ranking. */
  readonly keyword: number;
  /** Weight of the hypervector (SimHash + embedding re-rank) text ranking. */
  readonly text: number;
  /** Weight of the structural ranking (rows matching the resolved roles, newest first). */
  readonly structure: number;
}

/** Fitted on the question suite (see docs/memory.md): the best "episodes" accuracy of the grid. */
export const DEFAULT_FUSION: FusionWeights = { keyword: 1, text: 0.5, structure: 2 };
/** The constant of reciprocal rank fusion (Cormack et al. 2009). */
const RRF_K = 60;
/** Episodes returned as evidence. */
const EVIDENCE_K = 5;
/** Candidates each ranking contributes to the fusion. */
const FUSION_DEPTH = 50;

export interface AskEngineOptions {
  /** IANA zone that "yesterday" and "at 3 pm" are read in. */
  readonly timeZone: string;
  /** Confidence below which Ask abstains (0..1). */
  readonly threshold: number;
  /** Seconds since the epoch, now. */
  readonly now: () => number;
  readonly fusion?: FusionWeights;
}

export class AskEngine {
  readonly lexicon: Lexicon;
  options: AskEngineOptions;

  constructor(
    private readonly memory: EpisodicMemory,
    options: AskEngineOptions,
    wordVector?: (word: string) => Float32Array | undefined,
  ) {
    this.options = options;
    this.lexicon = new Lexicon(memory.index, wordVector);
  }

  async ask(query: AskQuery): Promise<AskAnswer> {
    const nowS = this.options.now();
    const ctx = { nowS, timeZone: this.options.timeZone };
    const parsed = tryParseQuestion(query.question, nowS, this.options.timeZone);
    if (parsed === undefined) return say.abstention("none", "I cannot place that time");
    const since = Math.max(query.since ?? -Infinity, parsed.window?.since ?? -Infinity);
    const until = Math.min(query.until ?? Infinity, parsed.window?.until ?? Infinity);
    const filter: Filter = { ...(query.robotId ? { robotId: query.robotId } : {}), since, until };
    const windowLabel = parsed.window?.label ?? "";
    const abstain = (why: string, confidence = 0): AskAnswer => say.abstention(parsed.kind, why, confidence);
    if (since > until) return abstain("the times in the question leave no time between them");
    const main = this.readClause(parsed);
    if (main.unknown.length > 0) return abstain(`I remember nothing about ${main.unknown.map((w) => `"${w}"`).join(", ")}`);

    let rows: number[];
    let confidence = main.confidence;
    if (parsed.relation !== undefined) {
      const anchor = this.readClause(parsed.relation.anchor);
      if (anchor.unknown.length > 0) return abstain(`I remember nothing about ${anchor.unknown.map((w) => `"${w}"`).join(", ")}`);
      const anchorRows = this.rows(parsed.relation.anchor, anchor.resolution, anchor.textRows, filter);
      const anchorRow = select(anchorRows, parsed.relation.anchor);
      if (anchorRow === undefined) return abstain("I do not remember the event you mean");
      const neighbour = this.neighbour(anchorRow, parsed.relation.which, parsed, main, filter);
      if (neighbour === undefined) return abstain(`I remember nothing ${parsed.relation.which} that`);
      rows = [neighbour];
      confidence = Math.min(confidence, anchor.confidence);
      // The neighbour is the answer: order within `rows` no longer applies.
      return this.answerFrom({ ...parsed, order: "last", nth: 1 }, rows, [this.memory.index.episode(anchorRow)], confidence, ctx, windowLabel);
    }

    if (parsed.kind === "episodes") return this.rankEpisodes(parsed, main, filter, ctx);
    rows = this.rows(parsed, main.resolution, main.textRows, filter);
    const attempts = () => this.rows({ ...parsed, polarity: "any" }, main.resolution, main.textRows, filter);
    return this.answerFrom(parsed, rows, [], confidence, ctx, windowLabel, attempts);
  }

  /** Resolves a clause's words; unknown words are those no filler, person or description holds. */
  private readClause(clause: ParsedQuestion): { resolution: Resolution; textRows: number[] | undefined; unknown: string[]; confidence: number } {
    const resolution = this.lexicon.resolve(clause.terms);
    const unknown: string[] = [];
    const known: string[] = [];
    for (const term of resolution.textTerms) {
      if (this.memory.searchKeywords([term], 1).length === 0) unknown.push(term);
      else known.push(term);
    }
    let textRows: number[] | undefined;
    if (known.length > 0) {
      textRows = this.memory
        .searchKeywords(known, 100_000, "all")
        .map((h) => this.memory.index.indexOf(h.id))
        .filter((i): i is number => i !== undefined)
        .sort((a, b) => a - b);
    }
    let confidence = resolution.personConfidence;
    for (const m of resolution.roles.values()) confidence = Math.min(confidence, m.confidence);
    return { resolution, textRows, unknown, confidence };
  }

  private rows(clause: ParsedQuestion, resolution: Resolution, textRows: number[] | undefined, filter: Filter): number[] {
    return evidenceRows(this.memory.index, { resolution, peopleRows: (n) => this.lexicon.peopleRows(n), textRows, polarity: clause.polarity, filter });
  }

  /** The episode of the same robot just after (before) the anchor, matching the main clause if it names anything. */
  private neighbour(anchorRow: number, which: "before" | "after", parsed: ParsedQuestion, main: ReturnType<AskEngine["readClause"]>, filter: Filter): number | undefined {
    const index = this.memory.index;
    const anchor = index.episode(anchorRow);
    const t = index.stampOf(anchorRow);
    const constrained = main.resolution.roles.size > 0 || main.resolution.people.length > 0 || main.textRows !== undefined;
    const sameRobot: Filter = {
      robotId: anchor.robot_id,
      ...(which === "after" ? { since: t, until: filter.until } : { since: filter.since, until: t }),
    };
    const candidates = constrained
      ? this.rows(parsed, main.resolution, main.textRows, sameRobot)
      : this.rows({ ...parsed, polarity: "any" }, { roles: new Map(), people: [], personConfidence: 1, textTerms: [] }, undefined, sameRobot);
    const others = candidates.filter((i) => i !== anchorRow);
    return which === "after" ? others.find((i) => index.stampOf(i) >= t) : others.filter((i) => index.stampOf(i) <= t).at(-1);
  }

  private answerFrom(
    parsed: ParsedQuestion,
    rows: number[],
    context: Episode[],
    confidence: number,
    ctx: say.SentenceContext,
    windowLabel: string,
    /** Every attempt whatever its result, for "did you ...?" answered "no, it failed". */
    attempts: () => number[] = () => [],
  ): AskAnswer {
    const index = this.memory.index;
    const base = { kind: parsed.kind, count: 0, yes: false, stamp: 0, durationS: 0, entity: "" };
    const chosen = select(rows, parsed);
    const evidence = (first: number | undefined) => {
      const list = first === undefined ? [] : [first, ...rows.filter((r) => r !== first).reverse()].slice(0, EVIDENCE_K);
      const episodes = [...list.map((i) => index.episode(i)), ...context].slice(0, EVIDENCE_K);
      return { episodes, scores: episodes.map(() => round(confidence)) };
    };
    const threshold = this.options.threshold;
    const finish = (a: Pick<AskAnswer, "answer" | "episodes" | "scores" | "explanation"> & Partial<AskAnswer>): AskAnswer => {
      const abstained = confidence < threshold;
      return {
        ...base,
        ...a,
        confidence: round(confidence),
        abstained,
        answer: abstained ? `I am not sure (confidence ${confidence.toFixed(2)}). ${a.answer}` : a.answer,
      } as AskAnswer;
    };
    const none = (why: string) => say.abstention(parsed.kind, why);

    switch (parsed.kind) {
      case "count":
        return finish({ ...evidence(rows.at(-1)), count: rows.length, answer: say.countSentence(rows.length, "", windowLabel), explanation: `${rows.length} matching episode(s)` });
      case "yes_no": {
        if (chosen !== undefined) {
          const e = index.episode(chosen);
          return finish({ ...evidence(chosen), yes: true, answer: say.yesSentence(e, ctx), explanation: `episode ${e.id} matches` });
        }
        if (parsed.polarity === "succeeded") {
          // Did it happen at all? Then the answer is "no, it failed", citing the attempt.
          const tried = attempts();
          const last = tried.at(-1);
          if (last !== undefined) {
            const e = index.episode(last);
            return finish({ episodes: [e], scores: [round(confidence)], yes: false, answer: say.noButTriedSentence(e, ctx), explanation: `only unsuccessful attempts, last ${e.id}` });
          }
        }
        return finish({ episodes: [], scores: [], yes: false, answer: say.noSentence(windowLabel), explanation: "no matching episode" });
      }
      case "time": {
        if (chosen === undefined) return none("I have no record of that");
        const e = index.episode(chosen);
        return finish({ ...evidence(chosen), stamp: timeToSeconds(e.stamp), answer: say.timeSentence(e, ctx), explanation: `episode ${e.id}` });
      }
      case "duration": {
        if (chosen === undefined) return none("I have no record of that");
        const e = index.episode(chosen);
        const d = index.durationOf(chosen);
        if (d <= 0) return none(`episode ${e.id} has no duration`);
        return finish({ ...evidence(chosen), durationS: d, answer: say.durationSentence(e, d, ctx), explanation: `duration of ${e.id}` });
      }
      case "entity": {
        if (chosen === undefined) return none("I have no record of that");
        const e = index.episode(chosen);
        const wants = parsed.wants ?? "object";
        const entity =
          wants === "place" ? phraseOf(e.location) : wants === "person" ? personOf(e) : wants === "reason" ? reasonOf(e) : wants === "robot" ? e.robot_id : humanize(e.object);
        if (entity === "") {
          // No stored role for it, but the episode's own words may say it ("the mug is on the top
          // shelf"): answer with the episode rather than refuse what the text may well hold.
          if ((wants === "place" || wants === "person") && e.description.trim() !== "") {
            const { episodes, scores } = evidence(chosen);
            return finish({ kind: "episodes", episodes, scores, answer: say.episodesSentence(episodes, ctx), explanation: `no ${wants} role in ${e.id}; its text is the evidence` });
          }
          return none(`episode ${e.id} names no ${wants}`);
        }
        return finish({ ...evidence(chosen), entity, answer: say.entitySentence(wants, entity, e, ctx), explanation: `${wants} of ${e.id}` });
      }
      case "episodes":
      case "none": {
        if (chosen === undefined) return none("I have no record of that");
        const { episodes, scores } = evidence(chosen);
        return finish({ kind: "episodes", episodes, scores, answer: say.episodesSentence(episodes, ctx), explanation: `episode ${episodes[0]!.id}` });
      }
    }
  }

  /** "What happened with X?": reciprocal rank fusion of keyword, hypervector and structural rankings. */
  private async rankEpisodes(parsed: ParsedQuestion, main: ReturnType<AskEngine["readClause"]>, filter: Filter, ctx: say.SentenceContext): Promise<AskAnswer> {
    const index = this.memory.index;
    const w = this.options.fusion ?? DEFAULT_FUSION;
    const roles = main.resolution.roles.size > 0 || main.resolution.people.length > 0;
    const constrained = roles || main.textRows !== undefined;
    const noRoles: Resolution = { roles: new Map(), people: [], personConfidence: 1, textTerms: [] };
    // Roles and description words together first ("when the handover pose was unreachable"); when
    // no episode has both, the description words alone (a verb in a reason is not the action),
    // then the roles alone.
    let structural = constrained || parsed.window !== undefined || parsed.polarity !== "any" ? this.rows(parsed, main.resolution, main.textRows, filter) : [];
    if (structural.length === 0 && main.textRows !== undefined && main.textRows.length > 0) structural = this.rows({ ...parsed, polarity: "any" }, noRoles, main.textRows, filter);
    if (structural.length === 0 && roles) structural = this.rows(parsed, main.resolution, undefined, filter);
    structural.reverse();
    const words = parsed.terms;
    const passes = index.matcher(filter) ?? ((i: number) => index.isLive(i));
    const keyword = words.length === 0 ? [] : this.memory.searchKeywords(words, FUSION_DEPTH * 4).map((h) => index.indexOf(h.id)).filter((i): i is number => i !== undefined && passes(i));
    const vector =
      words.length === 0
        ? []
        : (await this.memory.recall({ text: words.join(" "), k: FUSION_DEPTH, ...(filter.robotId ? { robotId: filter.robotId } : {}), since: filter.since ?? -Infinity, until: filter.until ?? Infinity }))
            .hits.map((h) => index.indexOf(h.episode.id)!)
            .filter((i) => i !== undefined);
    const fused = new Map<number, number>();
    const addRanking = (list: readonly number[], weight: number) => list.slice(0, FUSION_DEPTH).forEach((i, rank) => fused.set(i, (fused.get(i) ?? 0) + weight / (RRF_K + rank + 1)));
    addRanking(structural, w.structure);
    addRanking(keyword, w.keyword);
    addRanking(vector, w.text);
    // With roles resolved, evidence must match them: fusion orders it, never widens it.
    const allowed = constrained ? new Set(structural) : undefined;
    const ranked = [...fused].filter(([i]) => allowed === undefined || allowed.has(i)).sort((a, b) => b[1] - a[1] || b[0] - a[0]);
    if (ranked.length === 0) {
      return { kind: "episodes", count: 0, yes: false, stamp: 0, durationS: 0, entity: "", answer: "I do not remember anything about that.", episodes: [], scores: [], confidence: 0, abstained: true, explanation: "no evidence" };
    }
    const top = ranked[0]![1];
    const best = ranked.slice(0, EVIDENCE_K);
    const episodes = best.map(([i]) => index.episode(i));
    const scores = best.map(([, s]) => round(s / top));
    // Agreement of the rankings on the winner: found by all three is surer than by one.
    const maxScore = (constrained ? w.structure : 0) + (keyword.length ? w.keyword : 0) + (vector.length ? w.text : 0) || 1;
    const agreement = Math.min(1, (top * (RRF_K + 1)) / maxScore + 0.35);
    const confidence = Math.min(main.confidence, words.length === 0 && !constrained ? 0.6 : agreement);
    const abstained = confidence < this.options.threshold;
    const answer = say.episodesSentence(episodes, ctx);
    return { kind: "episodes", count: 0, yes: false, stamp: 0, durationS: 0, entity: "", answer: abstained ? `I am not sure. ${answer}` : answer, episodes, scores, confidence: round(confidence), abstained, explanation: `fused ${ranked.length} candidate(s)` };
  }
}

/** The episode a clause points at among matching rows (oldest first): n-th first, n-th last, or the last. */
function select(rows: readonly number[], clause: ParsedQuestion): number | undefined {
  if (rows.length === 0) return undefined;
  if (clause.order === "first") return rows[clause.nth - 1];
  return rows[rows.length - clause.nth];
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
