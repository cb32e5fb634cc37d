/**
 * How far scale +1 goes is chosen on the dev split: a part of the training half that no fine-tune
 * reads and that is not the gate's held-out text. These tests pin both halves of that promise and
 * the choice itself.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { chooseCalibration } from "../src/core/persona/workshop/gate/calibrateScale.js";
import { DEV_FRACTION, targetTexts } from "../src/core/persona/workshop/training/trainingTexts.js";
import { DIMENSIONS, EXPERTS, type TrainTarget } from "../src/core/persona/workshop/types.js";

const DATA = join(import.meta.dirname, "..", "data", "personas");
const lines = (text: string) => text.split("\n").map((l) => l.trim()).filter((l) => l !== "");

describe("the dev split", () => {
  const targets: TrainTarget[] = [...DIMENSIONS.map((name) => ({ kind: "dimension" as const, name })), ...EXPERTS.map((name) => ({ kind: "expert" as const, name }))];
  for (const target of targets) {
    it(`${target.name}: is read by no fine-tune and shares nothing with the held-out text`, () => {
      const texts = targetTexts(DATA, target);
      const trained = new Set([...lines(texts.trainToward), ...lines(texts.trainAway ?? "")]);
      const heldOut = new Set([...lines(texts.heldOutTarget), ...lines(texts.heldOutContrast)]);
      const dev = [...lines(texts.devTarget), ...lines(texts.devContrast)];
      expect(dev.length).toBeGreaterThan(0);
      for (const line of dev) {
        expect(trained.has(line)).toBe(false);
        expect(heldOut.has(line)).toBe(false);
      }
      const { trainItems, devItems } = texts.counts;
      expect(devItems! / (trainItems! + devItems!)).toBeCloseTo(DEV_FRACTION, 1);
    });
  }
});

describe("chooseCalibration", () => {
  const point = (scale: number, target: number) => ({ scale, target, contrast: 7 });
  it("picks the multiple at which the dev target text is likeliest", () => {
    expect(chooseCalibration([point(0.25, 7.9), point(0.5, 7.4), point(1, 7.6), point(2, 8.1)])).toBe(0.5);
    expect(chooseCalibration([point(0.5, 7.4), point(1, 7.2), point(1.5, 7.1), point(2, 7.0)])).toBe(2);
  });
  it("keeps 1 when nothing usable was measured, and skips NaN points", () => {
    expect(chooseCalibration([])).toBe(1);
    expect(chooseCalibration([point(0.5, Number.NaN), point(1.5, 7.0)])).toBe(1.5);
  });
});
