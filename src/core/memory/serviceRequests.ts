/**
 * Recall / Remember service messages <-> memory calls. Pure translation and validation: a malformed
 * request becomes { ok: false, message } for a success=false reply, never an exception.
 */
import type { RecallRequest, RecallResponse, RememberRequest } from "../interfaces/messages.generated.js";
import { isValidTime, isZeroTime, timeToSeconds } from "../time.js";
import { MAX_K } from "./EpisodicMemory.js";
import { MAX_FIELD_CHARS } from "./limits.js";
import { ROLES, isRole, type EpisodeInput, type RecallQuery, type RecallResult } from "./types.js";

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

type Stamp = RecallRequest["since"];

/** One end of a time filter: undefined for the zero time (no bound), else seconds; refused when not a valid time. */
function bound(name: string, t: Stamp): Parsed<number | undefined> {
  if (isZeroTime(t)) return { ok: true, value: undefined };
  if (isValidTime(t)) return { ok: true, value: timeToSeconds(t) };
  if (t.sec < 0) return { ok: false, message: `${name}.sec is negative (${t.sec}); give seconds since the epoch, or zero for no bound` };
  return { ok: false, message: `${name}.nanosec is ${t.nanosec}; it must be below 1000000000` };
}

/** The since/until filter of Recall, Ask and Forget: each end optional, valid times, since not after until. */
export function timeWindow(since: Stamp, until: Stamp): Parsed<{ since?: number; until?: number }> {
  const s = bound("since", since);
  if (!s.ok) return s;
  const u = bound("until", until);
  if (!u.ok) return u;
  if (s.value !== undefined && u.value !== undefined && s.value > u.value) return { ok: false, message: "since is after until" };
  return { ok: true, value: { ...(s.value !== undefined ? { since: s.value } : {}), ...(u.value !== undefined ? { until: u.value } : {}) } };
}

/** The first of `fields` longer than the memory's field limit, as a refusal naming it; undefined when all fit. */
function overlongField(fields: Readonly<Record<string, string>>): string | undefined {
  for (const [name, value] of Object.entries(fields)) {
    if (value.length > MAX_FIELD_CHARS) return `${name} is ${value.length} characters, longer than the limit of ${MAX_FIELD_CHARS}`;
  }
  return undefined;
}

export function recallQuery(req: RecallRequest): Parsed<RecallQuery> {
  const overlong = overlongField({
    query: req.query, cue_agent: req.cue_agent, cue_action: req.cue_action, cue_object: req.cue_object,
    cue_location: req.cue_location, cue_result: req.cue_result, ask_role: req.ask_role, robot_id: req.robot_id,
  });
  if (overlong !== undefined) return { ok: false, message: overlong };
  const askRole = req.ask_role.trim();
  if (askRole !== "" && !isRole(askRole)) {
    return { ok: false, message: `ask_role "${req.ask_role}" is not one of ${ROLES.join(", ")} (or '' for none)` };
  }
  if (req.k > MAX_K) return { ok: false, message: `k=${req.k} is above the maximum ${MAX_K}; use 0 for the node's default_k` };
  const window = timeWindow(req.since, req.until);
  if (!window.ok) return window;
  const { since, until } = window.value;
  const cue = {
    agent: req.cue_agent.trim(),
    action: req.cue_action.trim(),
    object: req.cue_object.trim(),
    location: req.cue_location.trim(),
    result: req.cue_result.trim(),
  };
  const hasCue = Object.values(cue).some((v) => v !== "");
  if (req.query.trim() === "" && !hasCue && req.robot_id === "" && since === undefined && until === undefined) {
    return { ok: false, message: "empty request: give query text, at least one cue_* role, or a robot_id/since/until filter" };
  }
  if (askRole !== "" && cue[askRole] !== "") return { ok: false, message: `ask_role ${askRole} is also given in the cue` };
  return {
    ok: true,
    value: {
      text: req.query,
      cue,
      ...(askRole !== "" ? { askRole } : {}),
      ...(req.robot_id !== "" ? { robotId: req.robot_id } : {}),
      ...(since !== undefined ? { since } : {}),
      ...(until !== undefined ? { until } : {}),
      k: req.k,
    } as RecallQuery,
  };
}

export function recallResponse(result: RecallResult): RecallResponse {
  return {
    success: true,
    message: result.explanation,
    episodes: result.hits.map((h) => h.episode),
    scores: result.hits.map((h) => Math.max(0, Math.min(1, h.score))),
    answer: result.answer,
    confidence: result.confidence,
    abstained: result.abstained,
  };
}

export function failedRecall(message: string): RecallResponse {
  return { success: false, message, episodes: [], scores: [], answer: "", confidence: 0, abstained: true };
}

export function rememberInput(req: RememberRequest): Parsed<EpisodeInput> {
  const overlong = overlongField({ text: req.text, agent: req.agent, action: req.action, object: req.object, location: req.location, result: req.result, robot_id: req.robot_id });
  if (overlong !== undefined) return { ok: false, message: overlong };
  const hasRole = [req.agent, req.action, req.object, req.location, req.result].some((v) => v.trim() !== "");
  if (req.text.trim() === "" && !hasRole) return { ok: false, message: "empty fact: give text or at least one role" };
  return {
    ok: true,
    value: {
      stamp: req.stamp,
      robot_id: req.robot_id,
      agent: req.agent.trim(),
      action: req.action.trim(),
      object: req.object.trim(),
      location: req.location.trim(),
      result: req.result.trim(),
      description: req.text,
      source: "remember",
    },
  };
}
