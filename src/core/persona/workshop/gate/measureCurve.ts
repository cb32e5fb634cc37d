/** Measures the gate's NLL curve with llama-perplexity: target and contrast text at each scale. */
import { runPerplexity, type LlamaTools } from "../training/llamaTools.js";
import type { CurvePoint } from "./qualityGate.js";

export interface MeasureCurveOptions {
  readonly model: string;
  readonly adapter: string;
  readonly targetText: string;
  readonly contrastText: string;
  readonly scales: readonly number[];
  readonly contextSize: number;
  readonly threads: number;
  readonly onPoint?: (point: CurvePoint) => void;
}

export async function measureCurve(tools: LlamaTools, options: MeasureCurveOptions): Promise<CurvePoint[]> {
  const points: CurvePoint[] = [];
  for (const scale of options.scales) {
    const common = { model: options.model, contextSize: options.contextSize, threads: options.threads, adapters: [{ path: options.adapter, scale }] };
    // One at a time: the machine is small and the two runs would only contend.
    const target = await runPerplexity(tools, { ...common, textFile: options.targetText });
    const contrast = await runPerplexity(tools, { ...common, textFile: options.contrastText });
    const point = { scale, target: target.nll, contrast: contrast.nll };
    points.push(point);
    options.onPoint?.(point);
  }
  return points;
}
