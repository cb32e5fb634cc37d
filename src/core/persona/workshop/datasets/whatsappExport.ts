/**
 * WhatsApp chat exports (.txt) to `messages` JSONL (Hive's chat route).
 *
 * Line formats seen across locales (date order, 12/24 h clock, brackets, separators):
 *   12/31/23, 9:05 PM - Ana: hello            (US, 12 h)
 *   31/12/2023, 21:05 - Ana: hello            (EU, 24 h)
 *   [31.12.23, 21:05:09] Ana: hello           (iOS, bracketed, seconds)
 *   2023-12-31 21:05 - Ana: hello             (ISO)
 * A line that does not start with a timestamp continues the previous message (multi-line messages).
 * Day/month order is decided per file: a first field above 12 means day-first, a second above 12
 * month-first; ambiguous files default to day-first (most locales) unless told otherwise.
 *
 * validate: counts lines by what they are (message, continuation, system, media, deleted, malformed).
 * fix:      repairs what can be repaired (invisible direction marks, non-breaking spaces in "9:05 PM",
 *           "a.m."/"p.m."), and counts each repair.
 * clean:    drops media placeholders, deleted messages, URLs, and pairs with an empty side.
 * Pairs:    consecutive turns of other senders (the prompt) followed by the chosen sender's turn (the
 *           reply), with a sliding window of up to `contextTurns` earlier turns as context.
 */
import { countReason, type MessagesExample, type ReasonCounts } from "../types.js";

export interface ChatLine {
  readonly timestamp: Date;
  readonly sender: string;
  readonly text: string;
}

const TIMESTAMP =
  /^\[?(\d{1,4})[./-](\d{1,2})[./-](\d{1,4}),?\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp]\.?\s?[Mm]\.?)?\]?\s*(?:[-\u2013]\s*)?(.*)$/;
const MEDIA = /^<?(?:Media omitted|image omitted|video omitted|audio omitted|sticker omitted|GIF omitted|document omitted|Contact card omitted)>?$|\.(?:jpg|jpeg|png|webp|opus|mp4|pdf) \(file attached\)$/i;
const DELETED = /^(?:This message was deleted|You deleted this message|Diese Nachricht wurde gelöscht|Ce message a été supprimé)\.?$/i;
const URL = /\bhttps?:\/\/\S+|\bwww\.\S+/gi;
const SYSTEM_HINTS = /end-to-end encrypted|created group|added you|changed the subject|changed this group's icon|left$|joined using this group's invite link|security code changed/i;

export type DateOrder = "dmy" | "mdy" | "auto";

export interface WhatsappReport {
  readonly lines: number;
  /** validate: what each line is. */
  readonly kinds: ReasonCounts;
  /** fix: repairs made. */
  readonly fixes: ReasonCounts;
  /** clean: what was dropped, by reason. */
  readonly dropped: ReasonCounts;
  readonly dateOrder: "dmy" | "mdy";
  readonly senders: Record<string, number>;
  readonly pairs: number;
}

/** fix: repairs one raw line, counting each repair. */
export function fixLine(line: string, fixes: ReasonCounts): string {
  let out = line;
  const repair = (pattern: RegExp, replacement: string, reason: string) => {
    const next = out.replace(pattern, replacement);
    if (next !== out) countReason(fixes, reason);
    out = next;
  };
  repair(/[\u200e\u200f\u202a-\u202e\ufeff]/g, "", "direction marks removed");
  repair(/[\u00a0\u202f]/g, " ", "non-breaking spaces replaced");
  repair(/\b([ap])\.\s?m\./gi, "$1m", "a.m./p.m. normalised");
  repair(/\r$/, "", "carriage return removed");
  return out;
}

interface RawMessage {
  fields: [number, number, number];
  hour: number;
  minute: number;
  second: number;
  meridiem: string | undefined;
  sender: string;
  text: string;
}

function decideDateOrder(messages: readonly RawMessage[], preferred: DateOrder): "dmy" | "mdy" {
  if (preferred !== "auto") return preferred;
  for (const m of messages) {
    if (m.fields[0] > 31) continue; // ISO year first: order does not matter
    if (m.fields[0] > 12) return "dmy";
    if (m.fields[1] > 12) return "mdy";
  }
  return "dmy";
}

function toDate(m: RawMessage, order: "dmy" | "mdy"): Date | undefined {
  let [a, b, c] = m.fields;
  let year: number;
  let month: number;
  let day: number;
  if (a > 31) [year, month, day] = [a, b, c];
  else if (order === "dmy") [day, month, year] = [a, b, c];
  else [month, day, year] = [a, b, c];
  if (year < 100) year += 2000;
  let hour = m.hour;
  if (m.meridiem) {
    const pm = /^p/i.test(m.meridiem);
    if (hour === 12) hour = pm ? 12 : 0;
    else if (pm) hour += 12;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || m.minute > 59) return undefined;
  return new Date(Date.UTC(year, month - 1, day, hour, m.minute, m.second));
}

export interface ParseWhatsappOptions {
  readonly dateOrder?: DateOrder;
}

