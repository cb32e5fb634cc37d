/**
 * The fleet-level store: the port the site's shared database implements (PostgreSQL in
 * src/stores/postgres). Asynchronous, since it is across the network; the forwarder writes to it
 * (FleetSink) and the fleet queries read from it (FleetReader). Nothing here knows SQL.
 */
import type { ActionOutcome, ActionStats } from "../interfaces/messages.generated.js";
import type { OutcomeFilter } from "../actionlog/OutcomeLogPort.js";
import type { StatsGrouping } from "../actionlog/computeStats.js";
import type { Polarity } from "../memory/ask/types.js";
import type { Episode } from "../memory/types.js";
import type { FleetMemoryIdentity, ShipBatch, ShipResult } from "./types.js";

export interface FleetSink {
  /**
   * Stores a batch in one transaction, idempotently: an entry whose (origin, stream, seq) the
   * store already has is skipped, so a batch resent after a lost acknowledgement is harmless.
   * Resolves only after the commit; rejects when the store cannot be reached (the caller retries).
   */
  ship(batch: ShipBatch): Promise<ShipResult>;
  /**
   * Records the memory identity of the fleet's episodes on first use and checks it after:
   * vectors from a memory with another seed, dimension or encoder must not be mixed in.
   */
  claimMemoryIdentity(identity: FleetMemoryIdentity): Promise<void>;
}

/** Filters of fleet episode queries; robotId '' or undefined means every robot. */
export interface FleetEpisodeFilter {
  readonly robotId?: string;
  /** Seconds since the epoch, inclusive. */
  readonly since?: number;
  readonly until?: number;
}

/** An episode as the fleet store returns it: its row id (for paging and caches) and its robot. */
export interface FleetEpisodeRow {
  readonly rowId: number;
  readonly origin: string;
  readonly episode: Episode;
  /** Present when asked for (re-ranking by exact cosine). */
  readonly embedding?: Float32Array;
}

/** A slice of the prefilter codes, for a query process that scans them from memory. */
export interface FleetCodePage {
  readonly rowIds: Float64Array;
  /** codeWords 32-bit words per row, in rowIds order. */
  readonly codes: Uint32Array;
  readonly robotIds: readonly string[];
  readonly stamps: Float64Array;
}

export interface FleetReader {
  stats(filter: OutcomeFilter, groupBy: StatsGrouping): Promise<ActionStats[]>;
  /** Newest first, like the local log; the cursor is opaque to callers. */
  queryOutcomes(filter: OutcomeFilter, pageSize: number, cursor: number | undefined): Promise<{ outcomes: ActionOutcome[]; nextCursor: number | undefined; total: number }>;
  /** Row ids of the n episodes whose prefilter code is nearest the query's (Hamming distance, in the store). */
  nearestCodes(code: Uint32Array, n: number, filter: FleetEpisodeFilter): Promise<number[]>;
  /** Rows after afterRowId, in row order, at most limit (what a code cache loads). */
  codesAfter(afterRowId: number, limit: number): Promise<FleetCodePage>;
  episodesByRowIds(rowIds: readonly number[], withEmbedding: boolean): Promise<FleetEpisodeRow[]>;
  /** Episodes whose role columns equal every given filler, newest first. */
  matchRoles(cue: Readonly<Record<string, string>>, limit: number, filter: FleetEpisodeFilter): Promise<FleetEpisodeRow[]>;
  /** Newest first, for filter-only recalls. */
  recentEpisodes(limit: number, filter: FleetEpisodeFilter): Promise<FleetEpisodeRow[]>;
  countEpisodes(): Promise<number>;
}

/** Which fleet episodes a question is about (FleetAsk). */
export interface FleetEpisodeMatch {
  /** Each must start a word of the episode's action, object, location or description (case-insensitive). */
  readonly stems: readonly string[];
  /** "succeeded": result SUCCEEDED or none (a remembered fact); "failed": any other result; "any". */
  readonly results: Polarity;
  readonly filter: FleetEpisodeFilter;
}

/** The questions ~/ask puts to the fleet store. */
export interface FleetAskReader {
  /** The stems no episode of any robot holds (the question is about something never seen). */
  unknownStems(stems: readonly string[]): Promise<string[]>;
  countMatching(match: FleetEpisodeMatch): Promise<number>;
  /** Matching episodes by stamp, oldest or newest first, skipping `offset`. */
  matchingEpisodes(match: FleetEpisodeMatch, order: "oldest" | "newest", offset: number, limit: number): Promise<FleetEpisodeRow[]>;
  /** Robots by their number of matching episodes, most first (ties by name). */
  robotsByMatches(match: FleetEpisodeMatch, limit: number): Promise<{ robotId: string; count: number }[]>;
}

export interface FleetStore extends FleetSink, FleetReader, FleetAskReader {
  close(): Promise<void>;
}
