/**
 * npm run bench:fleet [-- --quick] [-- --help]
 *
 * Against a real PostgreSQL (EMBODIED_TEST_PG_URL, or the cluster scripts/start-test-postgres.sh
 * starts), in a fresh database:
 * 1. ingest:   100 simulated robots (an action log, its outbox and a forwarder each, one
 *              connection each) with a backlog of outcomes; all forward at once; records/s from
 *              the first shipment until every outbox is empty.
 * 2. copy:     the raw baseline: the same number of rows, one COPY FROM STDIN into a table shaped
 *              and indexed like fleet_outcomes, in the same run.
 * 3. lag:      the 100 robots produce 10 outcomes/s each (1,000/s, paced by a schedule that makes up
 *              late ticks) through their action logs for a while; p50/p99 of local commit ->
 *              PostgreSQL commit, and the rate actually reached.
 * Each simulated outcome is two action events (STARTED, then SUCCEEDED/FAILED): rates are given
 * in records (outcomes) and in events.
 * 4. catch-up: a 10-minute outage's backlog at that rate (600,000; quick: 1 minute's) drained.
 * 5. recall:   fleet recall latency over N episodes at D=10,240 (1M; quick 50k), prefilter in
 *              PostgreSQL (bit_count(code # q)) and from the code cache, exact re-rank as deployed.
 * Progress goes to stderr; the last stdout line is one JSON object.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { openSqliteActionLog, type SqliteActionLog as ActionLog } from "../src/core/actionlog/sqlite/openSqliteActionLog.js";
import type { TextEmbedder } from "../src/core/embedding/types.js";
import { FleetRecall, type FleetPrefilter } from "../src/core/fleet/FleetRecall.js";
import { Forwarder } from "../src/core/fleet/Forwarder.js";
import { Outbox, OUTCOMES_SOURCE } from "../src/core/fleet/Outbox.js";
import { EpisodeEncoder } from "../src/core/memory/EpisodeEncoder.js";
import { createPrng, hashString } from "../src/core/hdc/prng.js";
import { copyFrom } from "../src/stores/postgres/copyFrom.js";
import { PostgresFleetStore } from "../src/stores/postgres/PostgresFleetStore.js";
import { nearestRankPercentile as percentile } from "./benchMath.js";

const HELP = `Usage: npm run bench:fleet -- [--quick] [--robots N] [--backlog N] [--episodes N] [--lag-s S]

  --quick        smaller sizes (under 2 minutes)
  --robots N     simulated robots (default 100)
  --backlog N    outcomes per robot for the ingest run (default 2000; quick 400)
  --episodes N   episodes for fleet recall (default 1000000; quick 50000)
  --lag-s S      seconds of 1,000 outcomes/s for the lag run (default 30; quick 8)
  -h, --help     this help
Last stdout line: JSON with fleet_ingest_records_per_s, fleet_ingest_events_per_s, raw_copy_rows_per_s, ratio_vs_copy,
lag_p50_s, lag_p99_s, catchup_records_per_s, recall_p50_ms_sql, recall_p50_ms_cached and more.`;

const argv = process.argv.slice(2);
if (argv.includes("-h") || argv.includes("--help")) {
  console.log(HELP);
  process.exit(0);
}
const quick = argv.includes("--quick");
const arg = (name: string, full: number, short: number) => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : quick ? short : full;
};
const ROBOTS = arg("--robots", 100, 100);
const BACKLOG = arg("--backlog", 2000, 400);
const EPISODES = arg("--episodes", 1_000_000, 50_000);
const LAG_S = arg("--lag-s", 30, 8);
const RATE_PER_ROBOT = 10;
const OUTAGE_S = quick ? 60 : 600;
const DIMS = 10_240;
const EMBEDDING_DIMS = 100;
const QUERIES = 21;

const log = (...parts: unknown[]) => console.error("[bench:fleet]", ...parts);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function serverUrl(): string {
  if (process.env["EMBODIED_TEST_PG_URL"]) return process.env["EMBODIED_TEST_PG_URL"];
  return execFileSync("bash", ["scripts/start-test-postgres.sh"], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim();
}

async function freshDatabase(server: string): Promise<string> {
  const name = `fleet_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(server);
  url.pathname = `/${name}`;
  return url.toString();
}

interface Robot {
  readonly name: string;
  readonly log: ActionLog;
  readonly outbox: Outbox;
  readonly store: PostgresFleetStore;
  readonly forwarder: Forwarder;
  next: number;
}

/** Action events per outcome as simulated here: STARTED, then SUCCEEDED or FAILED (the target is in events/s). */
const EVENTS_PER_OUTCOME = 2;

