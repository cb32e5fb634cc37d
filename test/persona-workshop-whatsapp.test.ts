import { describe, expect, it } from "vitest";
import { fixLine, pairTurns, parseWhatsapp, whatsappToMessages } from "../src/core/persona/workshop/datasets/whatsappExport.js";

const US_12H = [
  "12/31/23, 9:05 PM - Messages and calls are end-to-end encrypted. No one outside of this chat can read them.",
  "12/31/23, 9:05 PM - Ana: are you coming tonight?",
  "12/31/23, 9:06 PM - Ana: bring snacks",
  "12/31/23, 9:07 PM - Robo: Yes, I will be there at ten.",
  "It will be fun.",
  "12/31/23, 9:08 PM - Ana: <Media omitted>",
  "12/31/23, 9:09 PM - Ana: look https://example.com/party",
  "12/31/23, 9:10 PM - Robo: This message was deleted",
  "12/31/23, 9:11 PM - Robo: Nice place, see you soon.",
  "01/01/24, 12:15 AM - Ana: happy new year!",
].join("\n");

const EU_24H_BRACKETED = [
  "[31.12.23, 21:05:09] Ana: kommst du heute?",
  "[31.12.23, 21:07:00] Robo: Ja, um zehn.",
  "[13.01.24, 08:00:00] Ana: guten Morgen",
].join("\n");

describe("WhatsApp export parser", () => {
  it("reads the US 12-hour variant: continuation lines, media/deleted/URLs dropped, AM/PM", () => {
    const { lines, report } = parseWhatsapp(US_12H);
    expect(report.dateOrder).toBe("mdy");
    expect(report.kinds).toMatchObject({ message: 8, continuation: 1, system: 1 });
    expect(report.dropped).toMatchObject({ media: 1, "deleted message": 1, "system notice": 1 });
    expect(report.fixes["URLs removed"]).toBe(1);
    expect(lines.find((l) => l.text.startsWith("Yes"))!.text).toBe("Yes, I will be there at ten.\nIt will be fun.");
    expect(lines.find((l) => l.text === "look")).toBeDefined();
    expect(lines.at(-1)!.timestamp.toISOString()).toBe("2024-01-01T00:15:00.000Z");
    expect(lines[0]!.timestamp.toISOString()).toBe("2023-12-31T21:05:00.000Z");
  });

  it("reads the bracketed 24-hour day-first variant with seconds, and infers day-first from a day above 12", () => {
    const { lines, report } = parseWhatsapp(EU_24H_BRACKETED);
    expect(report.dateOrder).toBe("dmy");
    expect(lines.map((l) => l.timestamp.toISOString())).toEqual(["2023-12-31T21:05:09.000Z", "2023-12-31T21:07:00.000Z", "2024-01-13T08:00:00.000Z"]);
  });

  it("an ambiguous file honours the requested order", () => {
    const text = "03/04/24, 10:00 - Ana: hi\n03/04/24, 10:01 - Robo: hello";
    expect(parseWhatsapp(text, { dateOrder: "mdy" }).lines[0]!.timestamp.getUTCMonth()).toBe(2);
    expect(parseWhatsapp(text).lines[0]!.timestamp.getUTCMonth()).toBe(3); // day-first by default
  });

  it("fix repairs direction marks, narrow no-break spaces and a.m./p.m., counting each", () => {
    const fixes = {};
    expect(fixLine("\u200e12/31/23, 9:05\u202fp.m. - Ana: hi", fixes)).toBe("12/31/23, 9:05 pm - Ana: hi");
    expect(fixes).toEqual({ "direction marks removed": 1, "non-breaking spaces replaced": 1, "a.m./p.m. normalised": 1 });
  });

  it("pairs the chosen sender's turns with the preceding turn, sliding a context window, and counts incomplete pairs", () => {
    const { examples, report } = whatsappToMessages(US_12H, { sender: "Robo", contextTurns: 2 });
    expect(examples).toHaveLength(2);
    expect(examples[0]!.messages).toEqual([
      { role: "user", content: "are you coming tonight?\nbring snacks" },
      { role: "assistant", content: "Yes, I will be there at ten.\nIt will be fun." },
    ]);
    // The second reply sees the earlier exchange as context.
    expect(examples[1]!.messages.map((m) => m.role)).toEqual(["user", "assistant", "user", "assistant"]);
    expect(examples[1]!.messages.at(-2)!.content).toBe("look");
    expect(report.dropped["incomplete pair (prompt without reply)"]).toBe(1); // "happy new year" unanswered
    expect(report.pairs).toBe(2);
  });

  it("a reply after a long silence has no prompt and is dropped", () => {
    const { lines } = parseWhatsapp("01/02/24, 10:00 - Ana: hi\n01/03/24, 10:00 - Robo: hello");
    const dropped = {};
    expect(pairTurns(lines, { sender: "Robo" }, dropped)).toEqual([]);
    expect(dropped).toMatchObject({ "incomplete pair (reply without prompt)": 1 });
  });

  it("refuses a sender that is not in the export", () => {
    expect(() => whatsappToMessages(US_12H, { sender: "Bob" })).toThrow(/senders found: Ana, Robo/);
  });
});
