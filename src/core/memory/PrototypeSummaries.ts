/**
 * Per-(action, object) summaries. A majority bundle only recalls its items while they are few
 * (~100-150 at D = 10,000), so the episodes of a key are bundled in chunks of at most
 * capacityFor(dims) and every chunk is decoded on its own; nothing ever bundles more.
 * Prototypes are built on demand from the stored episode vectors (cheap: one majority per chunk),
 * so the summaries cost no memory per key beyond a list of indices.
 */
import { unbind } from "../hdc/bind.js";
import { majority } from "../hdc/bundle.js";
import type { Hypervector } from "../hdc/hypervector.js";
import type { EpisodeEncoder } from "./EpisodeEncoder.js";
import type { EpisodeIndex } from "./EpisodeIndex.js";
import { ROLES, type Role } from "./types.js";

/** Items one majority bundle may hold at `dims` bits: 120 at 10,240 (the recall limit, with margin). */
export function capacityFor(dims: number): number {
  return Math.max(1, Math.floor(dims / 85));
}

export interface PrototypeSummary {
  readonly action: string;
  readonly object: string;
  readonly episodes: number;
  /** Items in each chunk prototype; every entry <= capacity. */
  readonly chunkSizes: readonly number[];
  readonly capacity: number;
  /** Decoded from the prototypes: per role, filler -> episodes whose chunk voted for it. */
  readonly decoded: Readonly<Record<Exclude<Role, "action" | "object">, Readonly<Record<string, number>>>>;
}

export class PrototypeSummaries {
  /** action -> object -> rows: two lookups of interned strings, no key string built per episode (a million at open). */
  private readonly members = new Map<string, Map<string, number[]>>();

  constructor(
    private readonly encoder: EpisodeEncoder,
    private readonly index: EpisodeIndex,
  ) {}

  private list(action: string, object: string): number[] | undefined {
    return this.members.get(action)?.get(object);
  }

  add(i: number): void {
    const e = this.index.episode(i);
    if (e.action === "" && e.object === "") return;
    let byObject = this.members.get(e.action);
    if (byObject === undefined) this.members.set(e.action, (byObject = new Map()));
    let list = byObject.get(e.object);
    if (list === undefined) byObject.set(e.object, (list = []));
    list.push(i);
  }

  /** Drops a forgotten row from its summary. */
  remove(i: number, episode: { action: string; object: string }): void {
    const list = this.list(episode.action, episode.object);
    const at = list?.indexOf(i) ?? -1;
    if (list !== undefined && at >= 0) list.splice(at, 1);
  }

  get keys(): number {
    let keys = 0;
    for (const byObject of this.members.values()) keys += byObject.size;
    return keys;
  }

  /** Chunk prototypes of a key (each a majority of <= capacity episode vectors). */
  prototypes(action: string, object: string): { size: number; vector: Hypervector }[] {
    const list = this.list(action, object) ?? [];
    const capacity = capacityFor(this.encoder.dims);
    const out: { size: number; vector: Hypervector }[] = [];
    for (let start = 0; start < list.length; start += capacity) {
      const chunk = list.slice(start, start + capacity);
      out.push({ size: chunk.length, vector: majority(chunk.map((i) => this.index.episodeVector(i))) });
    }
    return out;
  }

  summarize(action: string, object: string): PrototypeSummary {
    const protos = this.prototypes(action, object);
    const decoded = { agent: {}, location: {}, result: {} } as Record<"agent" | "location" | "result", Record<string, number>>;
    for (const { size, vector } of protos) {
      for (const role of ROLES) {
        if (role === "action" || role === "object") continue;
        const clean = this.encoder.itemMemory(role).cleanup(unbind(vector, this.encoder.roleKey(role)));
        // A bundle of many episodes keeps only its dominant fillers above chance.
        if (clean === undefined || clean.similarity < 0.52) continue;
        decoded[role][clean.symbol] = (decoded[role][clean.symbol] ?? 0) + size;
      }
    }
    return {
      action,
      object,
      episodes: protos.reduce((n, p) => n + p.size, 0),
      chunkSizes: protos.map((p) => p.size),
      capacity: capacityFor(this.encoder.dims),
      decoded,
    };
  }
}
