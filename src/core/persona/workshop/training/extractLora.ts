/**
 * One LoRA adapter from two full fine-tunes: per linear weight, ΔW = factor · (W_toward − W_away),
 * truncated by SVD to rank r and stored as B·A. For a persona dimension W_toward is the high pole's
 * fine-tune and W_away the low pole's, with factor ½: both start from the same base, which sits
 * between them, so base ± ΔW lands near either pole and the adapter's sign picks the pole. For an
 * expert W_away is the base itself and factor 1 (scale 0..1 from base to expert).
 */
import { energyKept, loraFactors, truncatedSvd } from "./truncatedSvd.js";
import { quantizedWeights, QuantizedBaseError, readF32Tensor, readModelTensors, writeLoraAdapter, type AdapterMetadataValue, type LoraTensorPair } from "./ggufTensors.js";

/** Weights llama.cpp can apply a LoRA to in a llama-architecture model. */
const LORA_TARGET = /^(blk\.\d+\.(attn_q|attn_k|attn_v|attn_output|ffn_gate|ffn_up|ffn_down)|output)\.weight$/;

export interface ExtractLoraOptions {
  readonly toward: string;
  readonly away: string;
  readonly outPath: string;
  readonly rank: number;
  readonly factor: number;
  /** Extra metadata for the adapter file (name, base, ...). */
  readonly metadata?: ReadonlyArray<readonly [string, AdapterMetadataValue]>;
  /** Called after each target (for a progress bar). */
  readonly onTarget?: (done: number, total: number) => void;
}

export interface TargetReport {
  readonly target: string;
  readonly energyKept: number;
  readonly deltaNorm: number;
}

export interface ExtractLoraReport {
  readonly outPath: string;
  readonly rank: number;
  readonly bytes: number;
  readonly targets: readonly TargetReport[];
  /** Weights whose delta was exactly zero (the trainer left them alone): not in the adapter. */
  readonly unchanged: readonly string[];
  /** Energy-weighted share of ‖ΔW‖² kept over all targets. */
  readonly energyKept: number;
  /** Mean per-target share kept (what llama-tools.md's check reported). */
  readonly meanEnergyKept: number;
}

/** An extraction with what rescaleLora needs to write the same adapter at another strength. */
export interface ExtractedLora extends ExtractLoraReport {
  readonly architecture: string;
  readonly pairs: readonly LoraTensorPair[];
  readonly metadata: ReadonlyArray<readonly [string, AdapterMetadataValue]>;
}

export async function extractLora(options: ExtractLoraOptions): Promise<ExtractedLora> {
  const [toward, away] = await Promise.all([readModelTensors(options.toward), readModelTensors(options.away)]);
  for (const [file, model] of [
    [options.toward, toward],
    [options.away, away],
  ] as const) {
    const quantized = quantizedWeights(model);
    if (quantized.length) throw new QuantizedBaseError(file, `${quantized.length} quantized weights, e.g. ${quantized[0]}`);
  }
  const names = [...toward.tensors.keys()].filter((n) => LORA_TARGET.test(n) && away.tensors.has(n));
  const pairs: LoraTensorPair[] = [];
  const targets: TargetReport[] = [];
  const unchanged: string[] = [];
  let keptEnergy = 0;
  let totalEnergy = 0;
  names.forEach((name, index) => {
    const t = toward.tensors.get(name)!;
    const a = away.tensors.get(name)!;
    if (t.dims.join() !== a.dims.join()) throw new Error(`${name}: shapes differ (${t.dims} vs ${a.dims}); both fine-tunes must come from the same base`);
    const [nIn, nOut] = t.dims as [number, number];
    const wt = readF32Tensor(options.toward, t);
    const wa = readF32Tensor(options.away, a);
    const delta = new Float64Array(wt.length);
    let nonzero = false;
    for (let i = 0; i < wt.length; i++) {
      const d = options.factor * (wt[i]! - wa[i]!);
      delta[i] = d;
      if (d !== 0) nonzero = true;
    }
    if (!nonzero) {
      unchanged.push(name);
    } else {
      // GGUF stores n_out rows of n_in values: the matrix W (n_out × n_in) with y = W x.
      const svd = truncatedSvd(delta, nOut, nIn, options.rank);
      const { a: loraA, b: loraB } = loraFactors(svd);
      pairs.push({ target: name, nIn, nOut, rank: svd.rank, a: loraA, b: loraB });
      const kept = energyKept(svd);
      targets.push({ target: name, energyKept: kept, deltaNorm: Math.sqrt(svd.totalEnergy) });
      keptEnergy += kept * svd.totalEnergy;
      totalEnergy += svd.totalEnergy;
    }
    options.onTarget?.(index + 1, names.length);
  });
  if (pairs.length === 0) throw new Error(`no weight differs between ${options.toward} and ${options.away}: the fine-tunes changed nothing (too few steps or a zero learning rate?)`);
  const rank = Math.max(...pairs.map((p) => p.rank));
  // No alpha: scale 1 applies exactly ΔW's truncation, whatever rank each target ended up with.
  const metadata = options.metadata ?? [];
  const bytes = writeLoraAdapter(options.outPath, toward.architecture, undefined, pairs, metadata);
  return {
    outPath: options.outPath,
    rank,
    bytes,
    targets,
    unchanged,
    energyKept: totalEnergy ? keptEnergy / totalEnergy : 1,
    meanEnergyKept: targets.reduce((s, t) => s + t.energyKept, 0) / targets.length,
    architecture: toward.architecture,
    pairs,
    metadata,
  };
}

/**
 * Rewrites the adapter with ΔW multiplied by `multiple` (> 0) instead of extracting again: the
 * truncated SVD of c·ΔW is that of ΔW with every singular value times c, so B is scaled and A, the
 * ranks and the energy shares stay. On a real base a second extraction would re-read both
 * fine-tunes and redo every SVD.
 */
export function rescaleLora(extracted: ExtractedLora, multiple: number): ExtractedLora {
  if (!(multiple > 0)) throw new Error(`rescaleLora needs a positive multiple, got ${multiple}`);
  const pairs = extracted.pairs.map((p) => ({ ...p, b: Float32Array.from(p.b, (v) => v * multiple) }));
  const bytes = writeLoraAdapter(extracted.outPath, extracted.architecture, undefined, pairs, extracted.metadata);
  return { ...extracted, bytes, pairs, targets: extracted.targets.map((t) => ({ ...t, deltaNorm: t.deltaNorm * multiple })) };
}
