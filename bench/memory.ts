/**
 * Episodic-memory benchmark. Last stdout line: one JSON object. Progress goes to stderr.
 *
 *   npm run bench:memory                 # ingest + 100k + 1M text queries + cue answers (~6 min)
 *   npm run bench:memory -- --quick      # smaller scales, under 60 s
 *
 * What it measures, all in one run on one core:
 * - ingest: episodes/s through EpisodicMemory.remember() into a fresh SQLite file (WAL, synchronous
 *   FULL), batches of 500 per transaction, including GloVe embedding, SimHash, role-filler bundling,
 *   persistence and indexing; plus the rate with one episode per transaction (what the node does per
 *   message).
 * - text queries at 100k and 1M episodes: the big stores are built in memory by the same remember()
 *   path minus SQLite (no dbPath). Query = embed + SimHash + short-code prefilter + full re-rank.
 * - float baseline: exact float32 cosine top-10 over the SAME GloVe embeddings (unit vectors, dot
 *   product, unrolled x4), same queries, same run.
 * - recall@10 vs float: a returned episode counts when its exact cosine is >= the 10th best exact
 *   cosine (generated descriptions repeat, so the exact top-10 has ties; this counts any of them).
 * - cue answers: 10k episodes with 1,000 fillers per role; cue two roles of a stored episode, ask a
 *   third; correct when the answer is that role's filler in an episode matching the cue.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { createPrng } from "../src/core/hdc/prng.js";
import { GloveEmbedder } from "../src/core/embedding/GloveEmbedder.js";
import { EpisodicMemory } from "../src/core/memory/EpisodicMemory.js";
import { COARSE_FACTOR } from "../src/core/memory/codePrefilter.js";
import { ROLES, type EpisodeInput, type Role } from "../src/core/memory/types.js";
import { buildSuiteMemory, fitFusion, runQuestionSuite } from "./memoryQuestions.js";
import { openSqliteMemory, type SqliteMemoryOptions } from "../src/core/memory/sqlite/openSqliteMemory.js";
import { nearestRankPercentile as percentile, round } from "./benchMath.js";

const HELP = `Usage: npm run bench:memory -- [--quick] [--episodes N] [--queries Q]
  --quick        ingest 5k, text queries at 20k and 100k, cue set 10k (under 60 s)
  --episodes N   largest text-query scale (default 1000000; quick 100000)
  --queries Q    text queries per scale (default 200; quick 50)
  --candidates C prefilter candidates re-ranked (default 4000)
  --code-bits B  prefilter code bits (default 256)
  --rerank R     embedding (default: exact cosine of stored embeddings) or hamming (full text HV)
  --skip-ingest  skip the ingest and cue phases (for tuning the text path)
  --fit-fusion   grid-search the Ask fusion weights on the question suite (MRR of "episodes" questions)
  --help         this help
Needs models/glove (node --import tsx src/cli/convert-glove.ts).`;

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    episodes: { type: "string" },
    queries: { type: "string" },
    candidates: { type: "string" },
    "code-bits": { type: "string" },
    "skip-ingest": { type: "boolean", default: false },
    "fit-fusion": { type: "boolean", default: false },
    rerank: { type: "string" },
    help: { type: "boolean", default: false },
  },
});
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
const quick = values.quick;
const LARGE = Number(values.episodes ?? (quick ? 100_000 : 1_000_000));
const SMALL = Math.min(LARGE, quick ? 20_000 : 100_000);
const QUERIES = Number(values.queries ?? (quick ? 50 : 200));
const INGEST = quick ? 5_000 : 20_000;
const CANDIDATES = Number(values.candidates ?? 4_000);
const CODE_BITS = Number(values["code-bits"] ?? 256);
const RERANK = values.rerank === "hamming" ? "hamming" : "embedding";
const CUE_EPISODES = 10_000;
const CUE_QUERIES = quick ? 300 : 1_000;

const log = (msg: string) => process.stderr.write(`[bench:memory] ${msg}\n`);

// ---------- synthetic robot episodes in real English ----------

const AGENTS = Array.from({ length: 12 }, (_, i) => `robot${i + 1}`);
const ACTIONS: [string, string][] = [
  ["pick", "picked up"], ["place", "placed"], ["push", "pushed"], ["open", "opened"], ["close", "closed"],
  ["wipe", "wiped"], ["carry", "carried"], ["fetch", "fetched"], ["pour", "poured"], ["inspect", "inspected"],
  ["stack", "stacked"], ["fold", "folded"], ["wash", "washed"], ["sort", "sorted"], ["deliver", "delivered"],
  ["hand", "handed over"], ["drop", "dropped"], ["move", "moved"], ["scan", "scanned"], ["charge", "charged"],
];
const OBJECTS = [
  "cup", "mug", "plate", "bowl", "glass", "bottle", "spoon", "fork", "knife", "pan", "pot", "kettle", "towel",
  "book", "laptop", "phone", "remote", "pillow", "blanket", "shirt", "sock", "shoe", "jacket", "box", "bag",
  "basket", "toy", "ball", "lamp", "chair", "door", "drawer", "window", "cabinet", "fridge", "oven", "sponge",
  "soap", "bucket", "broom", "vase", "flower", "plant", "apple", "banana", "orange", "bread", "milk", "cheese",
  "egg", "tray", "jar", "lid", "key", "wallet", "pen", "notebook", "charger", "cable", "battery", "hammer",
  "screwdriver", "wrench", "tape", "scissors", "package", "letter", "newspaper", "magazine", "candle",
];
const ADJECTIVES = [
  "red", "blue", "green", "yellow", "white", "black", "small", "large", "heavy", "empty", "full", "old", "new",
  "wooden", "plastic", "metal", "glass", "ceramic", "dirty", "clean", "wet", "broken", "striped", "round",
];
const ROOMS = ["kitchen", "living room", "bedroom", "bathroom", "garage", "hallway", "office", "dining room", "garden", "laundry room", "pantry", "workshop"];
const FURNITURE = ["table", "counter", "shelf", "sink", "desk", "floor", "cabinet", "couch", "bed", "stove", "windowsill", "bench"];
const RESULTS: [string, string][] = [["SUCCEEDED", "succeeded"], ["SUCCEEDED", "finished without problems"], ["FAILED", "failed"], ["ABORTED", "was aborted"], ["TIMEOUT", "timed out"]];
const REASONS = [
  "the gripper slipped", "it was too heavy", "the path was blocked", "a person was in the way", "the battery was low",
  "the lid was stuck", "the handle could not be found", "the camera lost track of it", "the arm hit the shelf",
  "the floor was wet", "the door was locked", "the object was out of reach",
];

function pick<T>(next: () => number, list: readonly T[]): T {
  return list[next() % list.length]!;
}

function generateEpisode(next: () => number, t: number): EpisodeInput {
  const agent = pick(next, AGENTS);
  const [action, past] = pick(next, ACTIONS);
  const object = pick(next, OBJECTS);
  const adjective = pick(next, ADJECTIVES);
  const room = pick(next, ROOMS);
  const furniture = pick(next, FURNITURE);
  const [result, resultWords] = pick(next, RESULTS);
  const why = result === "SUCCEEDED" ? "" : ` because ${pick(next, REASONS)}`;
  return {
    stamp: { sec: 1_763_000_000 + t, nanosec: 0 },
    robot_id: agent,
    agent,
    action,
    object,
    location: room,
    result,
    description: `${agent} ${past} the ${adjective} ${object} on the ${furniture} in the ${room} and ${resultWords}${why}`,
    source: "action_outcome",
  };
}

function generateQuery(next: () => number): string {
  const object = pick(next, OBJECTS);
  const adjective = pick(next, ADJECTIVES);
  const room = pick(next, ROOMS);
  const [, past] = pick(next, ACTIONS);
  const forms = [
    `what happened with the ${adjective} ${object}?`,
    `did you ${past.split(" ")[0]} the ${object} in the ${room}?`,
    `the ${object} in the ${room} ${pick(next, REASONS)}`,
    `${past} ${adjective} ${object} ${pick(next, FURNITURE)}`,
  ];
  return pick(next, forms);
}

// ---------- helpers ----------

/** Exact float32 cosine (unit vectors: dot product) top-k with an insertion-sorted buffer. */
function floatTopK(matrix: Float32Array, n: number, d: number, q: Float32Array, k: number): { index: number; score: number }[] {
  const bestScore = new Float64Array(k).fill(-Infinity);
  const bestIndex = new Int32Array(k).fill(-1);
  for (let i = 0, at = 0; i < n; i++, at += d) {
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (let j = 0; j < d; j += 4) {
      s0 += matrix[at + j]! * q[j]!;
      s1 += matrix[at + j + 1]! * q[j + 1]!;
      s2 += matrix[at + j + 2]! * q[j + 2]!;
      s3 += matrix[at + j + 3]! * q[j + 3]!;
    }
    const s = s0 + s1 + s2 + s3;
    if (s > bestScore[k - 1]!) {
      let p = k - 1;
      while (p > 0 && bestScore[p - 1]! < s) {
        bestScore[p] = bestScore[p - 1]!;
        bestIndex[p] = bestIndex[p - 1]!;
        p--;
      }
      bestScore[p] = s;
      bestIndex[p] = i;
    }
  }
  return Array.from(bestIndex, (index, j) => ({ index, score: bestScore[j]! }));
}

