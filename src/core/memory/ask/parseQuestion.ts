/**
 * Reads a question without a language model: its kind (when, how long, how many, did you, what /
 * where / who / why, what happened), the result it is about (words that mean it failed or worked),
 * order ("first", "last", "in the end", "the second time"), a time window (timeExpressions), and
 * "before/after X" relations, whose anchor X is parsed as a question of its own. What is left are
 * the content words, matched against episodes by the Lexicon.
 */
import { parseTimeExpressions } from "./timeExpressions.js";
import type { AnswerKind, ParsedQuestion, Polarity, Wanted } from "./types.js";

const CONTRACTIONS: [RegExp, string][] = [
  [/\b(could|would|did|does|do|was|were|is|are|has|have|had|should)n[’']t\b/g, "$1 not"],
  [/\bcan[’']t\b/g, "can not"], [/\bcannot\b/g, "can not"], [/\bwon[’']t\b/g, "will not"],
  [/[’']s\b/g, ""], [/[’']ve\b/g, " have"], [/[’']re\b/g, " are"], [/[’']ll\b/g, " will"], [/[’']d\b/g, " would"],
];

const FAILED_WORDS = /\b(?:fail(?:ed|ure|s)?|(?:could|can|did|was|were) not|(?:was|were)(?: not|n't) able|unable|not able|messed up|mess up|broke|break|broken|gave up|give up|go wrong|went wrong|did not work|trouble|problem|problems|unsuccessful(?:ly)?|abort(?:ed)?|timed out|time out|cancel(?:l?ed)?|struggle(?:d)?|manage(?:d)? not|not manage)\b/;
const SUCCEEDED_WORDS = /\b(?:succeed(?:ed)?|success(?:ful(?:ly)?)?|manage(?:d)? to|(?:was|were) able|worked|finally|eventually|in the end|at last|complete(?:d)?|finish(?:ed)?)\b/;
const ATTEMPT_WORDS = /\b(?:try|tried|tries|attempt(?:ed|s)?)\b/;

const ORDINALS: Record<string, number> = { second: 2, third: 3, fourth: 4, fifth: 5, "2nd": 2, "3rd": 3, "4th": 4, "5th": 5 };

/** Words with no content to look for (question scaffolding, pronouns, auxiliaries). */
export const STOPWORDS = new Set(
  ("a an the to of in on at for from with by into onto off up out over about as and or but so then than that this these those it its " +
    "you your yours i me my we us our they them their he she him her his what which who whom whose when where why how " +
    "do does did done doing is are was were be been being am have has had having will would can could shall should may might must " +
    "not no yes any some anything something everything all every each times time often many much long " +
    "happen happened happens last first latest recent most recently ever just right immediately next previous earlier later before after " +
    "please tell know remember again there here robot yourself also still only really thing things stuff way once twice okay ok hey " +
    "able try tried attempt attempted manage managed succeed succeeded success successfully fail failed failure work worked end finally eventually " +
    "did").split(" "),
);

export function normalizeQuestion(question: string): string {
  let q = question.toLowerCase().replace(/[?!.,;:"()]/g, " ");
  for (const [re, to] of CONTRACTIONS) q = q.replace(re, to);
  // "how long did it take (you) to X": "take" is scaffolding there, not the verb "take" = pick.
  q = q.replace(/\b(did|does|would|will) (it|that) take( you)?\b/g, " ");
  return q.replace(/\s+/g, " ").trim();
}

function kindOf(q: string): { kind: AnswerKind; wants: Wanted | undefined } {
  if (/^(?:when|what time|at what time|what day)\b/.test(q)) return { kind: "time", wants: undefined };
  if (/\bhow long\b(?! ago)/.test(q)) return { kind: "duration", wants: undefined };
  if (/\bhow (?:many|often)\b|\bnumber of times\b|\bcount\b/.test(q)) return { kind: "count", wants: undefined };
  if (/^(?:where|which (?:room|place|location)|what (?:room|place|location))\b/.test(q)) return { kind: "entity", wants: "place" };
  if (/^(?:who|whom|to whom|which person)\b|\bto whom\b/.test(q)) return { kind: "entity", wants: "person" };
  if (/^(?:why|what went wrong|what was the (?:problem|reason)|how come)\b/.test(q)) return { kind: "entity", wants: "reason" };
  if (/^which robot\b/.test(q)) return { kind: "entity", wants: "robot" };
  if (/^(?:what|which) (?:did you do|have you done|were you doing)\b/.test(q)) return { kind: "episodes", wants: undefined };
  if (/^(?:what|which) (?:object|thing|item)s?\b|^what (?:did|have) (?:you|robot\w*) (?!do\b)\w+/.test(q)) return { kind: "entity", wants: "object" };
  if (/^(?:did|have|has|had|were|was|is|are|do|does|could|can) (?:you|it|robot\w*|the robot)\b/.test(q)) return { kind: "yes_no", wants: undefined };
  return { kind: "episodes", wants: undefined };
}

function polarityOf(q: string, kind: AnswerKind, wants: Wanted | undefined): Polarity {
  const failed = FAILED_WORDS.test(q);
  const succeeded = SUCCEEDED_WORDS.test(q);
  if (failed && !/\bwithout (?:a )?(?:problem|trouble|fail)/.test(q)) return "failed";
  if (succeeded) return "succeeded";
  if (ATTEMPT_WORDS.test(q)) return "any";
  // A reason is asked about something that went wrong; "what happened" covers every result.
  if (wants === "reason") return "failed";
  if (kind === "episodes") return "any";
  return "succeeded";
}

function orderOf(q: string): { order: ParsedQuestion["order"]; nth: number } {
  const ord = /\b(second|third|fourth|fifth|2nd|3rd|4th|5th) time\b/.exec(q);
  if (ord) return { order: "first", nth: ORDINALS[ord[1]!]! };
  if (/\b(?:first|earliest|initially|at first)\b/.test(q)) return { order: "first", nth: 1 };
  if (/\b(?:last|latest|most recent(?:ly)?|recently|finally|eventually|in the end|at last|lately)\b/.test(q)) return { order: "last", nth: 1 };
  return { order: "unspecified", nth: 1 };
}

/**
 * parseQuestion, or undefined when the question names a time the calendar cannot hold
 * ("200000000 days ago"): a question to abstain on ("I cannot place that time"), not a fault.
 */
export function tryParseQuestion(question: string, nowS: number, timeZone: string): ParsedQuestion | undefined {
  try {
    return parseQuestion(question, nowS, timeZone);
  } catch (error) {
    if (error instanceof RangeError) return undefined;
    throw error;
  }
}

/** The words the anchor clause of "after X" starts with when it is a clause of its own. */
const RELATION = /\b(?:right |just |immediately |straight |soon )?(after|before|earlier than|prior to|following)\b/;

export function parseQuestion(question: string, nowS: number, timeZone: string): ParsedQuestion {
  const { window, rest } = parseTimeExpressions(normalizeQuestion(question), nowS, timeZone);
  const q = rest;
  const { kind, wants } = kindOf(q);
  const relation = RELATION.exec(q);
  if (relation && relation.index > 0) {
    const main = q.slice(0, relation.index);
    const anchorText = q.slice(relation.index + relation[0].length);
    const which = relation[1] === "after" || relation[1] === "following" ? "after" : "before";
    const anchor = parseClause(anchorText, "episodes", undefined, window);
    return { ...parseClause(main, kind, wants, window), relation: { which, anchor: { ...anchor, polarity: anchorPolarity(anchorText) } } };
  }
  return parseClause(q, kind, wants, window);
}

/** An anchor ("after picking up the keys") means the attempt unless it says how it ended. */
function anchorPolarity(text: string): Polarity {
  if (FAILED_WORDS.test(text)) return "failed";
  if (SUCCEEDED_WORDS.test(text)) return "succeeded";
  return "any";
}

function parseClause(text: string, kind: AnswerKind, wants: Wanted | undefined, window: ParsedQuestion["window"]): ParsedQuestion {
  const { order, nth } = orderOf(text);
  return { kind, wants, polarity: polarityOf(text, kind, wants), order, nth, window, relation: undefined, terms: contentWords(text) };
}

/** Content words in order, with FAILED/SUCCEEDED phrases and scaffolding removed. */
export function contentWords(text: string): string[] {
  const cleaned = text
    .replace(new RegExp(FAILED_WORDS.source, "g"), " ")
    .replace(new RegExp(SUCCEEDED_WORDS.source, "g"), " ")
    .replace(/\b(?:second|third|fourth|fifth|2nd|3rd|4th|5th) time\b/g, " ");
  return (cleaned.match(/[a-z0-9]+/g) ?? []).filter((w) => !STOPWORDS.has(w));
}
