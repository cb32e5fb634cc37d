/**
 * Turns an episode into hypervectors:
 *   text    = SimHash(embedding of the description)
 *   episode = majority( ROLE_r xor item_r(filler) for each non-empty role,
 *                       ROLE_text xor text,  ROLE_time xor level(hour of day, UTC) )
 * Role vectors, fillers and levels all come from the memory seed, so the same episode encodes to the
 * same bits after a restart or on another machine.
 */
import { bind } from "../hdc/bind.js";
import { majority } from "../hdc/bundle.js";
import { hammingAt } from "../hdc/hamming.js";
import { randomHypervector, type Hypervector } from "../hdc/hypervector.js";
import { ItemMemory } from "../hdc/ItemMemory.js";
import { LevelCodes } from "../hdc/LevelCodes.js";
import { hashString } from "../hdc/prng.js";
import { SimHashProjection, type SimHashKind } from "../hdc/SimHashProjection.js";
import { ROLES, type Episode, type Role } from "./types.js";

export interface EpisodeEncoderOptions {
  readonly dims: number;
  readonly seed: number;
  /** Dimension of the text embeddings that will be projected. */
  readonly embeddingDims: number;
  readonly simhash?: SimHashKind;
  /** Hour-of-day levels (default 25: one per hour, 0..24). */
  readonly timeLevels?: number;
}

export class EpisodeEncoder {
  readonly dims: number;
  readonly seed: number;
  readonly projection: SimHashProjection;
  private readonly roleKeys: Record<Role | "text" | "time", Hypervector>;
  private readonly items: Record<Role, ItemMemory>;
  private readonly hours: LevelCodes;

  constructor(options: EpisodeEncoderOptions) {
    this.dims = options.dims;
    this.seed = options.seed >>> 0;
    this.projection = new SimHashProjection({
      inputDims: options.embeddingDims,
      dims: options.dims,
      seed: this.seed,
      kind: options.simhash ?? "structured",
    });
    const key = (name: string) => randomHypervector(this.dims, this.seed, hashString(`ROLE:${name}`, this.seed));
    this.roleKeys = {
      agent: key("agent"),
      action: key("action"),
      object: key("object"),
      location: key("location"),
      result: key("result"),
      text: key("text"),
      time: key("time"),
    };
    this.items = {
      agent: new ItemMemory(this.dims, this.seed, "agent"),
      action: new ItemMemory(this.dims, this.seed, "action"),
      object: new ItemMemory(this.dims, this.seed, "object"),
      location: new ItemMemory(this.dims, this.seed, "location"),
      result: new ItemMemory(this.dims, this.seed, "result"),
    };
    this.hours = new LevelCodes({ dims: this.dims, seed: this.seed, min: 0, max: 24, levels: options.timeLevels ?? 25, name: "hour" });
  }

  roleKey(role: Role | "text" | "time"): Hypervector {
    return this.roleKeys[role];
  }

  itemMemory(role: Role): ItemMemory {
    return this.items[role];
  }

  encodeText(embedding: ArrayLike<number>, out?: Hypervector): Hypervector {
    return this.projection.project(embedding, out);
  }

  /** The role-filler pair as stored in episodes: ROLE_r xor item_r(filler); registers the filler. */
  pair(role: Role, filler: string): Hypervector {
    return bind(this.roleKeys[role], this.items[role].add(filler));
  }

  /** Like pair() but does not register an unknown filler (queries must not grow the codebooks). */
  probe(role: Role, filler: string): Hypervector {
    return bind(this.roleKeys[role], this.items[role].vectorOf(filler));
  }

  encodeEpisode(episode: Episode, text: Hypervector): Hypervector {
    const parts: Hypervector[] = [];
    for (const role of ROLES) {
      const filler = episode[role];
      if (filler !== "") parts.push(this.pair(role, filler));
    }
    parts.push(bind(this.roleKeys.text, text));
    const hour = ((episode.stamp.sec % 86400) + 86400) % 86400 / 3600;
    parts.push(bind(this.roleKeys.time, this.hours.encode(hour)));
    return majority(parts);
  }

  /** Registers an episode's fillers without re-encoding (after loading stored vectors). */
  registerFillers(episode: Episode): void {
    // has() first: add() of a known symbol still makes a view of its vector (a million at open).
    for (const role of ROLES) {
      const filler = episode[role];
      if (filler !== "" && !this.items[role].has(filler)) this.items[role].add(filler);
    }
  }

  /** Similarity of a stored episode vector (at `offset` in `matrix`) to a role-filler probe. */
  roleSimilarity(matrix: Uint32Array, offset: number, probe: Hypervector): number {
    return 1 - hammingAt(matrix, offset, probe, 0, probe.length) / this.dims;
  }
}
