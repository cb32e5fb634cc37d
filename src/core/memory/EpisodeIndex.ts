/**
 * The in-memory index of every episode: short codes and embeddings in contiguous typed arrays (row
 * i = episode i), so a query is a linear scan with no per-row allocation. The full text and episode
 * hypervectors are not resident (2.5 kB per episode at D = 10,240): they are recomputed for the few
 * rows a cue query reads, which posting lists pick.
 *
 * Free-text search is two-stage because scanning 1M full 10k-bit vectors costs ~800 ms on one core:
 * 1. prefilter: Hamming distance on a short code (the first `codeBits` bits of each text SimHash,
 *    itself a SimHash with fewer projections) for every episode (CodePrefilter);
 * 2. re-rank the candidates, either by the full text hypervector ("hamming") or by the exact cosine
 *    of the stored float32 embeddings ("embedding", the default). Measured on GloVe embeddings of
 *    generated episode descriptions, a 10,240-bit SimHash ranks the top 10 only ~88% like exact cosine
 *    (angles between close neighbours are below its resolution), while a 256-bit prefilter keeps
 *    99.7% of the exact top 10 among 4,000 candidates at 1M episodes; so the exact re-rank is where
 *    recall@10 comes from, and it is also the cheaper re-rank (100 multiply-adds vs 320 XOR-popcounts).
 */
import { hammingAt } from "../hdc/hamming.js";
import type { Hypervector } from "../hdc/hypervector.js";
import { ROLES, type Episode, type Role } from "./types.js";
import { CodePrefilter } from "./codePrefilter.js";
import { RowVectorCache, type RowVectors } from "./RowVectorCache.js";
import { timeToSeconds } from "../time.js";

export interface EpisodeIndexOptions {
  readonly dims: number;
  /** Prefilter code length in bits (multiple of 32, <= dims). */
  readonly codeBits: number;
  /** Dimension of the stored text embeddings (0: none kept, only Hamming re-rank possible). */
  readonly embeddingDims: number;
  readonly initialCapacity?: number;
  /**
   * Recomputes a row's full text and episode hypervectors from the episode and its embedding: they
   * are not kept resident (2.5 kB per episode at D = 10,240), only computed for the few rows a cue
   * query, a cue answer or a summary reads.
   */
  readonly encodeRow: (episode: Episode, embedding: Float32Array) => RowVectors;
}

export interface Filter {
  readonly robotId?: string;
  readonly since?: number;
  readonly until?: number;
}

export interface ScoredIndex {
  readonly index: number;
  /** Hamming distance (text search) or summed distance (cue scoring); lower is better. */
  readonly distance: number;
}

export class EpisodeIndex {
  readonly dims: number;
  readonly words: number;
  readonly codeBits: number;
  readonly codeWords: number;
  private capacity: number;
  private count = 0;
  private codes: Uint32Array;
  private readonly vectors: RowVectorCache;
  private embeddings: Float32Array;
  readonly embeddingDims: number;
  private stamps: Float64Array;
  private durations: Float32Array;
  private robots: Int32Array;
  /** 1 = forgotten: the row's vectors are zeroed and every query skips it (rows are never reused). */
  private removed: Uint8Array;
  private removedCount = 0;
  private readonly robotIds = new Map<string, number>();
  private readonly episodes: (Episode | undefined)[] = [];
  private readonly byId = new Map<string, number>();
  /** Per role, exact filler -> rows holding it (ascending): cue and question filters without a scan. */
  private readonly postings = new Map<Role, Map<string, number[]>>(ROLES.map((r) => [r, new Map()]));
  readonly codeSearch: CodePrefilter;

