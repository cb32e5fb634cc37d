/**
 * The episodic memory: episodes encoded as hypervectors (EpisodeEncoder), kept in a contiguous
 * in-memory index (EpisodeIndex), persisted in an injected store (EpisodeStorePort), queried by free text, by a
 * partial cue of roles, or both, with filters by robot and time.
 */
import type { SimHashKind } from "../hdc/SimHashProjection.js";
import type { TextEmbedder } from "../embedding/types.js";
import { answerCue, cueMatchStrength } from "./answerCue.js";
import { cueCandidates } from "./cueCandidates.js";
import { describeRoles } from "./describeOutcome.js";
import { MAX_FIELD_CHARS } from "./limits.js";
import { EpisodeEncoder } from "./EpisodeEncoder.js";
import { EpisodeIndex, type Filter, type ScoredIndex } from "./EpisodeIndex.js";
import type { EpisodeStoreFactory, EpisodeStorePort, KeywordHit } from "./EpisodeStorePort.js";
import { InvalidEpisodeError, InvalidQueryError } from "./errors.js";
import { PrototypeSummaries, type PrototypeSummary } from "./PrototypeSummaries.js";
import { ROLES, isRole, type Episode, type EpisodeInput, type RecallHit, type RecallQuery, type RecallResult, type Role } from "./types.js";
import type { Hypervector } from "../hdc/hypervector.js";
import { isValidTime } from "../time.js";

export interface EpisodicMemoryOptions {
  readonly embedder: TextEmbedder;
  /**
   * The durable store, opened for this memory's identity: the node builds the concrete one
   * (sqlite/openSqliteMemory.ts is the one-call SQLite form for tests and tools).
   */
  readonly store: EpisodeStoreFactory;
  /** Hypervector bits (multiple of 32; default 10,240). */
  readonly dims?: number;
  /** Item-memory seed, stored with the memory (default 0x5eed). */
  readonly seed?: number;
  /** Prefilter code bits (default 256). */
  readonly codeBits?: number;
  /** Candidates re-ranked after the prefilter (default 4,000). */
  readonly candidates?: number;
  readonly simhash?: SimHashKind;
  /**
   * Re-rank of prefilter candidates for text queries: "embedding" (exact cosine of the stored
   * embeddings; default, recall@10 ~1 vs exact search) or "hamming" (full text hypervector only).
   */
  readonly rerank?: "embedding" | "hamming";
  /** Episodes returned when a query gives k = 0 (default 5). */
  readonly defaultK?: number;
  /** Confidence below which the memory abstains (default 0.5). */
  readonly threshold?: number;
  readonly initialCapacity?: number;
  /** Clock for episodes stamped zero (default: the system clock). */
  readonly now?: () => { sec: number; nanosec: number };
}

type Resolved = Required<EpisodicMemoryOptions>;

function resolveOptions(o: EpisodicMemoryOptions): Resolved {
  return {
    embedder: o.embedder,
    store: o.store,
    dims: o.dims ?? 10_240,
    seed: (o.seed ?? 0x5eed) >>> 0,
    codeBits: o.codeBits ?? 256,
    candidates: o.candidates ?? 4_000,
    simhash: o.simhash ?? "structured",
    rerank: o.rerank ?? "embedding",
    defaultK: o.defaultK ?? 5,
    threshold: o.threshold ?? 0.5,
    initialCapacity: o.initialCapacity ?? 1024,
    now: o.now ?? (() => {
      const ms = Date.now();
      return { sec: Math.floor(ms / 1000), nanosec: (ms % 1000) * 1e6 };
    }),
  };
}

/** Longest accepted text field: descriptions longer than this are a caller bug, not a memory. */
const MAX_FIELD = MAX_FIELD_CHARS;
/**
 * Cue candidates whose hypervectors a cue query recomputes and scores (more when k is larger):
 * ~0.3 ms each, so this bounds a cue query at any scale.
 */
