/**
 * One conversational turn, end to end: route the utterance, blend the persona (weights snapshotted
 * at the start of the turn, so a parameter set mid-reply applies from the next turn), recall
 * grounding episodes, prompt, generate (or answer from memory when no model is loaded),
 * post-process, stream whole sentences, and remember the exchange in the session's history.
 */
import { describePersona, personaFlourish } from "../persona/describePersona.js";
import { adapterMix, blendPersona } from "../persona/blendPersona.js";
import { ExpertRouter, type EmbedSync } from "../persona/ExpertRouter.js";
import type { PersonaSpec } from "../persona/PersonaSpec.js";
import { PERSONA_SLOTS, slotWeight } from "../persona/personaSlots.js";
import type { AdapterFiles } from "../persona/resolveAdapterFiles.js";
import type { BakedModelMatcher } from "../persona/bake/BakeCatalog.js";
import type { PersonaBlend, PersonaWeights, RoutingDecision } from "../persona/types.js";
import type { DialogueEngine, GenerateResult } from "./DialogueEngine.js";
import { askForTurn, formatEpisodesForPrompt, looksLikeMemoryQuestion, modelFreeAnswer, modelFreeReply, recallForTurn, type AskFn, type RecallFn } from "./grounding.js";
import { ForbiddenPhraseFilter, postProcessReply, SentenceStreamer } from "./postProcess.js";
import { limitAdapters } from "../power/turnBudget.js";

export interface DialogueOptions {
  readonly spec: PersonaSpec;
  /** Resolved adapter file per "persona.<dim>" / "expertise.<expert>"; only existing files. */
  readonly adapterFiles: AdapterFiles;
  /** Undefined: model-free (replies from memory, marked so). */
  readonly engine?: DialogueEngine;
  readonly recall?: RecallFn;
  /** Memory's Ask service: model-free replies say its sentence; with a model it joins the grounding. */
  readonly ask?: AskFn;
  /** Encoder for routing by similarity; default a hashed bag of words. */
  readonly embed?: EmbedSync;
  /** Sessions whose history is kept (least recently used dropped first). Default 256. */
  readonly maxSessions?: number;
  /**
   * The bake hook: the baked model that computes a turn's blend, if one does. Asked once when a
   * turn starts, so a bake that finishes mid-reply serves from the next turn on.
   */
  readonly bakedModel?: BakedModelMatcher;
}

/** A blend and the baked model that stands in for it, when one does. */
export type PreparedBlend = PersonaBlend & { readonly bakedModel?: string };

export interface TurnRequest {
  /** Turns of one id share a history; "" keeps none (each turn stands alone). */
  readonly sessionId: string;
  readonly text: string;
  /** The persona weights of this turn (the operator's parameters, snapshotted). */
  readonly weights: PersonaWeights;
  readonly jsonMode?: boolean;
  readonly maxTokens: number;
  readonly routing?: boolean;
  /** Most runtime adapters this turn (power reduce mode); default the persona's maxActiveAdapters. */
  readonly maxAdapters?: number;
  /** Answer from memory without generating (power pause mode), even with a model loaded. */
  readonly modelFree?: boolean;
  readonly seed?: number;
  /** Sampling temperature of this turn (default: the spec's). */
  readonly temperature?: number;
  /** How long this turn waits for memory (default: the spec's grounding.timeoutMs). */
  readonly groundingTimeoutMs?: number;
  readonly forbiddenPhrases?: readonly string[];
  readonly signal?: AbortSignal;
  /** Whole, cleaned sentences as they are ready (for ~/reply_stream). */
  readonly onPiece?: (piece: string) => void;
}

export interface TurnResult {
  readonly reply: string;
  readonly gesture: string;
  /** JSON mode: the valid {say, gesture} JSON. */
  readonly json?: string;
  readonly routing: RoutingDecision;
  readonly blend: PersonaBlend;
  /** The baked model the reply ran on (no runtime adapters), when the blend matched one. */
  readonly bakedModel?: string;
  readonly citedEpisodes: readonly string[];
  readonly grounded: boolean;
  readonly modelFree: boolean;
  readonly tokens: number;
  readonly firstTokenMs: number;
  readonly totalMs: number;
  readonly contextMs: number;
  readonly contextCached: boolean;
  readonly stopReason: GenerateResult["stopReason"] | "model-free";
  readonly removedPhrases: number;
  /** Human-readable notes: memory unreachable, JSON repaired, cancelled. */
  readonly notes: readonly string[];
}