function ingestActions(r: Robot, n: number, nowS: number): void {
  for (let i = 0; i < n; i++) {
    const id = `a${r.next++}`;
    const header = (t: number) => ({ stamp: { sec: Math.floor(t), nanosec: Math.floor((t % 1) * 1e9) }, frame_id: "" });
    const base = { robot_id: r.name, action_id: id, action: "pick", object: r.next % 3 ? "mug" : "plate", location: "kitchen", progress: 0, detail: "" };
    r.log.ingestMessage({ ...base, header: header(nowS - 2), status: "STARTED" });
    r.log.ingestMessage({ ...base, header: header(nowS - 1), status: r.next % 5 ? "SUCCEEDED" : "FAILED", detail: r.next % 5 ? "" : "gripper slipped" });
  }
}

/** Backlog in every robot's outbox (forwarders stopped), as an outage would leave it. */
function fillBacklog(robots: readonly Robot[], perRobot: number): void {
  const nowS = Date.now() / 1000;
  for (const r of robots) {
    for (let done = 0; done < perRobot; done += 250) ingestActions(r, Math.min(250, perRobot - done), nowS);
    r.log.flush();
  }
}

/** Starts every forwarder and waits until every outbox is empty; records/s over that time. */
async function drain(robots: readonly Robot[]): Promise<{ records: number; seconds: number }> {
  const records = robots.reduce((a, r) => a + r.outbox.backlog(), 0);
  const t0 = performance.now();
  for (const r of robots) r.forwarder.start();
  for (const r of robots) await r.forwarder.waitForEmpty(600_000);
  const seconds = (performance.now() - t0) / 1000;
  for (const r of robots) await r.forwarder.stop();
  return { records, seconds };
}

async function rawCopy(url: string, rows: number): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query("CREATE TABLE copy_baseline (LIKE fleet_outcomes INCLUDING DEFAULTS INCLUDING INDEXES INCLUDING GENERATED)");
  const cols = "origin, stream, seq, robot_id, action_id, action, object, location, result, reason, started_sec, started_nsec, ended_sec, ended_nsec, duration_s, progress_events, flagged, flag_reason, committed_ms";
  const chunks: Buffer[] = [];
  let lines: string[] = [];
  const nowS = Math.floor(Date.now() / 1000);
  for (let i = 0; i < rows; i++) {
    const robot = `robot-${i % ROBOTS}`;
    lines.push(`${robot}\tstream-${i % ROBOTS}\t${Math.floor(i / ROBOTS) + 1}\t${robot}\ta${i}\tpick\tmug\tkitchen\tSUCCEEDED\t\t${nowS - 2}\t0\t${nowS - 1}\t0\t1\t0\tf\t\t${nowS * 1000}`);
    if (lines.length === 2000) {
      chunks.push(Buffer.from(lines.join("\n") + "\n"));
      lines = [];
    }
  }
  if (lines.length) chunks.push(Buffer.from(lines.join("\n") + "\n"));
  const t0 = performance.now();
  const copied = await copyFrom(client, `copy_baseline (${cols})`, chunks);
  const rate = copied / ((performance.now() - t0) / 1000);
  await client.query("DROP TABLE copy_baseline");
  await client.end();
  return rate;
}

/** Episodes made in the server (random codes, full-width vectors): only the latency is measured here. */
async function fillEpisodes(url: string, n: number): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const filler = (bytes: number) => `decode(repeat(md5(g::text), ${bytes / 16}), 'hex')`;
  for (let from = 1; from <= n; from += 100_000) {
    const to = Math.min(n, from + 99_999);
    await client.query(`INSERT INTO fleet_episodes (origin, stream, seq, episode_id, sec, nanosec, robot_id, agent, action, object, location, result, description, source, code, text_hv, episode_hv, embedding)
      SELECT 'robot-' || (g % ${ROBOTS}), 'bench', g, 'ep-' || g, 1750000000 + g, 0, 'robot-' || (g % ${ROBOTS}), 'robot-' || (g % ${ROBOTS}),
        'pick', 'mug', 'kitchen', 'SUCCEEDED', 'robot picked the mug in the kitchen', 'action_outcome',
        ('x' || md5(g::text) || md5((-g)::text))::text::varbit,
        decode(md5(g::text) || md5((-g)::text), 'hex') || ${filler(DIMS / 8 - 32)},
        ${filler(DIMS / 8)}, ${filler(EMBEDDING_DIMS * 4)}
      FROM generate_series(${from}, ${to}) AS g`);
    log(`episodes ${to}/${n}`);
  }
  await client.query("VACUUM ANALYZE fleet_episodes");
  await client.end();
}