  constructor(options: EpisodeIndexOptions) {
    this.dims = options.dims;
    this.words = options.dims / 32;
    if (options.codeBits % 32 !== 0 || options.codeBits <= 0 || options.codeBits > options.dims) {
      throw new RangeError(`prefilter code length must be a positive multiple of 32 up to ${options.dims} bits, got ${options.codeBits}`);
    }
    this.codeBits = options.codeBits;
    this.codeWords = options.codeBits / 32;
    this.codeSearch = new CodePrefilter(this.codeWords);
    this.embeddingDims = options.embeddingDims;
    this.capacity = Math.max(16, options.initialCapacity ?? 1024);
    this.embeddings = new Float32Array(this.capacity * this.embeddingDims);
    this.codes = this.codeSearch.allocate(this.capacity);
    this.vectors = new RowVectorCache((i) => options.encodeRow(this.episode(i), this.embeddingOf(i)));
    this.stamps = new Float64Array(this.capacity);
    this.durations = new Float32Array(this.capacity);
    this.robots = new Int32Array(this.capacity);
    this.removed = new Uint8Array(this.capacity);
  }

  /** Rows ever added, forgotten ones included (row numbers are stable). */
  get rows(): number {
    return this.count;
  }

  /** Episodes held (forgotten ones excluded). */
  get size(): number {
    return this.count - this.removedCount;
  }

  isLive(index: number): boolean {
    return index < this.count && this.removed[index] === 0;
  }

  /** Bytes held by the row arrays per stored episode (code + float32 embedding + stamp, duration, robot, removed flag). */
  get bytesPerEpisode(): number {
    return this.codeWords * 4 + this.embeddingDims * 4 + 8 + 4 + 4 + 1;
  }

  private grow(): void {
    const capacity = this.capacity * 2;
    this.codes = this.codeSearch.allocate(capacity, this.codes);
    const embeddings = new Float32Array(capacity * this.embeddingDims);
    embeddings.set(this.embeddings);
    this.embeddings = embeddings;
    const stamps = new Float64Array(capacity);
    stamps.set(this.stamps);
    this.stamps = stamps;
    const robots = new Int32Array(capacity);
    robots.set(this.robots);
    this.robots = robots;
    const durations = new Float32Array(capacity);
    durations.set(this.durations);
    this.durations = durations;
    const removed = new Uint8Array(capacity);
    removed.set(this.removed);
    this.removed = removed;
    this.capacity = capacity;
  }

  /** Adds a row: `code` is the short prefilter code (at least codeBits bits; a full text SimHash works too). */
  add(episode: Episode, code: Uint32Array, embedding: Float32Array, durationS = 0): number {
    if (code.length < this.codeWords) {
      throw new RangeError(`index holds ${this.codeBits}-bit codes, got ${code.length * 32} bits`);
    }
    if (embedding.length !== this.embeddingDims) {
      throw new RangeError(`index holds ${this.embeddingDims}-dimensional embeddings, got ${embedding.length}`);
    }
    if (this.count === this.capacity) this.grow();
    const i = this.count++;
    this.codes.set(code.subarray(0, this.codeWords), i * this.codeWords);
    this.embeddings.set(embedding, i * this.embeddingDims);
    this.stamps[i] = timeToSeconds(episode.stamp);
    let robot = this.robotIds.get(episode.robot_id);
    if (robot === undefined) {
      robot = this.robotIds.size;
      this.robotIds.set(episode.robot_id, robot);
    }
    this.robots[i] = robot;
    this.durations[i] = durationS;
    this.episodes.push(episode);
    this.byId.set(episode.id, i);
    for (const role of ROLES) {
      const filler = episode[role];
      if (filler === "") continue;
      const byFiller = this.postings.get(role)!;
      const list = byFiller.get(filler);
      if (list === undefined) byFiller.set(filler, [i]);
      else list.push(i);
    }
    return i;
  }

