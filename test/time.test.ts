import { describe, expect, it } from "vitest";
import { millisToTime, secondsToTime, timeToMillis, timeToSeconds } from "../src/core/time.js";

describe("builtin_interfaces/Time helpers", () => {
  it("convert milliseconds and seconds both ways", () => {
    expect(millisToTime(1_763_798_400_123.5)).toEqual({ sec: 1_763_798_400, nanosec: 123_500_000 });
    expect(timeToMillis({ sec: 12, nanosec: 500_000_000 })).toBe(12_500);
    expect(timeToSeconds(secondsToTime(3.25))).toBe(3.25);
  });

  it("never produce nanosec = 1e9 when rounding just below a whole second", () => {
    expect(millisToTime(999.9999999)).toEqual({ sec: 0, nanosec: 999_999_999 });
    expect(secondsToTime(0.9999999999)).toEqual({ sec: 0, nanosec: 999_999_999 });
  });
});