/** A deterministic stand-in embedder: the bench measures latency, the tests measure answers. */
const fakeEmbedder: TextEmbedder = {
  kind: "ngram",
  identity: "bench-random-100",
  dimensions: EMBEDDING_DIMS,
  embedSync: (text: string) => {
    const next = createPrng(hashString(text));
    return Float32Array.from({ length: EMBEDDING_DIMS }, () => next() / 2 ** 32 - 0.5);
  },
  embed: async (texts: readonly string[]) => texts.map((t) => fakeEmbedder.embedSync!(t)),
  close: async () => undefined,
};

async function recallLatency(store: PostgresFleetStore, prefilter: FleetPrefilter): Promise<{ p50: number; p90: number; firstMs: number }> {
  const encoder = new EpisodeEncoder({ dims: DIMS, seed: 1, embeddingDims: EMBEDDING_DIMS });
  const recall = new FleetRecall({ reader: store, encoder, embedder: fakeEmbedder, prefilter });
  const times: number[] = [];
  for (let q = 0; q < QUERIES; q++) {
    const t0 = performance.now();
    await recall.recall({ text: `where is the spare charger ${q}`, k: 5 }, { k: 5, candidates: 1000, threshold: 0.5 });
    times.push(performance.now() - t0);
  }
  const [firstMs, ...warm] = times;
  return { p50: percentile(warm, 50), p90: percentile(warm, 90), firstMs: firstMs! };
}

