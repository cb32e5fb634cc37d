/**
 * ~/ask across the fleet: the memory's own question parser (parseQuestion, no model) reads the
 * question; the fleet store answers it from the episodes every robot shipped. Matching is by
 * words, not by the local Lexicon (which knows only this robot's vocabulary): each content word,
 * reduced to a stem ("dropped" -> "drop", "plates" -> "plate"), must start a word of the
 * episode's action, object, location or description. What the store counts and orders is exact,
 * so an answer found is given with confidence 1; a word no robot ever stored makes it abstain.
 *
 * Kinds: count, time, yes_no, episodes, entity (place, person, object, reason, and "which robot",
 * answered by the robot with the most matching episodes unless the question picks one episode).
 * Before/after questions and durations are left to each robot's own ~/ask (the fleet's episodes
 * carry neither the neighbour order per robot nor the durations); the answer says so.
 */
import { humanize } from "../memory/describeOutcome.js";
import { personOf, reasonOf } from "../memory/ask/evidence.js";
import { phraseOf } from "../memory/ask/Lexicon.js";
import { tryParseQuestion } from "../memory/ask/parseQuestion.js";
import * as say from "../memory/ask/sentences.js";
import type { AskAnswer, AskQuery, ParsedQuestion } from "../memory/ask/types.js";
import type { Episode } from "../memory/types.js";
import { timeToSeconds } from "../time.js";
import type { FleetAskReader, FleetEpisodeMatch } from "./FleetStore.js";

/** Episodes returned as evidence (as the local engine). */
const EVIDENCE_K = 5;

export interface FleetAskOptions {
  /** IANA zone that "yesterday" and "at 3 pm" are read in. */
  readonly timeZone: string;
  /** Seconds since the epoch, now. */
  readonly now: () => number;
}

/** A content word reduced to the start every inflection shares: picked/picking -> pick, dropped -> drop, plates -> plate. */
export function stemOf(word: string): string {
  let w = word;
  if (w.length > 5 && w.endsWith("ing")) w = w.slice(0, -3);
  else if (w.length > 4 && w.endsWith("ied")) w = `${w.slice(0, -3)}y`;
  else if (w.length > 4 && w.endsWith("ed")) w = w.slice(0, -2);
  else if (w.length > 4 && w.endsWith("ies")) w = `${w.slice(0, -3)}y`;
  else if (w.length > 3 && w.endsWith("s") && !w.endsWith("ss")) w = w.slice(0, -1);
  // A doubled final consonant belongs to the inflection (dropp-ed, runn-ing).
  if (w !== word && w.length > 3 && w.at(-1) === w.at(-2) && !/[aeiouls]/.test(w.at(-1)!)) w = w.slice(0, -1);
  return w;
}

export class FleetAsk {
  constructor(
    private readonly reader: FleetAskReader,
    public options: FleetAskOptions,
  ) {}

