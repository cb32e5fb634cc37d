/** Issue #8 item 12c: every text field of Recall and Remember has the documented 4096-character limit. */
import { describe, expect, it } from "vitest";
import { createRecallRequest, createRememberRequest } from "../src/core/interfaces/messages.generated.js";
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
