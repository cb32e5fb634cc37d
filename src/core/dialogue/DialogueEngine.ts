/**
 * The generation engine over node-llama-cpp: one base model, LoRA adapters applied per context at
 * the scales of a persona blend (contexts cached per scale vector), or a baked model that computes
 * the blend with no adapters (loaded with its context, disposed with it), the model's own chat
 * template, a hard token limit, stop sequences, streaming, cancellation and optional JSON output.
 */
import {
  getLlama,
  LlamaCompletion,
  resolveChatWrapper,
  type ChatHistoryItem,
  type ChatWrapper,
  type Llama,
  type LlamaContext,
  type LlamaContextSequence,
  type LlamaJsonSchemaGrammar,
  type LlamaModel,
  type Token,
} from "node-llama-cpp";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ContextCache } from "../persona/ContextCache.js";
import { mergeLoraAdaptersAsync } from "../persona/mergeLoraAdapters.js";
import type { RuntimeSpec } from "../persona/PersonaSpec.js";
import type { AdapterMix, AdapterScale } from "../persona/types.js";

export interface DialogueEngineOptions {
  readonly modelPath: string;
  readonly runtime: RuntimeSpec;
  /** Share one Llama between engines (tests, benchmarks); otherwise one is made from runtime.gpu. */
  readonly llama?: Llama;
  /** Failures of background context builds. */
  readonly onBackgroundError?: (error: unknown) => void;
}

export interface PromptParts {
  readonly system: string;
  readonly history: ReadonlyArray<{ readonly user: string; readonly assistant: string }>;
  readonly user: string;
}

export interface JsonOutputOptions {
  readonly gestures: readonly string[];
  /** Characters allowed in "say", so that a reply fits the token limit more often. */
  readonly sayMaxLength: number;
}

/** What a context runs: the base model with a mix of adapters, or a bake of that mix (no adapters). */
export interface RunTarget {
  readonly mix: AdapterMix;
  /** A baked GGUF whose recipe is this mix: it runs instead of the base, with no runtime adapters. */
  readonly bakedModel?: string | undefined;
}

export interface GenerateRequest extends RunTarget {
  readonly prompt: PromptParts;
  readonly maxTokens: number;
  readonly temperature: number;
  readonly topP: number;
  readonly seed?: number;
  readonly stop: readonly string[];
  readonly json?: JsonOutputOptions;
  readonly signal?: AbortSignal;
  /** Raw generated text as it arrives. */
  readonly onText?: (chunk: string) => void;
}

export interface JsonReply {
  readonly say: string;
  readonly gesture: string;
  /** True when the model's own output parsed; false when it was cut by the token limit and repaired. */
  readonly parsed: boolean;
  /** Always valid JSON of {say, gesture}. */
  readonly json: string;
}

export interface GenerateResult {
  readonly text: string;
  readonly tokens: number;
  readonly stopReason: "eogToken" | "stopGenerationTrigger" | "maxTokens" | "abort" | "customStopTrigger";
  /** From the call, context switch included. */
  readonly firstTokenMs: number;
  readonly totalMs: number;
  /** Time spent getting the context for this scale vector (≈0 when cached). */
  readonly contextMs: number;
  readonly contextCached: boolean;
  /** The baked model that generated, when one did. */
  readonly bakedModel?: string;
  /** LoRA adapters applied at run time (0 on a baked model). */
  readonly runtimeAdapters: number;
  readonly json?: JsonReply;
}

/** A cached context and the model it runs (the base, or a baked model it owns). */
interface TargetContext {
  readonly context: LlamaContext;
  readonly model: LlamaModel;
  readonly runtimeAdapters: number;
  readonly bakedModel?: string;
}

/** The context cache's key of a target: a bake is one context whatever its mix's files. */
function targetKey(target: RunTarget): string {
  return target.bakedModel ? `bake:${target.bakedModel}` : target.mix.key;
}

export class ModelFileError extends Error {
  constructor(path: string, cause: unknown) {
    super(
      `cannot load model ${path}: ${cause instanceof Error ? cause.message : String(cause)}; check the model path (configs/models.yaml or the model_path parameter)`,
    );
    this.name = "ModelFileError";
  }
}

export class DialogueEngine {
  private readonly contexts: ContextCache<TargetContext>;
  private readonly grammars = new Map<string, Promise<LlamaJsonSchemaGrammar<any>>>();
  private readonly chatWrapper: ChatWrapper;
  private readonly sequences = new WeakMap<LlamaContext, LlamaContextSequence>();
  /** Merged adapter file per scale-vector key (runtime.mergeAdapters). */
  private readonly merged = new Map<string, string>();
  private mergeDir: string | undefined;
  private mergeCount = 0;

  private constructor(
    readonly llama: Llama,
    readonly model: LlamaModel,
    private readonly runtime: RuntimeSpec,
    private readonly ownsLlama: boolean,
    private readonly onBackgroundError: ((error: unknown) => void) | undefined,
  ) {
    this.chatWrapper = resolveChatWrapper(model);
    this.contexts = new ContextCache<TargetContext>({
      capacity: runtime.contextCacheSize,
      dispose: async (entry) => {
        await entry.context.dispose();
        if (entry.model !== this.model) await entry.model.dispose();
      },
      onBackgroundError: (_key, error) => onBackgroundError?.(error),
    });
  }

