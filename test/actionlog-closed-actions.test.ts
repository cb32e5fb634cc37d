import { describe, expect, it } from "vitest";
import { ClosedActions, type ClosedAction, type ClosedActionSource } from "../src/core/actionlog/ClosedActions.js";
import type { ActionEvent } from "../src/core/interfaces/messages.generated.js";

const closedAt = (sec: number): ClosedAction => ({ startSec: sec, startNsec: 0, result: "SUCCEEDED", endSec: sec + 1, endNsec: 0 });

function event(actionId: string, status: string, sec: number, robotId = "r1"): ActionEvent {
  return { header: { stamp: { sec, nanosec: 0 }, frame_id: "" }, robot_id: robotId, action_id: actionId, action: "pick", object: "mug", location: "", status, progress: 0, detail: "" };
}

/** A store that records every question: which action, and whether it was told to scan its unindexed tail. */
class RecordingStore implements ClosedActionSource {
  keysCaughtUp = 0;
  readonly asked: { actionId: string; scanTail: boolean | undefined }[] = [];
  readonly stored = new Map<string, ClosedAction>();
  lookupClosed(_robotId: string, actionId: string, scanTail?: boolean): ClosedAction | undefined {
    this.asked.push({ actionId, scanTail });
    return this.stored.get(actionId);
  }
}

describe("ClosedActions: the one owner of 'is this action already closed?'", () => {
  it("answers from the cache first, and asks the store only when the action may be stored", () => {
    const store = new RecordingStore();
    const closed = new ClosedActions({ capacity: 10, store, storedUntil: new Map([["r1", { sec: 100, nanosec: 0 }]]) });
    const r1 = closed.robot("r1");
    closed.remember(r1, "a1", closedAt(200));
    expect(closed.find(r1, event("a1", "STARTED", 200))).toEqual(closedAt(200));
    // A STARTED stamped after everything stored before this process and nothing evicted: no question.
    expect(closed.find(r1, event("new", "STARTED", 150))).toBeUndefined();
    expect(store.asked).toEqual([]);
    // A STARTED at or before the stored stamps, and any end, are asked about.
    store.stored.set("old", closedAt(90));
    expect(closed.find(r1, event("old", "STARTED", 90))).toEqual(closedAt(90));
    expect(closed.find(r1, event("other", "SUCCEEDED", 300))).toBeUndefined();
    expect(store.asked.map((q) => q.actionId)).toEqual(["old", "other"]);
  });

  it("scans the store's unindexed tail only while the cache may have lost part of it", () => {
    const store = new RecordingStore();
    const closed = new ClosedActions({ capacity: 2, store });
    const r1 = closed.robot("r1");
    closed.remember(r1, "a1", closedAt(1));
    closed.remember(r1, "a2", closedAt(2));
    closed.find(r1, event("x", "SUCCEEDED", 5));
    // Nothing evicted yet: the cache holds the whole tail, the store skips it.
    expect(store.asked.at(-1)).toEqual({ actionId: "x", scanTail: false });

    closed.remember(r1, "a3", closedAt(3)); // a1 is evicted, and it is in the unindexed tail
    expect(closed.size).toBe(2);
    closed.find(r1, event("a1", "SUCCEEDED", 2));
    expect(store.asked.at(-1)).toEqual({ actionId: "a1", scanTail: true });
    // An evicted action's STARTED at or before its stamp is asked about, a newer one is not.
    const asked = store.asked.length;
    closed.find(r1, event("a1", "STARTED", 1));
    closed.find(r1, event("fresh", "STARTED", 9));
    expect(store.asked.slice(asked).map((q) => q.actionId)).toEqual(["a1"]);

    // A commit without a key catch-up changes nothing; one with a catch-up empties the tail.
    closed.afterCommit();
    closed.find(r1, event("y", "SUCCEEDED", 5));
    expect(store.asked.at(-1)).toEqual({ actionId: "y", scanTail: true });
    store.keysCaughtUp++;
    closed.afterCommit();
    closed.find(r1, event("z", "SUCCEEDED", 5));
    expect(store.asked.at(-1)).toEqual({ actionId: "z", scanTail: false });

    // Actions closed after the catch-up are in the new tail: evicting one of them means scanning again.
    closed.remember(r1, "a4", closedAt(4));
    closed.find(r1, event("w", "SUCCEEDED", 5));
    expect(store.asked.at(-1)).toEqual({ actionId: "w", scanTail: false }); // evicted a2, closed before the catch-up
    closed.remember(r1, "a5", closedAt(5));
    closed.remember(r1, "a6", closedAt(6)); // evicts a4, closed after the catch-up
    closed.find(r1, event("a4", "SUCCEEDED", 5));
    expect(store.asked.at(-1)).toEqual({ actionId: "a4", scanTail: true });
  });

  it("keeps a robot's eviction bound per robot", () => {
    const closed = new ClosedActions({ capacity: 1 });
    const r1 = closed.robot("r1");
    const r2 = closed.robot("r2");
    closed.remember(r1, "a", closedAt(10));
    closed.remember(r2, "b", closedAt(20));
    expect(r1.evictedUntil).toEqual({ sec: 11, nanosec: 0 });
    expect(r2.evictedUntil).toBeUndefined();
    expect(closed.robot("r1")).toBe(r1);
  });
});