  async ask(query: AskQuery): Promise<AskAnswer> {
    const nowS = this.options.now();
    const ctx: say.SentenceContext = { nowS, timeZone: this.options.timeZone };
    const parsed = tryParseQuestion(query.question, nowS, this.options.timeZone);
    if (parsed === undefined) return say.abstention("none", "I cannot place that time");
    const base = { kind: parsed.kind, count: 0, yes: false, stamp: 0, durationS: 0, entity: "", episodes: [], scores: [] };
    const abstain = (why: string): AskAnswer => say.abstention(parsed.kind, why);
    if (parsed.relation !== undefined) return abstain("the fleet does not answer before/after questions; ask the robot itself (fleet: false)");
    if (parsed.kind === "duration") return abstain("the fleet's episodes carry no durations; ask the robot itself (fleet: false), or ~/get_stats with fleet: true");

    const stems = [...new Set(parsed.terms.map(stemOf))];
    const unknown = await this.reader.unknownStems(stems);
    if (unknown.length > 0) return abstain(`no robot remembers anything about ${unknown.map((w) => `"${w}"`).join(", ")}`);
    let match: FleetEpisodeMatch = {
      stems,
      results: parsed.polarity,
      filter: {
        ...(query.robotId ? { robotId: query.robotId } : {}),
        ...finite("since", Math.max(query.since ?? -Infinity, parsed.window?.since ?? -Infinity)),
        ...finite("until", Math.min(query.until ?? Infinity, parsed.window?.until ?? Infinity)),
      },
    };
    const windowLabel = parsed.window?.label ?? "";
    const found = (a: Partial<AskAnswer> & Pick<AskAnswer, "answer" | "explanation">, episodes: readonly Episode[]): AskAnswer => ({
      ...base, ...a, episodes, scores: episodes.map(() => 1), confidence: 1, abstained: false,
    });
    const none = () => abstain("no robot has a record of that");

    switch (parsed.kind) {
      case "count": {
        const [count, latest] = await Promise.all([this.reader.countMatching(match), this.pick(match, { ...parsed, order: "last", nth: 1 }, EVIDENCE_K)]);
        return found({ count, answer: `Across the fleet: ${say.countSentence(count, "", windowLabel)}`, explanation: `fleet: ${count} matching episode(s)` }, latest);
      }
      case "yes_no": {
        const [chosen] = await this.pick(match, parsed, 1);
        if (chosen) return found({ yes: true, answer: withRobot(say.yesSentence(chosen, ctx), chosen), explanation: `fleet: episode ${chosen.id} of ${chosen.robot_id} matches` }, [chosen]);
        if (parsed.polarity === "succeeded") {
          const [tried] = await this.pick({ ...match, results: "any" }, { ...parsed, order: "last", nth: 1 }, 1);
          if (tried) return found({ yes: false, answer: withRobot(say.noButTriedSentence(tried, ctx), tried), explanation: `fleet: only unsuccessful attempts, last ${tried.id} of ${tried.robot_id}` }, [tried]);
        }
        return found({ yes: false, answer: `No robot has a record of that${windowLabel ? ` ${windowLabel}` : ""}.`, explanation: "fleet: no matching episode" }, []);
      }
      case "time": {
        const [chosen] = await this.pick(match, parsed, 1);
        if (!chosen) return none();
        return found({ stamp: timeToSeconds(chosen.stamp), answer: withRobot(say.timeSentence(chosen, ctx), chosen), explanation: `fleet: episode ${chosen.id} of ${chosen.robot_id}` }, [chosen]);
      }
      case "entity": {
        const wants = parsed.wants ?? "object";
        // "Which robot drops plates most?" states no result, and the parser then assumes success;
        // a dropped plate is stored as a failure. When nothing succeeded, any result answers "which"/"where".
        if (match.results === "succeeded" && (await this.reader.countMatching(match)) === 0) match = { ...match, results: "any" };
        if (wants === "robot" && parsed.order === "unspecified") {
          const [top, second] = await this.reader.robotsByMatches(match, 2);
          if (!top) return none();
          const tie = second !== undefined && second.count === top.count ? ` (tied with ${second.robotId})` : "";
          const evidence = await this.pick({ ...match, filter: { ...match.filter, robotId: top.robotId } }, { ...parsed, order: "last", nth: 1 }, EVIDENCE_K);
          const times = say.countSentence(top.count, "", windowLabel).replace(/\.$/, "").toLowerCase();
          return found({ entity: top.robotId, count: top.count, answer: `${top.robotId}: ${times}${tie}.`, explanation: `fleet: the robot with the most matching episodes` }, evidence);
        }
        const [chosen] = await this.pick(match, parsed, 1);
        if (!chosen) return none();
        const entity =
          wants === "place" ? phraseOf(chosen.location) : wants === "person" ? personOf(chosen) : wants === "reason" ? reasonOf(chosen) : wants === "robot" ? chosen.robot_id : humanize(chosen.object);
        if (entity === "") {
          if ((wants === "place" || wants === "person") && chosen.description.trim() !== "") {
            return found({ kind: "episodes", answer: withRobot(say.episodesSentence([chosen], ctx), chosen), explanation: `fleet: no ${wants} role in ${chosen.id}; its text is the evidence` }, [chosen]);
          }
          return abstain(`episode ${chosen.id} of ${chosen.robot_id} names no ${wants}`);
        }
        return found({ entity, answer: withRobot(say.entitySentence(wants, entity, chosen, ctx), chosen), explanation: `fleet: ${wants} of ${chosen.id} of ${chosen.robot_id}` }, [chosen]);
      }
      case "episodes":
      case "none": {
        const episodes = await this.pick(match, parsed.order === "first" ? parsed : { ...parsed, order: "last" }, EVIDENCE_K);
        if (episodes.length === 0) return none();
        return found({ kind: "episodes", answer: withRobot(say.episodesSentence(episodes, ctx), episodes[0]!), explanation: `fleet: ${episodes.length} episode(s), best ${episodes[0]!.id} of ${episodes[0]!.robot_id}` }, episodes);
      }
    }
  }

  /** The episode(s) a clause points at: the n-th first (oldest first), else the n-th last (newest first). */
  private async pick(match: FleetEpisodeMatch, clause: ParsedQuestion, limit: number): Promise<Episode[]> {
    const rows = await this.reader.matchingEpisodes(match, clause.order === "first" ? "oldest" : "newest", clause.nth - 1, limit);
    return rows.map((r) => r.episode);
  }
}

function finite(key: "since" | "until", value: number): { since?: number; until?: number } {
  return Number.isFinite(value) ? { [key]: value } : {};
}

/** The local sentences speak for one robot; across the fleet, which robot it was goes in front. */
function withRobot(sentence: string, e: Episode): string {
  return `${e.robot_id}: ${sentence}`;
}
