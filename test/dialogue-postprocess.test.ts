import { describe, expect, it } from "vitest";
import { ForbiddenPhraseFilter, SentenceStreamer, postProcessReply, trimToSentences } from "../src/core/dialogue/postProcess.js";
import { parseJsonReply } from "../src/core/dialogue/DialogueEngine.js";

describe("post-processing", () => {
  const filter = new ForbiddenPhraseFilter(["as an AI language model", "stupid", "ab"]);

  it("removes forbidden phrases case-insensitively, across odd spacing, and again when a removal joins two halves", () => {
    expect(filter.apply("As an  AI language model, I think so.").text).toBe("I think so.");
    expect(filter.apply("That is STUPID!").text).toBe("That is!");
    const joined = new ForbiddenPhraseFilter(["shut up"]).apply("Please shut shut up up now.");
    expect(joined.text).toBe("Please now.");
    expect(joined.removed).toBe(2);
  });

  it("trims to whole sentences and marks a cut fragment", () => {
    expect(trimToSentences("Hello there. How are", true)).toBe("Hello there.");
    expect(trimToSentences("Version 3.5 is out! Yes", false)).toBe("Version 3.5 is out!");
    expect(trimToSentences("no end at all here", true)).toBe("no end at all.");
  });

  it("streams whole cleaned sentences whose concatenation is the final reply", () => {
    const streamer = new SentenceStreamer(filter);
    const pieces: string[] = [];
    for (const chunk of ["Good ", "job. That was st", "upid of me! Next", " time we try"]) pieces.push(...streamer.push(chunk));
    const done = streamer.finish(true);
    if (done.piece) pieces.push(done.piece);
    expect(pieces).toEqual(["Good job.", "That was of me!"]);
    expect(done.reply).toBe("Good job. That was of me!");
    expect(postProcessReply("Good job. That was stupid of me! Next time we try", filter, true).text).toBe(done.reply);
  });

  it("repairs JSON cut by the token limit into a valid object", () => {
    expect(parseJsonReply('{"say": "Hello \\"friend', ["none", "wave"])).toMatchObject({ say: 'Hello "friend', gesture: "none", parsed: false });
    const ok = parseJsonReply('{"say": "Hi", "gesture": "wave"}', ["none", "wave"]);
    expect(ok).toMatchObject({ parsed: true, gesture: "wave" });
    expect(JSON.parse(parseJsonReply("", ["nod"]).json)).toEqual({ say: "", gesture: "nod" });
  });
});
