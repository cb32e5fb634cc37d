/**
 * A panel of takes over the dialogue engine: the router picks the members a problem concerns, and
 * each gives a short take (at most the panel's maxTakeTokens, never above 55) under its own
 * identity and adapter mix, one after another on the one model, cleaned like any reply and
 * streamed sentence by sentence tagged with its member. Without a model each take is a plainly
 * marked model-free line naming what the member looks at.
 */
import type { DialogueEngine, GenerateResult } from "../../dialogue/DialogueEngine.js";
import { ForbiddenPhraseFilter, SentenceStreamer } from "../../dialogue/postProcess.js";
import { limitAdapters, type BakedModelMatcher } from "../../power/turnBudget.js";
import { adapterMix } from "../blendPersona.js";
import { describePersona } from "../describePersona.js";
import type { EmbedSync } from "../ExpertRouter.js";
import type { PersonaSpec } from "../PersonaSpec.js";
import type { AdapterScale, PersonaWeights } from "../types.js";
import { memberBlend } from "./memberBlend.js";
import { PanelRouter, type PanelChoice } from "./PanelRouter.js";
import type { PanelSpec } from "./PanelSpec.js";

export interface PanelOfTakesOptions {
  /** The persona whose adapters, generation defaults and dimension wording the members share. */
  readonly spec: PersonaSpec;
  readonly panel: PanelSpec;
  readonly adapterFiles: Readonly<Record<string, string | undefined>>;
  /** Each member's own adapter file, where it has one that exists. */
  readonly memberAdapterFiles?: Readonly<Record<string, string | undefined>>;
  /** Undefined: model-free takes. */
  readonly engine?: DialogueEngine;
  readonly embed?: EmbedSync;
  /** The bake hook (power reduce mode keeps a member's whole mix when a bake matches it). */
  readonly bakedModel?: BakedModelMatcher;
}

export interface TakesRequest {
  readonly problem: string;
  /** Members wanted; 0 means the panel's default count. */
  readonly perspectives: number;
  /** The operator's weights; each member overrides some. */
  readonly weights: PersonaWeights;
  /** Token limit of this request; a take never gets more than the panel's maxTakeTokens. */
  readonly maxTokens?: number;
  readonly temperature?: number;
  readonly seed?: number;
  readonly forbiddenPhrases?: readonly string[];
  /** Power reduce mode: most runtime adapters per take. */
  readonly maxAdapters?: number;
  /** Power pause mode, or no model: nothing is generated. */
  readonly modelFree?: boolean;
  readonly signal?: AbortSignal;
  /** Whole cleaned sentences as they are ready, with the member that said them. */
  readonly onPiece?: (member: string, piece: string) => void;
}

export interface Take {
  readonly member: string;
  readonly title: string;
  readonly take: string;
  readonly adapters: readonly AdapterScale[];
  readonly score: number;
  readonly matchedBy: PanelChoice["matchedBy"];
  readonly keywords: readonly string[];
  readonly tokens: number;
  readonly stopReason: GenerateResult["stopReason"] | "model-free";
  /** Set when a baked model matched this member's mix (reduce mode kept it whole). */
  readonly bake?: string;
}

export interface TakesResult {
  readonly takes: readonly Take[];
  readonly modelFree: boolean;
  readonly totalMs: number;
  readonly removedPhrases: number;
}

export class PanelOfTakes {
  readonly router: PanelRouter;

  constructor(private readonly options: PanelOfTakesOptions) {
    this.router = new PanelRouter(options.panel, options.embed);
  }

  get panel(): PanelSpec {
    return this.options.panel;
  }

  /** Routing alone, without generating. */
  classify(problem: string, perspectives: number): PanelChoice[] {
    return this.router.choose(problem, perspectives);
  }

  async takes(request: TakesRequest): Promise<TakesResult> {
    const started = performance.now();
    const { spec, panel } = this.options;
    const chosen = this.router.choose(request.problem, request.perspectives);
    const engine = request.modelFree ? undefined : this.options.engine;
    const filter = new ForbiddenPhraseFilter(request.forbiddenPhrases ?? spec.generation.forbiddenPhrases);
    const maxTokens = Math.min(panel.maxTakeTokens, request.maxTokens ?? panel.maxTakeTokens);
    const seed = request.seed ?? spec.generation.seed;
    const takes: Take[] = [];
    let removedPhrases = 0;
    for (const choice of chosen) {
      const member = choice.member;
      const blend = memberBlend(spec, member, request.weights, {
        adapterFiles: this.options.adapterFiles,
        ...(this.options.memberAdapterFiles?.[member.name] ? { memberAdapterFile: this.options.memberAdapterFiles[member.name]! } : {}),
      });
      const limited = limitAdapters(blend.adapters, request.maxAdapters, this.options.bakedModel);
      const base = { member: member.name, title: member.title, score: choice.score, matchedBy: choice.matchedBy, keywords: choice.keywords, ...(limited.bake ? { bake: limited.bake } : {}) };
      if (!engine || request.signal?.aborted) {
        const take = filter.apply(`Model-free: the ${member.title} take looks at ${member.focus}.`).text;
        request.onPiece?.(member.name, take);
        takes.push({ ...base, take, adapters: [], tokens: 0, stopReason: "model-free" });
        continue;
      }
      const streamer = new SentenceStreamer(filter);
      const result = await engine.generate({
        mix: adapterMix(limited.adapters),
        ...(limited.bake ? { bakedModel: limited.bake } : {}),
        prompt: { system: describePersona({ ...spec, identity: member.identity }, blend.effective), history: [], user: request.problem },
        maxTokens,
        temperature: request.temperature ?? spec.generation.temperature,
        topP: spec.generation.topP,
        ...(seed !== undefined ? { seed } : {}),
        stop: spec.generation.stop,
        ...(request.signal ? { signal: request.signal } : {}),
        onText: (chunk) => {
          for (const piece of streamer.push(chunk)) request.onPiece?.(member.name, piece);
        },
      });
      const done = streamer.finish(result.stopReason === "maxTokens" || result.stopReason === "abort");
      if (done.piece) request.onPiece?.(member.name, done.piece);
      removedPhrases += streamer.removedPhrases;
      takes.push({ ...base, take: done.reply, adapters: limited.adapters, tokens: result.tokens, stopReason: result.stopReason });
    }
    return { takes, modelFree: engine === undefined, totalMs: performance.now() - started, removedPhrases };
  }
}
