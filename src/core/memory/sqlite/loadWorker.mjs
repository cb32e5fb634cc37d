// Reads an episodic memory's pages in a worker thread, with its own read-only connection, while
// the opening thread builds its index from the pages already read (SqliteEpisodeStore.loadAll).
// Each page goes out as one JSON string of its rows and two transferred vector buffers; the
// shared counters [pages posted, pages taken] keep the reader at most `ahead` pages in front.
import { workerData } from "node:worker_threads";

const { path, codeBytes, port, control, ahead } = workerData;
const counters = new Int32Array(control);
const posted = () => {
  Atomics.add(counters, 0, 1);
  Atomics.notify(counters, 0);
};
let db;
try {
  // Loaded here, not as static imports: a module that fails to load is reported like any other
  // failure, so the opening thread falls back at once instead of waiting out its silence limit.
  const { default: Database } = await import("better-sqlite3");
  const { pageReader } = await import("./episodePages.mjs");
  db = new Database(path, { readonly: true, fileMustExist: true });
  db.pragma("busy_timeout = 5000");
  const read = pageReader(db, codeBytes);
  for (let after = 0; ; ) {
    const page = read(after);
    if (page === undefined) break;
    const own = (b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
    const embeddings = own(page.embeddings);
    const codes = own(page.codes);
    for (let taken = Atomics.load(counters, 1); Atomics.load(counters, 0) - taken >= ahead; taken = Atomics.load(counters, 1)) {
      Atomics.wait(counters, 1, taken, 100);
    }
    port.postMessage({ rows: JSON.stringify(page.rows), embeddings, codes }, [embeddings, codes]);
    posted();
    if (!page.more) break;
    after = page.last;
  }
  port.postMessage({ done: true });
} catch (error) {
  port.postMessage({ error: error instanceof Error ? error.message : String(error) });
} finally {
  db?.close();
  posted();
}