interface Exchange {
  readonly user: string;
  readonly assistant: string;
}

export class Dialogue {
  readonly router: ExpertRouter;
  private readonly sessions = new Map<string, Exchange[]>();
  private readonly filters = new Map<string, ForbiddenPhraseFilter>();

  constructor(private readonly options: DialogueOptions) {
    this.router = new ExpertRouter(options.spec, options.embed);
  }

  get spec(): PersonaSpec {
    return this.options.spec;
  }
  get modelFree(): boolean {
    return this.options.engine === undefined;
  }

  /** Routing alone, without generation. */
  route(text: string): RoutingDecision {
    return this.router.route(text);
  }

  blend(weights: PersonaWeights, routing: RoutingDecision | undefined): PersonaBlend {
    return blendPersona(this.options.spec, weights, routing, { adapterFiles: this.options.adapterFiles });
  }

  /**
   * After a parameter change: build the context of the new weights (for an utterance that routes
   * to no expert, the common case) off the request path, so the next turn finds it ready.
   */
  prewarm(weights: PersonaWeights, routing = true, maxAdapters?: number): PreparedBlend {
    // Under an adapter limit (power reduce mode) the next turn applies the limited blend: build that one.
    const blend = this.prepare(this.limitedBlend(this.blend(weights, routing ? this.route("") : undefined), maxAdapters));
    this.options.engine?.prewarm({ mix: blend, bakedModel: blend.bakedModel });
    return blend;
  }

  /** The blend under an adapter limit (power reduce mode); a matching bake keeps it whole. */
  private limitedBlend(full: PersonaBlend, maxAdapters: number | undefined): PersonaBlend {
    const limited = limitAdapters(full.adapters, maxAdapters, this.options.bakedModel);
    return limited.adapters === full.adapters ? full : { ...full, ...adapterMix(limited.adapters) };
  }

  /** The blend with the bake that computes it, when there is one (and a model to run it). */
  private prepare(blend: PersonaBlend): PreparedBlend {
    const bakedModel = this.options.engine ? this.options.bakedModel?.(blend.adapters) : undefined;
    return bakedModel ? { ...blend, bakedModel } : blend;
  }

