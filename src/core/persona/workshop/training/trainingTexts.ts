/**
 * The plain texts each llama.cpp run reads, built from the starter sets with one held-out split
 * shared by every run: pole replies for dimensions, question-and-answer blocks for experts, and all
 * training halves together for the domain base (a random-weight fixture first has to learn the
 * language of robot replies before two pole fine-tunes can differ in anything but vocabulary).
 */
import { DIMENSIONS, EXPERTS, type TrainTarget } from "../types.js";
import { contrastExample, dialogueText, qaExample, repliesText } from "../datasets/messagesFormat.js";
import { splitHeldOut } from "../datasets/heldOutSplit.js";
import { loadContrastItems, loadQaItems } from "../datasets/starterSets.js";

export interface TargetTexts {
  /** What the "toward" fine-tune reads: the high pole, or the expert's Q&A. */
  readonly trainToward: string;
  /** What the "away" fine-tune reads: the low pole; undefined for experts (away is the base itself). */
  readonly trainAway: string | undefined;
  /** Held-out target text for the gate. */
  readonly heldOutTarget: string;
  /** Held-out contrast text: the low pole, or the other experts' held-out answers. */
  readonly heldOutContrast: string;
  readonly counts: Record<string, number>;
}

export function targetTexts(dataDir: string, target: TrainTarget): TargetTexts {
  if (target.kind === "dimension") {
    const { train, heldOut } = splitHeldOut(loadContrastItems(dataDir, target.name), (i) => i.situation);
    const pole = (items: typeof train, p: "low" | "high") => repliesText(items.map((i) => contrastExample(i, p)));
    return {
      trainToward: pole(train, "high"),
      trainAway: pole(train, "low"),
      heldOutTarget: pole(heldOut, "high"),
      heldOutContrast: pole(heldOut, "low"),
      counts: { trainItems: train.length, heldOutItems: heldOut.length },
    };
  }
  const splits = Object.fromEntries(EXPERTS.map((d) => [d, splitHeldOut(loadQaItems(dataDir, d), (i) => i.question)]));
  const own = splits[target.name]!;
  const others = EXPERTS.filter((d) => d !== target.name).flatMap((d) => splits[d]!.heldOut);
  return {
    trainToward: dialogueText(own.train.map(qaExample)),
    trainAway: undefined,
    heldOutTarget: dialogueText(own.heldOut.map(qaExample)),
    heldOutContrast: dialogueText(others.map(qaExample)),
    counts: { trainItems: own.train.length, heldOutItems: own.heldOut.length, contrastItems: others.length },
  };
}

/** Every training half (all poles of every dimension, every expert's Q&A): the domain base's text. */
export function domainBaseText(dataDir: string): { text: string; items: number } {
  const parts: string[] = [];
  let items = 0;
  for (const d of DIMENSIONS) {
    const { train } = splitHeldOut(loadContrastItems(dataDir, d), (i) => i.situation);
    items += train.length;
    for (const p of ["low", "neutral", "high"] as const) parts.push(repliesText(train.map((i) => contrastExample(i, p))));
  }
  for (const d of EXPERTS) {
    const { train } = splitHeldOut(loadQaItems(dataDir, d), (i) => i.question);
    items += train.length;
    parts.push(dialogueText(train.map(qaExample)));
  }
  return { text: parts.join("\n"), items };
}
