/**
 * node --import tsx test/checks/actionlogKeysCheck.ts
 *
 * Checks of the outcome key index (bulk-indexed keys, by generation since schema v4) that the tests do not make:
 * repeats of actions evicted from a tiny closed cache are found in the unindexed tail and,
 * after the first bulk indexing or a restart, through outcome_keys; a v2 log migrates with
 * every key; retention deletes keys. Prints one line per check; exits 1 if any fails.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { openSqliteActionLog, type SqliteActionLog as ActionLog } from "../../src/core/actionlog/sqlite/openSqliteActionLog.js";
import { actionKeyHash } from "../../src/core/actionlog/sqlite/actionKeyHash.js";
import { SCHEMA_VERSION, migrate } from "../../src/core/actionlog/sqlite/migrations.js";
const dir = mkdtempSync(join(tmpdir(), "keys-"));
const T0 = Math.floor(Date.now() / 1000) - 86400;
const ev = (id: string, status: string, t: number, robot = "r1") => ({ header: { stamp: { sec: Math.floor(t), nanosec: Math.round((t % 1) * 1e9) }, frame_id: "" }, robot_id: robot, action_id: id, action: "pick", object: "mug", location: "", status, progress: 0, detail: "" });
const manual = () => ({ cancel: () => undefined });
const check = (name: string, cond: boolean) => { console.log(cond ? "ok  " : "FAIL", name); if (!cond) process.exitCode = 1; };
const counts = (log: ActionLog) => log.store.db.prepare("SELECT (SELECT COUNT(*) FROM outcomes) AS o, (SELECT COUNT(*) FROM outcome_keys) AS k, (SELECT value FROM meta WHERE key='keys_indexed_to') AS m").get() as { o: number; k: number; m: number };

// 1. eviction from a tiny closed cache: tail scan finds the evicted ones
let path = join(dir, "a.db");
let log = openSqliteActionLog({ path, closedCacheSize: 2, schedule: manual });
for (let i = 0; i < 10; i++) { log.ingest(ev(`a${i}`, "STARTED", T0 + i)); log.ingest(ev(`a${i}`, "SUCCEEDED", T0 + i + 0.5)); }
log.flush();
check("tail not indexed yet", counts(log).k === 0 && counts(log).o === 10);
check("evicted repeat end is duplicate (tail scan)", log.ingest(ev("a0", "SUCCEEDED", T0 + 0.5)).kind === "duplicate");
check("evicted repeat start is duplicate", log.ingest(ev("a1", "STARTED", T0 + 1)).kind === "duplicate");
check("evicted different end is after_close", (log.ingest(ev("a2", "FAILED", T0 + 9)) as any).reason === "after_close");
check("cached repeat", log.ingest(ev("a9", "SUCCEEDED", T0 + 9.5)).kind === "duplicate");
log.close();
// 2. restart: open indexes the tail
log = openSqliteActionLog({ path, schedule: manual });
check("reopen indexed the tail", counts(log).k === 10 && counts(log).m === 10);
check("after restart repeat end is duplicate (index)", log.ingest(ev("a3", "SUCCEEDED", T0 + 3.5)).kind === "duplicate");
check("after restart different end after_close", (log.ingest(ev("a4", "ABORTED", T0 + 4.7)) as any).reason === "after_close");
log.close();
// 3. crossing the catch-up threshold, small cache: early via index, late via tail
path = join(dir, "b.db");
log = openSqliteActionLog({ path, closedCacheSize: 10, schedule: manual, batchMaxEvents: 500 });
for (let i = 0; i < 9000; i++) { log.ingest(ev(`b${i}`, "STARTED", T0 + i / 100)); log.ingest(ev(`b${i}`, "SUCCEEDED", T0 + i / 100 + 0.001)); }
log.flush();
const c3 = counts(log);
check(`catch-up happened (outcomes ${c3.o}, keys ${c3.k}, mark ${c3.m})`, c3.k >= 8192 && c3.k === c3.m && c3.o === 9000);
let dups = 0;
for (let i = 0; i < 9000; i += 7) if (log.ingest(ev(`b${i}`, "SUCCEEDED", T0 + i / 100 + 0.001)).kind === "duplicate") dups++;
check(`every evicted repeat found (${dups}/1286)`, dups === 1286);
log.close();
// 4. a v2 database with outcomes migrates to v3 with all keys
path = join(dir, "c.db");
// The v2 layout: today's schema with v3's step undone (the key index on outcomes, no outcome_keys).
const db = new Database(path); db.pragma("journal_mode = WAL"); migrate(db, path);
db.exec("DROP TABLE outcome_keys; CREATE INDEX outcomes_key ON outcomes (key_hash); DELETE FROM meta WHERE key = 'keys_indexed_to'; PRAGMA user_version = 2");
db.function("action_key_hash", { deterministic: true }, (r, a) => actionKeyHash(String(r), String(a)));
db.prepare("INSERT INTO outcomes (robot_id, action_id, action, object, location, result, reason, started_sec, started_nsec, ended_sec, ended_nsec, duration_s, progress_events, key_hash) VALUES ('r1','old1','pick','mug','','FAILED','',?,0,?,0,1,0,action_key_hash('r1','old1'))").run(T0 - 100, T0 - 99);
db.close();
log = openSqliteActionLog({ path, schedule: manual });
check(`v2 -> v${SCHEMA_VERSION}: ${JSON.stringify(counts(log))}`, counts(log).k === 1 && counts(log).m === 1 && log.store.db.pragma("user_version", { simple: true }) === SCHEMA_VERSION);
check("migrated old outcome found by index", log.ingest(ev("old1", "FAILED", T0 - 99)).kind === "duplicate");
check("integrity", log.store.integrityCheck() === "ok");
// retention deletes keys
log.setRetention({ maxOutcomes: 1 });
for (let i = 0; i < 3; i++) { log.ingest(ev(`c${i}`, "STARTED", T0 + i)); log.ingest(ev(`c${i}`, "SUCCEEDED", T0 + i + 0.5)); }
log.close();
log = openSqliteActionLog({ path, schedule: manual, retention: { maxOutcomes: 1 } });
log.applyRetention();
check(`retention removed keys ${JSON.stringify(counts(log))}`, counts(log).o === 1 && counts(log).k === 1);
log.close();
// 5. age retention empties the outcomes table: new outcomes still get fresh ids, so their keys are
//    indexed (not mistaken for already indexed ones), and repeats are found after a restart
path = join(dir, "d.db");
let nowMs = Date.now();
log = openSqliteActionLog({ path, schedule: manual, clock: () => nowMs, retention: { maxAgeS: 60 } });
for (let i = 0; i < 9000; i++) { log.ingest(ev(`d${i}`, "STARTED", T0 + i / 100)); log.ingest(ev(`d${i}`, "SUCCEEDED", T0 + i / 100 + 0.001)); }
log.flush();
nowMs += 3_600_000;
log.applyRetention();
const c5 = counts(log);
check(`retention emptied outcomes and keys ${JSON.stringify(c5)}`, c5.o === 0 && c5.k === 0);
for (let i = 0; i < 10; i++) { log.ingest(ev(`e${i}`, "STARTED", T0 + 200 + i)); log.ingest(ev(`e${i}`, "SUCCEEDED", T0 + 200 + i + 0.5)); }
log.flush();
const ids = log.store.db.prepare("SELECT MIN(id) AS lo FROM outcomes").get() as { lo: number };
check(`new outcome ids above the indexed mark (${ids.lo} > ${c5.m})`, ids.lo > c5.m);
log.close();
log = openSqliteActionLog({ path, schedule: manual, clock: () => nowMs });
check("after restart the new outcomes are indexed", counts(log).k === 10);
check("after restart a repeat of a new outcome is a duplicate", log.ingest(ev("e3", "SUCCEEDED", T0 + 203.5)).kind === "duplicate");
log.close();
rmSync(dir, { recursive: true, force: true });
