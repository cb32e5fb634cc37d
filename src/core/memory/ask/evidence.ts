/**
 * Evidence from structure: the rows whose stored roles, people, result and stamp satisfy a parsed
 * clause. Posting lists (ascending row numbers) are merged and intersected, so a question about
 * "the keys" at 100k episodes touches the keys' rows, not every episode.
 */
import type { EpisodeIndex, Filter } from "../EpisodeIndex.js";
import type { Episode } from "../types.js";
import type { Polarity } from "./types.js";
import type { Resolution } from "./Lexicon.js";
import { intersectSorted, unionSorted } from "../sortedRows.js";

export function resultMatches(result: string, polarity: Polarity): boolean {
  if (polarity === "any") return true;
  // A remembered fact has no result: it is simply so.
  if (result === "" || result === "SUCCEEDED") return polarity === "succeeded";
  return polarity === "failed";
}

export interface EvidenceSpec {
  readonly resolution: Resolution;
  readonly peopleRows: (name: string) => ReadonlySet<number>;
  /** Rows whose description holds every text term (from FTS), or undefined for no text condition. */
  readonly textRows: readonly number[] | undefined;
  readonly polarity: Polarity;
  readonly filter: Filter;
}

/** Matching rows, oldest first by stamp. */
export function evidenceRows(index: EpisodeIndex, spec: EvidenceSpec): number[] {
  let rows: number[] | undefined;
  const narrow = (list: readonly number[]) => {
    rows = rows === undefined ? [...list] : intersectSorted(rows, list);
  };
  for (const [role, match] of spec.resolution.roles) narrow(unionSorted([...match.fillers].map((f) => index.rowsWith(role, f))));
  for (const name of spec.resolution.people) narrow([...spec.peopleRows(name)].sort((a, b) => a - b));
  if (spec.textRows !== undefined) narrow(spec.textRows);
  const passes = index.matcher(spec.filter) ?? (() => true);
  const out: number[] = [];
  const keep = (i: number) => {
    if (passes(i) && index.isLive(i) && resultMatches(index.episode(i).result, spec.polarity)) out.push(i);
  };
  if (rows === undefined) for (let i = 0; i < index.rows; i++) keep(i);
  else for (const i of rows as number[]) keep(i);
  return out.sort((a, b) => index.stampOf(a) - index.stampOf(b) || a - b);
}

/** The person an episode names: "(to Alice)" in its location, else "to Ana" in its text. */
export function personOf(e: Episode): string {
  const m = /\((?:to|for|with) ([A-Za-z]+)\)/.exec(e.location) ?? /\((?:to|for|with) ([A-Za-z]+)\)/.exec(e.description) ??
    /\b(?:to|for|with|gave|handed) ([A-Z][a-z]+)\b/.exec(e.description);
  return m ? m[1]!.charAt(0).toUpperCase() + m[1]!.slice(1) : "";
}

/** Why it went as it did: the "because ..." of an outcome's description. */
export function reasonOf(e: Episode): string {
  const m = /\bbecause (.+)$/i.exec(e.description.trim());
  return m ? m[1]!.replace(/[.\s]+$/, "") : "";
}