function dot(matrix: Float32Array, i: number, d: number, q: Float32Array): number {
  let s = 0;
  for (let j = 0; j < d; j++) s += matrix[i * d + j]! * q[j]!;
  return s;
}

// ---------- phases ----------

interface IngestFigures {
  perS: number;
  /** Episodes per second of this process's CPU time (user + system): the single-core cost, free of
   * other processes' load on a shared machine (but blind to time spent waiting for fsync). */
  perCpuS: number;
  singlePerS: number;
  diskBytesPerEpisode: number;
}

async function measureIngest(glove: GloveEmbedder): Promise<IngestFigures> {
  const dir = mkdtempSync(join(tmpdir(), "bench-memory-"));
  try {
    const next = createPrng(1, 1);
    const memory = await openSqliteMemory({ embedder: glove, dbPath: join(dir, "memory.db"), initialCapacity: INGEST + 2_000 });
    const episodes = Array.from({ length: INGEST }, (_, t) => generateEpisode(next, t));
    await memory.remember(episodes.slice(0, 500)); // warm-up
    const start = performance.now();
    const cpu0 = process.cpuUsage();
    for (let b = 500; b < episodes.length; b += 500) await memory.remember(episodes.slice(b, b + 500));
    const cpu = process.cpuUsage(cpu0);
    const perS = (INGEST - 500) / ((performance.now() - start) / 1000);
    const perCpuS = (INGEST - 500) / ((cpu.user + cpu.system) / 1e6);
    const singles = Array.from({ length: 1_000 }, (_, t) => generateEpisode(next, INGEST + t));
    const s0 = performance.now();
    for (const e of singles) await memory.remember([e]);
    const singlePerS = singles.length / ((performance.now() - s0) / 1000);
    const diskBytesPerEpisode = memory.stats().fileBytes / memory.size;
    memory.close();
    return { perS, perCpuS, singlePerS, diskBytesPerEpisode };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface ScaleFigures {
  episodes: number;
  text_query_p50_ms: number;
  text_query_p99_ms: number;
  float_baseline_p50_ms: number;
  float_baseline_p99_ms: number;
  speedup_vs_float: number;
  recall_at_10_vs_float: number;
  /** The two-pass prefilter (64-bit coarse pass first) instead of the default single pass. */
  two_pass_p50_ms: number;
  two_pass_speedup_vs_float: number;
  two_pass_recall_at_10: number;
  cue_query_p50_ms: number;
  cue_answer_accuracy: number;
  cue_abstained: number;
}

interface ReopenFigures {
  /** Seconds to open the largest memory from its SQLite file (restore every episode into RAM). */
  openS: number;
  /** Heap + array-buffer bytes the reopened memory holds per episode (freed when it is dropped; objects, maps and strings included). */
  heapBytesPerEpisode: number;
  /** The reopened memory answers the first query with the same episodes as before closing. */
  sameAnswers: boolean;
}

/** A full garbage collection when this process can trigger one (flag set at run time, so no CLI change). */
function collectGarbage(): void {
  setFlagsFromString("--expose-gc");
  (runInNewContext("gc") as () => void)();
}

function heapBytes(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

interface Closed {
  readonly dir: string;
  readonly options: SqliteMemoryOptions;
  readonly query: string;
  /** Ids the memory returned for `query` before it was closed. */
  readonly before: readonly string[];
}

async function measureScales(glove: GloveEmbedder, scales: number[]): Promise<{ figures: ScaleFigures[]; bytesPerEpisode: number; closed: Closed }> {
  const largest = Math.max(...scales);
  // The largest memory lives in a SQLite file, so the run also times opening it.
  const dir = mkdtempSync(join(tmpdir(), "bench-memory-scale-"));
  const dbPath = join(dir, "memory.db");
  const options = { embedder: glove, dbPath, initialCapacity: largest, candidates: CANDIDATES, codeBits: CODE_BITS, rerank: RERANK } as const;
  const memory = await openSqliteMemory(options);
  const d = glove.dimensions;
  const embeddings = new Float32Array(largest * d);
  const next = createPrng(2, 2);
  const queryNext = createPrng(3, 3);
  const queries = Array.from({ length: QUERIES }, () => generateQuery(queryNext));
  const figures: ScaleFigures[] = [];
  const built0 = performance.now();
  for (const scale of [...scales].sort((a, b) => a - b)) {
    while (memory.size < scale) {
      const batch = Array.from({ length: Math.min(5_000, scale - memory.size) }, (_, j) => generateEpisode(next, memory.size + j));
      for (let j = 0; j < batch.length; j++) embeddings.set(glove.embedSync(batch[j]!.description), (memory.size + j) * d);
      await memory.remember(batch);
      if (memory.size % 100_000 === 0) log(`built ${memory.size} episodes (${((performance.now() - built0) / 1000).toFixed(0)} s)`);
    }
    // Warm-up both paths.
    for (const q of queries.slice(0, 5)) {
      await memory.recall({ text: q, k: 10 });
      floatTopK(embeddings, scale, d, glove.embedSync(q), 10);
    }
    const hdcMs: number[] = [];
    const floatMs: number[] = [];
    let recallSum = 0;
    const scoreHits = (hits: readonly { episode: { id: string } }[], qv: Float32Array, cut: number) =>
      hits.filter((hit) => dot(embeddings, memory.index.indexOf(hit.episode.id)!, d, qv) >= cut).length / 10;
    const cuts: number[] = [];
    for (const q of queries) {
      const t0 = performance.now();
      const result = await memory.recall({ text: q, k: 10 });
      hdcMs.push(performance.now() - t0);
      const t1 = performance.now();
      const qv = glove.embedSync(q);
      const exact = floatTopK(embeddings, scale, d, qv, 10);
      floatMs.push(performance.now() - t1);
      const cut = exact[exact.length - 1]!.score - 1e-6;
      cuts.push(cut);
      recallSum += scoreHits(result.hits, qv, cut);
    }
    // The same queries with the two-pass prefilter (a 64-bit coarse pass first), for comparison in
    // the same run.
    const coarseFactor = memory.index.codeSearch.coarseFactor;
    memory.index.codeSearch.coarseFactor = COARSE_FACTOR;
    const twoPassMs: number[] = [];
    let twoPassRecall = 0;
    for (const [j, q] of queries.entries()) {
      const t0 = performance.now();
      const result = await memory.recall({ text: q, k: 10 });
      twoPassMs.push(performance.now() - t0);
      twoPassRecall += scoreHits(result.hits, glove.embedSync(q), cuts[j]!);
    }
    memory.index.codeSearch.coarseFactor = coarseFactor;
    // Cue queries on the real vocabulary: two roles of a stored episode, ask a third. Many rooms fit
    // one (action, object) at this scale, so the memory rightly abstains on most: the figure is the
    // share of its non-abstained answers that are right, next to the abstained share.
    const cueMs: number[] = [];
    let cueRight = 0;
    let cueAnswered = 0;
    const CUE_AT_SCALE = 100;
    for (let q = 0; q < CUE_AT_SCALE; q++) {
      const target = memory.index.episode(queryNext() % scale);
      const t0 = performance.now();
      const r = await memory.recall({ cue: { action: target.action, object: target.object }, askRole: "location", k: 5 });
      cueMs.push(performance.now() - t0);
      if (!r.abstained) cueAnswered++;
      if (!r.abstained && memory.index.rowsWith("location", r.answer).some((i) => { const e = memory.index.episode(i); return e.action === target.action && e.object === target.object; })) cueRight++;
    }
    const f: ScaleFigures = {
      episodes: scale,
      text_query_p50_ms: round(percentile(hdcMs, 50)),
      text_query_p99_ms: round(percentile(hdcMs, 99)),
      float_baseline_p50_ms: round(percentile(floatMs, 50)),
      float_baseline_p99_ms: round(percentile(floatMs, 99)),
      speedup_vs_float: round(percentile(floatMs, 50) / percentile(hdcMs, 50), 2),
      recall_at_10_vs_float: round(recallSum / queries.length, 4),
      two_pass_p50_ms: round(percentile(twoPassMs, 50)),
      two_pass_speedup_vs_float: round(percentile(floatMs, 50) / percentile(twoPassMs, 50), 2),
      two_pass_recall_at_10: round(twoPassRecall / queries.length, 4),
      cue_query_p50_ms: round(percentile(cueMs, 50)),
      cue_answer_accuracy: cueAnswered === 0 ? 1 : round(cueRight / cueAnswered, 4),
      cue_abstained: round(1 - cueAnswered / CUE_AT_SCALE, 4),
    };
    log(`scale ${scale}: ${JSON.stringify(f)}`);
    figures.push(f);
  }
  const bytesPerEpisode = memory.index.bytesPerEpisode;
  const before = (await memory.recall({ text: queries[0]!, k: 10 })).hits.map((h) => h.episode.id);
  memory.close();
  return { figures, bytesPerEpisode, closed: { dir, options, query: queries[0]!, before } };
}

/** Opens the largest memory again from its file (the one measureScales built, now unreachable). */
async function measureReopen({ dir, options, query, before }: Closed): Promise<ReopenFigures> {
  const t0 = performance.now();
  let reopened: EpisodicMemory | undefined = await openSqliteMemory(options);
  const openS = (performance.now() - t0) / 1000;
  const size = reopened.size;
  const after = (await reopened.recall({ text: query, k: 10 })).hits.map((h) => h.episode.id);
  collectGarbage();
  const withMemory = heapBytes();
  reopened.close();
  reopened = undefined;
  collectGarbage();
  const heapBytesPerEpisode = (withMemory - heapBytes()) / size;
  log(`reopened ${size} episodes from SQLite in ${openS.toFixed(1)} s; ${heapBytesPerEpisode.toFixed(0)} heap bytes per episode`);
  rmSync(dir, { recursive: true, force: true });
  return { openS, heapBytesPerEpisode, sameAnswers: JSON.stringify(before) === JSON.stringify(after) };
}

async function measureCues(glove: GloveEmbedder): Promise<{ accuracy: number; abstained: number; p50Ms: number }> {
  const next = createPrng(4, 4);
  const fillers = (role: string) => Array.from({ length: 1_000 }, (_, i) => `${role}-${i}`);
  const pools: Record<Role, string[]> = { agent: fillers("agent"), action: fillers("action"), object: fillers("object"), location: fillers("location"), result: fillers("result") };
  const memory = await openSqliteMemory({ embedder: glove, initialCapacity: CUE_EPISODES });
  const episodes: EpisodeInput[] = Array.from({ length: CUE_EPISODES }, (_, t) => {
    const e = generateEpisode(next, t);
    return { ...e, agent: pick(next, pools.agent), action: pick(next, pools.action), object: pick(next, pools.object), location: pick(next, pools.location), result: pick(next, pools.result) };
  });
  for (let b = 0; b < episodes.length; b += 1_000) await memory.remember(episodes.slice(b, b + 1_000));
  let correct = 0;
  let abstained = 0;
  const ms: number[] = [];
  for (let q = 0; q < CUE_QUERIES; q++) {
    const target = episodes[next() % episodes.length]!;
    const roles = [...ROLES];
    // Two known roles and one asked role, all different, chosen by the seeded stream.
    const shuffled = roles.map((r) => [next(), r] as const).sort((a, b) => a[0] - b[0]).map(([, r]) => r);
    const [r1, r2, ask] = [shuffled[0]!, shuffled[1]!, shuffled[2]!];
    const t0 = performance.now();
    const result = await memory.recall({ cue: { [r1]: target[r1], [r2]: target[r2] }, askRole: ask, k: 5 });
    ms.push(performance.now() - t0);
    if (result.abstained) abstained++;
    const acceptable = new Set(episodes.filter((e) => e[r1] === target[r1] && e[r2] === target[r2]).map((e) => e[ask]));
    if (!result.abstained && acceptable.has(result.answer)) correct++;
  }
  memory.close();
  return { accuracy: correct / CUE_QUERIES, abstained: abstained / CUE_QUERIES, p50Ms: percentile(ms, 50) };
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const glove = GloveEmbedder.load();
  log(`encoder ${glove.identity}; quick=${quick}`);
  const skip = values["skip-ingest"];
  const ingest = skip ? { perS: 0, perCpuS: 0, singlePerS: 0, diskBytesPerEpisode: 0 } : await measureIngest(glove);
  const load = (await import("node:os")).loadavg()[0]!;
  log(`ingest ${ingest.perS.toFixed(0)} episodes/s wall, ${ingest.perCpuS.toFixed(0)} per CPU-second (batches of 500), ${ingest.singlePerS.toFixed(0)}/s one per transaction; load average ${load.toFixed(1)}`);
  const cues = skip ? { accuracy: 0, abstained: 0, p50Ms: 0 } : await measureCues(glove);
  log(`cue answers: accuracy ${cues.accuracy}, abstained ${cues.abstained}`);
  const suiteBuilt = await buildSuiteMemory(glove);
  const suite = await runQuestionSuite(suiteBuilt.memory, suiteBuilt.questions, glove);
  for (const f of suite.failures) log(`suite miss: ${f}`);
  const fusion = values["fit-fusion"] ? await fitFusion(suiteBuilt.memory, suiteBuilt.questions, glove) : undefined;
  suiteBuilt.memory.close();
  log(`question suite: ${JSON.stringify({ ...suite, failures: suite.failures.length })}${fusion ? `; fusion fit ${JSON.stringify(fusion)}` : ""}`);
  const askScale = quick ? 20_000 : 100_000;
  const big = await buildSuiteMemory(glove, askScale);
  const askAtScale = await runQuestionSuite(big.memory, big.questions, glove);
  log(`ask at ${big.memory.size} episodes: ${JSON.stringify({ ...askAtScale, failures: askAtScale.failures.slice(0, 5) })}`);
  const askEpisodes = big.memory.size;
  big.memory.close();
  const { figures, bytesPerEpisode, closed } = await measureScales(glove, [...new Set([SMALL, LARGE])]);
  const reopen = await measureReopen(closed);
  const small = figures.find((f) => f.episodes === SMALL)!;
  const large = figures.find((f) => f.episodes === LARGE)!;
  const out = {
    bench: "memory",
    quick,
    episodes: LARGE,
    dims: 10_240,
    code_bits: CODE_BITS,
    candidates: CANDIDATES,
    rerank: RERANK,
    encoder: glove.identity,
    queries: QUERIES,
    ingest_per_s: Math.round(ingest.perS),
    ingest_per_cpu_s: Math.round(ingest.perCpuS),
    load_average_1m: round(load, 2),
    ingest_single_transaction_per_s: Math.round(ingest.singlePerS),
    [`text_query_p50_ms_at_${SMALL}`]: small.text_query_p50_ms,
    [`text_query_p99_ms_at_${SMALL}`]: small.text_query_p99_ms,
    [`float_baseline_p50_ms_at_${SMALL}`]: small.float_baseline_p50_ms,
    [`recall_at_10_vs_float_at_${SMALL}`]: small.recall_at_10_vs_float,
    text_query_p50_ms: large.text_query_p50_ms,
    text_query_p99_ms: large.text_query_p99_ms,
    float_baseline_p50_ms: large.float_baseline_p50_ms,
    float_baseline_p99_ms: large.float_baseline_p99_ms,
    speedup_vs_float: large.speedup_vs_float,
    recall_at_10_vs_float: large.recall_at_10_vs_float,
    cue_answer_accuracy: round(cues.accuracy, 4),
    cue_abstained: round(cues.abstained, 4),
    cue_query_p50_ms_at_10k: round(cues.p50Ms),
    bytes_per_episode: bytesPerEpisode,
    heap_bytes_per_episode_at_large: Math.round(reopen.heapBytesPerEpisode),
    open_s_at_large: round(reopen.openS, 2),
    reopen_same_answers: reopen.sameAnswers,
    disk_bytes_per_episode: Math.round(ingest.diskBytesPerEpisode),
    ask_scale_episodes: askEpisodes,
    ask_p50_ms_at_scale: askAtScale.ask_p50_ms,
    ask_accuracy_at_scale: askAtScale.accuracy,
    ask_abstention_precision_at_scale: askAtScale.abstention_precision,
    cue_query_p50_ms_at_large: large.cue_query_p50_ms,
    cue_answer_accuracy_at_large: large.cue_answer_accuracy,
    cue_abstained_at_large: large.cue_abstained,
    suite_questions: suite.questions,
    suite_accuracy: suite.accuracy,
    suite_per_kind_n: suite.per_kind_n,
    suite_overall_accuracy: suite.overall_accuracy,
    suite_abstention_precision: suite.abstention_precision,
    suite_abstention_recall: suite.abstention_recall,
    suite_ask_p50_ms: suite.ask_p50_ms,
    ...(fusion ? { fusion_fit: fusion } : {}),
    scales: figures,
    wall_s: round((performance.now() - t0) / 1000, 1),
  };
  console.log(JSON.stringify(out));
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:memory failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
