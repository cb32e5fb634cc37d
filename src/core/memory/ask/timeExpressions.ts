/**
 * Time expressions in questions -> a window of UTC seconds, read in the robot's time zone:
 * "today", "yesterday evening", "this morning", "last night", "on Monday", "2 days ago",
 * "after lunch", "before lunch", "at 3 pm", "around 10:30", "in the last hour", "in the past
 * 20 minutes", "this week". Several combine ("yesterday after lunch"). The matched words are cut
 * out of the question so they are not taken for things to look for.
 */
import { localParts, startOfLocalDay, zonedToEpoch } from "./zonedTime.js";

export interface TimeWindow {
  readonly since: number;
  readonly until: number;
  /** The words that set it, for explanations. */
  readonly label: string;
}

export interface TimeParse {
  readonly window: TimeWindow | undefined;
  /** The question without the time words. */
  readonly rest: string;
}

const NUMBER_WORDS: Record<string, number> = { a: 1, an: 1, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10, twelve: 12, twenty: 20, thirty: 30 };
const WEEKDAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];
/** Parts of the day, local hours [from, to). Night runs past midnight. */
const PARTS: Record<string, readonly [number, number]> = {
  morning: [5, 12], afternoon: [12, 17], evening: [17, 22], night: [22, 29], tonight: [17, 29],
  "after lunch": [13, 18], "before lunch": [5, 12], lunch: [12, 13], noon: [12, 13], midday: [12, 13],
};

const num = (word: string) => NUMBER_WORDS[word] ?? Number(word);

export function parseTimeExpressions(question: string, nowS: number, timeZone: string): TimeParse {
  let rest = ` ${question.toLowerCase()} `;
  const labels: string[] = [];
  let dayOffset: number | undefined;
  let since = -Infinity;
  let until = Infinity;
  const take = (re: RegExp): RegExpExecArray | null => {
    const m = re.exec(rest);
    if (m) {
      labels.push(m[0].trim());
      rest = rest.slice(0, m.index) + " " + rest.slice(m.index + m[0].length);
    }
    return m;
  };
  const narrow = (from: number, to: number) => {
    since = Math.max(since, from);
    until = Math.min(until, to);
  };

  // Relative spans from now.
  const span = take(/\b(?:in|during|within|over) the (?:last|past) (?:(\d+|an?|one|two|three|four|five|six|ten|twelve|twenty|thirty) )?(minute|hour|day|week)s?\b/);
  if (span) {
    const n = span[1] ? num(span[1]) : 1;
    const unit = { minute: 60, hour: 3600, day: 86400, week: 604800 }[span[2] as "minute" | "hour" | "day" | "week"];
    narrow(nowS - n * unit, nowS);
  }
  if (take(/\bthis week\b/)) {
    const wd = localParts(nowS, timeZone).weekday;
    narrow(startOfLocalDay(nowS, timeZone, -((wd + 6) % 7)), nowS);
  }
  if (take(/\blast week\b/)) {
    const wd = localParts(nowS, timeZone).weekday;
    const monday = startOfLocalDay(nowS, timeZone, -((wd + 6) % 7));
    narrow(monday - 7 * 86400, monday);
  }
  // Days.
  if (take(/\b(?:the )?day before yesterday\b/)) dayOffset = -2;
  else if (take(/\blast night\b/)) {
    dayOffset = -1;
    rest += " night ";
  } else if (take(/\byesterday\b/)) dayOffset = -1;
  else if (take(/\b(?:today|this)\b(?= (?:morning|afternoon|evening)\b)/) || take(/\btoday\b/) || take(/\btonight\b/)) dayOffset = 0;
  const ago = take(/\b(\d+|two|three|four|five|six) days ago\b/);
  if (ago) dayOffset = -num(ago[1]!);
  const weekday = take(/\b(?:on |last )?(sunday|monday|tuesday|wednesday|thursday|friday|saturday)\b/);
  if (weekday) {
    const today = localParts(nowS, timeZone).weekday;
    const back = (today - WEEKDAYS.indexOf(weekday[1]!) + 7) % 7;
    dayOffset = -(back === 0 && /last/.test(weekday[0]) ? 7 : back);
  }
  // Part of the day, and clock times.
  const part = take(/\b(?:in the |this |during the )?(after lunch|before lunch|morning|afternoon|evening|night|noon|midday|lunch(?: ?time)?)\b/);
  const clock = take(/\b(?:at|around|about|near) (\d{1,2})(?::(\d{2}))? ?(am|pm|a\.m\.|p\.m\.|o'clock)?\b/);
  if (part || clock) {
    const key = part ? part[1]!.replace(/ ?time$/, "") : "";
    let day = dayOffset;
    if (day === undefined) {
      // A part of the day with no day named: the latest one that has begun.
      const hourNow = localParts(nowS, timeZone).hour;
      const startHour = part ? PARTS[key]![0] : clockHour(clock!);
      day = hourNow >= startHour ? 0 : -1;
    }
    const base = startOfLocalDay(nowS, timeZone, day);
    const p = localParts(base + 3600 * 12, timeZone);
    if (part) {
      const [from, to] = PARTS[key]!;
      narrow(zonedToEpoch(p.year, p.month, p.day, from, 0, timeZone), zonedToEpoch(p.year, p.month, p.day, to, 0, timeZone));
    }
    if (clock) {
      const at = zonedToEpoch(p.year, p.month, p.day, clockHour(clock), Number(clock[2] ?? 0), timeZone);
      // "at 3 pm" means the hour around it: actions take minutes and people round.
      narrow(at - 30 * 60, at + 60 * 60);
    }
  } else if (dayOffset !== undefined) {
    narrow(startOfLocalDay(nowS, timeZone, dayOffset), startOfLocalDay(nowS, timeZone, dayOffset + 1));
  }
  if (since === -Infinity && until === Infinity) return { window: undefined, rest: question };
  return { window: { since, until, label: labels.join(" ") }, rest: rest.replace(/\s+/g, " ").trim() };
}

function clockHour(m: RegExpExecArray): number {
  const h = Number(m[1]) % 24;
  const suffix = (m[3] ?? "").replace(/\./g, "");
  if (suffix === "pm" && h < 12) return h + 12;
  if (suffix === "am" && h === 12) return 0;
  // No am/pm: working hours are the likely reading ("at 3" = 3 pm).
  if (suffix === "" || suffix === "o'clock") return h >= 1 && h <= 6 ? h + 12 : h;
  return h;
}
