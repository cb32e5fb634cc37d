/**
 * Whether a SQLite database path names a file that a second connection (a worker thread's) can
 * open: not ':memory:' or '' (private to their connection) and not a 'file:' URI (which may name
 * a shared in-memory database or options a plain path cannot carry).
 */
export function isSharedDatabaseFile(path: string): boolean {
  return path !== "" && path !== ":memory:" && !path.startsWith("file:");
}
