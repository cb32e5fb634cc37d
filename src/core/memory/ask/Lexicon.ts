/**
 * Maps a question's content words to what episodes store: action, object, location and agent
 * fillers, people named in episode text ("(to Alice)", "handed it to Ana"), and words that only
 * occur in descriptions (left for keyword search). Matching, in falling order of certainty:
 *   1. exact phrase (longest first, up to 3 words), or the singular of a plural;
 *   2. the head noun or a word of a multi-word filler ("bottle" -> water bottle, "door" -> every door);
 *   3. action verbs through their family ("grabbed" -> pick, "gave" -> handover, "went" -> navigate);
 *   4. a household synonym ("sofa" -> couch, "corridor" -> hallway, "snack" -> apple), then GloVe
 *      near neighbours: a word whose vector is close to one filler (cosine >= 0.6) and clearly
 *      closer than to any other (margin 0.1). GloVe puts co-hyponyms close: "basement" is 0.71 from
 *      "bedroom" and 0.65 from "living room", "garage" 0.64 from "kitchen door"; the margin keeps
 *      those unknown, while "computer" -> laptop (0.68 vs 0.52) and "novel" -> book pass.
 * The tables are rebuilt when the index changes (cheap: per distinct filler, not per episode);
 * people are scanned from new rows only.
 */
import { humanize } from "../describeOutcome.js";
import type { EpisodeIndex } from "../EpisodeIndex.js";
import type { Role } from "../types.js";

/** A constrained role: the fillers accepted, and how sure the reading is. */
export interface RoleMatch {
  readonly fillers: ReadonlySet<string>;
  readonly confidence: number;
  readonly words: string;
}

export interface Resolution {
  readonly roles: ReadonlyMap<Role, RoleMatch>;
  /** People named: lower-case names; rows are found through peopleRows(). */
  readonly people: readonly string[];
  readonly personConfidence: number;
  /** Words matched to no filler: keyword-search material. */
  readonly textTerms: readonly string[];
}

/** Verb families: word -> the stem of the robot action it means. */
const VERB_FAMILIES: Record<string, readonly string[]> = {
  pick: ["pick", "picked", "picking", "grab", "grabbed", "grabbing", "grasp", "grasped", "take", "took", "taken", "fetch", "fetched", "lift", "lifted", "collect", "collected", "retrieve", "retrieved", "find", "found", "get", "got"],
  place: ["place", "placed", "placing", "put", "putting", "set", "drop", "dropped", "leave", "left", "store", "stored", "stow", "stowed"],
  hand: ["hand", "handed", "handing", "handover", "give", "gave", "given", "giving", "deliver", "delivered", "bring", "brought", "pass", "passed"],
  go: ["go", "went", "gone", "going", "navigate", "navigated", "drive", "drove", "move", "moved", "travel", "traveled", "travelled", "visit", "visited", "head", "headed", "come", "came", "drove"],
  open: ["open", "opened", "opening", "unlock", "unlocked"],
  close: ["close", "closed", "shut"],
};
const VERB_STEM = new Map<string, string>(Object.entries(VERB_FAMILIES).flatMap(([stem, words]) => words.map((w) => [w, stem] as const)));

/** Household synonyms GloVe's neighbourhoods miss or blur: word -> what a home robot stores. */
const SYNONYMS: Record<string, readonly string[]> = {
  sofa: ["couch", "living room"], couch: ["sofa", "living room"], lounge: ["living room"], corridor: ["hallway"], hall: ["hallway"],
  study: ["office"], laboratory: ["lab"], charger: ["charging dock"], dock: ["charging dock"], exit: ["back door", "front door"],
  tumbler: ["glass", "cup"], glass: ["tumbler", "cup"], snack: ["apple", "banana"], fruit: ["apple", "banana"], pills: ["medicine box"],
  medication: ["medicine box"], meds: ["medicine box"], tools: ["toolbox"], notebook: ["laptop"], computer: ["laptop"], flask: ["water bottle"],
  controller: ["remote"], clicker: ["remote"], novel: ["book"], dish: ["plate"], napkin: ["towel"], key: ["keys"], coffee: ["mug", "cup"],
};

const GLOVE_MIN = 0.6;
const GLOVE_MARGIN = 0.1;

interface Phrase {
  readonly role: Role;
  readonly filler: string;
}

