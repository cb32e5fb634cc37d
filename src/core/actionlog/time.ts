/** Time helpers. Stamps are stored as exact (sec, nanosec) pairs; arithmetic uses float seconds. */
import type { BuiltinInterfacesTime } from "../interfaces/messages.generated.js";

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
  return { sec, nanosec: Math.round((ms - sec * 1000) * 1e6) };
}

export function isZeroTime(t: BuiltinInterfacesTime): boolean {
  return t.sec === 0 && t.nanosec === 0;
}

/** Exact, cheap identity of a stamp, for duplicate detection. */
export function stampKey(t: BuiltinInterfacesTime): string {
  return `${t.sec}.${t.nanosec}`;
}
