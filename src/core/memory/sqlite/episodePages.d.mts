import type Database from "better-sqlite3";

export declare const PAGE_ROWS: number;

/** seq, id, duration_s, sec, nanosec, robot_id, agent, action, object, location, result, description, source */
export type EpisodeRow = [number, string, number, number, number, string, string, string, string, string, string, string, string];

export interface EpisodePage {
  readonly rows: EpisodeRow[];
  /** The seq of the page's last row: where the next page starts. */
  readonly last: number;
  /** The rows' float32 embeddings, back to back. */
  readonly embeddings: Uint8Array;
  /** The rows' prefilter codes, back to back. */
  readonly codes: Uint8Array;
  /** Whether a next page may hold rows. */
  readonly more: boolean;
}

/** Reads the page of rows after seq `after`; undefined when there are none. */
export declare function pageReader(db: Database.Database, codeBytes: number): (after: number) => EpisodePage | undefined;
