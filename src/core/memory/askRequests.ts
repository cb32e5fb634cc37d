/**
 * Ask / Forget service messages <-> memory calls. Pure translation and validation: a malformed
 * request becomes { ok: false, message } for a success=false reply, never an exception.
 */
import type { AskRequest, AskResponse, ForgetRequest, ForgetResponse } from "../interfaces/messages.generated.js";
import { createAskResponse } from "../interfaces/messages.generated.js";
import { secondsToTime } from "../time.js";
import type { AskAnswer, AskQuery } from "./ask/types.js";
import type { ForgetSelector } from "./EpisodicMemory.js";
import { timeWindow, type Parsed } from "./serviceRequests.js";

/** Longest question: a sentence or two, not a document. */
export const MAX_QUESTION = 1000;
/** Most ids one Forget request may name. */
export const MAX_FORGET_IDS = 10_000;
const MAX_TEXT_MATCH = 500;

export function askQuery(req: AskRequest): Parsed<AskQuery> {
  const question = req.question.trim();
  if (question === "") return { ok: false, message: "empty question: ask something, e.g. 'when did you last pick up the keys?'" };
  if (question.length > MAX_QUESTION) return { ok: false, message: `question is longer than ${MAX_QUESTION} characters` };
  const w = timeWindow(req.since, req.until);
  if (!w.ok) return w;
  // robot_id as given, as Recall and Remember take it: "r1 " is another robot than "r1".
  return { ok: true, value: { question, ...(req.robot_id !== "" ? { robotId: req.robot_id } : {}), ...w.value } };
}

export function askResponse(a: AskAnswer, message = a.explanation): AskResponse {
  return {
    success: true,
    message,
    kind: a.kind,
    answer: a.answer,
    count: a.count,
    yes: a.yes,
    stamp: a.stamp > 0 ? secondsToTime(a.stamp) : { sec: 0, nanosec: 0 },
    duration_s: a.durationS,
    entity: a.entity,
    episodes: [...a.episodes],
    scores: a.scores.map((s) => Math.max(0, Math.min(1, s))),
    confidence: a.confidence,
    abstained: a.abstained,
  };
}

export function failedAsk(message: string): AskResponse {
  return { ...createAskResponse(), success: false, message, kind: "none", abstained: true };
}

export function forgetSelector(req: ForgetRequest): Parsed<ForgetSelector> {
  const ids = req.episode_ids.map((id) => id.trim()).filter((id) => id !== "");
  if (ids.length > MAX_FORGET_IDS) return { ok: false, message: `at most ${MAX_FORGET_IDS} episode_ids per request, got ${ids.length}` };
  const textMatch = req.text_match.trim();
  if (textMatch.length > MAX_TEXT_MATCH) return { ok: false, message: `text_match is longer than ${MAX_TEXT_MATCH} characters` };
  if (textMatch !== "" && !/[\p{L}\p{N}]/u.test(textMatch)) return { ok: false, message: "text_match has no word to match" };
  const w = timeWindow(req.since, req.until);
  if (!w.ok) return w;
  const robotId = req.robot_id;
  if (ids.length === 0 && textMatch === "" && robotId === "" && w.value.since === undefined && w.value.until === undefined) {
    return { ok: false, message: "nothing selected: give episode_ids, robot_id with since/until, or text_match (forgetting everything takes an explicit robot_id or time range)" };
  }
  return { ok: true, value: { ...(ids.length > 0 ? { ids } : {}), ...(robotId ? { robotId } : {}), ...w.value, ...(textMatch ? { textMatch } : {}) } };
}

/**
 * The Forget reply: `count` is every episode forgotten (or that would be, with dry_run), and
 * `episode_ids` lists at most MAX_FORGET_IDS of them, oldest first: a broad selector over a large
 * memory must not become a reply of millions of ids.
 */
export function forgetResponse(ids: readonly string[], dryRun: boolean): ForgetResponse {
  const listed = ids.slice(0, MAX_FORGET_IDS);
  const more = ids.length > listed.length ? ` (the first ${listed.length} listed)` : "";
  const message = dryRun ? `dry run: ${ids.length} episode(s) would be forgotten${more}` : `forgot ${ids.length} episode(s)${more}`;
  return { success: true, message, episode_ids: listed, count: ids.length };
}