/** validate + fix + clean in one pass; returns the surviving lines and the report. */
export function parseWhatsapp(text: string, options: ParseWhatsappOptions = {}): { lines: ChatLine[]; report: Omit<WhatsappReport, "pairs"> } {
  const kinds: ReasonCounts = {};
  const fixes: ReasonCounts = {};
  const dropped: ReasonCounts = {};
  const raw: RawMessage[] = [];
  const rawLines = text.split("\n");
  for (const original of rawLines) {
    const line = fixLine(original, fixes);
    if (line.trim() === "") {
      countReason(kinds, "blank");
      continue;
    }
    const m = TIMESTAMP.exec(line);
    if (!m) {
      const last = raw.at(-1);
      if (last) {
        last.text += `\n${line}`;
        countReason(kinds, "continuation");
      } else {
        countReason(kinds, "malformed");
        countReason(dropped, "malformed line before any message");
      }
      continue;
    }
    const rest = m[8] ?? "";
    const colon = rest.indexOf(": ");
    // No "Sender: " part, or a notice such as "Ana added you": not a message anyone wrote.
    if (colon <= 0 || SYSTEM_HINTS.test(rest.slice(0, colon))) {
      countReason(kinds, "system");
      countReason(dropped, "system notice");
      continue;
    }
    const sender = rest.slice(0, colon).trim();
    countReason(kinds, "message");
    raw.push({
      fields: [Number(m[1]), Number(m[2]), Number(m[3])],
      hour: Number(m[4]),
      minute: Number(m[5]),
      second: Number(m[6] ?? 0),
      meridiem: m[7],
      sender,
      text: rest.slice(colon + 2),
    });
  }
  const dateOrder = decideDateOrder(raw, options.dateOrder ?? "auto");
  const lines: ChatLine[] = [];
  const senders: Record<string, number> = {};
  for (const m of raw) {
    const timestamp = toDate(m, dateOrder);
    if (!timestamp) {
      countReason(dropped, "impossible date or time");
      continue;
    }
    const body = m.text.trim();
    if (MEDIA.test(body)) {
      countReason(dropped, "media");
      continue;
    }
    if (DELETED.test(body)) {
      countReason(dropped, "deleted message");
      continue;
    }
    const withoutUrls = body.replace(URL, "").replace(/[ \t]+/g, " ").trim();
    if (withoutUrls !== body) countReason(fixes, "URLs removed");
    if (!withoutUrls) {
      countReason(dropped, "only a URL");
      continue;
    }
    senders[m.sender] = (senders[m.sender] ?? 0) + 1;
    lines.push({ timestamp, sender: m.sender, text: withoutUrls });
  }
  return { lines, report: { lines: rawLines.length, kinds, fixes, dropped, dateOrder, senders } };
}

export interface PairOptions {
  /** The sender whose messages become the assistant's replies. */
  readonly sender: string;
  /** Earlier turns kept as context before the prompt (sliding window). Default 2. */
  readonly contextTurns?: number;
  /** Turns further apart than this start a new conversation. Default 6 hours. */
  readonly gapMs?: number;
  readonly systemPrompt?: string;
}

/**
 * Consecutive messages of one sender merge into one turn; each turn of the chosen sender that
 * follows a turn of someone else becomes one example (the window of earlier turns as context).
 * A reply with no preceding prompt, or a prompt never answered, is an incomplete pair and dropped.
 */
export function pairTurns(lines: readonly ChatLine[], options: PairOptions, dropped: ReasonCounts = {}): MessagesExample[] {
  const gap = options.gapMs ?? 6 * 3600_000;
  const turns: Array<{ sender: string; text: string; at: number }> = [];
  for (const line of lines) {
    const last = turns.at(-1);
    if (last && last.sender === line.sender && line.timestamp.getTime() - last.at <= gap) {
      last.text += `\n${line.text}`;
      last.at = line.timestamp.getTime();
    } else {
      turns.push({ sender: line.sender, text: line.text, at: line.timestamp.getTime() });
    }
  }
  const examples: MessagesExample[] = [];
  const window = options.contextTurns ?? 2;
  for (let i = 0; i < turns.length; i++) {
    const turn = turns[i]!;
    const previous = turns[i - 1];
    if (turn.sender !== options.sender) {
      const next = turns[i + 1];
      if (!next || next.sender !== options.sender || next.at - turn.at > gap) countReason(dropped, "incomplete pair (prompt without reply)");
      continue;
    }
    if (!previous || turn.at - previous.at > gap) {
      countReason(dropped, "incomplete pair (reply without prompt)");
      continue;
    }
    // Earlier turns of the same conversation, oldest first.
    const context: typeof turns = [];
    for (let j = i - 2; j >= 0 && context.length < window; j--) {
      if (turns[j + 1]!.at - turns[j]!.at > gap) break;
      context.unshift(turns[j]!);
    }
    examples.push({
      messages: [
        ...(options.systemPrompt ? [{ role: "system" as const, content: options.systemPrompt }] : []),
        ...context.map((t) => ({ role: t.sender === options.sender ? ("assistant" as const) : ("user" as const), content: t.text })),
        { role: "user", content: previous.text },
        { role: "assistant", content: turn.text },
      ],
    });
  }
  return examples;
}

export function whatsappToMessages(text: string, options: PairOptions & ParseWhatsappOptions): { examples: MessagesExample[]; report: WhatsappReport } {
  const { lines, report } = parseWhatsapp(text, options);
  if (!(options.sender in report.senders)) {
    throw new Error(`sender "${options.sender}" has no messages in this export; senders found: ${Object.keys(report.senders).join(", ") || "none"}`);
  }
  const dropped = { ...report.dropped };
  const examples = pairTurns(lines, options, dropped);
  return { examples, report: { ...report, dropped, pairs: examples.length } };
}
