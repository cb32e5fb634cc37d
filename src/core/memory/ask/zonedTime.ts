/**
 * Calendar arithmetic in a named IANA time zone with nothing but Intl: people say "yesterday
 * evening" and "at 3 pm" in the robot's local time, while stamps are UTC seconds.
 */

export interface LocalParts {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  /** 0 = Sunday. */
  readonly weekday: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", second: "numeric", weekday: "short",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Whether Intl knows the zone ('' is never valid here: resolve the system zone first). */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

export function systemTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

export function localParts(epochS: number, timeZone: string): LocalParts {
  const parts: Record<string, string> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(epochS * 1000))) parts[p.type] = p.value;
  return {
    year: Number(parts["year"]),
    month: Number(parts["month"]),
    day: Number(parts["day"]),
    hour: Number(parts["hour"]) % 24,
    minute: Number(parts["minute"]),
    weekday: WEEKDAYS.indexOf(parts["weekday"] ?? "Sun"),
  };
}

/** Seconds east of UTC at an instant. */
function offsetAt(epochS: number, timeZone: string): number {
  const p = localParts(epochS, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute) / 1000;
  return asUtc - Math.floor(epochS / 60) * 60;
}

/**
 * The instant of a local wall-clock time (day may overflow: day 0 = the last of the previous month).
 * Two offset passes settle daylight-saving edges.
 */
export function zonedToEpoch(year: number, month: number, day: number, hour: number, minute: number, timeZone: string): number {
  const wall = Date.UTC(year, month - 1, day, hour, minute) / 1000;
  let t = wall - offsetAt(wall, timeZone);
  t = wall - offsetAt(t, timeZone);
  return t;
}

/** Local midnight of the day `dayOffset` days from the day holding `epochS`. */
export function startOfLocalDay(epochS: number, timeZone: string, dayOffset = 0): number {
  const p = localParts(epochS, timeZone);
  return zonedToEpoch(p.year, p.month, p.day + dayOffset, 0, 0, timeZone);
}

const DAY_NAMES = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

/** "3:05 pm" */
export function clockText(epochS: number, timeZone: string): string {
  const p = localParts(epochS, timeZone);
  const h = p.hour % 12 === 0 ? 12 : p.hour % 12;
  return `${h}:${String(p.minute).padStart(2, "0")} ${p.hour < 12 ? "am" : "pm"}`;
}

/** "today at 3:05 pm", "yesterday at 9:12 am", "on Monday at ...", "on 2025-11-03 at ..." */
export function whenText(epochS: number, nowS: number, timeZone: string): string {
  const days = Math.round((startOfLocalDay(nowS, timeZone) - startOfLocalDay(epochS, timeZone)) / 86400);
  const clock = clockText(epochS, timeZone);
  if (days === 0) return `today at ${clock}`;
  if (days === 1) return `yesterday at ${clock}`;
  const p = localParts(epochS, timeZone);
  if (days > 1 && days < 7) return `on ${DAY_NAMES[p.weekday]} at ${clock}`;
  return `on ${p.year}-${String(p.month).padStart(2, "0")}-${String(p.day).padStart(2, "0")} at ${clock}`;
}

/** "42 seconds", "3 minutes 5 seconds", "1 hour 2 minutes" */
export function durationText(seconds: number): string {
  const s = Math.round(seconds);
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? "" : "s"}`;
  if (s < 60) return plural(s, "second");
  if (s < 3600) return [plural(Math.floor(s / 60), "minute"), s % 60 ? plural(s % 60, "second") : ""].filter(Boolean).join(" ");
  return [plural(Math.floor(s / 3600), "hour"), Math.floor((s % 3600) / 60) ? plural(Math.floor((s % 3600) / 60), "minute") : ""].filter(Boolean).join(" ");
}
