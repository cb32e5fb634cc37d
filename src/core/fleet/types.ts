/**
 * Records the fleet forwards and the figures it reports. A robot's outbox holds one kind of
 * record per local database: outcomes (the action log's file) or episodes (the memory's file).
 */
import type { ActionOutcome, Episode } from "../interfaces/messages.generated.js";

export type OutboxKind = "outcome" | "episode";

/** An outcome as the local log stored it (the message's fields, flags as stored), plus its commit time. */
export type FleetOutcome = Omit<ActionOutcome, "header"> & { readonly committed_ms: number };

/** An episode with the vectors fleet recall needs (raw little-endian bytes, as stored locally). */
export interface FleetEpisode {
  readonly episode: Episode;
  readonly textHv: Uint8Array;
  readonly episodeHv: Uint8Array;
  readonly embedding: Uint8Array;
}

interface EntryBase {
  /** Position in this robot's outbox stream: strictly increasing, never reused. */
  readonly seq: number;
  /** Wall clock (ms) when the local commit put it in the outbox. */
  readonly createdMs: number;
}
export type OutboxEntry =
  | (EntryBase & { readonly kind: "outcome"; readonly outcome: FleetOutcome })
  | (EntryBase & { readonly kind: "episode"; readonly episode: FleetEpisode });

/** One shipment: consecutive entries of one stream, oldest first. */
export interface ShipBatch {
  /** The robot that forwards (the fleet.robot_id parameter). */
  readonly origin: string;
  /** The outbox's stream id: random, made when the outbox was created, so a recreated database never reuses (origin, stream, seq). */
  readonly stream: string;
  readonly entries: readonly OutboxEntry[];
}

export interface ShipResult {
  /** Rows new to the fleet store. */
  readonly inserted: number;
  /** Rows it already had (a batch resent after a lost acknowledgement). */
  readonly duplicates: number;
}

/** Identity of the memories whose vectors share the fleet store: the same bits must mean the same thing. */
export interface FleetMemoryIdentity {
  readonly dimensions: number;
  readonly seed: number;
  readonly encoder: string;
  readonly simhash: string;
  readonly code_bits: number;
}
