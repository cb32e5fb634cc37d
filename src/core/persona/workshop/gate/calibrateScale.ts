/**
 * How far scale +1 goes. The extracted ΔW is the fine-tunes' own difference (dimensions) or change
 * (experts); whether held-out text is likeliest at half of it, all of it or twice it depends on how
 * far the fine-tunes went: an expert trained a little too long overshoots (its answers likelier at
 * 0.5 than at 1), a gentle pole fine-tune stops short. The choice is made on the dev split, a part
 * of the training half that no fine-tune read, never on the gate's held-out text: the scale at which
 * the dev target text is likeliest. The adapter is then rewritten with ΔW times that multiple
 * (rescaleLora), so +1 means "as far as unseen text of this target likes".
 */
import type { CurvePoint } from "./qualityGate.js";

/**
 * The multiples of the fine-tunes' ΔW tried on the dev split: ×0.25 to ×4 in steps of √2 (rounded).
 * The grid used to stop at ×2, and warmth and formal chose its edge (their dev curves might still
 * have been falling there); the steps between ×0.5 and ×2 were coarse for the experts.
 */
export const CALIBRATION_SCALES: readonly number[] = [0.25, 0.35, 0.5, 0.71, 1, 1.41, 2, 2.83, 4];

/** The scale with the lowest dev target NLL (the first of equals); 1 when nothing was measured. */
export function chooseCalibration(devCurve: readonly CurvePoint[]): number {
  let best: CurvePoint | undefined;
  for (const point of devCurve) if (Number.isFinite(point.target) && (!best || point.target < best.target)) best = point;
  return best?.scale ?? 1;
}
