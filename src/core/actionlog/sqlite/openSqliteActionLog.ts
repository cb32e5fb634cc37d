/**
 * The action log on its SQLite store, in one call: builds the store (migrating the file), hands
 * it to the log, and closes it again when the log cannot start (recovery failed), so a failed
 * open leaves no connection behind.
 */
import { ActionLog, type ActionLogOptions } from "../ActionLog.js";
import { ActionLogStore, type ActionLogStoreOptions } from "./ActionLogStore.js";

export type SqliteActionLogOptions = Omit<ActionLogOptions, "store"> & ActionLogStoreOptions;

export function openSqliteActionLog(options: SqliteActionLogOptions): SqliteActionLog {
  const { path, durability, ...logOptions } = options;
  const store = new ActionLogStore({ path, ...(durability ? { durability } : {}) });
  try {
    return new ActionLog({ ...logOptions, store });
  } catch (error) {
    store.close();
    throw error;
  }
}

/** An action log whose store is known to be the SQLite one (tests and tools reach into the file). */
export type SqliteActionLog = ActionLog<ActionLogStore>;
