/**
 * The episodic memory on its SQLite store, in one call (tests, benchmarks, tools): a file at
 * dbPath, or an in-memory database, which still gives keyword search (FTS5) and forgetting.
 * Nodes build their store themselves and hand it to EpisodicMemory.open.
 */
import { EpisodicMemory, type EpisodicMemoryOptions } from "../EpisodicMemory.js";
import { sqliteEpisodeStore } from "./SqliteEpisodeStore.js";

export type SqliteMemoryOptions = Omit<EpisodicMemoryOptions, "store"> & {
  /** The SQLite file; undefined keeps everything in memory. */
  readonly dbPath?: string;
};

export function openSqliteMemory(options: SqliteMemoryOptions): Promise<EpisodicMemory> {
  const { dbPath, ...memoryOptions } = options;
  return EpisodicMemory.open({ ...memoryOptions, store: sqliteEpisodeStore(dbPath ?? ":memory:") });
}
