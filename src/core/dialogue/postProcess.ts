/**
 * Post-processing that makes a reply safe to speak: forbidden phrases removed (case-insensitively,
 * repeatedly, since one removal can join the halves of another), control characters and markdown
 * symbols dropped, and the text cut to whole sentences. SentenceStreamer applies the same rules
 * incrementally, so what streams to text-to-speech is exactly what the final reply says.
 */

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Control characters (other than newline/tab) and markdown emphasis/heading/code marks. */
const UNSPEAKABLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\ufffd*#`_~<>|\\]/g;

export class ForbiddenPhraseFilter {
  private readonly pattern: RegExp | undefined;

  constructor(readonly phrases: readonly string[]) {
    const cleaned = phrases.map((p) => p.trim()).filter((p) => p.length > 0);
    // Longest first, so a phrase that contains another is removed whole.
    cleaned.sort((a, b) => b.length - a.length);
    this.pattern = cleaned.length ? new RegExp(cleaned.map((p) => escapeRegExp(p).replace(/\s+/g, "\\s+")).join("|"), "giu") : undefined;
  }

  /** Removes every occurrence until none is left; returns the text and how many were removed. */
  apply(text: string): { text: string; removed: number } {
    if (!this.pattern) return { text, removed: 0 };
    let removed = 0;
    let current = text;
    for (;;) {
      let hits = 0;
      const next = current.replace(this.pattern, () => {
        hits++;
        return " ";
      });
      if (hits === 0) break;
      removed += hits;
      current = next;
    }
    return { text: removed ? tidySpaces(current) : current, removed };
  }

  contains(text: string): boolean {
    if (!this.pattern) return false;
    this.pattern.lastIndex = 0;
    const found = this.pattern.test(text);
    this.pattern.lastIndex = 0;
    return found;
  }
}

function tidySpaces(text: string): string {
  return text.replace(/[ \t]{2,}/g, " ").replace(/\s+([,.!?;:])/g, "$1").replace(/^[\s,;:]+/, "");
}

export function speakable(text: string): string {
  return text.replace(UNSPEAKABLE, "").replace(/\s+/g, " ");
}

/** Index just past the last sentence end (., !, ?, … with optional closing quotes) followed by space or end. */
export function lastSentenceEnd(text: string, atEnd: boolean): number {
  const re = /[.!?\u2026]+["'\u201d\u2019)]*(?=\s|$)/g;
  let end = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const stop = m.index + m[0].length;
    // Mid-stream, a sentence end at the very end of the buffer may still grow ("3." -> "3.5").
    if (stop === text.length && !atEnd) continue;
    end = stop;
  }
  return end;
}

/**
 * Cuts text to whole sentences. With no complete sentence, keeps the text but drops a trailing
 * partial word when generation was cut by the token limit, and ends it with a full stop.
 */
export function trimToSentences(text: string, truncated: boolean): string {
  const t = text.trim();
  const end = lastSentenceEnd(t, true);
  if (end > 0) return t.slice(0, end).trim();
  if (t.length === 0) return "";
  let body = t;
  if (truncated) {
    const cut = body.lastIndexOf(" ");
    if (cut > 0) body = body.slice(0, cut);
  }
  body = body.replace(/[\s,;:\-]+$/, "");
  return body.length ? `${body}.` : "";
}

export interface PostProcessResult {
  readonly text: string;
  readonly removedPhrases: number;
}

/** The whole pipeline on a finished reply. */
export function postProcessReply(raw: string, filter: ForbiddenPhraseFilter, truncated: boolean): PostProcessResult {
  const first = filter.apply(speakable(raw));
  const trimmed = trimToSentences(first.text, truncated);
  // Trimming cannot create a phrase, but tidy-ups might join words: check once more.
  const second = filter.apply(trimmed);
  return { text: second.text.trim(), removedPhrases: first.removed + second.removed };
}

/**
 * Incremental form for streaming: push generated text, get back whole, cleaned sentences to
 * publish; finish() gives what the final reply adds after them. Concatenating every emitted piece
 * gives exactly the final reply.
 */
export class SentenceStreamer {
  private raw = "";
  private consumed = 0;
  private readonly emitted: string[] = [];
  removedPhrases = 0;

  constructor(private readonly filter: ForbiddenPhraseFilter) {}

  push(chunk: string): string[] {
    this.raw += chunk;
    const pending = this.raw.slice(this.consumed);
    const end = lastSentenceEnd(pending, false);
    if (end === 0) return [];
    this.consumed += end;
    const piece = this.clean(pending.slice(0, end));
    return piece ? [piece] : [];
  }

  /** Returns the final piece (possibly "") and the complete reply. */
  finish(truncated: boolean): { piece: string; reply: string } {
    const rest = this.raw.slice(this.consumed);
    let piece = "";
    if (this.emitted.length === 0) {
      const done = postProcessReply(rest, this.filter, truncated);
      this.removedPhrases += done.removedPhrases;
      piece = done.text;
      if (piece) this.emitted.push(piece);
    } else {
      // Sentences already went out; a trailing fragment is dropped (whole sentences only).
      const end = lastSentenceEnd(rest, true);
      if (end > 0) piece = this.clean(rest.slice(0, end));
    }
    return { piece, reply: this.emitted.join(" ") };
  }

  private clean(text: string): string {
    const r = this.filter.apply(speakable(text));
    this.removedPhrases += r.removed;
    const piece = r.text.trim();
    if (piece) this.emitted.push(piece);
    return piece;
  }
}
