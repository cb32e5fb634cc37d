import { describe, expect, it } from "vitest";
import { simulateDay } from "../src/core/sim/SimulatedRobot.js";
import { ActionEventSchema } from "../src/core/interfaces/messages.generated.js";

describe("simulateDay", () => {
  const day = simulateDay({ seed: 3, actions: 200, startMs: Date.UTC(2026, 10, 22, 7) });

  it("is deterministic for a seed and different for another", () => {
    expect(simulateDay({ seed: 3, actions: 200, startMs: Date.UTC(2026, 10, 22, 7) })).toEqual(day);
    expect(simulateDay({ seed: 4, actions: 200, startMs: Date.UTC(2026, 10, 22, 7) })).not.toEqual(day);
  });

  it("emits valid ActionEvents in time order, each action started once and ended once", () => {
    let last = 0;
    const started = new Map<string, number>();
    const ended = new Map<string, string>();
    for (const event of day) {
      expect(ActionEventSchema.safeParse(event).success).toBe(true);
      const t = event.header.stamp.sec * 1000 + event.header.stamp.nanosec / 1e6;
      expect(t).toBeGreaterThanOrEqual(last);
      last = t;
      if (event.status === "STARTED") started.set(event.action_id, (started.get(event.action_id) ?? 0) + 1);
      else if (event.status !== "PROGRESS") ended.set(event.action_id, event.status);
    }
    expect(started.size).toBe(200);
    expect([...started.values()].every((n) => n === 1)).toBe(true);
    expect([...ended.keys()].sort()).toEqual([...started.keys()].sort());
  });

  it("mostly succeeds, with failures and aborts that carry a reason", () => {
    const ends = day.filter((e) => e.status !== "STARTED" && e.status !== "PROGRESS");
    const succeeded = ends.filter((e) => e.status === "SUCCEEDED").length;
    expect(succeeded / ends.length).toBeGreaterThan(0.7);
    const bad = ends.filter((e) => e.status === "FAILED" || e.status === "ABORTED");
    expect(bad.length).toBeGreaterThan(5);
    expect(bad.every((e) => e.detail.length > 0)).toBe(true);
    expect(new Set(day.map((e) => e.action))).toEqual(new Set(["navigate", "pick", "place", "handover", "open_door"]));
  });

  it("can end the day at a given time, keeping the gaps between events", () => {
    const endMs = Date.UTC(2026, 10, 22, 9, 30);
    const shifted = simulateDay({ seed: 3, actions: 200, endMs });
    const ms = (e: (typeof day)[number]) => e.header.stamp.sec * 1000 + e.header.stamp.nanosec / 1e6;
    expect(Math.round(ms(shifted.at(-1)!))).toBe(endMs);
    expect(Math.round(ms(shifted[1]!) - ms(shifted[0]!))).toBe(Math.round(ms(day[1]!) - ms(day[0]!)));
    expect(shifted.map((e) => e.action_id)).toEqual(day.map((e) => e.action_id));
  });
});
