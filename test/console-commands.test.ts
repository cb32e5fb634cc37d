import { describe, expect, it } from "vitest";
import { parseCommand } from "../src/cli/console/parseCommand.js";

describe("console command parsing", () => {
  it("treats plain text as chat and keeps json mode apart", () => {
    expect(parseCommand("hello there")).toEqual({ kind: "chat", text: "hello there", json: false });
    expect(parseCommand("json wave at me")).toEqual({ kind: "chat", text: "wave at me", json: true });
    expect(parseCommand("   ")).toBeUndefined();
  });

  it("splits a recall into free text, a role cue and the asked role", () => {
    expect(parseCommand("recall object=water_bottle result=FAILED ?location")).toEqual({
      kind: "recall", text: "", cue: { object: "water bottle", result: "FAILED" }, askRole: "location",
    });
    expect(parseCommand("recall what happened with the cup?")).toMatchObject({ kind: "recall", text: "what happened with the cup?", cue: {} });
  });

  it("parses set, stats and export, and explains misuse", () => {
    expect(parseCommand("set dialogue persona.warmth 0.9")).toEqual({ kind: "set", node: "dialogue", name: "persona.warmth", value: "0.9" });
    expect(parseCommand("stats pick mug by=robot")).toEqual({ kind: "stats", action: "pick", object: "mug", groupBy: "robot" });
    expect(parseCommand("export mcap /tmp/x.mcap")).toEqual({ kind: "export", format: "mcap", path: "/tmp/x.mcap" });
    expect(parseCommand("set dialogue")).toMatchObject({ kind: "error", message: expect.stringContaining("usage: set") });
    expect(parseCommand("export csv")).toMatchObject({ kind: "error" });
    expect(parseCommand("recall")).toMatchObject({ kind: "error" });
  });
});
