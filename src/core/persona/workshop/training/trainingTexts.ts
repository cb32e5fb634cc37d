/**
 * The plain texts each llama.cpp run reads, built from the starter sets with one held-out split
 * shared by every run: pole replies for dimensions, question-and-answer blocks for experts, and the
 * training halves' situations, neutral replies and questions for the domain base (a random-weight
 * fixture first has to learn the language of robot conversations before two pole fine-tunes can
 * differ in anything but vocabulary).
 */
import { DIMENSIONS, EXPERTS, type TrainTarget } from "../types.js";
import { contrastExample, dialogueText, oneLine, qaExample, repliesText } from "../datasets/messagesFormat.js";
import { splitHeldOut } from "../datasets/heldOutSplit.js";
import { loadContrastItems, loadQaItems } from "../datasets/starterSets.js";
import { loadExtraExamples, type ExtraSources } from "./extraTexts.js";
import { hashString } from "../../../hdc/prng.js";

export interface TargetTexts {
  /** What the "toward" fine-tune reads: the high pole, or the expert's Q&A. */
  readonly trainToward: string;
  /** What the "away" fine-tune reads: the low pole; undefined for experts (away is the base itself). */
  readonly trainAway: string | undefined;
  /** Held-out target text for the gate. */
  readonly heldOutTarget: string;
  /** Held-out contrast text: the low pole, or the other experts' held-out answers. */
  readonly heldOutContrast: string;
  /**
   * The dev split: part of the training half that the fine-tunes do not read, for choosing how far
   * scale +1 goes (calibrateScale) without looking at the gate's held-out text.
   */
  readonly devTarget: string;
  readonly devContrast: string;
  readonly counts: Record<string, number>;
}

/**
 * The texts for one target. `extra` adds examples from the other sources (WhatsApp, logged turns,
 * synthetic) to the training text only; those that repeat held-out text are dropped and counted.
 */
export function targetTexts(dataDir: string, target: TrainTarget, extra: ExtraSources = {}): TargetTexts {
  if (target.kind === "dimension") {
    const { fit, dev, heldOut } = splitThreeWays(loadContrastItems(dataDir, target.name), (i) => i.situation);
    const pole = (items: typeof fit, p: "low" | "high") => repliesText(items.map((i) => contrastExample(i, p)));
    const extras = loadExtraExamples(target, extra, [...heldOut, ...dev].flatMap((i) => [i.situation, i.low, i.neutral, i.high]));
    return {
      trainToward: pole(fit, "high") + (extras.toward.length ? repliesText(extras.toward) : ""),
      trainAway: pole(fit, "low") + (extras.away.length ? repliesText(extras.away) : ""),
      heldOutTarget: pole(heldOut, "high"),
      heldOutContrast: pole(heldOut, "low"),
      devTarget: pole(dev, "high"),
      devContrast: pole(dev, "low"),
      counts: { trainItems: fit.length, devItems: dev.length, heldOutItems: heldOut.length, ...extraCounts(extras) },
    };
  }
  const splits = Object.fromEntries(EXPERTS.map((d) => [d, splitThreeWays(loadQaItems(dataDir, d), (i) => i.question)]));
  const own = splits[target.name]!;
  const { fit, dev } = own;
  const others = EXPERTS.filter((d) => d !== target.name).flatMap((d) => splits[d]!.heldOut);
  const othersDev = EXPERTS.filter((d) => d !== target.name).flatMap((d) => splits[d]!.dev);
  const extras = loadExtraExamples(target, extra, [...own.heldOut, ...others, ...dev].flatMap((i) => [i.question, i.answer]));
  return {
    trainToward: dialogueText(fit.map(qaExample)) + (extras.toward.length ? "\n" + dialogueText(extras.toward) : ""),
    trainAway: undefined,
    heldOutTarget: dialogueText(own.heldOut.map(qaExample)),
    heldOutContrast: dialogueText(others.map(qaExample)),
    devTarget: dialogueText(dev.map(qaExample)),
    devContrast: dialogueText(othersDev.map(qaExample)),
    counts: { trainItems: fit.length, devItems: dev.length, heldOutItems: own.heldOut.length, contrastItems: others.length, ...extraCounts(extras) },
  };
}

/** Share of the training half kept out of the fine-tunes as the dev split (its own seed: not the held-out split's). */
export const DEV_FRACTION = 0.15;

/**
 * The one split every run shares: the gate's held-out items, the dev split (part of the training
 * half, its own seed), and the rest, which the fine-tunes and the domain base read.
 */
export function splitThreeWays<T>(items: readonly T[], key: (item: T) => string): { fit: T[]; dev: T[]; heldOut: T[] } {
  const { train, heldOut } = splitHeldOut(items, key);
  const { train: fit, heldOut: dev } = splitHeldOut(train, key, DEV_FRACTION, 0xde5);
  return { fit, dev, heldOut };
}

function extraCounts(extras: ReturnType<typeof loadExtraExamples>): Record<string, number> {
  const dropped = Object.values(extras.dropped).reduce((s, n) => s + n, 0);
  if (!extras.toward.length && !extras.away.length && !dropped) return {};
  return { extraToward: extras.toward.length, extraAway: extras.away.length, extraDropped: dropped };
}

/**
 * The domain base's text: the language of the robot's conversations without what the adapters are
 * there to teach. It stands in for a pretrained model, which has seen people's situations and
 * questions and plain answers, but none of the starter sets' pole replies or expert answers: the
 * situations and neutral replies, and the experts' questions, of the part of each training half that
 * the fine-tunes read. Neither the gate's held-out split nor the dev split (on which +1 is chosen)
 * is in it, so both score text whose situations and questions the base never saw. (Trained on
 * every pole and every answer, the base had already learned each adapter's material, and an adapter
 * could only re-emphasise it: see docs/persona-workshop.md.)
 *
 * llama-finetune walks its text in order every epoch (no shuffling) and validates on the text's last
 * 5%, so the units are interleaved in a fixed hashed order: blocks of one dimension or expert would
 * leave the base tilted toward whatever came last, and its validation loss measured on that alone.
 */
export function domainBaseText(dataDir: string): { text: string; items: number } {
  const line = (text: string) => `${oneLine(text)}\n`;
  const units: string[] = [];
  let items = 0;
  for (const d of DIMENSIONS) {
    const { fit } = splitThreeWays(loadContrastItems(dataDir, d), (i) => i.situation);
    items += fit.length;
    for (const item of fit) units.push(line(item.situation), line(item.neutral));
  }
  for (const d of EXPERTS) {
    const { fit } = splitThreeWays(loadQaItems(dataDir, d), (i) => i.question);
    items += fit.length;
    units.push(...fit.map((item) => line(item.question)));
  }
  return { text: interleave(units).join(""), items };
}

/** A fixed order that mixes sources: by a hash of each unit's text (ties keep their place). */
export function interleave(units: readonly string[], seed = 0x5eed): string[] {
  return units
    .map((unit, index) => ({ unit, index, rank: hashString(unit, seed) }))
    .sort((a, b) => a.rank - b.rank || a.index - b.index)
    .map((u) => u.unit);
}
