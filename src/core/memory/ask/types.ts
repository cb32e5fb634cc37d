/** Shapes of question answering over the episodic memory. */
import type { Episode } from "../types.js";
import type { TimeWindow } from "./timeExpressions.js";

export const ANSWER_KINDS = ["time", "duration", "count", "yes_no", "entity", "episodes", "none"] as const;
export type AnswerKind = (typeof ANSWER_KINDS)[number];

/** What an entity question asks for. */
export type Wanted = "place" | "person" | "object" | "reason" | "action" | "robot";

/** Which results count: "succeeded", "failed" (failed, aborted, timed out, canceled) or "any". */
export type Polarity = "succeeded" | "failed" | "any";

export interface ParsedQuestion {
  readonly kind: AnswerKind;
  readonly wants: Wanted | undefined;
  readonly polarity: Polarity;
  /** Which matching episode: the first, the last, the n-th (1-based), or unspecified. */
  readonly order: "first" | "last" | "unspecified";
  readonly nth: number;
  readonly window: TimeWindow | undefined;
  /** "what did you do after X?": the answer is the neighbour in time of the anchor episode. */
  readonly relation: { readonly which: "before" | "after"; readonly anchor: ParsedQuestion } | undefined;
  /** Content words and phrases left to match against episodes. */
  readonly terms: readonly string[];
}

export interface AskQuery {
  readonly question: string;
  readonly robotId?: string;
  readonly since?: number;
  readonly until?: number;
}

export interface AskAnswer {
  readonly kind: AnswerKind;
  readonly answer: string;
  readonly count: number;
  readonly yes: boolean;
  /** Seconds since the epoch; 0 when not a time answer. */
  readonly stamp: number;
  readonly durationS: number;
  readonly entity: string;
  readonly episodes: readonly Episode[];
  readonly scores: readonly number[];
  readonly confidence: number;
  readonly abstained: boolean;
  /** How it was read and answered, for people and logs. */
  readonly explanation: string;
}
