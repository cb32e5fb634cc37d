/**
 * Extra training text from the other sources (WhatsApp exports, the robot's logged turns, synthetic
 * replies), all in `messages` JSONL. They add to the starter sets' training half only: an example is
 * dropped when its user turn or its reply is a held-out situation/question/reply of the starter set, so
 * the gate still scores text no run trained on.
 */
import type { MessagesExample, ReasonCounts, TrainTarget } from "../types.js";
import { countReason } from "../types.js";
import { readMessagesJsonl } from "../datasets/messagesFormat.js";

export type ExtraPole = "high" | "low";

/** Extra examples sorted by what they train: toward (high pole or the expert) and away (low pole). */
export interface ExtraExamples {
  readonly toward: MessagesExample[];
  readonly away: MessagesExample[];
  /** Examples dropped, by reason (held-out overlap, no reply, untagged pole). */
  readonly dropped: ReasonCounts;
}

export interface ExtraSources {
  /** Files whose every example is high-pole (dimension) or the expert's (expert) text. */
  readonly high?: readonly string[];
  /** Files whose every example is low-pole text (dimensions only). */
  readonly low?: readonly string[];
  /** Files tagged per example by a system message `persona <dimension>: high|low` (what `data synth` writes); for an expert, every example. */
  readonly tagged?: readonly string[];
}

const POLE_TAG = /^persona (\w+): (high|low|neutral)$/;

export function poleTag(example: MessagesExample, dimension: string): ExtraPole | "neutral" | "other" | undefined {
  const system = example.messages.find((m) => m.role === "system")?.content.trim();
  const m = system ? POLE_TAG.exec(system) : null;
  if (!m) return undefined;
  return m[1] === dimension ? (m[2] as ExtraPole | "neutral") : "other";
}

const normalise = (text: string) => text.toLowerCase().replace(/[^a-z0-9]+/g, " ").trim();

/**
 * Reads and sorts the extra files for one target. `heldOut` holds the held-out split's texts
 * (situations or questions, and the replies); examples that repeat any of them are dropped.
 */
export function loadExtraExamples(target: TrainTarget, sources: ExtraSources, heldOut: readonly string[]): ExtraExamples {
  if (target.kind === "expert" && sources.low?.length) throw new Error(`--extra-low is for dimensions; an expert (${target.name}) trains on one text`);
  const held = new Set(heldOut.map(normalise));
  const toward: MessagesExample[] = [];
  const away: MessagesExample[] = [];
  const dropped: ReasonCounts = {};
  const accept = (example: MessagesExample, into: MessagesExample[]) => {
    const reply = [...example.messages].reverse().find((m) => m.role === "assistant")?.content ?? "";
    if (!reply.trim()) return countReason(dropped, "no assistant reply");
    if (example.messages.some((m) => m.role !== "system" && held.has(normalise(m.content)))) return countReason(dropped, "repeats held-out text");
    into.push(example);
  };
  for (const file of sources.high ?? []) for (const e of readMessagesJsonl(file)) accept(e, toward);
  for (const file of sources.low ?? []) for (const e of readMessagesJsonl(file)) accept(e, away);
  for (const file of sources.tagged ?? []) {
    for (const e of readMessagesJsonl(file)) {
      if (target.kind === "expert") {
        accept(e, toward);
        continue;
      }
      const pole = poleTag(e, target.name);
      if (pole === "high") accept(e, toward);
      else if (pole === "low") accept(e, away);
      else countReason(dropped, pole === undefined ? `no "persona ${target.name}: high|low" system message` : pole === "neutral" ? "neutral pole" : "another dimension");
    }
  }
  return { toward, away, dropped };
}
