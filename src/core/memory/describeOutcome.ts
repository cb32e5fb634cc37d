/** ActionOutcome -> episode: the roles come straight from the outcome, the description reads as a sentence. */
import type { ActionOutcome } from "../interfaces/messages.generated.js";
import { fitText } from "./fitText.js";
import { MAX_FIELD_CHARS } from "./limits.js";
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

export interface OutcomeEpisode {
  readonly input: EpisodeInput;
  /** Fields shortened to fit (each ends with a "[truncated: N more characters]" marker); [] when all fit. */
  readonly truncated: readonly string[];
}

/**
 * The episode of an outcome, every text field fitted to the memory's field limit at a word boundary.
 * The action log's limits are parameters (max_detail_bytes up to 1 MiB, max_field_chars up to 65,536),
 * and the description adds words around the detail, so an outcome it committed can exceed the limit:
 * it is shortened, and says so, never refused.
 */
export function outcomeEpisode(outcome: ActionOutcome, maxChars = MAX_FIELD_CHARS): OutcomeEpisode {
  const what = [humanize(outcome.action), humanize(outcome.object)].filter(Boolean).join(" the ");
  const where = outcome.location ? ` in the ${humanize(outcome.location)}` : "";
  const result = RESULT_WORDS[outcome.result] ?? humanize(outcome.result);
  const why = outcome.reason ? ` because ${outcome.reason}` : "";
  const end = outcome.ended_at.sec !== 0 || outcome.ended_at.nanosec !== 0 ? outcome.ended_at : outcome.header.stamp;
  const truncated: string[] = [];
  const fit = (field: string, text: string): string => {
    const fitted = fitText(text, maxChars);
    if (fitted.omitted > 0) truncated.push(field);
    return fitted.text;
  };
  const input: EpisodeInput = {
    stamp: { sec: end.sec, nanosec: end.nanosec },
    robot_id: fit("robot_id", outcome.robot_id),
    agent: fit("agent", outcome.robot_id),
    action: fit("action", outcome.action),
    object: fit("object", outcome.object),
    location: fit("location", outcome.location),
    result: fit("result", outcome.result),
    description: fit("description", `${outcome.robot_id || "the robot"} tried to ${what || "act"}${where} and ${result}${why}`.replace(/\s+/g, " ")),
    source: "action_outcome",
  };
  return { input, truncated };
}

export function describeOutcome(outcome: ActionOutcome): EpisodeInput {
  return outcomeEpisode(outcome).input;
}

/** A description for a remembered fact that came without text. */
export function describeRoles(e: Pick<EpisodeInput, "agent" | "action" | "object" | "location" | "result">): string {
  return [e.agent, humanize(e.action), e.object && `the ${humanize(e.object)}`, e.location && `in the ${humanize(e.location)}`, e.result && `: ${humanize(e.result)}`]
    .filter(Boolean)
    .join(" ");
}
