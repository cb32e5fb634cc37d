/**
 * Runs llama.cpp's own tools (llama-finetune, llama-perplexity) and reads their output.
 *
 * The tools are found by the project's locator (src/core/llamaTools/); everything else here takes
 * the resolved directory as an argument.
 */
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { hasLlamaTool, LlamaToolMissingError, locateLlamaTool } from "../../../llamaTools/index.js";
import { niceCommand } from "../../../niceCommand.js";

export class LlamaToolsMissingError extends Error {
  constructor(detail: string) {
    super(`llama.cpp tools not found: ${detail}. Build them (see docs/persona-workshop.md) and set EMBODIED_LLAMA_TOOLS_DIR to their bin/ folder`);
    this.name = "LlamaToolsMissingError";
  }
}

export class LlamaToolError extends Error {
  constructor(
    readonly tool: string,
    readonly exitCode: number | null,
    readonly output: string,
  ) {
    super(`${tool} failed (exit ${exitCode}): ${output.trim().split("\n").slice(-6).join(" | ")}`);
    this.name = "LlamaToolError";
  }
}

export interface LlamaTools {
  readonly binDir: string;
  readonly finetune: string;
  readonly perplexity: string;
  /** Used to make the F32 copy of an F16 base. */
  readonly quantize: string;
}

/** The tools' folder (the project's locator: $EMBODIED_LLAMA_TOOLS_DIR, else the cached build), if llama-finetune is there. */
export function llamaToolsDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return hasLlamaTool("llama-finetune", env) ? dirname(locateLlamaTool("llama-finetune", env)) : undefined;
}

export function locateLlamaTools(env: NodeJS.ProcessEnv = process.env): LlamaTools {
  try {
    const finetune = locateLlamaTool("llama-finetune", env);
    const perplexity = locateLlamaTool("llama-perplexity", env);
    const binDir = dirname(finetune);
    return { binDir, finetune, perplexity, quantize: join(binDir, "llama-quantize") };
  } catch (error) {
    if (error instanceof LlamaToolMissingError) throw new LlamaToolsMissingError(error.message);
    throw error;
  }
}

export interface RunToolOptions {
  /** Each line of stderr/stdout as it arrives; progress bars end lines with \r, which counts as a line end. */
  readonly onLine?: (line: string) => void;
  /** Lower CPU priority (nice 10) so training does not starve the robot's own nodes. Default true. */
  readonly nice?: boolean;
  readonly signal?: AbortSignal;
}

export async function runTool(tools: LlamaTools, executable: string, args: readonly string[], options: RunToolOptions = {}): Promise<string> {
  const { command, args: argv } = options.nice === false ? { command: executable, args: [...args] } : niceCommand(10, executable, args);
  const child = spawn(command, argv, {
    env: { ...process.env, LD_LIBRARY_PATH: [tools.binDir, process.env.LD_LIBRARY_PATH].filter(Boolean).join(":") },
    stdio: ["ignore", "pipe", "pipe"],
    signal: options.signal,
  });
  let output = "";
  let pending = "";
  const onData = (chunk: Buffer) => {
    const text = chunk.toString("utf8");
    output += text;
    pending += text;
    const parts = pending.split(/\r\n|\r|\n/);
    pending = parts.pop() ?? "";
    for (const line of parts) if (line) options.onLine?.(line);
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", resolve);
  });
  if (pending) options.onLine?.(pending);
  if (code !== 0) throw new LlamaToolError(executable.split("/").pop() ?? executable, code, output);
  return output;
}

export interface TrainProgress {
  readonly phase: "train" | "val";
  readonly done: number;
  readonly total: number;
  readonly loss: number;
}

const PROGRESS = /^(train|val):\s*\[.*\] data=(\d+)\/(\d+) loss=([\d.]+|nan|inf)/;

export function parseTrainProgress(line: string): TrainProgress | undefined {
  const m = PROGRESS.exec(line);
  if (!m) return undefined;
  return { phase: m[1] as "train" | "val", done: Number(m[2]), total: Number(m[3]), loss: Number(m[4]) };
}

