/**
 * What the episodic memory needs from a durable episode store: the port EpisodeStore (SQLite)
 * already satisfies (checked in test/fleet-ports.test.ts). Episodes go in with their vectors and
 * come back in insertion order at open; queries run on the in-memory index, not the store.
 */
import type { StoredEpisode } from "./EpisodeStore.js";

export type { StoredEpisode, MemoryIdentity } from "./EpisodeStore.js";

export interface EpisodeStorePort {
  /** The file it lives in (the fleet outbox attaches to it). */
  readonly path: string;
  /** All of them in one transaction; durable when this returns. */
  append(items: readonly StoredEpisode[]): void;
  count(): number;
  /** Every stored episode, in insertion order (restores the index at open). */
  loadAll(): Iterable<StoredEpisode>;
  fileBytes(): number;
  close(): void;
}
