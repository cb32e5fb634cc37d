/**
 * The question suite of bench:memory: three simulated days of two robots flow through the same
 * outcome -> episode path as the memory node, then Ask answers the generated questions.
 * Reports accuracy per kind, abstention precision and recall, and Ask latency.
 */
import { describeOutcome } from "../src/core/memory/describeOutcome.js";
import { EpisodicMemory } from "../src/core/memory/EpisodicMemory.js";
import { AskEngine, type FusionWeights } from "../src/core/memory/ask/AskEngine.js";
import type { TextEmbedder } from "../src/core/embedding/types.js";
import { simulateOutcomes } from "../src/core/sim/simulateOutcomes.js";
import { episodeIdOf, generateQuestionSuite, isCorrect, type SuiteQuestion } from "../src/core/sim/questionSuite.js";
import { zonedToEpoch } from "../src/core/memory/ask/zonedTime.js";
import { openSqliteMemory } from "../src/core/memory/sqlite/openSqliteMemory.js";

export interface SuiteFigures {
  questions: number;
  accuracy: Record<string, number>;
  per_kind_n: Record<string, number>;
  overall_accuracy: number;
  abstention_precision: number;
  abstention_recall: number;
  ask_p50_ms: number;
  failures: string[];
}

export const SUITE_ZONE = "America/New_York";
/** The suite's "now": 18:30 local on a fixed day, so the figures do not depend on the date. */
export const SUITE_NOW_S = zonedToEpoch(2025, 11, 20, 18, 30, SUITE_ZONE);

/**
 * The suite's memory: 3 days of 2 robots by default; `episodes` asks for about that many (more
 * days, 90 actions per session) for Ask's latency at scale.
 */
export async function buildSuiteMemory(embedder: TextEmbedder, episodes?: number): Promise<{ memory: EpisodicMemory; questions: SuiteQuestion[] }> {
  const perSession = episodes === undefined ? 45 : 90;
  const days = episodes === undefined ? 3 : Math.ceil(episodes / (2 * 2 * perSession * 0.97));
  const outcomes = simulateOutcomes({ endS: SUITE_NOW_S, timeZone: SUITE_ZONE, days, robots: ["robot1", "robot2"], actionsPerSession: perSession });
  const memory = await openSqliteMemory({ embedder, initialCapacity: outcomes.length + 16 });
  const inputs = outcomes.map((o) => ({ ...describeOutcome(o), id: episodeIdOf(o), durationS: o.duration_s }));
  for (let b = 0; b < inputs.length; b += 5_000) await memory.remember(inputs.slice(b, b + 5_000));
  return { memory, questions: generateQuestionSuite(outcomes, SUITE_NOW_S, SUITE_ZONE) };
}

export async function runQuestionSuite(
  memory: EpisodicMemory,
  questions: readonly SuiteQuestion[],
  embedder: TextEmbedder,
  fusion?: FusionWeights,
  threshold = 0.5,
): Promise<SuiteFigures> {
  const engine = new AskEngine(memory, { timeZone: SUITE_ZONE, threshold, now: () => SUITE_NOW_S, ...(fusion ? { fusion } : {}) }, embedder.embedSync?.bind(embedder));
  const right: Record<string, number> = {};
  const total: Record<string, number> = {};
  let abstained = 0;
  let abstainedRight = 0;
  let unanswerable = 0;
  const ms: number[] = [];
  const failures: string[] = [];
  for (const q of questions) {
    const t0 = performance.now();
    const a = await engine.ask({ question: q.question, robotId: q.robotId });
    ms.push(performance.now() - t0);
    const key = q.answerable ? q.kind : "unanswerable";
    total[key] = (total[key] ?? 0) + 1;
    const correct = isCorrect(q, { ...a, episodeIds: a.episodes.map((e) => e.id) });
    if (correct) right[key] = (right[key] ?? 0) + 1;
    else failures.push(`[${key}] ${q.robotId}: ${q.question} -> ${a.abstained ? "ABSTAINED " : ""}${a.answer} (expected ${JSON.stringify(q.expected)}; ${a.explanation})`);
    if (!q.answerable) unanswerable++;
    if (a.abstained) {
      abstained++;
      if (!q.answerable) abstainedRight++;
    }
  }
  const accuracy: Record<string, number> = {};
  for (const k of Object.keys(total)) accuracy[k] = Number(((right[k] ?? 0) / total[k]!).toFixed(4));
  ms.sort((a, b) => a - b);
  const answerableTotal = questions.filter((q) => q.answerable).length;
  const answerableRight = Object.entries(right).filter(([k]) => k !== "unanswerable").reduce((n, [, v]) => n + v, 0);
  return {
    questions: questions.length,
    accuracy,
    per_kind_n: total,
    overall_accuracy: Number((answerableRight / answerableTotal).toFixed(4)),
    abstention_precision: abstained === 0 ? 1 : Number((abstainedRight / abstained).toFixed(4)),
    abstention_recall: unanswerable === 0 ? 1 : Number((abstainedRight / unanswerable).toFixed(4)),
    ask_p50_ms: Number(ms[Math.floor(ms.length / 2)]!.toFixed(3)),
    failures,
  };
}

/**
 * Fits the fusion weights on the suite's "episodes" questions: a grid over the three weights,
 * scored by the mean reciprocal rank of the first expected episode (accuracy saturates; MRR still
 * separates settings), ties broken towards the default.
 */
export async function fitFusion(
  memory: EpisodicMemory,
  questions: readonly SuiteQuestion[],
  embedder: TextEmbedder,
): Promise<{ best: FusionWeights; bestMrr: number; defaultMrr: number; keywordOnlyMrr: number; textOnlyMrr: number; worstMrr: number; grid: number }> {
  const episodes = questions.filter((q) => q.kind === "episodes" && q.answerable);
  const grid = [0, 0.5, 1, 2];
  const mrrOf = async (fusion: FusionWeights) => {
    const engine = new AskEngine(memory, { timeZone: SUITE_ZONE, threshold: 0, now: () => SUITE_NOW_S, fusion }, embedder.embedSync?.bind(embedder));
    let sum = 0;
    for (const q of episodes) {
      const a = await engine.ask({ question: q.question, robotId: q.robotId });
      const rank = a.episodes.findIndex((e) => q.expected.episodeIds!.includes(e.id));
      sum += rank < 0 ? 0 : 1 / (rank + 1);
    }
    return sum / episodes.length;
  };
  const { DEFAULT_FUSION } = await import("../src/core/memory/ask/AskEngine.js");
  const defaultMrr = await mrrOf(DEFAULT_FUSION);
  let best = DEFAULT_FUSION;
  let bestMrr = defaultMrr;
  let worstMrr = defaultMrr;
  for (const keyword of grid) {
    for (const text of grid) {
      for (const structure of grid) {
        if (keyword + text + structure === 0) continue;
        const mrr = await mrrOf({ keyword, text, structure });
        worstMrr = Math.min(worstMrr, mrr);
        if (mrr > bestMrr + 1e-9) {
          best = { keyword, text, structure };
          bestMrr = mrr;
        }
      }
    }
  }
  const r = (x: number) => Number(x.toFixed(4));
  return {
    best,
    bestMrr: r(bestMrr),
    defaultMrr: r(defaultMrr),
    keywordOnlyMrr: r(await mrrOf({ keyword: 1, text: 0, structure: 0 })),
    textOnlyMrr: r(await mrrOf({ keyword: 0, text: 1, structure: 0 })),
    worstMrr: r(worstMrr),
    grid: grid.length ** 3 - 1,
  };
}
