/** ActionOutcome -> episode: the roles come straight from the outcome, the description reads as a sentence. */
import type { ActionOutcome } from "../interfaces/messages.generated.js";
import type { EpisodeInput } from "./types.js";

const RESULT_WORDS: Record<string, string> = {
  SUCCEEDED: "succeeded",
  FAILED: "failed",
  ABORTED: "was aborted",
  CANCELED: "was canceled",
  TIMEOUT: "timed out",
};

/** snake_case / camelCase identifiers to words, so GloVe sees "pick up" rather than "pick_up". */
export function humanize(identifier: string): string {
  return identifier.replace(/([a-z])([A-Z])/g, "$1 $2").replace(/[_\-/]+/g, " ").trim().toLowerCase();
}

export function describeOutcome(outcome: ActionOutcome): EpisodeInput {
  const what = [humanize(outcome.action), humanize(outcome.object)].filter(Boolean).join(" the ");
  const where = outcome.location ? ` in the ${humanize(outcome.location)}` : "";
  const result = RESULT_WORDS[outcome.result] ?? humanize(outcome.result);
  const why = outcome.reason ? ` because ${outcome.reason}` : "";
  const end = outcome.ended_at.sec !== 0 || outcome.ended_at.nanosec !== 0 ? outcome.ended_at : outcome.header.stamp;
  return {
    stamp: { sec: end.sec, nanosec: end.nanosec },
    robot_id: outcome.robot_id,
    agent: outcome.robot_id,
    action: outcome.action,
    object: outcome.object,
    location: outcome.location,
    result: outcome.result,
    description: `${outcome.robot_id || "the robot"} tried to ${what || "act"}${where} and ${result}${why}`.replace(/\s+/g, " "),
    source: "action_outcome",
  };
}

/** A description for a remembered fact that came without text. */
export function describeRoles(e: Pick<EpisodeInput, "agent" | "action" | "object" | "location" | "result">): string {
  return [e.agent, humanize(e.action), e.object && `the ${humanize(e.object)}`, e.location && `in the ${humanize(e.location)}`, e.result && `: ${humanize(e.result)}`]
    .filter(Boolean)
    .join(" ");
}