const CUE_SCORED = 32;
/**
 * Bits of the text SimHash stored per episode, at least: the fleet's prefilter code is the first
 * 256 of them whatever code_bits is (src/core/fleet/fleetCode.ts).
 */
const STORED_CODE_BITS_MIN = 256;
/** Most episodes one recall returns. */
export const MAX_K = 1000;

/** What to forget; every given condition must hold. */
export interface ForgetSelector {
  readonly ids?: readonly string[];
  readonly robotId?: string;
  readonly since?: number;
  readonly until?: number;
  /** Words that must all occur in the description (FTS5). */
  readonly textMatch?: string;
}

export class EpisodicMemory {
  /** Resolved options; the query tuning (threshold, defaultK, candidates) changes via setTuning. */
  options: Resolved;
  readonly encoder: EpisodeEncoder;
  readonly index: EpisodeIndex;
  readonly summaries: PrototypeSummaries;
  private readonly store: EpisodeStorePort;
  private nextSeq: number;

  private constructor(options: Resolved, store: EpisodeStorePort) {
    this.options = options;
    this.store = store;
    this.encoder = new EpisodeEncoder({
      dims: options.dims,
      seed: options.seed,
      embeddingDims: options.embedder.dimensions,
      simhash: options.simhash,
    });
    this.index = new EpisodeIndex({
      dims: options.dims,
      codeBits: options.codeBits,
      embeddingDims: options.embedder.dimensions,
      initialCapacity: options.initialCapacity,
      encodeRow: (episode, embedding) => {
        const text = this.encoder.encodeText(embedding);
        return { text, vector: this.encoder.encodeEpisode(episode, text) };
      },
    });
    this.summaries = new PrototypeSummaries(this.encoder, this.index);
    this.nextSeq = 1;
  }

  /** Opens (or creates) a memory; restores every stored episode with its stored vectors. */
  static async open(options: EpisodicMemoryOptions): Promise<EpisodicMemory> {
    const o = resolveOptions(options);
    const store = o.store({
      dimensions: o.dims,
      seed: o.seed,
      encoder: o.embedder.identity,
      simhash: o.simhash,
      code_bits: o.codeBits,
      format: 1,
    });
    // Sized for what the store holds: growing by doubling copies every array at each step.
    const memory = new EpisodicMemory({ ...o, initialCapacity: Math.max(o.initialCapacity, store.count() + 1024) }, store);
    for (const s of store.loadAll()) memory.addToIndex(s.episode, s.code, s.embedding, s.durationS);
    return memory;
  }

  get size(): number {
    return this.index.size;
  }

  /** Query tuning that may change while running (a node's parameters); applies from the next query. */
  setTuning(tuning: { threshold?: number; defaultK?: number; candidates?: number }): void {
    this.options = {
      ...this.options,
      ...(tuning.threshold !== undefined ? { threshold: tuning.threshold } : {}),
      ...(tuning.defaultK !== undefined ? { defaultK: tuning.defaultK } : {}),
      ...(tuning.candidates !== undefined ? { candidates: tuning.candidates } : {}),
    };
  }

  has(id: string): boolean {
    return this.index.indexOf(id) !== undefined;
  }

  get identity(): string {
    return this.options.embedder.identity;
  }

  private addToIndex(episode: Episode, code: Uint32Array, embedding: Float32Array, durationS: number): void {
    this.encoder.registerFillers(episode);
    const i = this.index.add(episode, code, embedding, durationS);
    this.summaries.add(i);
    const seq = generatedSeq(episode.id);
    if (seq >= 0) this.nextSeq = Math.max(this.nextSeq, seq + 1);
  }

