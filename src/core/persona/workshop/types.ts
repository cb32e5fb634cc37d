/** Shared names of the persona workshop: what can be trained, and the shape of a chat-format example. */

export const DIMENSIONS = ["warmth", "playful", "formal", "encouragement"] as const;
export const EXPERTS = ["medical", "coding", "teaching", "quantum"] as const;
export type DimensionName = (typeof DIMENSIONS)[number];
export type ExpertName = (typeof EXPERTS)[number];
export type TrainTarget = { readonly kind: "dimension"; readonly name: DimensionName } | { readonly kind: "expert"; readonly name: ExpertName };

export function parseTrainTarget(name: string): TrainTarget {
  if ((DIMENSIONS as readonly string[]).includes(name)) return { kind: "dimension", name: name as DimensionName };
  if ((EXPERTS as readonly string[]).includes(name)) return { kind: "expert", name: name as ExpertName };
  throw new Error(`unknown persona target "${name}": choose one of ${[...DIMENSIONS, ...EXPERTS].join(", ")}`);
}

/** One example in the standard `messages` JSONL format (one JSON object per line). */
export interface ChatMessage {
  readonly role: "system" | "user" | "assistant";
  readonly content: string;
}
export interface MessagesExample {
  readonly messages: readonly ChatMessage[];
}

/** A count per reason, so every dropped or repaired line is accounted for in a report. */
export type ReasonCounts = Record<string, number>;

export function countReason(counts: ReasonCounts, reason: string, by = 1): void {
  counts[reason] = (counts[reason] ?? 0) + by;
}
