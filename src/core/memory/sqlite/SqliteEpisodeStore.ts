/**
 * Durable episodes in SQLite, behind EpisodeStorePort (WAL, synchronous=FULL): a row is on disk before remember() returns,
 * so an acknowledged episode survives a crash. The memory's identity (seed, dimension, encoder,
 * projection, code length) lives in a meta table: opening a file with another identity throws
 * MemoryMismatchError instead of silently mixing incompatible vectors.
 *
 * Descriptions are also indexed by FTS5 (BM25 keyword search, an external-content table over
 * `episodes`), and forgetting is secure: secure_delete zeroes freed pages, the FTS5 table runs with
 * its 'secure-delete' option (tokens of deleted rows leave the index b-tree), and the WAL is
 * checkpointed and truncated, so a forgotten description is no longer anywhere in the files.
 */
import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { MemoryMismatchError } from "../errors.js";
import { pageReader, type EpisodeRow } from "./episodePages.mjs";
import { pagesInWorker } from "./pagesInWorker.js";
import { isSharedDatabaseFile } from "../../sqliteFile.js";
import type { EpisodeStoreFactory, EpisodeStorePort, KeywordHit, MemoryIdentity, StoredEpisode } from "../EpisodeStorePort.js";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS episodes (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  sec INTEGER NOT NULL, nanosec INTEGER NOT NULL,
  robot_id TEXT NOT NULL, agent TEXT NOT NULL, action TEXT NOT NULL, object TEXT NOT NULL,
  location TEXT NOT NULL, result TEXT NOT NULL, description TEXT NOT NULL, source TEXT NOT NULL,
  embedding BLOB NOT NULL, text_hv BLOB NOT NULL, episode_hv BLOB NOT NULL
);`;

/**
 * text_hv holds only the short prefilter code and episode_hv is empty: both full hypervectors are
 * recomputed from the row (the columns stay so older files and the fleet outbox keep their shape).
 */
const NO_EPISODE_HV = Buffer.alloc(0);

/** Added after format 1 shipped: files without them are migrated on open. */
const DURATION_COLUMN = "ALTER TABLE episodes ADD COLUMN duration_s REAL NOT NULL DEFAULT 0";
const FTS_SCHEMA = `
CREATE VIRTUAL TABLE episodes_fts USING fts5(description, content='episodes', content_rowid='seq', tokenize='porter unicode61');
INSERT INTO episodes_fts(episodes_fts, rank) VALUES('secure-delete', 1);
INSERT INTO episodes_fts(episodes_fts) VALUES('rebuild');`;

/**
 * The words of a term as the index's unicode61 tokenizer splits it: letters and digits of any
 * script, accents removed, lower case ("Zoë" -> zoe, "O'Brien" -> o, brien, "李娜" -> 李娜). Keeping
 * only a-z once dropped the words of other scripts, and a forget by "Ana 李娜" then forgot every Ana.
 */
function indexWords(term: string): string[] {
  return term.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((w) => w !== "");
}

/** An FTS5 MATCH expression of quoted words ('' when there are none). */
export function ftsMatch(terms: readonly string[], mode: "any" | "all"): string {
  const words = [...new Set(terms.flatMap(indexWords))];
  return words.map((w) => `"${w}"`).join(mode === "any" ? " OR " : " AND ");
}

function toBuffer(a: Float32Array | Uint32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/** A typed view of a blob: no copy when it is 4-byte aligned. */
function viewOf<T extends Float32Array | Uint32Array>(b: Uint8Array, Type: { new (buffer: ArrayBuffer, offset: number, length: number): T; new (buffer: ArrayBuffer): T }): T {
  if (b.byteOffset % 4 === 0 && b.byteLength % 4 === 0) return new Type(b.buffer as ArrayBuffer, b.byteOffset, b.byteLength / 4);
  const out = new ArrayBuffer(b.byteLength);
  new Uint8Array(out).set(b);
  return new Type(out);
}

/** Distinct role strings shared at open (fillers beyond it get their own strings). */
const MAX_INTERNED = 100_000;

export class SqliteEpisodeStore implements EpisodeStorePort {
  readonly path: string;
  private readonly codeBits: number;
  private readonly db: Database.Database;
  private readonly insert: Database.Statement;
  private readonly insertFts: Database.Statement;

  constructor(path: string, identity: MemoryIdentity) {
    this.path = path;
    this.codeBits = identity.code_bits;
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = FULL");
    // Freed pages are overwritten with zeros: a forgotten episode must not linger in free pages.
    this.db.pragma("secure_delete = ON");
    this.db.exec(SCHEMA);
    this.migrate();
    this.checkIdentity(identity);
    this.insert = this.db.prepare(
      `INSERT INTO episodes (id, sec, nanosec, robot_id, agent, action, object, location, result, description, source, embedding, text_hv, episode_hv, duration_s)
       VALUES (@id, @sec, @nanosec, @robot_id, @agent, @action, @object, @location, @result, @description, @source, @embedding, @text_hv, @episode_hv, @duration_s)`,
    );
    this.insertFts = this.db.prepare("INSERT INTO episodes_fts(rowid, description) VALUES (?, ?)");
  }

  private migrate(): void {
    const columns = this.db.prepare("PRAGMA table_info(episodes)").all() as { name: string }[];
    if (!columns.some((c) => c.name === "duration_s")) this.db.exec(DURATION_COLUMN);
    const fts = this.db.prepare("SELECT name FROM sqlite_master WHERE name = 'episodes_fts'").get();
    if (fts === undefined) this.db.exec(FTS_SCHEMA);
  }

  private checkIdentity(identity: MemoryIdentity): void {
    const rows = this.db.prepare("SELECT key, value FROM meta").all() as { key: string; value: string }[];
    const stored = new Map(rows.map((r) => [r.key, r.value]));
    const wanted = Object.entries(identity).map(([k, v]) => [k, String(v)] as const);
    if (stored.size === 0) {
      const put = this.db.prepare("INSERT INTO meta (key, value) VALUES (?, ?)");
      this.db.transaction(() => wanted.forEach(([k, v]) => put.run(k, v)))();
      return;
    }
    for (const [key, value] of wanted) {
      const have = stored.get(key);
      if (have !== value) throw new MemoryMismatchError(this.path, key, have ?? "(missing)", value);
    }
  }

  /** Writes the episodes in one transaction; durable when this returns. */
  append(items: readonly StoredEpisode[]): void {
    const run = this.db.transaction((batch: readonly StoredEpisode[]) => {
      for (const { episode: e, embedding, code, durationS } of batch) {
        const { lastInsertRowid } = this.insert.run({
          id: e.id,
          sec: e.stamp.sec,
          nanosec: e.stamp.nanosec,
          robot_id: e.robot_id,
          agent: e.agent,
          action: e.action,
          object: e.object,
          location: e.location,
          result: e.result,
          description: e.description,
          source: e.source,
          embedding: toBuffer(embedding),
          text_hv: toBuffer(code),
          episode_hv: NO_EPISODE_HV,
          duration_s: durationS,
        });
        this.insertFts.run(lastInsertRowid, e.description);
      }
    });
    run(items);
  }

  count(): number {
    return (this.db.prepare("SELECT COUNT(*) AS n FROM episodes").get() as { n: number }).n;
  }

  /** Every episode in insertion order. */
  *loadAll(): Generator<StoredEpisode> {
    // Repeated fillers (robot, action, room...) share one string instead of one per row.
    const interned = new Map<string, string>();
    const intern = (v: string) => {
      const have = interned.get(v);
      if (have !== undefined) return have;
      if (interned.size < MAX_INTERNED) interned.set(v, v);
      return v;
    };
    for (const page of this.pages()) {
      const n = page.rows.length;
      const embeddings = viewOf(page.embeddings, Float32Array);
      const codes = viewOf(page.codes, Uint32Array);
      const embeddingWords = embeddings.length / n;
      const codeWords = codes.length / n;
      for (let r = 0; r < n; r++) {
        const [, id, durationS, sec, nanosec, robotId, agent, action, object, location, result, description, source] = page.rows[r]!;
        yield {
          episode: {
            id,
            stamp: { sec, nanosec },
            robot_id: intern(robotId),
            agent: intern(agent),
            action: intern(action),
            object: intern(object),
            location: intern(location),
            result: intern(result),
            description,
            source: intern(source),
          },
          durationS,
          embedding: embeddings.subarray(r * embeddingWords, (r + 1) * embeddingWords),
          code: codes.subarray(r * codeWords, (r + 1) * codeWords),
        };
      }
    }
  }

  /**
   * Every row's page, in seq order: from a reader thread when the memory is a file (the caller
   * builds its index meanwhile), else on this connection. A reader thread that fails hands over to
   * this connection after the last page it delivered, with a warning.
   */
  private *pages(): Generator<{ rows: EpisodeRow[]; embeddings: Uint8Array; codes: Uint8Array }> {
    const codeBytes = Math.max(this.codeBits, 256) / 8;
    let after = 0;
    if (isSharedDatabaseFile(this.path)) {
      const fromWorker = pagesInWorker(this.path, codeBytes);
      for (let step = fromWorker.next(); ; step = fromWorker.next()) {
        if (step.done) {
          if (step.value === undefined) return;
          process.emitWarning(`episodic memory ${this.path}: ${step.value}; reading the rest on the opening thread`);
          break;
        }
        yield step.value;
        after = step.value.rows[step.value.rows.length - 1]![0];
      }
    }
    const read = pageReader(this.db, codeBytes);
    for (let page = read(after); page !== undefined; page = page.more ? read(page.last) : undefined) yield page;
  }

  /**
   * Keyword search over descriptions: FTS5 MATCH ranked by BM25, best first. `terms` are plain
   * words (quoted here, so no FTS5 syntax leaks in from a question); "any" matches episodes with
   * at least one of them, "all" only those with every one.
   */
  searchKeywords(terms: readonly string[], limit: number, mode: "any" | "all" = "any"): KeywordHit[] {
    const match = ftsMatch(terms, mode);
    if (match === "") return [];
    return this.db
      .prepare(
        `SELECT e.id AS id, bm25(episodes_fts) AS bm25 FROM episodes_fts JOIN episodes e ON e.seq = episodes_fts.rowid
         WHERE episodes_fts MATCH ? ORDER BY bm25(episodes_fts) LIMIT ?`,
      )
      .all(match, limit) as KeywordHit[];
  }

  /**
   * Deletes episodes for good: rows and their FTS5 entries in one transaction, then a WAL
   * checkpoint (TRUNCATE) so the old page images in the WAL are gone too. Returns the ids deleted.
   */
  forget(ids: readonly string[]): string[] {
    const find = this.db.prepare("SELECT seq, description FROM episodes WHERE id = ?");
    const dropFts = this.db.prepare("INSERT INTO episodes_fts(episodes_fts, rowid, description) VALUES('delete', ?, ?)");
    const drop = this.db.prepare("DELETE FROM episodes WHERE seq = ?");
    const deleted: string[] = [];
    this.db.transaction(() => {
      for (const id of ids) {
        const row = find.get(id) as { seq: number; description: string } | undefined;
        if (row === undefined) continue;
        dropFts.run(row.seq, row.description);
        drop.run(row.seq);
        deleted.push(id);
      }
    })();
    if (deleted.length > 0) this.db.pragma("wal_checkpoint(TRUNCATE)");
    return deleted;
  }

  /** Bytes of the database file and its WAL. */
  fileBytes(): number {
    const pages = this.db.pragma("page_count", { simple: true }) as number;
    const size = this.db.pragma("page_size", { simple: true }) as number;
    return pages * size;
  }

  /** The journal mode and synchronous level this connection writes with (tests pin them). */
  durabilityPragmas(): { journal_mode: string; synchronous: number } {
    return { journal_mode: this.db.pragma("journal_mode", { simple: true }) as string, synchronous: this.db.pragma("synchronous", { simple: true }) as number };
  }

  close(): void {
    this.db.close();
  }
}

/** The store factory EpisodicMemory.open takes: a SQLite file, or an in-memory database for ":memory:". */
export function sqliteEpisodeStore(path: string): EpisodeStoreFactory {
  return (identity) => new SqliteEpisodeStore(path, identity);
}