export interface FinetuneOptions {
  readonly model: string;
  readonly textFile: string;
  readonly outPath: string;
  /** Context = batch = ubatch (llama-finetune requires them equal). */
  readonly contextSize: number;
  readonly epochs: number;
  readonly learningRate: number;
  /**
   * When set, the learning rate falls exponentially from `learningRate` toward this over the
   * epochs (llama-finetune's -lr-min with -decay-epochs = epochs); else it stays constant.
   */
  readonly learningRateMin?: number | undefined;
  readonly threads: number;
  readonly onProgress?: (epoch: number, progress: TrainProgress) => void;
  readonly signal?: AbortSignal;
}

export interface FinetuneResult {
  readonly seconds: number;
  /** Tokens the optimizer stepped over (datapoints × context × epochs). */
  readonly trainedTokens: number;
  readonly finalTrainLoss: number;
  readonly finalValLoss: number | undefined;
  /** The trainer's validation loss at the end of each epoch: shows whether more epochs would still help. */
  readonly valLossByEpoch: readonly number[];
}

export async function runFinetune(tools: LlamaTools, options: FinetuneOptions): Promise<FinetuneResult> {
  const c = String(options.contextSize);
  const args = ["-m", options.model, "-f", options.textFile, "-o", options.outPath, "-c", c, "-b", c, "-ub", c, "-t", String(options.threads), "--epochs", String(options.epochs), "-lr", String(options.learningRate), "-fa", "off", "-ngl", "0"];
  if (options.learningRateMin !== undefined) args.push("-lr-min", String(options.learningRateMin), "-decay-epochs", String(options.epochs));
  let epoch = 0;
  let lastTrain: TrainProgress | undefined;
  let lastVal: TrainProgress | undefined;
  let trainedData = 0;
  const valLossByEpoch: number[] = [];
  const started = performance.now();
  await runTool(tools, tools.finetune, args, {
    signal: options.signal,
    onLine: (line) => {
      const progress = parseTrainProgress(line);
      if (!progress) return;
      if (progress.phase === "train") {
        // A new epoch starts when the datapoint counter goes back.
        if (lastTrain && progress.done < lastTrain.done) {
          trainedData += lastTrain.done;
          epoch++;
        }
        lastTrain = progress;
      } else {
        lastVal = progress;
        if (progress.done === progress.total) valLossByEpoch[epoch] = progress.loss;
      }
      options.onProgress?.(epoch, progress);
    },
  });
  if (!lastTrain) throw new LlamaToolError("llama-finetune", 0, "no training progress was printed: is the text shorter than two contexts?");
  trainedData += lastTrain.done;
  return {
    seconds: (performance.now() - started) / 1000,
    trainedTokens: trainedData * options.contextSize,
    finalTrainLoss: lastTrain.loss,
    finalValLoss: lastVal?.loss,
    valLossByEpoch: valLossByEpoch.filter((l) => l !== undefined),
  };
}

export interface ScaledAdapter {
  readonly path: string;
  readonly scale: number;
}

export interface PerplexityOptions {
  readonly model: string;
  readonly textFile: string;
  readonly contextSize: number;
  readonly threads: number;
  /** Adapters at scale 0 are left out (llama.cpp would load them for nothing). */
  readonly adapters?: readonly ScaledAdapter[];
}

export interface PerplexityResult {
  readonly perplexity: number;
  /** Mean token negative log-likelihood in nats: ln(PPL). */
  readonly nll: number;
}

export async function runPerplexity(tools: LlamaTools, options: PerplexityOptions): Promise<PerplexityResult> {
  const c = String(options.contextSize);
  const args = ["-m", options.model, "-f", options.textFile, "-c", c, "-b", c, "-t", String(options.threads), "-ngl", "0"];
  const active = (options.adapters ?? []).filter((a) => a.scale !== 0);
  if (active.length) args.push("--lora-scaled", active.map((a) => `${a.path}:${a.scale}`).join(","));
  const output = await runTool(tools, tools.perplexity, args);
  // The running estimate after the last chunk ("[N]ppl") is the final PPL; llama-perplexity prints
  // "Final estimate" only when its error bar is defined (on a tiny text it may log an error instead).
  const final = /Final estimate: PPL = ([\d.]+|nan|inf)/.exec(output)?.[1] ?? [...output.matchAll(/\[\d+\]([\d.]+|nan|inf)/g)].at(-1)?.[1];
  if (final === undefined) throw new LlamaToolError("llama-perplexity", 0, `no perplexity estimate in its output: ${output.slice(-400)}`);
  const perplexity = Number(final);
  return { perplexity, nll: Math.log(perplexity) };
}