  static async open(options: DialogueEngineOptions): Promise<DialogueEngine> {
    const ownsLlama = options.llama === undefined;
    const llama = options.llama ?? (await getLlama({ gpu: options.runtime.gpu, build: "never" }));
    try {
      const model = await llama.loadModel({ modelPath: options.modelPath, gpuLayers: options.runtime.gpuLayers });
      return new DialogueEngine(llama, model, options.runtime, ownsLlama, options.onBackgroundError);
    } catch (error) {
      if (ownsLlama) await llama.dispose();
      throw new ModelFileError(options.modelPath, error);
    }
  }

  get chatTemplate(): string {
    return this.chatWrapper.wrapperName;
  }

  cacheStats() {
    return { ...this.contexts.stats(), mergedAdapters: this.merged.size };
  }

  /**
   * Loads one adapter into the model (llama.cpp then keeps it for every later context) and reports
   * why it is unusable, if it is: a wrong base model or a corrupt file fails here, at start, instead of
   * failing every turn that would apply it.
   */
  async checkAdapter(filePath: string): Promise<string | undefined> {
    try {
      const context = await this.model.createContext({
        contextSize: 128,
        sequences: 1,
        ...(this.runtime.threads > 0 ? { threads: this.runtime.threads } : {}),
        lora: { adapters: [{ filePath, scale: 1 }] },
      });
      await context.dispose();
      return undefined;
    } catch (error) {
      return `${error instanceof Error ? error.message : String(error)} (is it a GGUF LoRA adapter for this base model?)`;
    }
  }

  /** Builds the context of a target off the request path (after a parameter change or a bake). */
  prewarm(target: RunTarget): void {
    this.contexts.prewarm(targetKey(target), () => this.createContext(target));
  }

  isReady(target: RunTarget): boolean {
    return this.contexts.isReady(targetKey(target));
  }

  /** Prompt tokens in the model's chat template (BOS left out: the completion adds it). */
  promptTokens(prompt: PromptParts, model: LlamaModel = this.model): Token[] {
    const history: ChatHistoryItem[] = [{ type: "system", text: prompt.system }];
    for (const turn of prompt.history) {
      history.push({ type: "user", text: turn.user }, { type: "model", response: [turn.assistant] });
    }
    history.push({ type: "user", text: prompt.user }, { type: "model", response: [] });
    const { contextText } = this.chatWrapper.generateContextState({ chatHistory: history });
    const tokens = contextText.tokenize(model.tokenizer);
    const bos = model.tokens.bos;
    return bos !== null && tokens[0] === bos ? tokens.slice(1) : tokens;
  }

  async generate(request: GenerateRequest): Promise<GenerateResult> {
    const started = performance.now();
    const lease = await this.contexts.acquire(targetKey(request), () => this.createContext(request));
    const contextMs = performance.now() - started;
    try {
      const { context, model, runtimeAdapters, bakedModel } = lease.value;
      const ran = { runtimeAdapters, ...(bakedModel ? { bakedModel } : {}) };
      const sequence = this.sequenceFor(context);
      const completion = new LlamaCompletion({ contextSequence: sequence });
      const grammar = request.json ? await this.grammarFor(request.json) : undefined;
      let tokens = 0;
      let firstTokenMs = 0;
      if (request.signal?.aborted) {
        // Cancelled while queued or switching context: nothing generated, nothing to throw.
        return { text: "", tokens: 0, stopReason: "abort", firstTokenMs: 0, totalMs: performance.now() - started, contextMs, contextCached: lease.cached, ...ran, ...(request.json ? { json: parseJsonReply("", request.json.gestures) } : {}) };
      }
      const result = await completion.generateCompletionWithMeta(this.promptTokens(request.prompt, model), {
        maxTokens: request.maxTokens,
        temperature: request.temperature,
        topP: request.topP,
        ...(request.seed !== undefined ? { seed: request.seed } : {}),
        customStopTriggers: request.json ? [] : [...request.stop],
        ...(grammar ? { grammar } : {}),
        ...(request.signal ? { signal: request.signal, stopOnAbortSignal: true } : {}),
        onToken: (t) => {
          if (tokens === 0) firstTokenMs = performance.now() - started;
          tokens += t.length;
        },
        ...(request.onText ? { onTextChunk: request.onText } : {}),
      });
      const text = result.response;
      return {
        text,
        tokens,
        stopReason: result.metadata.stopReason,
        firstTokenMs,
        totalMs: performance.now() - started,
        contextMs,
        contextCached: lease.cached,
        ...ran,
        ...(request.json ? { json: parseJsonReply(text, request.json.gestures) } : {}),
      };
    } finally {
      lease.release();
    }
  }

