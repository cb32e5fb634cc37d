// Reading an episodic memory's rows a page at a time, for SqliteEpisodeStore.loadAll: on the
// store's own connection, or in a worker thread (loadWorker.mjs) while the caller builds its index.
// Plain JavaScript, so the worker starts without a TypeScript loader; types in episodePages.d.mts.

/** Rows per page. */
export const PAGE_ROWS = 4096;

/**
 * The page reader of one connection. Text columns come as arrays (raw), not objects; a page's
 * vectors come as two blobs (group_concat in seq order), not two Buffers per row: both several
 * times cheaper per row at 1M rows. substr: files written before the code-only format hold the
 * whole text hypervector in text_hv.
 */
export function pageReader(db, codeBytes) {
  const textPage = db
    .prepare(
      `SELECT seq, id, duration_s, sec, nanosec, robot_id, agent, action, object, location, result, description, source
         FROM episodes WHERE seq > ? ORDER BY seq LIMIT ${PAGE_ROWS}`,
    )
    .raw(true);
  const vectorPage = db.prepare(
    `SELECT count(*) AS n, CAST(group_concat(embedding, '' ORDER BY seq) AS BLOB) AS embeddings,
       CAST(group_concat(substr(text_hv, 1, ${codeBytes}), '' ORDER BY seq) AS BLOB) AS codes
       FROM episodes WHERE seq > ? AND seq <= ?`,
  );
  return (after) => {
    const rows = textPage.all(after);
    if (rows.length === 0) return undefined;
    const last = rows[rows.length - 1][0];
    const { n, embeddings, codes } = vectorPage.get(after, last);
    if (n !== rows.length || embeddings.byteLength % n !== 0 || codes.byteLength % n !== 0) {
      throw new Error(`rows ${after + 1}..${last} have vectors of unequal sizes; the file is damaged`);
    }
    return { rows, last, embeddings, codes, more: rows.length === PAGE_ROWS };
  };
}
