/**
 * Synthetic pole data from the local base model (Hamster's route): each situation answered under the
 * persona described at each pole, with the 55-token reply limit, then cleaned (cleanReplies.ts).
 * The generator is an interface so the pipeline is testable; LlamaReplyGenerator is the real one.
 */
import { getLlama, LlamaCompletion, type Llama, type LlamaContext, type LlamaModel } from "node-llama-cpp";
import type { TextEmbedder } from "../../../embedding/types.js";
import { countReason, type ReasonCounts } from "../types.js";
import { cleanReplies } from "./cleanReplies.js";
import type { ContrastItem } from "./starterSets.js";

export interface ReplyGenerator {
  generate(prompt: string, maxTokens: number): Promise<string>;
  close(): Promise<void>;
}

export interface LlamaReplyGeneratorOptions {
  readonly modelPath: string;
  readonly adapters?: ReadonlyArray<{ readonly filePath: string; readonly scale: number }>;
  readonly temperature?: number;
  readonly seed?: number;
  readonly contextSize?: number;
  /**
   * llama.cpp threads (default: node-llama-cpp's). Set it on a machine with other work: a tiny
   * model's many short ops make threads that wait on a descheduled peer cost a time slice per op.
   */
  readonly threads?: number;
  readonly llama?: Llama;
}

export class LlamaReplyGenerator implements ReplyGenerator {
  private constructor(
    private readonly model: LlamaModel,
    private readonly context: LlamaContext,
    private readonly options: LlamaReplyGeneratorOptions,
  ) {}

  static async load(options: LlamaReplyGeneratorOptions): Promise<LlamaReplyGenerator> {
    const llama = options.llama ?? (await getLlama({ gpu: false, build: "never" }));
    const model = await llama.loadModel({ modelPath: options.modelPath, gpuLayers: 0 });
    const active = (options.adapters ?? []).filter((a) => a.scale !== 0);
    const context = await model.createContext({ contextSize: options.contextSize ?? 512, ...(options.threads ? { threads: options.threads } : {}), ...(active.length ? { lora: { adapters: active.map((a) => ({ filePath: a.filePath, scale: a.scale })) } } : {}) });
    return new LlamaReplyGenerator(model, context, options);
  }

  async generate(prompt: string, maxTokens: number): Promise<string> {
    const sequence = this.context.getSequence();
    try {
      const completion = new LlamaCompletion({ contextSequence: sequence });
      return await completion.generateCompletion(prompt, { maxTokens, temperature: this.options.temperature ?? 0.7, seed: this.options.seed ?? 1, customStopTriggers: ["\n"] });
    } finally {
      sequence.dispose();
    }
  }

  async close(): Promise<void> {
    await this.context.dispose();
    await this.model.dispose();
  }
}

export function polePrompt(description: string, situation: string): string {
  return `You are a household and lab robot. Your manner: ${description}. Reply in one or two short sentences.\nSituation: ${situation}\nRobot:`;
}

export interface SyntheticOptions {
  readonly items: readonly ContrastItem[];
  readonly poles: { readonly high: string; readonly low: string };
  readonly maxTokens?: number;
  readonly forbiddenPhrases?: readonly string[];
  readonly embedder?: TextEmbedder;
  readonly minWords?: number;
  readonly maxWords?: number;
}

export interface SyntheticPair {
  readonly situation: string;
  readonly pole: "high" | "low";
  readonly reply: string;
}

export interface SyntheticReport {
  readonly generated: number;
  readonly kept: number;
  readonly dropped: ReasonCounts;
}

export async function generateSynthetic(generator: ReplyGenerator, options: SyntheticOptions): Promise<{ pairs: SyntheticPair[]; report: SyntheticReport }> {
  const raw: SyntheticPair[] = [];
  const dropped: ReasonCounts = {};
  for (const item of options.items) {
    for (const pole of ["high", "low"] as const) {
      const reply = (await generator.generate(polePrompt(options.poles[pole], item.situation), options.maxTokens ?? 55)).replace(/\s+/g, " ").trim();
      if (!reply) {
        countReason(dropped, "empty");
        continue;
      }
      raw.push({ situation: item.situation, pole, reply });
    }
  }
  const { kept, dropped: cleaned } = await cleanReplies(raw, (p) => p.reply, {
    ...(options.forbiddenPhrases ? { forbiddenPhrases: options.forbiddenPhrases } : {}),
    ...(options.embedder ? { embedder: options.embedder } : {}),
    ...(options.minWords !== undefined ? { minWords: options.minWords } : {}),
    ...(options.maxWords !== undefined ? { maxWords: options.maxWords } : {}),
  });
  for (const [reason, n] of Object.entries(cleaned)) countReason(dropped, reason, n);
  return { pairs: kept, report: { generated: options.items.length * 2, kept: kept.length, dropped } };
}