  /**
   * Forgets a row: drops the episode object, its id and postings, and zeroes its vectors, so
   * nothing of it stays in RAM; the row number stays taken (others keep theirs).
   */
  remove(index: number): void {
    const episode = this.episodes[index];
    if (episode === undefined) return;
    for (const role of ROLES) {
      const byFiller = this.postings.get(role)!;
      const list = byFiller.get(episode[role]);
      if (list === undefined) continue;
      const at = list.indexOf(index);
      if (at >= 0) list.splice(at, 1);
      if (list.length === 0) byFiller.delete(episode[role]);
    }
    this.byId.delete(episode.id);
    this.episodes[index] = undefined;
    this.codes.fill(0, index * this.codeWords, (index + 1) * this.codeWords);
    this.vectors.drop(index);
    this.embeddings.fill(0, index * this.embeddingDims, (index + 1) * this.embeddingDims);
    this.durations[index] = 0;
    this.removed[index] = 1;
    this.removedCount++;
  }

  episode(index: number): Episode {
    const e = this.episodes[index];
    if (e === undefined) throw new RangeError(`no episode at index ${index}`);
    return e;
  }

  /** Seconds since the epoch of a row's stamp. */
  stampOf(index: number): number {
    return this.stamps[index]!;
  }

  durationOf(index: number): number {
    return this.durations[index]!;
  }

  /** Rows whose `role` is exactly `filler` (ascending; empty when none). Do not modify. */
  rowsWith(role: Role, filler: string): readonly number[] {
    return this.postings.get(role)!.get(filler) ?? [];
  }

  /** Distinct fillers stored for a role, each with the live rows holding it. */
  fillers(role: Role): ReadonlyMap<string, readonly number[]> {
    return this.postings.get(role)!;
  }

  /** Whether a row passes a filter (and is not forgotten). */
  passes(index: number, filter: Filter | undefined): boolean {
    const m = this.matcher(filter);
    return m === undefined ? this.isLive(index) : m(index);
  }

  indexOf(id: string): number | undefined {
    return this.byId.get(id);
  }

  /** The row's stored embedding (a view: do not modify). */
  embeddingOf(index: number): Float32Array {
    return this.embeddings.subarray(index * this.embeddingDims, (index + 1) * this.embeddingDims);
  }

  /** The row's full text hypervector, recomputed (or from the small cache of recent rows). */
  textVector(index: number): Hypervector {
    return this.vectors.get(index).text;
  }

  /** The row's episode hypervector, recomputed (or from the small cache of recent rows). */
  episodeVector(index: number): Hypervector {
    return this.vectors.get(index).vector;
  }

  /**
   * The `top` rows of `rows` nearest to a query embedding by cosine, best first (ties: the order
   * given). Cheap (one dot product per row), so it orders many cue candidates before a few are encoded.
   */
  nearestByEmbedding(rows: readonly number[], query: Float32Array, top: number): number[] {
    const d = this.embeddingDims;
    const e = this.embeddings;
    const scored = rows.map((i, order) => {
      let dot = 0;
      let norm = 0;
      for (let j = 0, at = i * d; j < d; j++, at++) {
        dot += e[at]! * query[j]!;
        norm += e[at]! * e[at]!;
      }
      return { i, order, cos: norm > 0 ? dot / Math.sqrt(norm) : 0 };
    });
    scored.sort((a, b) => b.cos - a.cos || a.order - b.order);
    return scored.slice(0, top).map((s) => s.i);
  }

  /** A predicate over indices, or undefined when the filter lets everything through. */
  matcher(filter: Filter | undefined): ((i: number) => boolean) | undefined {
    const robot = filter?.robotId ? this.robotIds.get(filter.robotId) ?? -1 : undefined;
    const since = filter?.since ?? -Infinity;
    const until = filter?.until ?? Infinity;
    const removed = this.removed;
    const anyRemoved = this.removedCount > 0;
    if (robot === undefined && since === -Infinity && until === Infinity) return anyRemoved ? (i) => removed[i] === 0 : undefined;
    const robots = this.robots;
    const stamps = this.stamps;
    return (i) => removed[i] === 0 && (robot === undefined || robots[i] === robot) && stamps[i]! >= since && stamps[i]! <= until;
  }

