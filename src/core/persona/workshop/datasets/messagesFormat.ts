/**
 * Conversions to the standard `messages` JSONL format (one {"messages":[...]} object per line), and
 * from it to the plain text llama.cpp's trainer reads. The trainer sees only the assistant's words for
 * a persona pole (the adapter should learn how the robot talks, not the situations, which both poles
 * share) and question plus answer for an expert.
 */
import { readFileSync, writeFileSync } from "node:fs";
import type { MessagesExample } from "../types.js";
import type { ContrastItem, QaItem } from "./starterSets.js";

export type Pole = "low" | "neutral" | "high";

export function contrastExample(item: ContrastItem, pole: Pole): MessagesExample {
  return {
    messages: [
      { role: "system", content: `persona ${item.dimension}: ${pole}` },
      { role: "user", content: item.situation },
      { role: "assistant", content: item[pole] },
    ],
  };
}

export function qaExample(item: QaItem): MessagesExample {
  return {
    messages: [
      { role: "system", content: `expert ${item.domain}` },
      { role: "user", content: item.question },
      { role: "assistant", content: item.answer },
    ],
  };
}

export function writeMessagesJsonl(file: string, examples: readonly MessagesExample[]): number {
  writeFileSync(file, examples.map((e) => JSON.stringify(e)).join("\n") + (examples.length ? "\n" : ""));
  return examples.length;
}

export function readMessagesJsonl(file: string): MessagesExample[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as MessagesExample);
}

/** The assistant's replies, one per line: what a persona pole's fine-tune reads. */
export function repliesText(examples: readonly MessagesExample[]): string {
  return examples.map((e) => lastAssistant(e)).join("\n") + "\n";
}

/** Question and answer per example, blank line between: what an expert's fine-tune reads. */
export function dialogueText(examples: readonly MessagesExample[]): string {
  return examples.map((e) => `${lastUser(e)}\n${lastAssistant(e)}`).join("\n\n") + "\n";
}

/** One line of trainer text: every run of whitespace (line breaks included) becomes one space. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

function lastAssistant(example: MessagesExample): string {
  return oneLine([...example.messages].reverse().find((m) => m.role === "assistant")?.content ?? "");
}
function lastUser(example: MessagesExample): string {
  return oneLine([...example.messages].reverse().find((m) => m.role === "user")?.content ?? "");
}
