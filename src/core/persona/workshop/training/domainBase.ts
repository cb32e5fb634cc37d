/**
 * The domain base for a model that knows no language (a random-weight fixture): one fine-tune on the
 * language of the robot's conversations (domainBaseText: training situations, neutral replies and
 * experts' questions; no pole reply and no expert answer), so the pole fine-tunes that follow differ in
 * style rather than in learning the vocabulary from scratch. A real base (TinyLlama) skips this step.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { runFinetune, type FinetuneResult, type LlamaTools, type TrainProgress } from "./llamaTools.js";
import { domainBaseText } from "./trainingTexts.js";

export interface DomainBaseOptions {
  readonly fromModel: string;
  readonly dataDir: string;
  readonly outPath: string;
  readonly epochs: number;
  readonly learningRate: number;
  /** See FinetuneOptions.learningRateMin (undefined: constant). */
  readonly learningRateMin?: number | undefined;
  readonly contextSize: number;
  readonly threads: number;
  readonly onProgress?: (epoch: number, progress: TrainProgress) => void;
}

export async function trainDomainBase(tools: LlamaTools, options: DomainBaseOptions): Promise<FinetuneResult & { items: number; textBytes: number }> {
  mkdirSync(dirname(options.outPath), { recursive: true });
  const { text, items } = domainBaseText(options.dataDir);
  const textFile = join(dirname(options.outPath), "domain-base.txt");
  writeFileSync(textFile, text);
  const result = await runFinetune(tools, { model: options.fromModel, textFile, outPath: options.outPath, contextSize: options.contextSize, epochs: options.epochs, learningRate: options.learningRate, learningRateMin: options.learningRateMin, threads: options.threads, onProgress: options.onProgress });
  return { ...result, items, textBytes: Buffer.byteLength(text) };
}
