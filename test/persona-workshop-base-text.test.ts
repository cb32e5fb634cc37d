/**
 * The domain base's text: llama-finetune trains on its text in order, every epoch, and validates on
 * the last 5%. The text must hold every training half once, none of the held-out split, and mix the
 * sources throughout, so that neither the base nor its validation loss belongs to whichever came last.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { splitHeldOut } from "../src/core/persona/workshop/datasets/heldOutSplit.js";
import { loadContrastItems, loadQaItems } from "../src/core/persona/workshop/datasets/starterSets.js";
import { domainBaseText, interleave } from "../src/core/persona/workshop/training/trainingTexts.js";
import { DIMENSIONS, EXPERTS } from "../src/core/persona/workshop/types.js";

const DATA = join(import.meta.dirname, "..", "data", "personas");

describe("the domain base's text", () => {
  const { text, items } = domainBaseText(DATA);
  const splitsByDimension = DIMENSIONS.map((d) => ({ d, ...splitHeldOut(loadContrastItems(DATA, d), (i) => i.situation) }));
  const splitsByExpert = EXPERTS.map((d) => ({ d, ...splitHeldOut(loadQaItems(DATA, d), (i) => i.question) }));

  it("holds every training reply and answer, and no held-out one", () => {
    const norm = (s: string) => s.replace(/\s+/g, " ").trim();
    const lines = new Set(text.split("\n").map(norm));
    let trainItems = 0;
    for (const { train, heldOut } of splitsByDimension) {
      trainItems += train.length;
      for (const item of train) for (const pole of ["low", "neutral", "high"] as const) expect(lines.has(norm(item[pole]))).toBe(true);
      for (const item of heldOut) expect(lines.has(norm(item.high))).toBe(false);
    }
    for (const { train, heldOut } of splitsByExpert) {
      trainItems += train.length;
      for (const item of train) expect(lines.has(norm(item.answer))).toBe(true);
      for (const item of heldOut) expect(lines.has(norm(item.answer))).toBe(false);
    }
    expect(items).toBe(trainItems);
  });

  it("mixes every source into the last 5% (the trainer's validation split) and into each tenth", () => {
    const sourceOf = new Map<string, string>();
    for (const { d, train } of splitsByDimension) for (const item of train) for (const pole of ["low", "neutral", "high"] as const) sourceOf.set(item[pole].replace(/\s+/g, " ").trim(), d);
    for (const { d, train } of splitsByExpert) for (const item of train) sourceOf.set(item.answer.replace(/\s+/g, " ").trim(), d);
    const sourcesIn = (from: number, to: number) => {
      const found = new Set<string>();
      for (const line of text.slice(Math.floor(from * text.length), Math.floor(to * text.length)).split("\n")) {
        const source = sourceOf.get(line.trim());
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
