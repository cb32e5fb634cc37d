/** The sentences Ask says: short, with the time in the robot's zone and the episode they rest on. */
import type { Episode } from "../types.js";
import type { AskAnswer } from "./types.js";
import { durationText, whenText } from "./zonedTime.js";
import { timeToSeconds } from "../../time.js";

export interface SentenceContext {
  readonly nowS: number;
  readonly timeZone: string;
}

/** The answer when Ask abstains on a question it cannot answer: "I do not know: <why>." */
export function abstention(kind: AskAnswer["kind"], why: string, confidence = 0): AskAnswer {
  return { kind, count: 0, yes: false, stamp: 0, durationS: 0, entity: "", answer: `I do not know: ${why}.`, episodes: [], scores: [], confidence, abstained: true, explanation: why };
}

const trimEnd = (s: string) => s.trim().replace(/[.\s]+$/, "");
const upper = (s: string) => (s === "" ? s : s[0]!.toUpperCase() + s.slice(1));

export function when(e: Episode, c: SentenceContext): string {
  return whenText(timeToSeconds(e.stamp), c.nowS, c.timeZone);
}

export function timeSentence(e: Episode, c: SentenceContext): string {
  return `${upper(when(e, c))}: ${trimEnd(e.description)}.`;
}

export function durationSentence(e: Episode, seconds: number, c: SentenceContext): string {
  return `It took ${durationText(seconds)} (${when(e, c)}: ${trimEnd(e.description)}).`;
}

export function countSentence(n: number, what: string, windowLabel: string): string {
  const times = n === 1 ? "once" : n === 2 ? "twice" : `${n} times`;
  return `${upper(what ? `${what}: ` : "")}${times}${windowLabel ? ` ${windowLabel}` : ""}.`.replace(/^: /, "");
}

export function yesSentence(e: Episode, c: SentenceContext): string {
  return `Yes, ${when(e, c)}: ${trimEnd(e.description)}.`;
}

export function noButTriedSentence(e: Episode, c: SentenceContext): string {
  return `No. I tried ${when(e, c)}, but it did not work: ${trimEnd(e.description)}.`;
}

export function noSentence(windowLabel: string): string {
  return `No, I have no record of that${windowLabel ? ` ${windowLabel}` : ""}.`;
}

export function entitySentence(wants: string, entity: string, e: Episode, c: SentenceContext): string {
  const lead =
    wants === "place" ? `In the ${entity}` : wants === "person" ? `To ${upper(entity)}` : wants === "reason" ? `Because ${entity}` : upper(wants === "object" ? `the ${entity}` : entity);
  return `${lead} (${when(e, c)}: ${trimEnd(e.description)}).`;
}

export function episodesSentence(episodes: readonly Episode[], c: SentenceContext): string {
  const [best] = episodes;
  if (best === undefined) return "I do not remember anything about that.";
  const more = episodes.length > 1 ? ` I remember ${episodes.length - 1} more related event${episodes.length > 2 ? "s" : ""}.` : "";
  return `${upper(when(best, c))}: ${trimEnd(best.description)}.${more}`;
}
