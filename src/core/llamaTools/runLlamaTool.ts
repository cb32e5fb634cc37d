/**
 * Runs one of llama.cpp's tools to completion. Its output is kept (the tail goes into the error),
 * and each line can be watched, so a caller can show progress.
 */
import { spawn } from "node:child_process";
import { locateLlamaTool, type LlamaToolName } from "./locateLlamaTool.js";

export class LlamaToolFailedError extends Error {
  constructor(
    readonly tool: string,
    readonly exitCode: number | null,
    readonly outputTail: string,
  ) {
    super(`${tool} failed (exit ${exitCode ?? "signal"}): ${outputTail.trim().split("\n").slice(-6).join(" | ")}`);
    this.name = "LlamaToolFailedError";
  }
}

export interface RunLlamaToolOptions {
  /** Called with every line the tool prints (stdout and stderr). */
  readonly onLine?: (line: string) => void;
  readonly signal?: AbortSignal;
  readonly env?: NodeJS.ProcessEnv;
}

export async function runLlamaTool(name: LlamaToolName, args: readonly string[], options: RunLlamaToolOptions = {}): Promise<string> {
  const executable = locateLlamaTool(name, options.env ?? process.env);
  return new Promise((resolvePromise, reject) => {
    const child = spawn(executable, args, { stdio: ["ignore", "pipe", "pipe"], ...(options.signal ? { signal: options.signal } : {}) });
    let output = "";
    let pending = "";
    const onData = (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      output = (output + text).slice(-64_000);
      pending += text;
      const lines = pending.split(/\r?\n/);
      pending = lines.pop() ?? "";
      for (const line of lines) options.onLine?.(line);
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("error", (error) => reject(error));
    child.on("close", (code) => {
      if (pending) options.onLine?.(pending);
      if (code === 0) resolvePromise(output);
      else reject(new LlamaToolFailedError(name, code, output));
    });
  });
}
