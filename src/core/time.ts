/**
 * builtin_interfaces/Time helpers, shared by every part of the package. Stamps are kept as exact
 * (sec, nanosec) pairs; arithmetic uses float seconds or milliseconds.
 */
import type { BuiltinInterfacesTime } from "./interfaces/messages.generated.js";

export function timeToSeconds(t: BuiltinInterfacesTime): number {
  return t.sec + t.nanosec / 1e9;
}

export function secondsToTime(seconds: number): BuiltinInterfacesTime {
  const sec = Math.floor(seconds);
  let nanosec = Math.round((seconds - sec) * 1e9);
  if (nanosec >= 1e9) nanosec = 999_999_999;
  return { sec, nanosec };
}

export function millisToTime(ms: number): BuiltinInterfacesTime {
  const sec = Math.floor(ms / 1000);
  // Rounding a fraction just below the next second must not give nanosec = 1e9 (out of range).
  return { sec, nanosec: Math.min(999_999_999, Math.round((ms - sec * 1000) * 1e6)) };
}

export function timeToMillis(t: BuiltinInterfacesTime): number {
  return t.sec * 1000 + t.nanosec / 1e6;
}

export function isZeroTime(t: BuiltinInterfacesTime): boolean {
  return t.sec === 0 && t.nanosec === 0;
}

/** A time a ROS clock can give: whole seconds >= 0, whole nanoseconds in [0, 1e9). */
export function isValidTime(t: BuiltinInterfacesTime): boolean {
  return Number.isInteger(t.sec) && Number.isInteger(t.nanosec) && t.sec >= 0 && t.nanosec >= 0 && t.nanosec < 1e9;
}

/** Exact, cheap identity of a stamp, for duplicate detection. */
export function stampKey(t: BuiltinInterfacesTime): string {
  return `${t.sec}.${t.nanosec}`;
}