async function main(): Promise<void> {
  const server = serverUrl();
  const url = await freshDatabase(server);
  const dir = mkdtempSync(join(tmpdir(), "bench-fleet-"));
  log(`PostgreSQL ${new URL(server).host}, ${ROBOTS} robots, ${quick ? "quick" : "full"}`);
  const robots: Robot[] = [];
  for (let i = 0; i < ROBOTS; i++) {
    const path = join(dir, `robot-${i}.db`);
    const robotLog = openSqliteActionLog({ path, durability: "normal", batchMaxMs: 20 });
    const outbox = Outbox.attach(path, OUTCOMES_SOURCE);
    const store = new PostgresFleetStore({ url, maxConnections: 1 });
    const forwarder = new Forwarder({ outbox, sink: store, origin: `robot-${i}`, batchMax: 2000, pollMs: 50 });
    robots.push({ name: `robot-${i}`, log: robotLog, outbox, store, forwarder, next: 0 });
  }
  await robots[0]!.store.migrate();

  log(`ingest: ${ROBOTS} x ${BACKLOG} outcomes`);
  fillBacklog(robots, BACKLOG);
  const ingest = await drain(robots);
  const ingestRate = ingest.records / ingest.seconds;
  log(`ingest: ${ingest.records} outcomes (${ingest.records * EVENTS_PER_OUTCOME} events) in ${ingest.seconds.toFixed(2)} s = ${ingestRate.toFixed(0)} outcomes/s, ${(ingestRate * EVENTS_PER_OUTCOME).toFixed(0)} events/s`);

  const copyRate = await rawCopy(url, ingest.records);
  log(`raw COPY: ${copyRate.toFixed(0)} rows/s`);

  log(`lag: ${ROBOTS} robots x ${RATE_PER_ROBOT}/s for ${LAG_S} s`);
  for (const r of robots) {
    r.forwarder.clearDeliveryLags();
    r.forwarder.start();
  }
  // Paced by a schedule, not by sleeps: each tick produces what the schedule owes so far, round-robin
  // over the robots, so a late tick (a loaded machine) is made up instead of lowering the rate.
  const lagStart = performance.now();
  const target = ROBOTS * RATE_PER_ROBOT;
  let produced = 0;
  let turn = 0;
  while (performance.now() - lagStart < LAG_S * 1000) {
    const owed = Math.floor(((performance.now() - lagStart) / 1000) * target) - produced;
    const nowS = Date.now() / 1000;
    for (let i = 0; i < owed; i++) ingestActions(robots[turn++ % robots.length]!, 1, nowS);
    produced += Math.max(0, owed);
    await sleep(5);
  }
  const lagRate = produced / ((performance.now() - lagStart) / 1000);
  for (const r of robots) r.log.flush();
  for (const r of robots) await r.forwarder.waitForEmpty(120_000);
  for (const r of robots) await r.forwarder.stop();
  const lags: number[] = [];
  for (const r of robots) lags.push(...r.forwarder.deliveryLags());
  log(`lag: ${produced} outcomes (${lagRate.toFixed(0)}/s), p50 ${percentile(lags, 50).toFixed(3)} s, p99 ${percentile(lags, 99).toFixed(3)} s`);

  const catchupPerRobot = RATE_PER_ROBOT * OUTAGE_S;
  log(`catch-up: a ${OUTAGE_S} s outage at ${ROBOTS * RATE_PER_ROBOT}/s = ${ROBOTS * catchupPerRobot} outcomes`);
  fillBacklog(robots, catchupPerRobot);
  const catchup = await drain(robots);
  log(`catch-up: ${catchup.records} in ${catchup.seconds.toFixed(2)} s = ${(catchup.records / catchup.seconds).toFixed(0)}/s`);

  const check = new pg.Client({ connectionString: url });
  await check.connect();
  const counted = (await check.query("SELECT count(*)::int AS n, count(DISTINCT (origin, action_id))::int AS distinct_keys FROM fleet_outcomes")).rows[0] as { n: number; distinct_keys: number };
  await check.end();
  const expected = robots.reduce((a, r) => a + r.next, 0);
  for (const r of robots) {
    await r.store.close();
    r.outbox.close();
    r.log.close();
  }

  log(`recall: ${EPISODES} episodes at D=${DIMS}`);
  await fillEpisodes(url, EPISODES);
  const queryStore = new PostgresFleetStore({ url, queryTimeoutMs: 600_000 });
  const sql = await recallLatency(queryStore, "sql");
  log(`recall sql: p50 ${sql.p50.toFixed(1)} ms`);
  const cached = await recallLatency(queryStore, "cached");
  log(`recall cached: p50 ${cached.p50.toFixed(1)} ms (first query, loading the cache: ${cached.firstMs.toFixed(0)} ms)`);
  await queryStore.close();

  rmSync(dir, { recursive: true, force: true });
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${new URL(url).pathname.slice(1)} WITH (FORCE)`);
  await admin.end();

  console.log(JSON.stringify({
    bench: "fleet",
    quick,
    robots: ROBOTS,
    fleet_ingest_records: ingest.records,
    fleet_ingest_records_per_s: Math.round(ingestRate),
    events_per_record: EVENTS_PER_OUTCOME,
    fleet_ingest_events_per_s: Math.round(ingestRate * EVENTS_PER_OUTCOME),
    raw_copy_rows_per_s: Math.round(copyRate),
    ratio_vs_copy: Number((ingestRate / copyRate).toFixed(3)),
    lag_rate_per_s: Math.round(lagRate),
    lag_events_per_s: Math.round(lagRate * EVENTS_PER_OUTCOME),
    lag_p50_s: Number(percentile(lags, 50).toFixed(3)),
    lag_p99_s: Number(percentile(lags, 99).toFixed(3)),
    catchup_outage_s: OUTAGE_S,
    catchup_records: catchup.records,
    catchup_records_per_s: Math.round(catchup.records / catchup.seconds),
    rows_in_postgres: counted.n,
    rows_expected: expected,
    lost: expected - counted.distinct_keys,
    duplicated: counted.n - counted.distinct_keys,
    recall_episodes: EPISODES,
    recall_dims: DIMS,
    recall_p50_ms_sql: Number(sql.p50.toFixed(1)),
    recall_p90_ms_sql: Number(sql.p90.toFixed(1)),
    recall_p50_ms_cached: Number(cached.p50.toFixed(1)),
    recall_p90_ms_cached: Number(cached.p90.toFixed(1)),
    recall_cache_load_ms: Math.round(cached.firstMs),
    cpus: cpus().length,
    load_avg_1m: Number(loadavg()[0]!.toFixed(2)),
  }));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