  /**
   * Top-k episodes for a text query via the short-code prefilter keeping `candidates` rows, then a
   * re-rank. Distances are Hamming distances over the full text vector; for the "embedding" re-rank
   * they are the expected Hamming distance of that cosine, dims * angle / pi, so scores stay comparable.
   */
  searchText(
    query: Hypervector,
    queryEmbedding: Float32Array | undefined,
    k: number,
    candidates: number,
    filter?: Filter,
  ): ScoredIndex[] {
    if (this.count === 0) return [];
    const matches = this.matcher(filter);
    const pool = this.prefilter(query, Math.max(k, candidates), matches);
    const exact = queryEmbedding !== undefined && this.embeddingDims > 0 && queryEmbedding.length === this.embeddingDims;
    const d = this.embeddingDims;
    const e = this.embeddings;
    // Top k by a "badness" (Hamming distance, or -cosine), kept sorted by insertion: k is small and
    // this avoids allocating and sorting an object per candidate.
    const top = Math.min(k, pool.length);
    const bad = new Float64Array(top).fill(Infinity);
    const rows = new Int32Array(top).fill(-1);
    for (let c = 0; c < pool.length; c++) {
      const i = pool[c]!;
      let b: number;
      if (exact) {
        let dot = 0;
        let norm = 0;
        for (let j = 0, at = i * d; j < d; j++, at++) {
          const x = e[at]!;
          dot += x * queryEmbedding[j]!;
          norm += x * x;
        }
        b = norm > 0 ? -dot / Math.sqrt(norm) : 0;
      } else {
        // Recomputed per candidate (~0.25 ms each): the "hamming" re-rank is for experiments only.
        b = hammingAt(this.textVector(i), 0, query, 0, this.words);
      }
      if (b < bad[top - 1]! || (b === bad[top - 1]! && i < rows[top - 1]!)) {
        let p = top - 1;
        while (p > 0 && (bad[p - 1]! > b || (bad[p - 1]! === b && rows[p - 1]! > i))) {
          bad[p] = bad[p - 1]!;
          rows[p] = rows[p - 1]!;
          p--;
        }
        bad[p] = b;
        rows[p] = i;
      }
    }
    const out: ScoredIndex[] = [];
    for (let p = 0; p < top; p++) {
      if (rows[p]! < 0) continue;
      const b = bad[p]!;
      const distance = exact ? (this.dims * Math.acos(Math.max(-1, Math.min(1, -b)))) / Math.PI : b;
      out.push({ index: rows[p]!, distance });
    }
    return out;
  }

  /** Indices of the `want` rows nearest by short code (see CodePrefilter). */
  prefilter(query: Hypervector, want: number, matches?: (i: number) => boolean): Int32Array {
    return this.codeSearch.nearest(this.codes, this.count, query, want, matches);
  }

  /**
   * Scores the given (filtered) rows by their summed Hamming distance to a set of probes (role-filler
   * pairs against the episode vector; optionally the text vector) and returns the `top` best. The
   * vectors are recomputed per row, so callers pass a few candidates (posting lists), never every row.
   */
  scoreProbes(
    episodeProbes: readonly Hypervector[],
    textProbe: Hypervector | undefined,
    top: number,
    /** The candidate rows (e.g. from posting lists). */
    rows: readonly number[],
    filter?: Filter,
  ): ScoredIndex[] {
    const matches = this.matcher(filter);
    const w = this.words;
    const best: ScoredIndex[] = [];
    let worst = Infinity;
    for (const i of rows) {
      if (matches !== undefined && !matches(i)) continue;
      if (!this.isLive(i)) continue;
      const { text, vector } = this.vectors.get(i);
      let d = 0;
      for (const p of episodeProbes) d += hammingAt(vector, 0, p, 0, w);
      if (textProbe !== undefined) d += hammingAt(text, 0, textProbe, 0, w);
      if (best.length < top || d < worst) {
        best.push({ index: i, distance: d });
        if (best.length > top * 2) {
          best.sort((a, b) => a.distance - b.distance || a.index - b.index);
          best.length = top;
          worst = best[top - 1]!.distance;
        }
      }
    }
    best.sort((a, b) => a.distance - b.distance || a.index - b.index);
    return best.slice(0, top);
  }
}
