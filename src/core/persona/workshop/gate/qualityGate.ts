/**
 * The quality gate ("deploy only if better", PersonalModel): an adapter is registered only if, on
 * held-out text no training run saw,
 *   - at scale +1 the target text's mean token NLL falls by at least `minDrop` (relative) from scale 0,
 *   - at scale +1 the contrast text's NLL rises (dimensions: the opposite pole; experts: not required,
 *     since an expert has no opposite, but its change is reported),
 *   - across the scales the NLL difference (target minus contrast) falls strictly monotonically.
 * The verdict says by how much each failed check missed.
 */

export interface CurvePoint {
  readonly scale: number;
  /** Mean token NLL (nats) of the target text: the high pole, or the expert's own answers. */
  readonly target: number;
  /** Mean token NLL of the contrast text: the low pole, or other experts' answers. */
  readonly contrast: number;
}

export interface GateSpec {
  readonly minDrop: number;
  /** Whether the contrast text's NLL must rise at +1 (dimensions) or is only reported (experts). */
  readonly contrastMustRise: boolean;
}

export const DIMENSION_GATE: GateSpec = { minDrop: 0.1, contrastMustRise: true };
export const EXPERT_GATE: GateSpec = { minDrop: 0.1, contrastMustRise: false };
export const DIMENSION_SCALES = [-1, -0.5, 0, 0.5, 1] as const;
export const EXPERT_SCALES = [0, 0.5, 1] as const;

export interface GateVerdict {
  readonly passed: boolean;
  /** (NLL_target(0) - NLL_target(+1)) / NLL_target(0): 0.12 means 12% lower at +1. */
  readonly targetDrop: number;
  /** (NLL_contrast(+1) - NLL_contrast(0)) / NLL_contrast(0). */
  readonly contrastRise: number;
  readonly monotone: boolean;
  readonly failures: readonly string[];
  readonly curve: readonly CurvePoint[];
}

export function judgeGate(curve: readonly CurvePoint[], spec: GateSpec): GateVerdict {
  const sorted = [...curve].sort((a, b) => a.scale - b.scale);
  const at = (scale: number) => {
    const point = sorted.find((p) => p.scale === scale);
    if (!point) throw new Error(`the gate needs a measurement at scale ${scale}`);
    return point;
  };
  const zero = at(0);
  const one = at(1);
  const targetDrop = (zero.target - one.target) / zero.target;
  const contrastRise = (one.contrast - zero.contrast) / zero.contrast;
  const failures: string[] = [];
  if (!(targetDrop >= spec.minDrop)) {
    failures.push(`target NLL at +1 is ${(targetDrop * 100).toFixed(1)}% lower than at 0; needs ${(spec.minDrop * 100).toFixed(0)}% (missed by ${((spec.minDrop - targetDrop) * 100).toFixed(1)} points)`);
  }
  if (spec.contrastMustRise && !(contrastRise > 0)) {
    failures.push(`opposite pole's NLL at +1 changed by ${(contrastRise * 100).toFixed(1)}%; it must rise`);
  }
  let monotone = true;
  for (let i = 1; i < sorted.length; i++) {
    const before = sorted[i - 1]!.target - sorted[i - 1]!.contrast;
    const now = sorted[i]!.target - sorted[i]!.contrast;
    if (!(now < before)) {
      monotone = false;
      failures.push(`NLL difference (target - contrast) does not fall from scale ${sorted[i - 1]!.scale} to ${sorted[i]!.scale}: ${before.toFixed(4)} -> ${now.toFixed(4)}`);
    }
  }
  return { passed: failures.length === 0, targetDrop, contrastRise, monotone, failures, curve: sorted };
}
