/**
 * The domain base's text stands in for a pretrained model: the language of the robot's conversations
 * (situations, neutral replies and experts' questions of the part of each training half the fine-tunes
 * read), none of what the adapters are there to teach (pole replies, expert answers), and nothing of
 * the held-out split or of the dev split on which +1 is chosen. llama-finetune
 * trains on its text in order, every epoch, and validates on the last 5%: the sources must be mixed
 * throughout, so that neither the base nor its validation loss belongs to whichever came last.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadContrastItems, loadQaItems } from "../src/core/persona/workshop/datasets/starterSets.js";
import { domainBaseText, interleave, splitThreeWays } from "../src/core/persona/workshop/training/trainingTexts.js";
import { DIMENSIONS, EXPERTS } from "../src/core/persona/workshop/types.js";

const DATA = join(import.meta.dirname, "..", "data", "personas");
const norm = (s: string) => s.replace(/\s+/g, " ").trim();

describe("the domain base's text", () => {
  const { text, items } = domainBaseText(DATA);
  const lines = new Set(text.split("\n").map(norm));
  // fit: what the fine-tunes read (the training half less its dev split); dev: the dev split.
  const dimensionSplits = DIMENSIONS.map((d) => ({ d, ...splitThreeWays(loadContrastItems(DATA, d), (i) => i.situation) }));
  const expertSplits = EXPERTS.map((d) => ({ d, ...splitThreeWays(loadQaItems(DATA, d), (i) => i.question) }));

  it("holds every situation, neutral reply and expert question the fine-tunes' training items have", () => {
    let trainItems = 0;
    for (const { fit } of dimensionSplits) {
      trainItems += fit.length;
      for (const item of fit) {
        expect(lines.has(norm(item.situation))).toBe(true);
        expect(lines.has(norm(item.neutral))).toBe(true);
      }
    }
    for (const { fit } of expertSplits) {
      trainItems += fit.length;
      for (const item of fit) expect(lines.has(norm(item.question))).toBe(true);
    }
    expect(items).toBe(trainItems);
  });

  it("holds no pole reply, no expert answer and nothing of the held-out or dev split", () => {
    const neutral = new Set(dimensionSplits.flatMap(({ fit }) => fit.map((i) => norm(i.neutral))));
    for (const { fit, dev, heldOut } of dimensionSplits) {
      expect(dev.length).toBeGreaterThan(0);
      for (const item of [...fit, ...dev, ...heldOut]) for (const pole of ["low", "high"] as const) if (!neutral.has(norm(item[pole]))) expect(lines.has(norm(item[pole]))).toBe(false);
      for (const item of [...dev, ...heldOut]) for (const field of ["situation", "neutral"] as const) expect(lines.has(norm(item[field]))).toBe(false);
    }
    for (const { fit, dev, heldOut } of expertSplits) {
      expect(dev.length).toBeGreaterThan(0);
      for (const item of [...fit, ...dev, ...heldOut]) expect(lines.has(norm(item.answer))).toBe(false);
      for (const item of [...dev, ...heldOut]) expect(lines.has(norm(item.question))).toBe(false);
    }
  });

  it("mixes every source into the last 5% (the trainer's validation split) and into each tenth", () => {
    const sourceOf = new Map<string, string>();
    for (const { d, fit } of dimensionSplits) for (const item of fit) for (const field of ["situation", "neutral"] as const) sourceOf.set(norm(item[field]), d);
    for (const { d, fit } of expertSplits) for (const item of fit) sourceOf.set(norm(item.question), d);
    const sourcesIn = (from: number, to: number) => {
      const found = new Set<string>();
      for (const line of text.slice(Math.floor(from * text.length), Math.floor(to * text.length)).split("\n")) {
        const source = sourceOf.get(norm(line));
        if (source) found.add(source);
      }
      return found;
    };
    expect([...sourcesIn(0.95, 1)].sort()).toEqual([...DIMENSIONS, ...EXPERTS].sort());
    for (let tenth = 0; tenth < 10; tenth++) expect(sourcesIn(tenth / 10, (tenth + 1) / 10).size).toBe(DIMENSIONS.length + EXPERTS.length);
  });

  it("is the same text on every call (a fixed order, not a random one)", () => {
    expect(domainBaseText(DATA).text).toBe(text);
    expect(interleave(["a", "b", "c", "d"])).toEqual(interleave(["a", "b", "c", "d"]));
    expect(interleave(["a", "b", "c", "d"]).sort()).toEqual(["a", "b", "c", "d"]);
  });
});
