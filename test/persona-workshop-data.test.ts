import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { findNearDuplicates } from "../src/core/persona/workshop/datasets/nearDuplicates.js";
import { contrastExample, qaExample, readMessagesJsonl, repliesText, writeMessagesJsonl } from "../src/core/persona/workshop/datasets/messagesFormat.js";
import { splitHeldOut } from "../src/core/persona/workshop/datasets/heldOutSplit.js";
import { loadContrastItems, loadQaItems, StarterSetError } from "../src/core/persona/workshop/datasets/starterSets.js";
import { DIMENSIONS, EXPERTS } from "../src/core/persona/workshop/types.js";

const DATA = join(import.meta.dirname, "..", "data", "personas");

describe("starter sets (data/personas)", () => {
  it.each(DIMENSIONS)("%s: at least 80 schema-valid contrast items, no near-duplicate situations or replies", (dimension) => {
    const items = loadContrastItems(DATA, dimension);
    expect(items.length).toBeGreaterThanOrEqual(80);
    expect(findNearDuplicates(items.map((i) => i.situation))).toEqual([]);
    for (const pole of ["low", "neutral", "high"] as const) expect(findNearDuplicates(items.map((i) => i[pole]))).toEqual([]);
    // The poles of one item must differ from each other, or the item teaches nothing.
    for (const item of items) expect(new Set([item.low, item.neutral, item.high]).size).toBe(3);
  });

  it.each(EXPERTS)("%s: at least 50 schema-valid Q&A items, no near-duplicate questions", (domain) => {
    const items = loadQaItems(DATA, domain);
    expect(items.length).toBeGreaterThanOrEqual(50);
    expect(findNearDuplicates(items.map((i) => i.question))).toEqual([]);
    expect(findNearDuplicates(items.map((i) => i.answer))).toEqual([]);
  });

  it("medical answers point to a professional or emergency services", () => {
    const items = loadQaItems(DATA, "medical");
    const pointing = /doctor|nurse|pharmacist|emergency|hospital|poison centre|professional|counsellor|crisis line|physiotherapist|medical help/i;
    expect(items.filter((i) => !pointing.test(i.answer)).map((i) => i.question)).toEqual([]);
  });

  it("a bad line is refused with its file and line number", () => {
    const dir = mkdtempSync(join(tmpdir(), "starter-"));
    mkdirSync(join(dir, "dimensions"));
    const good = JSON.stringify({ dimension: "warmth", situation: "Someone says hello.", low: "Hi.", neutral: "Hello.", high: "Hello, lovely to see you!" });
    writeFileSync(join(dir, "dimensions", "warmth.jsonl"), `${good}\n${JSON.stringify({ dimension: "warmth", situation: "x" })}\n`);
    expect(() => loadContrastItems(dir, "warmth")).toThrow(StarterSetError);
    expect(() => loadContrastItems(dir, "warmth")).toThrow(/warmth\.jsonl:2: situation/);
  });
});

describe("near-duplicate check", () => {
  it("flags a copy-edit and passes distinct sentences", () => {
    const pairs = findNearDuplicates(["I will bring you a glass of water now.", "I will bring you a glass of cold water now.", "The bins go out on Thursday."]);
    expect(pairs.map((p) => [p.first, p.second])).toEqual([[0, 1]]);
  });
});

describe("messages JSONL and the held-out split", () => {
  it("round-trips contrast and Q&A items and yields reply text per pole", () => {
    const items = loadContrastItems(DATA, "warmth").slice(0, 3);
    const file = join(mkdtempSync(join(tmpdir(), "msgs-")), "warmth-high.jsonl");
    writeMessagesJsonl(file, items.map((i) => contrastExample(i, "high")));
    const back = readMessagesJsonl(file);
    expect(back[0]!.messages.map((m) => m.role)).toEqual(["system", "user", "assistant"]);
    expect(back[0]!.messages[2]!.content).toBe(items[0]!.high);
    expect(repliesText(back).trim().split("\n")).toEqual(items.map((i) => i.high));
    expect(readFileSync(file, "utf8").trim().split("\n")).toHaveLength(3);
    const qa = qaExample(loadQaItems(DATA, "coding")[0]!);
    expect(qa.messages[1]!.content).toMatch(/loop/);
  });

  it("holds out a stable quarter, disjoint from training", () => {
    const items = loadContrastItems(DATA, "formal");
    const a = splitHeldOut(items, (i) => i.situation);
    const b = splitHeldOut([...items].reverse(), (i) => i.situation);
    expect(a.heldOut.length).toBe(Math.round(items.length / 4));
    expect(new Set(a.heldOut.map((i) => i.situation))).toEqual(new Set(b.heldOut.map((i) => i.situation)));
    const held = new Set(a.heldOut.map((i) => i.situation));
    expect(a.train.some((i) => held.has(i.situation))).toBe(false);
    expect(a.train.length + a.heldOut.length).toBe(items.length);
  });
});
