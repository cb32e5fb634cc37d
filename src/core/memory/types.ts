/** Shapes of the episodic memory: what goes in, what a query asks, what comes back. */
import type { Episode } from "../interfaces/messages.generated.js";

export type { Episode } from "../interfaces/messages.generated.js";

/** The role-filler slots of an episode (besides its text and time). */
export const ROLES = ["agent", "action", "object", "location", "result"] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** An episode before the memory has given it an id (id '' or absent = assign one). */
export type EpisodeInput = Omit<Episode, "id"> & {
  readonly id?: string;
  /** Seconds the action took (an outcome's duration_s); 0 or absent for facts. */
  readonly durationS?: number;
};

export type Cue = Partial<Record<Role, string>>;

export interface RecallQuery {
  /** Free text; '' for none. */
  readonly text?: string;
  /** Known roles; empty strings are ignored. */
  readonly cue?: Cue;
  /** Role to answer from the best matches. */
  readonly askRole?: Role;
  readonly robotId?: string;
  /** Seconds since the epoch (inclusive); undefined = no bound. */
  readonly since?: number;
  readonly until?: number;
  /** Episodes to return (default: the memory's defaultK). */
  readonly k?: number;
}

export interface RecallHit {
  readonly episode: Episode;
  /** Similarity in [0, 1]: 1 - normalized Hamming distance (averaged over the query's parts). */
  readonly score: number;
}

export interface RecallResult {
  readonly hits: readonly RecallHit[];
  /** Cleaned-up filler of askRole; '' when abstaining or when no role was asked. */
  readonly answer: string;
  readonly confidence: number;
  readonly abstained: boolean;
  /** Why it answered or abstained, for people. */
  readonly explanation: string;
}
