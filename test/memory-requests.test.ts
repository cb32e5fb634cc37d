/** Issue #8 item 12c: every text field of Recall and Remember has the documented 4096-character limit. */
import { describe, expect, it } from "vitest";
import { createAskRequest, createForgetRequest, createRecallRequest, createRememberRequest } from "../src/core/interfaces/messages.generated.js";
import { askQuery, forgetResponse, forgetSelector, MAX_FORGET_IDS } from "../src/core/memory/askRequests.js";
import { MAX_FIELD_CHARS } from "../src/core/memory/limits.js";
import { recallQuery, rememberInput } from "../src/core/memory/serviceRequests.js";

const tooLong = "k".repeat(MAX_FIELD_CHARS + 1);

describe("Recall and Remember field limits", () => {
  it.each(["query", "cue_agent", "cue_action", "cue_object", "cue_location", "cue_result", "robot_id"] as const)("refuses a Recall whose %s is longer than the limit, naming the field", (field) => {
    const parsed = recallQuery({ ...createRecallRequest(), query: "cup", [field]: tooLong });
    expect(parsed).toEqual({ ok: false, message: `${field} is ${MAX_FIELD_CHARS + 1} characters, longer than the limit of ${MAX_FIELD_CHARS}` });
  });

  it("accepts a cue exactly at the limit", () => {
    expect(recallQuery({ ...createRecallRequest(), cue_object: "k".repeat(MAX_FIELD_CHARS) }).ok).toBe(true);
  });

  it.each(["text", "agent", "action", "object", "location", "result", "robot_id"] as const)("refuses a Remember whose %s is longer than the limit, naming the field", (field) => {
    const parsed = rememberInput({ ...createRememberRequest(), text: "a fact", [field]: tooLong });
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.message).toMatch(new RegExp(`^${field} is \\d+ characters, longer than the limit of ${MAX_FIELD_CHARS}$`));
  });
});

describe("time filters and robot ids of Recall, Ask and Forget", () => {
  const late = { sec: 1_763_000_000, nanosec: 4_000_000_000 };
  it.each([
    ["Recall", () => recallQuery({ ...createRecallRequest(), query: "cup", until: late })],
    ["Ask", () => askQuery({ ...createAskRequest(), question: "where is the cup?", until: late })],
    ["Forget", () => forgetSelector({ ...createForgetRequest(), robot_id: "r1", until: late })],
  ] as const)("%s refuses a nanosec of 1e9 or more instead of stretching the window", (_, parse) => {
    expect(parse()).toEqual({ ok: false, message: "until.nanosec is 4000000000; it must be below 1000000000" });
  });

  it.each([
    ["Recall", () => recallQuery({ ...createRecallRequest(), query: "cup", since: { sec: -5, nanosec: 0 } })],
    ["Forget", () => forgetSelector({ ...createForgetRequest(), robot_id: "r1", since: { sec: -5, nanosec: 0 } })],
  ] as const)("%s refuses a negative time", (_, parse) => {
    const parsed = parse();
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.message).toMatch(/^since\.sec is negative/);
  });

  it("Ask and Forget take robot_id as given, as Recall and Remember store it", () => {
    const forget = forgetSelector({ ...createForgetRequest(), robot_id: "r1 " });
    expect(forget.ok && forget.value.robotId).toBe("r1 ");
    const ask = askQuery({ ...createAskRequest(), question: "where?", robot_id: "r1 " });
    expect(ask.ok && ask.value.robotId).toBe("r1 ");
  });
});

describe("the Forget reply", () => {
  it("counts every episode but lists at most 10,000 ids, and says so", () => {
    const ids = Array.from({ length: 10_001 }, (_, i) => `ep-${i}`);
    const dry = forgetResponse(ids, true);
    expect(dry.count).toBe(10_001);
    expect(dry.episode_ids).toHaveLength(MAX_FORGET_IDS);
    expect(dry.episode_ids[0]).toBe("ep-0");
    expect(dry.message).toBe("dry run: 10001 episode(s) would be forgotten (the first 10000 listed)");
    expect(forgetResponse(["a", "b"], false)).toEqual({ success: true, message: "forgot 2 episode(s)", episode_ids: ["a", "b"], count: 2 });
  });
});
