/**
 * What the episodic memory needs from a durable episode store. The SQLite store
 * (sqlite/SqliteEpisodeStore.ts) implements it; test/fleet-ports.test.ts checks that at compile
 * time. Episodes go in with their embedding and short code and come back in insertion order at open; similarity
 * queries run on the in-memory index, keyword search (BM25) and forgetting run in the store.
 */
import type { Episode } from "./types.js";

/**
 * Fields that must match between the file and the configuration, named like the memory node's
 * parameters so a mismatch error tells the operator which parameter to set.
 */
export interface MemoryIdentity {
  readonly dimensions: number;
  readonly seed: number;
  readonly encoder: string;
  readonly simhash: string;
  readonly code_bits: number;
  readonly format: number;
}

export interface StoredEpisode {
  readonly episode: Episode;
  /** Seconds the action took (0 for facts and unknown). */
  readonly durationS: number;
  readonly embedding: Float32Array;
  /**
   * The short prefilter code (the first code_bits bits of the text SimHash). The full text and
   * episode hypervectors are not stored: they are recomputed from the episode and its embedding.
   */
  readonly code: Uint32Array;
}

/** A keyword hit: BM25 of the store's full-text index (lower is better, as SQLite FTS5 reports it). */
export interface KeywordHit {
  readonly id: string;
  readonly bm25: number;
}

export interface EpisodeStorePort {
  /** The file it lives in (the fleet outbox attaches to it). */
  readonly path: string;
  /** All of them in one transaction; durable when this returns. */
  append(items: readonly StoredEpisode[]): void;
  count(): number;
  /** Every stored episode, in insertion order (restores the index at open). */
  loadAll(): Iterable<StoredEpisode>;
  /**
   * Keyword search over descriptions, best first. `terms` are plain words; "any" matches episodes
   * with at least one of them, "all" only those with every one.
   */
  searchKeywords(terms: readonly string[], limit: number, mode?: "any" | "all"): KeywordHit[];
  /** Deletes episodes for good (no trace left in the store's files); returns the ids deleted. */
  forget(ids: readonly string[]): string[];
  fileBytes(): number;
  close(): void;
}

/** Opens the store for a memory of this identity (throws MemoryMismatchError on a mismatch). */
export type EpisodeStoreFactory = (identity: MemoryIdentity) => EpisodeStorePort;
