/**
 * Grounding: what the robot remembers goes into the prompt, and the ids of the episodes used come
 * back as citations. Memory is reached through a callback (the node wires it to the Recall
 * service), so an unreachable memory only makes the reply ungrounded, never absent.
 */
import type { Episode } from "../interfaces/messages.generated.js";

export interface RecalledEpisodes {
  readonly episodes: readonly Episode[];
  /** Similarity in [0, 1] per episode, best first. */
  readonly scores: readonly number[];
}

/** Asks memory for the episodes relevant to a query; rejects when memory is unreachable. */
export type RecallFn = (query: string, k: number) => Promise<RecalledEpisodes>;

export interface Grounding {
  /** False when memory could not be asked (unreachable, timed out, failed). */
  readonly reachable: boolean;
  readonly episodes: readonly Episode[];
  readonly scores: readonly number[];
  /** Why memory was unreachable, for the response message and logs. */
  readonly error?: string;
}

export interface GroundingOptions {
  readonly topK: number;
  readonly minScore: number;
  readonly timeoutMs: number;
}

export async function recallForTurn(recall: RecallFn | undefined, query: string, options: GroundingOptions): Promise<Grounding> {
  if (!recall || options.topK === 0) return { reachable: false, episodes: [], scores: [], error: "no memory service configured" };
  let timer: NodeJS.Timeout | undefined;
  try {
    const result = await Promise.race([
      recall(query, options.topK),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`memory did not answer within ${options.timeoutMs} ms`)), options.timeoutMs);
      }),
    ]);
    const episodes: Episode[] = [];
    const scores: number[] = [];
    result.episodes.forEach((episode, i) => {
      const score = result.scores[i] ?? 0;
      if (score >= options.minScore && episodes.length < options.topK) {
        episodes.push(episode);
        scores.push(score);
      }
    });
    return { reachable: true, episodes, scores };
  } catch (error) {
    return { reachable: false, episodes: [], scores: [], error: error instanceof Error ? error.message : String(error) };
  } finally {
    if (timer) clearTimeout(timer);
  }
}

function describeEpisode(e: Episode): string {
  if (e.description.trim()) return e.description.trim();
  return [e.agent, e.action, e.object, e.location && `at ${e.location}`, e.result && `: ${e.result}`].filter(Boolean).join(" ");
}

/** The memory block of the system prompt; ids in brackets so the model can refer to them. */
export function formatEpisodesForPrompt(episodes: readonly Episode[]): string {
  if (episodes.length === 0) return "";
  return ["What you remember (most relevant first):", ...episodes.map((e) => `[${e.id}] ${describeEpisode(e)}`)].join("\n");
}

/**
 * The reply without a model: what memory says, plainly marked. Honest rather than clever: it
 * reads back the best episode or says that nothing is remembered.
 */
export function modelFreeReply(grounding: Grounding, style: { opener: string; closer: string } = { opener: "", closer: "" }): string {
  const wrap = (body: string) => ["(model-free)", style.opener, body, style.closer].filter(Boolean).join(" ");
  if (!grounding.reachable) return wrap("I have no language model loaded and cannot reach my memory right now.");
  const best = grounding.episodes[0];
  if (!best) return wrap("I have no language model loaded, and I do not remember anything about that.");
  const more = grounding.episodes.length > 1 ? ` I also remember ${grounding.episodes.length - 1} related event${grounding.episodes.length > 2 ? "s" : ""}.` : "";
  return wrap(`From memory: ${describeEpisode(best).replace(/[.\s]+$/, "")}.${more}`);
}

/** What memory's Ask service answered (the fields a reply needs). */
export interface AskedAnswer {
  readonly answer: string;
  readonly abstained: boolean;
  readonly kind: string;
  readonly episodes: readonly Episode[];
}

/** Asks memory a question in plain words; rejects when memory is unreachable. */
export type AskFn = (question: string) => Promise<AskedAnswer>;

/** Ask's answer for this turn, or undefined when there is no Ask service or it did not answer in time. */
export async function askForTurn(ask: AskFn | undefined, question: string, timeoutMs: number): Promise<AskedAnswer | undefined> {
  if (!ask) return undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      ask(question),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error("ask timed out")), timeoutMs);
      }),
    ]);
  } catch {
    return undefined;
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/**
 * Whether an utterance asks about the robot's own past (what memory can answer), as opposed to
 * general knowledge or small talk, which needs the language model.
 */
export function looksLikeMemoryQuestion(text: string): boolean {
  const t = text.toLowerCase();
  if (/^\s*(?:tell me about|do you remember|what happened|when did|when was|where did|where was|where is|where are|where's|who did|why did|why could|why was|how many|how long|how often|what did you|which .* did you)\b/.test(t)) return true;
  return /\b(?:you|your|robot\w*)\b/.test(t) && /\b(?:did|have you|were you|was it|happened|yesterday|today|this morning|last|earlier|before|after|remember)\b/.test(t);
}

/**
 * The reply without a model when memory's Ask service is there: its sentence for a memory question
 * it can answer; for one it cannot, its reason; for anything else, plainly that this needs the
 * language model (instead of reading back an unrelated episode). Cheerful openers and closers
 * ("keep going!") only go with an answer, never with a refusal.
 */
export function modelFreeAnswer(asked: AskedAnswer, question: string, style: { opener: string; closer: string } = { opener: "", closer: "" }): string {
  const answered = (body: string) => ["(model-free)", style.opener, body, style.closer].filter(Boolean).join(" ");
  const refused = (body: string) => ["(model-free)", style.opener ? "Sorry." : "", body].filter(Boolean).join(" ");
  const aboutMemory = looksLikeMemoryQuestion(question);
  // Typed answers (when, how many, ...) stand on their own; "what happened" evidence only answers
  // what reads as a question about the robot's past ("how do I fix a cup?" is not).
  if (!asked.abstained && asked.kind !== "none" && (asked.kind !== "episodes" || aboutMemory)) return answered(asked.answer);
  if (aboutMemory) return refused(asked.answer);
  return refused("I cannot answer that without my language model. Without it I can only answer questions about what I did: when, how often, how long, where, who and why.");
}
