/**
 * Shortens text to a character limit at a word boundary, and says so in the text itself, so a
 * stored episode never pretends to be whole. Used where refusing is worse than shortening: an
 * outcome the action log committed must become an episode even when its detail is long.
 */

/** How far back from the limit a word boundary is looked for before cutting inside a word. */
const WORD_SEARCH_CHARS = 200;

export interface FittedText {
  readonly text: string;
  /** Characters of the original that were left out (0 when it fit). */
  readonly omitted: number;
}

export function truncationMarker(omitted: number): string {
  return ` … [truncated: ${omitted} more characters]`;
}

export function fitText(text: string, maxChars: number): FittedText {
  if (text.length <= maxChars) return { text, omitted: 0 };
  // The marker's own length depends on the count it states; size it for the worst case (the whole text).
  let budget = Math.max(0, maxChars - truncationMarker(text.length).length);
  // Never split a UTF-16 surrogate pair: the half would be an invalid character.
  const code = text.charCodeAt(budget - 1);
  if (budget > 0 && code >= 0xd800 && code <= 0xdbff) budget--;
  const space = text.slice(Math.max(0, budget - WORD_SEARCH_CHARS), budget + 1).search(/\s\S*$/);
  const cut = space >= 0 ? Math.max(0, budget - WORD_SEARCH_CHARS) + space : budget;
  const kept = text.slice(0, cut).trimEnd();
  const omitted = text.length - kept.length;
  return { text: kept + truncationMarker(omitted), omitted };
}