  async turn(request: TurnRequest): Promise<TurnResult> {
    const started = performance.now();
    const spec = this.options.spec;
    const routing = this.route(request.text);
    const blend = this.prepare(this.limitedBlend(this.blend(request.weights, request.routing === false ? undefined : routing), request.maxAdapters));
    const filter = this.filterFor(request.forbiddenPhrases ?? spec.generation.forbiddenPhrases);
    const notes: string[] = [];

    const grounding = await recallForTurn(this.options.recall, request.text, {
      ...spec.grounding,
      timeoutMs: request.groundingTimeoutMs ?? spec.grounding.timeoutMs,
    });
    if (!grounding.reachable) notes.push(`ungrounded: ${grounding.error ?? "memory unreachable"}`);
    const citedEpisodes = grounding.episodes.map((e) => e.id);
    const { bakedModel, ...plainBlend } = blend;
    const base = { routing, blend: plainBlend, citedEpisodes, grounded: grounding.reachable, removedPhrases: 0 };

    const engine = request.modelFree ? undefined : this.options.engine;
    const askTimeoutMs = request.groundingTimeoutMs ?? spec.grounding.timeoutMs;
    if (!engine) {
      const asked = await askForTurn(this.options.ask, request.text, askTimeoutMs);
      const style = personaFlourish(blend.effective);
      const reply = filter.apply(asked ? modelFreeAnswer(asked, request.text, style) : modelFreeReply(grounding, style)).text;
      request.onPiece?.(reply);
      this.remember(request.sessionId, request.text, reply);
      const totalMs = performance.now() - started;
      const cited = asked ? { citedEpisodes: asked.abstained ? [] : asked.episodes.map((e) => e.id) } : {};
      return { ...base, ...cited, reply, gesture: "none", modelFree: true, tokens: 0, firstTokenMs: totalMs, totalMs, contextMs: 0, contextCached: false, stopReason: "model-free", notes };
    }

    // A question about the robot's past: Ask's typed answer grounds the model too.
    const asked = looksLikeMemoryQuestion(request.text) ? await askForTurn(this.options.ask, request.text, askTimeoutMs) : undefined;
    const answerLine = asked && !asked.abstained ? `Answer to the question, from memory: ${asked.answer}` : "";
    const memory = [formatEpisodesForPrompt(grounding.episodes), answerLine].filter(Boolean).join("\n");
    const system = [describePersona(spec, blend.effective), memory].filter(Boolean).join("\n\n");
    const history = request.sessionId === "" ? [] : (this.sessions.get(request.sessionId) ?? []).slice(-spec.generation.historyTurns);
    const streamer = new SentenceStreamer(filter);
    const seed = request.seed ?? spec.generation.seed;
    const generateCalledAt = performance.now();
    const result = await engine.generate({
      mix: blend,
      bakedModel,
      prompt: { system, history, user: request.text },
      maxTokens: request.maxTokens,
      temperature: request.temperature ?? spec.generation.temperature,
      topP: spec.generation.topP,
      ...(seed !== undefined ? { seed } : {}),
      stop: spec.generation.stop,
      ...(request.jsonMode ? { json: { gestures: spec.generation.gestures, sayMaxLength: 240 } } : {}),
      ...(request.signal ? { signal: request.signal } : {}),
      ...(!request.jsonMode
        ? {
            onText: (chunk: string) => {
              for (const piece of streamer.push(chunk)) request.onPiece?.(piece);
            },
          }
        : {}),
    });
    if (result.stopReason === "abort") notes.push("cancelled");

    let reply: string;
    let gesture = "none";
    let json: string | undefined;
    let removedPhrases: number;
    const truncated = result.stopReason === "maxTokens" || result.stopReason === "abort";
    if (result.json) {
      const cleaned = postProcessReply(result.json.say, filter, truncated);
      reply = cleaned.text;
      removedPhrases = cleaned.removedPhrases;
      gesture = result.json.gesture;
      json = JSON.stringify({ say: reply, gesture });
      if (!result.json.parsed) notes.push("json repaired after the token limit");
      if (reply) request.onPiece?.(reply);
    } else {
      const done = streamer.finish(truncated);
      if (done.piece) request.onPiece?.(done.piece);
      reply = done.reply;
      removedPhrases = streamer.removedPhrases;
    }
    this.remember(request.sessionId, request.text, reply);
    return {
      ...base,
      reply,
      gesture,
      ...(json !== undefined ? { json } : {}),
      modelFree: false,
      ...(result.bakedModel ? { bakedModel: result.bakedModel } : {}),
      tokens: result.tokens,
      firstTokenMs: generateCalledAt - started + result.firstTokenMs,
      totalMs: performance.now() - started,
      contextMs: result.contextMs,
      contextCached: result.contextCached,
      stopReason: result.stopReason,
      removedPhrases,
      notes,
    };
  }

  /** Persona weights as the flat (names, weights) lists of the Chat response and PersonaState. */
  static flatten(weights: PersonaWeights): { names: string[]; values: number[] } {
    return { names: PERSONA_SLOTS.map((s) => s.key), values: PERSONA_SLOTS.map((s) => slotWeight(weights, s)) };
  }

  forget(sessionId: string): void {
    this.sessions.delete(sessionId);
  }

  /** An empty session id keeps no history: each such turn stands alone. */
  private remember(sessionId: string, user: string, assistant: string): void {
    if (sessionId === "") return;
    const history = this.sessions.get(sessionId) ?? [];
    this.sessions.delete(sessionId);
    history.push({ user, assistant });
    if (history.length > 20) history.splice(0, history.length - 20);
    this.sessions.set(sessionId, history);
    const max = this.options.maxSessions ?? 256;
    while (this.sessions.size > max) this.sessions.delete(this.sessions.keys().next().value!);
  }

  private filterFor(phrases: readonly string[]): ForbiddenPhraseFilter {
    const key = phrases.join("\u0000");
    let filter = this.filters.get(key);
    if (!filter) {
      filter = new ForbiddenPhraseFilter(phrases);
      this.filters.set(key, filter);
    }
    return filter;
  }
}
