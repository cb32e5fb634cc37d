/**
 * `persona train --extra/--extra-high/--extra-low`: messages JSONL from the other sources joins the
 * training text of the right pole, and never the held-out split (examples repeating held-out text are
 * dropped and counted).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writeMessagesJsonl } from "../src/core/persona/workshop/datasets/messagesFormat.js";
import { splitHeldOut } from "../src/core/persona/workshop/datasets/heldOutSplit.js";
import { loadContrastItems, loadQaItems } from "../src/core/persona/workshop/datasets/starterSets.js";
import { targetTexts } from "../src/core/persona/workshop/training/trainingTexts.js";
import type { MessagesExample } from "../src/core/persona/workshop/types.js";

const DATA = join(import.meta.dirname, "..", "data", "personas");
const dir = mkdtempSync(join(tmpdir(), "workshop-extra-"));
const example = (system: string | undefined, user: string, reply: string): MessagesExample => ({
  messages: [...(system ? [{ role: "system" as const, content: system }] : []), { role: "user" as const, content: user }, { role: "assistant" as const, content: reply }],
});

describe("extra training text from the other sources", () => {
  const heldOut = splitHeldOut(loadContrastItems(DATA, "warmth"), (i) => i.situation).heldOut;

  it("adds tagged synthetic replies to their pole and drops untagged, other-dimension and held-out ones", () => {
    const file = join(dir, "synth.jsonl");
    writeMessagesJsonl(file, [
      example("persona warmth: high", "The kettle is boiling.", "Lovely, let me pour you a cup, take your time."),
      example("persona warmth: low", "The kettle is boiling.", "Kettle done."),
      example("persona formal: high", "The kettle is boiling.", "The kettle has reached boiling point."),
      example(undefined, "The kettle is boiling.", "Untagged reply."),
      example("persona warmth: high", heldOut[0]!.situation, "A reply to a held-out situation."),
    ]);
    const plain = targetTexts(DATA, { kind: "dimension", name: "warmth" });
    const texts = targetTexts(DATA, { kind: "dimension", name: "warmth" }, { tagged: [file] });
    expect(texts.trainToward).toBe(plain.trainToward + "Lovely, let me pour you a cup, take your time.\n");
    expect(texts.trainAway).toBe(plain.trainAway + "Kettle done.\n");
    expect(texts.heldOutTarget).toBe(plain.heldOutTarget);
    expect(texts.heldOutContrast).toBe(plain.heldOutContrast);
    expect(texts.counts).toMatchObject({ extraToward: 1, extraAway: 1, extraDropped: 3 });
    expect(texts.trainToward).not.toContain("held-out situation");
  });

  it("takes a whole WhatsApp or turn-log file as one pole, and drops a held-out reply copied into it", () => {
    const high = join(dir, "chat.jsonl");
    writeMessagesJsonl(high, [example(undefined, "are you home?", "Yes love, come in, I made soup."), example(undefined, "hi", heldOut[1]!.high)]);
    const texts = targetTexts(DATA, { kind: "dimension", name: "warmth" }, { high: [high] });
    expect(texts.trainToward.endsWith("Yes love, come in, I made soup.\n")).toBe(true);
    expect(texts.counts).toMatchObject({ extraToward: 1, extraAway: 0, extraDropped: 1 });
  });

  it("adds an expert's extra Q&A to its training text and refuses a low pole for an expert", () => {
    const file = join(dir, "coding.jsonl");
    const heldQuestion = splitHeldOut(loadQaItems(DATA, "coding"), (i) => i.question).heldOut[0]!.question;
    writeMessagesJsonl(file, [example(undefined, "What does git stash do?", "It shelves your uncommitted changes."), example(undefined, heldQuestion, "copied")]);
    const texts = targetTexts(DATA, { kind: "expert", name: "coding" }, { tagged: [file] });
    expect(texts.trainToward.endsWith("What does git stash do?\nIt shelves your uncommitted changes.\n")).toBe(true);
    expect(texts.counts).toMatchObject({ extraToward: 1, extraDropped: 1 });
    expect(() => targetTexts(DATA, { kind: "expert", name: "coding" }, { low: [file] })).toThrow(/--extra-low is for dimensions/);
  });
});
