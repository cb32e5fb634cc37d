/**
 * Ships a robot's outbox to the fleet store: oldest first, one batch in flight, each batch acked
 * (deleted locally) only after the fleet store committed it. Exactly once in the fleet store
 * follows from two halves: nothing leaves the outbox before its commit (at least once), and the
 * store skips an (origin, stream, seq) it already has (at most once).
 *
 * Back-pressure: the forwarder reads the next batch only when the previous one is committed, so a
 * slow or absent fleet store makes the outbox grow on disk, never the robot's memory or its local
 * ingest (which does not wait for the forwarder at all). The outbox is capped at maxBacklog entries
 * (the oldest go first, counted as dropped). After an outage the backlog drains at full batch size.
 */
import { percentile } from "../actionlog/computeStats.js";
import type { FleetSink } from "./FleetStore.js";
import type { Outbox } from "./Outbox.js";

export interface ForwarderOptions {
  readonly outbox: Outbox;
  readonly sink: FleetSink;
  /** This robot's name in the fleet (fleet.robot_id). */
  readonly origin: string;
  /** Most entries per shipment (default 2,000). */
  readonly batchMax?: number;
  /** How often an empty outbox is checked for new entries (default 50 ms). */
  readonly pollMs?: number;
  /** First retry delay after a failure, doubled per failure up to retryMaxMs (defaults 200 ms, 10 s). */
  readonly retryMinMs?: number;
  readonly retryMaxMs?: number;
  /** Entries the outbox may hold before the oldest are dropped (default 2,000,000). */
  readonly maxBacklog?: number;
  /** Runs before the first shipment after each failure or start (e.g. the memory identity check). */
  readonly prepare?: () => Promise<void>;
  /** Wall clock, ms (default Date.now): outbox entries are stamped with SQLite's wall clock. */
  readonly clock?: () => number;
  /** Called on each failed attempt (rate-limit the log line; the counters are kept here). */
  readonly onError?: (error: unknown) => void;
}

export interface ForwarderSnapshot {
  /** Entries waiting in the outbox (fleet_backlog). */
  readonly backlog: number;
  /** Age of the oldest waiting entry in seconds, 0 when none waits (fleet_lag_s). */
  readonly lagS: number;
  /** From local commit to fleet commit, over the last 8192 entries shipped. */
  readonly deliveryP50S: number;
  readonly deliveryP99S: number;
  readonly shipped: number;
  /** Entries the fleet store already had (resent after a lost acknowledgement). */
  readonly duplicates: number;
  readonly batches: number;
  readonly failures: number;
  /** Failures since the last successful shipment: 0 means the fleet store is reachable. */
  readonly failingFor: number;
  readonly dropped: number;
  readonly lastError: string;
  readonly maxBacklog: number;
}

const LAG_SAMPLES = 8192;

export class Forwarder {
  private readonly outbox: Outbox;
  private readonly options: Required<Omit<ForwarderOptions, "prepare" | "outbox" | "sink" | "origin">> & Pick<ForwarderOptions, "prepare">;
  private readonly sink: FleetSink;
  private readonly origin: string;
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private prepared = false;
  private readonly lags = new Float64Array(LAG_SAMPLES);
  private lagCount = 0;
  private counts = { shipped: 0, duplicates: 0, batches: 0, failures: 0, failingFor: 0 };
  private lastError = "";

  constructor(options: ForwarderOptions) {
    this.outbox = options.outbox;
    this.sink = options.sink;
    this.origin = options.origin;
    this.options = {
      batchMax: options.batchMax ?? 2000,
      pollMs: options.pollMs ?? 50,
      retryMinMs: options.retryMinMs ?? 200,
      retryMaxMs: options.retryMaxMs ?? 10_000,
      maxBacklog: options.maxBacklog ?? 2_000_000,
      prepare: options.prepare,
      clock: options.clock ?? Date.now,
      onError: options.onError ?? (() => undefined),
    };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Stops after the shipment in flight; what is left stays in the outbox for the next start. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  /** Ships one batch now; returns how many entries it acked (0: nothing waiting). Throws on failure. */
  async shipOnce(): Promise<number> {
    try {
      return await this.shipBatch();
    } catch (error) {
      this.counts.failures++;
      this.counts.failingFor++;
      this.prepared = false;
      this.lastError = error instanceof Error ? error.message : String(error);
      this.options.onError(error);
      throw error;
    }
  }

  private async shipBatch(): Promise<number> {
    // The limit first: a preparation that keeps failing (the store unreachable) must not let the
    // outbox grow past max_backlog.
    this.outbox.enforceLimit(this.options.maxBacklog);
    if (!this.prepared && this.options.prepare) await this.options.prepare();
    this.prepared = true;
    const entries = this.outbox.peek(this.options.batchMax);
    if (entries.length === 0) {
      // Only tombstones of forgotten entries may be left; no ack would reach them.
      this.outbox.dropTombstoneTail();
      return 0;
    }
    const result = await this.sink.ship({ origin: this.origin, stream: this.outbox.stream, entries });
    this.outbox.ack(entries[entries.length - 1]!.seq);
    const now = this.options.clock();
    for (const e of entries) this.lags[this.lagCount++ % LAG_SAMPLES] = (now - e.createdMs) / 1000;
    this.counts.shipped += result.inserted;
    this.counts.duplicates += result.duplicates;
    this.counts.batches++;
    this.counts.failingFor = 0;
    this.lastError = "";
    return entries.length;
  }

  /** Resolves when the outbox is empty (tests, benchmarks, a draining shutdown), or rejects after timeoutMs. */
  async waitForEmpty(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.outbox.backlog() > 0) {
      if (Date.now() > deadline) throw new Error(`fleet outbox still holds ${this.outbox.backlog()} entries after ${timeoutMs} ms (last error: ${this.lastError || "none"})`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Local-commit-to-fleet-commit delays (s) of the last 8192 entries shipped, unordered (fleet-wide percentiles). */
  deliveryLags(): Float64Array {
    return this.lags.slice(0, Math.min(this.lagCount, LAG_SAMPLES));
  }

  /** Forgets the delivery delays recorded so far (a benchmark phase starts). */
  clearDeliveryLags(): void {
    this.lagCount = 0;
  }

  snapshot(): ForwarderSnapshot {
    const sorted = Array.from(this.deliveryLags()).sort((a, b) => a - b);
    const oldest = this.outbox.oldestCreatedMs();
    return {
      backlog: this.outbox.backlog(),
      lagS: oldest === undefined ? 0 : Math.max(0, (this.options.clock() - oldest) / 1000),
      deliveryP50S: percentile(sorted, 50),
      deliveryP99S: percentile(sorted, 99),
      ...this.counts,
      dropped: this.outbox.dropped(),
      lastError: this.lastError,
      maxBacklog: this.options.maxBacklog,
    };
  }

  private async run(): Promise<void> {
    let delay = this.options.retryMinMs;
    while (this.running) {
      let acked: number;
      try {
        acked = await this.shipOnce();
        delay = this.options.retryMinMs;
      } catch {
        // Counted and reported by shipOnce. Jitter, so a site's robots do not all come back in the same instant after an outage.
        await this.sleep(delay * (0.5 + Math.random() / 2));
        delay = Math.min(this.options.retryMaxMs, delay * 2);
        continue;
      }
      // A full batch means more is waiting: go on at once (catch-up); otherwise poll.
      if (acked < this.options.batchMax) await this.sleep(this.options.pollMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }
}