  async close(): Promise<void> {
    await this.contexts.clear();
    await this.model.dispose();
    if (this.ownsLlama) await this.llama.dispose();
    if (this.mergeDir) rmSync(this.mergeDir, { recursive: true, force: true });
  }

  /** One sequence per context, kept across turns so a shared prompt prefix is not evaluated again. */
  private sequenceFor(context: LlamaContext): LlamaContextSequence {
    let sequence = this.sequences.get(context);
    if (!sequence || sequence.disposed) {
      sequence = context.getSequence();
      this.sequences.set(context, sequence);
    }
    return sequence;
  }

  private async createContext(target: RunTarget): Promise<TargetContext> {
    if (target.bakedModel) {
      const model = await this.llama.loadModel({ modelPath: target.bakedModel, gpuLayers: this.runtime.gpuLayers });
      try {
        return { context: await this.newContext(model, []), model, runtimeAdapters: 0, bakedModel: target.bakedModel };
      } catch (error) {
        await model.dispose();
        throw error;
      }
    }
    const adapters = target.mix.adapters;
    let lora = adapters.map((a) => ({ filePath: a.filePath, scale: a.scale }));
    const merged = await this.mergedPathFor(target.mix.key, adapters);
    if (merged) lora = [{ filePath: merged, scale: 1 }];
    return { context: await this.newContext(this.model, lora), model: this.model, runtimeAdapters: lora.length };
  }

  private newContext(model: LlamaModel, lora: ReadonlyArray<{ filePath: string; scale: number }>): Promise<LlamaContext> {
    return model.createContext({
      contextSize: Math.min(this.runtime.contextSize, model.trainContextSize),
      sequences: 1,
      ...(this.runtime.threads > 0 ? { threads: this.runtime.threads } : {}),
      ...(lora.length ? { lora: { adapters: [...lora] } } : {}),
    });
  }

  /**
   * The merged adapter for a scale vector (made once per vector), or undefined to apply the adapters
   * stacked: merging is off, there is only one, the cap is reached, or the files cannot be merged.
   */
  private async mergedPathFor(key: string, adapters: readonly AdapterScale[]): Promise<string | undefined> {
    if (!this.runtime.mergeAdapters || adapters.length < 2) return undefined;
    const existing = this.merged.get(key);
    if (existing) return existing;
    if (this.merged.size >= this.runtime.maxMergedAdapters) return undefined;
    try {
      this.mergeDir ??= mkdtempSync(join(tmpdir(), "persona-lora-"));
      // A fresh name every time: llama.cpp caches adapters by path, so a path is never reused.
      const path = join(this.mergeDir, `merged-${this.mergeCount++}.gguf`);
      this.merged.set(key, path); // reserved now: concurrent builds of other keys count against the cap
      try {
        await mergeLoraAdaptersAsync(adapters, path);
      } catch (error) {
        this.merged.delete(key);
        throw error;
      }
      return path;
    } catch (error) {
      this.onBackgroundError?.(error);
      return undefined;
    }
  }

  private grammarFor(options: JsonOutputOptions): Promise<LlamaJsonSchemaGrammar<any>> {
    const key = `${options.sayMaxLength}:${options.gestures.join(",")}`;
    let grammar = this.grammars.get(key);
    if (!grammar) {
      grammar = this.llama.createGrammarForJsonSchema({
        type: "object",
        properties: {
          say: { type: "string", maxLength: options.sayMaxLength },
          gesture: { enum: [...options.gestures] },
        },
        required: ["say", "gesture"],
      } as const);
      this.grammars.set(key, grammar);
    }
    return grammar;
  }
}

/**
 * Parses the grammar-constrained output; when the token limit cut it, rebuilds a valid object from
 * what was generated (the hard limit wins over the grammar, and the reply must still be JSON).
 */
export function parseJsonReply(text: string, gestures: readonly string[]): JsonReply {
  const fallbackGesture = gestures.includes("none") ? "none" : (gestures[0] ?? "none");
  try {
    const value = JSON.parse(text) as { say?: unknown; gesture?: unknown };
    if (typeof value.say === "string" && typeof value.gesture === "string" && gestures.includes(value.gesture)) {
      return { say: value.say, gesture: value.gesture, parsed: true, json: JSON.stringify({ say: value.say, gesture: value.gesture }) };
    }
  } catch {
    // cut by the token limit: repaired below
  }
  const sayMatch = /"say"\s*:\s*"((?:[^"\\]|\\.)*)/.exec(text);
  let say = "";
  if (sayMatch?.[1] !== undefined) {
    const body = sayMatch[1].replace(/\\$/, "");
    try {
      say = JSON.parse(`"${body}"`) as string;
    } catch {
      say = body.replace(/\\./g, " ");
    }
  }
  const gestureMatch = /"gesture"\s*:\s*"([^"]*)"/.exec(text);
  const gesture = gestureMatch?.[1] && gestures.includes(gestureMatch[1]) ? gestureMatch[1] : fallbackGesture;
  return { say, gesture, parsed: false, json: JSON.stringify({ say, gesture }) };
}
