/**
 * Recall across the fleet: the local memory's query kinds, answered from the fleet store.
 *
 * - Free text: the query is embedded and SimHashed by this robot's own encoder (the fleet store
 *   checks every robot shares its seed, dimension and encoder), candidates come from the
 *   prefilter code's Hamming distance ("cached": scanned here, see FleetCodeCache; "sql":
 *   bit_count(code # query) in PostgreSQL), and are re-ranked by the exact cosine of their stored
 *   embeddings, as the local memory does by default.
 * - A cue of roles: episodes whose role columns equal every given filler, newest first; ask_role is
 *   answered by the filler most of them share, its confidence the margin over the runner-up.
 * - Filters only: the newest episodes that pass them.
 */
import type { TextEmbedder } from "../embedding/types.js";
import type { EpisodeEncoder } from "../memory/EpisodeEncoder.js";
import type { RecallHit, RecallQuery, RecallResult, Role } from "../memory/types.js";
import type { FleetEpisodeFilter, FleetReader } from "./FleetStore.js";
import { FleetCodeCache } from "./FleetCodeCache.js";
import { fleetCodeOfWords } from "./fleetCode.js";

export type FleetPrefilter = "cached" | "sql";

export interface FleetRecallOptions {
  readonly reader: FleetReader;
  readonly encoder: EpisodeEncoder;
  readonly embedder: TextEmbedder;
  /** Where the code prefilter runs (default "cached"; bench/fleet.ts compares the two). */
  readonly prefilter?: FleetPrefilter;
}

export interface FleetRecallTuning {
  readonly k: number;
  readonly candidates: number;
  readonly threshold: number;
}

const clamp01 = (x: number) => (x < 0 ? 0 : x > 1 ? 1 : x);

export class FleetRecall {
  private readonly reader: FleetReader;
  private readonly encoder: EpisodeEncoder;
  private readonly embedder: TextEmbedder;
  private readonly prefilter: FleetPrefilter;
  readonly cache: FleetCodeCache;

  constructor(options: FleetRecallOptions) {
    this.reader = options.reader;
    this.encoder = options.encoder;
    this.embedder = options.embedder;
    this.prefilter = options.prefilter ?? "cached";
    this.cache = new FleetCodeCache(options.reader);
  }

  async recall(query: RecallQuery, tuning: FleetRecallTuning): Promise<RecallResult> {
    const k = query.k || tuning.k;
    const filter: FleetEpisodeFilter = {
      ...(query.robotId ? { robotId: query.robotId } : {}),
      ...(query.since !== undefined ? { since: query.since } : {}),
      ...(query.until !== undefined ? { until: query.until } : {}),
    };
    const cue = Object.fromEntries(Object.entries(query.cue ?? {}).filter(([, v]) => typeof v === "string" && v !== "")) as Record<Role, string>;
    if (Object.keys(cue).length > 0) return this.byCue(cue, query.askRole, k, filter, tuning.threshold);
    const text = (query.text ?? "").trim();
    if (text !== "") return this.byText(text, k, filter, tuning);
    const rows = await this.reader.recentEpisodes(k, filter);
    return {
      hits: rows.map((r) => ({ episode: r.episode, score: 1 })),
      answer: "",
      confidence: rows.length > 0 ? 1 : 0,
      abstained: rows.length === 0,
      explanation: `fleet: ${rows.length} most recent episode(s) passing the filters`,
    };
  }

  private async byText(text: string, k: number, filter: FleetEpisodeFilter, tuning: FleetRecallTuning): Promise<RecallResult> {
    const embedding = this.embedder.embedSync !== undefined ? this.embedder.embedSync(text) : (await this.embedder.embed([text]))[0];
    if (embedding === undefined || embedding.every((x) => x === 0)) return abstain("fleet: the query has no word the text encoder knows");
    const code = fleetCodeOfWords(this.encoder.encodeText(embedding));
    const want = Math.max(k, tuning.candidates);
    let rowIds: number[];
    if (this.prefilter === "cached") {
      await this.cache.refresh();
      rowIds = this.cache.nearest(code, want, filter);
    } else {
      rowIds = await this.reader.nearestCodes(code, want, filter);
    }
    const rows = await this.reader.episodesByRowIds(rowIds, true);
    let qnorm = 0;
    for (const x of embedding) qnorm += x * x;
    qnorm = Math.sqrt(qnorm);
    const scored: RecallHit[] = rows.map((r) => {
      const e = r.embedding!;
      let dot = 0;
      let norm = 0;
      for (let j = 0; j < e.length; j++) {
        dot += e[j]! * embedding[j]!;
        norm += e[j]! * e[j]!;
      }
      const cosine = norm > 0 && qnorm > 0 ? dot / (Math.sqrt(norm) * qnorm) : 0;
      // The local memory's scale: 1 - angle / pi (what a full-length SimHash estimates).
      return { episode: r.episode, score: 1 - Math.acos(Math.max(-1, Math.min(1, cosine))) / Math.PI };
    });
    scored.sort((a, b) => b.score - a.score);
    const hits = scored.slice(0, k);
    const best = hits[0]?.score ?? 0;
    const confidence = clamp01((best - 0.55) / 0.12);
    return {
      hits,
      answer: "",
      confidence,
      abstained: confidence < tuning.threshold,
      explanation: hits.length === 0 ? "fleet: no episode passes the filters" : `fleet: nearest episode similarity ${best.toFixed(3)} among ${rows.length} candidates`,
    };
  }

  private async byCue(cue: Record<Role, string>, askRole: Role | undefined, k: number, filter: FleetEpisodeFilter, threshold: number): Promise<RecallResult> {
    const rows = await this.reader.matchRoles(cue, Math.max(k, 200), filter);
    const hits = rows.slice(0, k).map((r) => ({ episode: r.episode, score: 1 }));
    const described = Object.entries(cue).map(([r, v]) => `${r}=${v}`).join(", ");
    if (rows.length === 0) return abstain(`fleet: no episode has ${described}`);
    if (askRole === undefined) {
      return { hits, answer: "", confidence: 1, abstained: false, explanation: `fleet: ${rows.length}${rows.length >= 200 ? "+" : ""} episode(s) with ${described}` };
    }
    const votes = new Map<string, number>();
    for (const r of rows) {
      const filler = r.episode[askRole];
      if (filler !== "") votes.set(filler, (votes.get(filler) ?? 0) + 1);
    }
    const ranked = [...votes.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    const [top, second] = ranked;
    const confidence = top === undefined ? 0 : (top[1] - (second?.[1] ?? 0)) / rows.length;
    const abstained = top === undefined || confidence < threshold;
    const explanation = top === undefined
      ? `fleet: ${rows.length} episode(s) with ${described}, none with a ${askRole}`
      : `fleet: ${askRole}=${top[0]} in ${top[1]} of ${rows.length} episode(s) with ${described}${second ? ` (next: ${second[0]}, ${second[1]})` : ""}`;
    return { hits, answer: abstained ? "" : top[0], confidence, abstained, explanation: abstained ? `abstained (confidence ${confidence.toFixed(2)} < ${threshold}): ${explanation}` : explanation };
  }
}

function abstain(explanation: string): RecallResult {
  return { hits: [], answer: "", confidence: 0, abstained: true, explanation };
}