  private normalize(input: EpisodeInput, seen: Set<string>): Episode {
    for (const field of ["robot_id", "agent", "action", "object", "location", "result", "description", "source"] as const) {
      const v = input[field];
      if (typeof v !== "string") throw new InvalidEpisodeError(`${field} must be a string`);
      if (v.length > MAX_FIELD) throw new InvalidEpisodeError(`${field} is longer than ${MAX_FIELD} characters`);
    }
    const durationS = input.durationS ?? 0;
    if (!Number.isFinite(durationS) || durationS < 0) throw new InvalidEpisodeError(`duration must be a finite number of seconds >= 0, got ${durationS}`);
    const { sec, nanosec } = input.stamp;
    if (!isValidTime(input.stamp)) {
      throw new InvalidEpisodeError(`stamp must be whole sec >= 0 and nanosec in [0, 1e9), got ${sec}.${nanosec}`);
    }
    const description = input.description.trim() || describeRoles(input);
    if (description === "") throw new InvalidEpisodeError("an episode needs a description or at least one role");
    let id = input.id ?? "";
    if (id === "") id = `ep-${this.nextSeq++}`;
    if (this.index.indexOf(id) !== undefined || seen.has(id)) throw new InvalidEpisodeError(`id ${id} already exists`);
    seen.add(id);
    const stamp = sec === 0 && nanosec === 0 ? this.options.now() : { sec, nanosec };
    const { durationS: _duration, ...fields } = input;
    return { ...fields, id, stamp, description };
  }

  /**
   * Stores episodes (ids assigned when empty). Durable when the promise resolves: all of them are
   * committed in one SQLite transaction before any is indexed, so a failure stores none.
   */
  async remember(inputs: readonly EpisodeInput[]): Promise<Episode[]> {
    // Ids taken by a batch that then fails are not reused: a gap in the numbering is harmless,
    // handing one id to two episodes (with an async encoder, batches can interleave) is not.
    const seen = new Set<string>();
    const episodes = inputs.map((e) => this.normalize(e, seen));
    const durations = inputs.map((e) => e.durationS ?? 0);
    const embedder = this.options.embedder;
    const embeddings =
      embedder.embedSync !== undefined
        ? episodes.map((e) => embedder.embedSync!(e.description))
        : await embedder.embed(episodes.map((e) => e.description));
    // Only a prefix of the text SimHash is kept; the full vectors are recomputed when read.
    const codeWords = Math.min(this.options.dims, Math.max(this.options.codeBits, STORED_CODE_BITS_MIN)) / 32;
    const encoded = episodes.map((episode, j) => ({
      episode,
      durationS: durations[j]!,
      embedding: embeddings[j]!,
      code: this.encoder.encodeText(embeddings[j]!).slice(0, codeWords),
    }));
    this.store.append(encoded);
    for (const e of encoded) this.addToIndex(e.episode, e.code, e.embedding, e.durationS);
    return episodes;
  }

