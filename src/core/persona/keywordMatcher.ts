/**
 * Trigger keywords as a persona YAML writes them: a word ("pain"), a stem ("symptom*") or a
 * phrase ("first aid"). Shared by the expert router and the panel router, so both read keywords
 * the same way.
 */

export function words(text: string): string[] {
  return text.toLowerCase().match(/[a-z0-9]+(?:'[a-z]+)?/g) ?? [];
}

export interface KeywordMatcher {
  /** Single words (exact). */
  readonly exact: ReadonlySet<string>;
  /** Stems written "stem*". */
  readonly prefixes: readonly string[];
  /** Multi-word phrases, matched on the normalised text. */
  readonly phrases: readonly string[];
}

export function compileKeywords(keywords: readonly string[]): KeywordMatcher {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  const phrases: string[] = [];
  for (const raw of keywords) {
    const k = raw.toLowerCase().trim();
    if (k.endsWith("*")) prefixes.push(k.slice(0, -1));
    else if (/\s/.test(k)) phrases.push(` ${words(k).join(" ")} `);
    else exact.add(k);
  }
  return { exact, prefixes, phrases };
}

/** An utterance split once, for matching against many keyword sets. */
export interface Utterance {
  readonly tokens: readonly string[];
  /** The tokens joined with single spaces, padded with one on each side. */
  readonly joined: string;
}

export function toUtterance(text: string): Utterance {
  const tokens = words(text);
  return { tokens, joined: ` ${tokens.join(" ")} ` };
}

/** The distinct keywords (or the matched words, for stems) found in the utterance. */
export function matchKeywords(matcher: KeywordMatcher, utterance: Utterance): string[] {
  const hits = new Set<string>();
  for (const t of utterance.tokens) {
    if (matcher.exact.has(t)) hits.add(t);
    else for (const p of matcher.prefixes) if (t.startsWith(p)) hits.add(t);
  }
  for (const phrase of matcher.phrases) if (utterance.joined.includes(phrase)) hits.add(phrase.trim());
  return [...hits];
}

export function normalise(v: Float32Array): Float32Array {
  let n = 0;
  for (let i = 0; i < v.length; i++) n += v[i]! * v[i]!;
  n = Math.sqrt(n);
  if (n > 0) for (let i = 0; i < v.length; i++) v[i]! /= n;
  return v;
}

export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) s += a[i]! * b[i]!;
  return s;
}