export class Lexicon {
  /** Phrase (humanized words) -> fillers it names, per role. */
  private phrases = new Map<string, Phrase[]>();
  /** A word of a multi-word phrase -> phrases holding it (head nouns first). */
  private partWords = new Map<string, { phrase: string; head: boolean }[]>();
  private readonly people = new Map<string, Set<number>>();
  private builtAt = -1;
  private scannedRows = 0;
  /** Dead rows (forgotten episodes) when people were last pruned. */
  private deadRowsSeen = 0;
  private readonly vectorCache = new Map<string, Float32Array>();

  constructor(
    private readonly index: EpisodeIndex,
    /** Word -> unit vector (the memory's GloVe embedder); undefined disables near neighbours. */
    private readonly wordVector?: (word: string) => Float32Array | undefined,
  ) {}

  /** Rows whose episode names this person (live rows only are returned by callers' filters). */
  peopleRows(name: string): ReadonlySet<number> {
    this.refresh();
    return this.people.get(name) ?? new Set();
  }

  knowsPerson(name: string): boolean {
    this.refresh();
    return (this.people.get(name)?.size ?? 0) > 0;
  }

  private refresh(): void {
    this.scanPeople();
    const version = this.index.rows * 2 + this.index.size;
    if (version === this.builtAt) return;
    this.builtAt = version;
    this.phrases = new Map();
    this.partWords = new Map();
    for (const role of ["action", "object", "location", "agent"] as const) {
      for (const filler of this.index.fillers(role).keys()) {
        const phrase = phraseOf(filler);
        if (phrase === "") continue;
        const list = this.phrases.get(phrase) ?? [];
        list.push({ role, filler });
        this.phrases.set(phrase, list);
      }
    }
    for (const phrase of this.phrases.keys()) {
      const words = phrase.split(" ");
      if (words.length < 2) continue;
      words.forEach((w, i) => {
        const list = this.partWords.get(w) ?? [];
        list.push({ phrase, head: i === words.length - 1 });
        this.partWords.set(w, list);
      });
    }
  }

  /**
   * People: "(to alice)" in locations (outcomes of handovers) and "to Ana" / "with Bob" in text.
   * A person known only from forgotten episodes is forgotten too: otherwise ~/ask would answer a
   * question about them differently from one about a name never stored, and tell that it was.
   */
  private scanPeople(): void {
    const deadRows = this.index.rows - this.index.size;
    if (deadRows !== this.deadRowsSeen) {
      this.deadRowsSeen = deadRows;
      for (const [name, rows] of this.people) {
        for (const row of rows) if (!this.index.isLive(row)) rows.delete(row);
        if (rows.size === 0) this.people.delete(name);
      }
    }
    for (let i = this.scannedRows; i < this.index.rows; i++) {
      if (!this.index.isLive(i)) continue;
      const e = this.index.episode(i);
      const names = new Set<string>();
      for (const m of e.location.matchAll(/\((?:to|for|with) ([A-Za-z]+)\)/g)) names.add(m[1]!.toLowerCase());
      for (const m of e.description.matchAll(/\b(?:to|for|with|from|by|gave|handed|told|asked|met|helped|saw) ([A-Z][a-z]+)\b/g)) names.add(m[1]!.toLowerCase());
      for (const m of e.description.matchAll(/\((?:to|for|with) ([a-z]+)\)/g)) names.add(m[1]!);
      for (const name of names) {
        const rows = this.people.get(name) ?? new Set<number>();
        rows.add(i);
        this.people.set(name, rows);
      }
    }
    this.scannedRows = this.index.rows;
  }

  resolve(terms: readonly string[]): Resolution {
    this.refresh();
    const roles = new Map<Role, { fillers: Set<string>; confidence: number; words: string[] }>();
    const people: string[] = [];
    let personConfidence = 1;
    const textTerms: string[] = [];
    const add = (matches: readonly Phrase[], confidence: number, words: string) => {
      for (const { role, filler } of matches) {
        const entry = roles.get(role) ?? { fillers: new Set<string>(), confidence: 1, words: [] };
        entry.fillers.add(filler);
        entry.confidence = Math.min(entry.confidence, confidence);
        if (!entry.words.includes(words)) entry.words.push(words);
        roles.set(role, entry);
      }
    };
    for (let i = 0; i < terms.length; ) {
      let used = 0;
      for (let n = Math.min(3, terms.length - i); n >= 1 && used === 0; n--) {
        const words = terms.slice(i, i + n).join(" ");
        const exact = this.phrases.get(words) ?? (n === 1 ? this.phrases.get(singular(words)) : undefined);
        if (exact) {
          add(exact, 1, words);
          used = n;
        }
      }
      if (used === 0) {
        const word = terms[i]!;
        const found = this.resolveWord(word);
        if (found.kind === "person") {
          people.push(found.name);
          personConfidence = Math.min(personConfidence, found.confidence);
        } else if (found.kind === "phrases") add(found.matches, found.confidence, word);
        else textTerms.push(word);
        used = 1;
      }
      i += used;
    }
    const out = new Map<Role, RoleMatch>();
    for (const [role, e] of roles) out.set(role, { fillers: e.fillers, confidence: e.confidence, words: e.words.join(", ") });
    return { roles: out, people, personConfidence, textTerms };
  }