  async recall(query: RecallQuery): Promise<RecallResult> {
    const k = query.k === undefined || query.k === 0 ? this.options.defaultK : query.k;
    if (!Number.isInteger(k) || k < 1 || k > MAX_K) throw new InvalidQueryError(`k must be 0 (default) or 1..${MAX_K}, got ${query.k}`);
    if (query.askRole !== undefined && !isRole(query.askRole)) {
      throw new InvalidQueryError(`ask_role must be one of ${ROLES.join(", ")} or '', got "${String(query.askRole)}"`);
    }
    if (query.since !== undefined && query.until !== undefined && query.since > query.until) {
      throw new InvalidQueryError("since is after until");
    }
    const text = (query.text ?? "").trim();
    if (text.length > MAX_FIELD) throw new InvalidQueryError(`query text is longer than ${MAX_FIELD} characters`);
    const cue = Object.entries(query.cue ?? {}).filter(([, v]) => typeof v === "string" && v !== "") as [Role, string][];
    const filter: Filter = {
      ...(query.robotId ? { robotId: query.robotId } : {}),
      ...(query.since !== undefined ? { since: query.since } : {}),
      ...(query.until !== undefined ? { until: query.until } : {}),
    };
    const threshold = this.options.threshold;
    const dims = this.options.dims;

    let textHv: Hypervector | undefined;
    let queryEmbedding: Float32Array | undefined;
    if (text !== "") {
      const embedder = this.options.embedder;
      const embedding = embedder.embedSync !== undefined ? embedder.embedSync(text) : (await embedder.embed([text]))[0];
      if (embedding === undefined || embedding.every((x) => x === 0)) {
        if (cue.length === 0) return abstain("the query has no word the text encoder knows");
      } else {
        textHv = this.encoder.encodeText(embedding);
        queryEmbedding = embedding;
      }
    }

    if (cue.length > 0) {
      const probes = cue.map(([role, filler]) => this.encoder.probe(role, filler));
      const parts = probes.length + (textHv ? 1 : 0);
      const textProbe = textHv;
      const nearestToText = textProbe && ((want: number) => this.index.searchText(textProbe, queryEmbedding, want, this.options.candidates, filter).map((r) => r.index));
      const candidates = cueCandidates(this.index, cue, Math.max(k, CUE_SCORED), filter, queryEmbedding, nearestToText);
      const ranked = this.index.scoreProbes(probes, textHv, Math.max(k, 64), candidates, filter);
      const cueAnswer = answerCue(this.encoder, this.index, ranked, probes, query.askRole);
      // Episodes that match every cue role first, then the rest by score.
      const matchedSet = new Set(cueAnswer.matched);
      const ordered = [...ranked.filter((r) => matchedSet.has(r.index)), ...ranked.filter((r) => !matchedSet.has(r.index))];
      const hits = this.toHits(ordered.slice(0, k), dims * parts);
      const abstained = cueAnswer.confidence < threshold;
      return {
        hits,
        answer: abstained ? "" : cueAnswer.answer,
        confidence: cueAnswer.confidence,
        abstained,
        explanation: abstained ? `abstained (confidence ${cueAnswer.confidence.toFixed(2)} < ${threshold}): ${cueAnswer.explanation}` : cueAnswer.explanation,
      };
    }

    if (textHv !== undefined) {
      const ranked = this.index.searchText(
        textHv,
        this.options.rerank === "embedding" ? queryEmbedding : undefined,
        k,
        this.options.candidates,
        filter,
      );
      const hits = this.toHits(ranked, dims);
      const best = hits[0]?.score ?? 0;
      // Text-HV similarity is 1 - angle/pi: cosine 0.2 (unrelated GloVe sentences) -> 0.56,
      // cosine 0.5 -> 0.67, cosine 0.7 -> 0.75. Confidence rises over that band.
      let confidence = clamp01((best - 0.55) / 0.12);
      let answer = "";
      let explanation = hits.length === 0 ? "no episode passes the filters" : `nearest episode similarity ${best.toFixed(3)}`;
      if (query.askRole !== undefined && ranked.length > 0) {
        const a = answerCue(this.encoder, this.index, ranked, [], query.askRole);
        confidence *= a.confidence;
        answer = a.answer;
        explanation = `${explanation}; ${a.explanation}`;
      }
      const abstained = confidence < threshold;
      return { hits, answer: abstained ? "" : answer, confidence, abstained, explanation };
    }

    if (text === "" && !query.robotId && query.since === undefined && query.until === undefined) {
      throw new InvalidQueryError("give a query text, a cue role, or a filter");
    }
    // Filters only: the most recent matching episodes.
    const recent: ScoredIndex[] = [];
    for (let i = this.index.rows - 1; i >= 0 && recent.length < k; i--) {
      if (this.index.passes(i, filter)) recent.push({ index: i, distance: 0 });
    }
    return {
      hits: this.toHits(recent, 1),
      answer: "",
      confidence: recent.length > 0 ? 1 : 0,
      abstained: recent.length === 0,
      explanation: `${recent.length} most recent episode(s) passing the filters`,
    };
  }

  /** Seconds the episode's action took (0 when unknown); undefined for an unknown id. */
  durationOf(id: string): number | undefined {
    const i = this.index.indexOf(id);
    return i === undefined ? undefined : this.index.durationOf(i);
  }

  /** BM25 keyword search over descriptions (SQLite FTS5), best first, at most `limit` hits. */
  searchKeywords(terms: readonly string[], limit: number, mode: "any" | "all" = "any"): KeywordHit[] {
    return this.store.searchKeywords(terms, limit, mode);
  }

  /**
   * The ids a forget selector names: every given condition must hold (ids, robot, time range, a
   * full-text match of all the words of `textMatch`). Unknown ids are ignored.
   */
  selectForForget(selector: ForgetSelector): string[] {
    const index = this.index;
    const passes = index.matcher({
      ...(selector.robotId ? { robotId: selector.robotId } : {}),
      ...(selector.since !== undefined ? { since: selector.since } : {}),
      ...(selector.until !== undefined ? { until: selector.until } : {}),
    }) ?? ((i: number) => index.isLive(i));
    let rows =
      selector.ids !== undefined && selector.ids.length > 0
        ? selector.ids.map((id) => index.indexOf(id)).filter((i): i is number => i !== undefined)
        : Array.from({ length: index.rows }, (_, i) => i);
    if (selector.textMatch) {
      const words = selector.textMatch.split(/\s+/);
      const matching = new Set(this.store.searchKeywords(words, Number.MAX_SAFE_INTEGER, "all").map((h) => h.id));
      rows = rows.filter((i) => index.isLive(i) && matching.has(index.episode(i).id));
    }
    return [...new Set(rows)].filter((i) => passes(i)).sort((a, b) => a - b).map((i) => index.episode(i).id);
  }

  /**
   * Forgets episodes for good: deleted from the SQLite file (secure_delete, WAL checkpointed),
   * then from the in-memory index, postings and summaries. Returns the ids that were forgotten.
   */
  forget(ids: readonly string[]): string[] {
    const known = [...new Set(ids)].filter((id) => this.index.indexOf(id) !== undefined);
    // Disk first: if the delete fails, RAM still matches the file, and the caller can retry.
    this.store.forget(known);
    for (const id of known) {
      const i = this.index.indexOf(id)!;
      const episode = this.index.episode(i);
      this.summaries.remove(i, episode);
      this.index.remove(i);
    }
    return known;
  }

  /** Cue match strength of a stored episode (for tests and diagnostics). */
  cueStrength(id: string, cue: Partial<Record<Role, string>>): number {
    const i = this.index.indexOf(id);
    if (i === undefined) throw new InvalidQueryError(`no episode ${id}`);
    const probes = Object.entries(cue).map(([r, f]) => this.encoder.probe(r as Role, f!));
    return cueMatchStrength(this.encoder, this.index, i, probes);
  }

  summarize(action: string, object: string): PrototypeSummary {
    return this.summaries.summarize(action, object);
  }

  /** Figures for diagnostics. */
  stats(): { episodes: number; dims: number; codeBits: number; bytesPerEpisodeInMemory: number; fileBytes: number; encoder: string } {
    return {
      episodes: this.index.size,
      dims: this.options.dims,
      codeBits: this.options.codeBits,
      bytesPerEpisodeInMemory: this.index.bytesPerEpisode,
      fileBytes: this.store.fileBytes() ?? 0,
      encoder: this.options.embedder.identity,
    };
  }

  private toHits(ranked: readonly ScoredIndex[], scale: number): RecallHit[] {
    return ranked.map((r) => ({ episode: this.index.episode(r.index), score: 1 - r.distance / scale }));
  }

  close(): void {
    this.store.close();
  }
}

function abstain(explanation: string): RecallResult {
  return { hits: [], answer: "", confidence: 0, abstained: true, explanation };
}

function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}

/** N of a generated id "ep-N" (digits only), else -1: read for every episode at open, so no regex. */
function generatedSeq(id: string): number {
  if (id.length < 4 || !id.startsWith("ep-")) return -1;
  let n = 0;
  for (let i = 3; i < id.length; i++) {
    const digit = id.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    n = n * 10 + digit;
  }
  return n;
}