  private resolveWord(
    word: string,
  ): { kind: "phrases"; matches: Phrase[]; confidence: number } | { kind: "person"; name: string; confidence: number } | { kind: "none" } {
    if (this.knowsPerson(word)) return { kind: "person", name: word, confidence: 1 };
    const stem = VERB_STEM.get(word);
    if (stem !== undefined) {
      const matches = this.actionsWithStem(stem);
      if (matches.length > 0) return { kind: "phrases", matches, confidence: 1 };
    }
    const parts = this.partWords.get(word) ?? this.partWords.get(singular(word));
    if (parts) {
      const heads = parts.filter((p) => p.head);
      const chosen = heads.length > 0 ? heads : parts;
      return { kind: "phrases", matches: chosen.flatMap((p) => this.phrases.get(p.phrase)!), confidence: heads.length > 0 ? 0.95 : 0.9 };
    }
    for (const synonym of SYNONYMS[word] ?? []) {
      const matches = this.phrases.get(synonym);
      if (matches) return { kind: "phrases", matches, confidence: 0.9 };
    }
    return this.nearNeighbour(word);
  }

  /** Action fillers whose words belong to the verb family `stem` ("handover" -> hand, "open door" -> open). */
  private actionsWithStem(stem: string): Phrase[] {
    const out: Phrase[] = [];
    for (const [phrase, list] of this.phrases) {
      const first = phrase.split(" ")[0]!;
      if ((VERB_STEM.get(first) ?? first) !== stem) continue;
      out.push(...list.filter((p) => p.role === "action"));
    }
    return out;
  }

  private nearNeighbour(word: string): { kind: "phrases"; matches: Phrase[]; confidence: number } | { kind: "none" } {
    const v = this.vector(word);
    if (v === undefined) return { kind: "none" };
    let best = "";
    let bestCos = -1;
    let second = -1;
    for (const [phrase, list] of this.phrases) {
      if (!list.some((p) => p.role === "object" || p.role === "location")) continue;
      const u = this.vector(phrase);
      if (u === undefined) continue;
      let c = 0;
      for (let k = 0; k < v.length; k++) c += v[k]! * u[k]!;
      if (c > bestCos) {
        second = bestCos;
        bestCos = c;
        best = phrase;
      } else if (c > second) second = c;
    }
    if (bestCos < GLOVE_MIN || bestCos - second < GLOVE_MARGIN) return { kind: "none" };
    const matches = this.phrases.get(best)!.filter((p) => p.role === "object" || p.role === "location");
    return { kind: "phrases", matches, confidence: Math.min(0.95, 0.7 + (bestCos - GLOVE_MIN)) };
  }

  private vector(text: string): Float32Array | undefined {
    if (this.wordVector === undefined) return undefined;
    let v = this.vectorCache.get(text);
    if (v === undefined) {
      v = this.wordVector(text);
      if (v === undefined || v.every((x) => x === 0)) return undefined;
      if (this.vectorCache.size > 10_000) this.vectorCache.clear();
      this.vectorCache.set(text, v);
    }
    return v;
  }
}

/** A filler as the words people say: "open_door" -> "open door", "living room (to Alice)" -> "living room". */
export function phraseOf(filler: string): string {
  return humanize(filler.replace(/\(.*?\)/g, " ")).replace(/[^a-z0-9 ]/g, " ").replace(/\s+/g, " ").trim();
}

function singular(word: string): string {
  if (word.endsWith("ies") && word.length > 4) return `${word.slice(0, -3)}y`;
  if (/(?:ches|shes|xes|sses)$/.test(word)) return word.slice(0, -2);
  if (word.endsWith("s") && !word.endsWith("ss") && word.length > 3) return word.slice(0, -1);
  return word;
}
