/**
 * The dialogue node's background bakes (bake_on_idle): after the persona weights have rested for
 * idleMs, the latest mix is baked (linear, so it equals the runtime blend) off the request path,
 * yielding to the event loop between slices, one bake at a time. Heavy work asks first: it starts
 * only when mayRunBackgroundWork() allows (a power policy closes it on battery), waits and asks
 * again otherwise, and a running bake stops when the answer turns to no.
 */
import { existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { bakeModel } from "./bakeModel.js";
import type { BakeMix } from "./bakeInputs.js";
import type { BakeBase } from "./planBake.js";

export interface BackgroundBakerOptions {
  /** Where bakes merge into; throws (with the fix) when this node's base cannot be baked. */
  readonly base: () => BakeBase;
  /** Output path of a mix's bake. */
  readonly outPath: (mix: BakeMix, base: BakeBase) => string;
  /** How long the weights must rest before a bake starts (an operator moving a dial sets many). */
  readonly idleMs: number;
  /** The power gate: heavy work only when it says yes. Absent: always. */
  readonly mayRunBackgroundWork?: () => boolean;
  /** A bake finished (or was already on disk): register it. */
  readonly onBaked: (path: string, mix: BakeMix) => void;
  readonly onStatus?: (status: string) => void;
  readonly threads?: number;
  /** Event-loop slice of the merge (ms). Default 20. */
  readonly sliceMs?: number;
}

export class BackgroundBaker {
  private pending: BakeMix | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: { mix: BakeMix; abort: AbortController; done: Promise<void> } | undefined;
  private statusText = "idle";
  private closed = false;
  readonly counters = { started: 0, finished: 0, failed: 0, deferred: 0 };

  constructor(private readonly options: BackgroundBakerOptions) {}

  /** "idle", "waiting ...", "baking ...", "failed: ..." */
  get status(): string {
    return this.statusText;
  }
  get busy(): boolean {
    return this.running !== undefined;
  }

  /** The weights changed to this mix (which no bake matches): bake it once they rest. */
  request(mix: BakeMix): void {
    if (this.closed || mix.adapters.length === 0) return;
    this.pending = mix;
    if (this.running && this.running.mix.key !== mix.key) this.running.abort.abort(new Error("the weights moved on"));
    this.setStatus(`waiting for the weights to rest ${this.options.idleMs} ms`);
    this.arm(this.options.idleMs);
  }

  /** The weights moved to a mix that needs no bake (a bake matches, or no adapters): drop the pending one. */
  cancelPending(): void {
    this.pending = undefined;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.running) this.setStatus("idle");
  }

  async close(): Promise<void> {
    this.closed = true;
    this.cancelPending();
    this.running?.abort.abort(new Error("closing"));
    await this.running?.done;
  }

  private arm(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.startPending();
    }, ms);
    this.timer.unref?.();
  }

  private setStatus(text: string): void {
    if (text === this.statusText) return;
    this.statusText = text;
    this.options.onStatus?.(text);
  }

  private startPending(): void {
    const mix = this.pending;
    if (!mix || this.running || this.closed) return;
    if (this.options.mayRunBackgroundWork && !this.options.mayRunBackgroundWork()) {
      this.counters.deferred++;
      this.setStatus("waiting: background work is not allowed now (power policy)");
      this.arm(Math.max(this.options.idleMs, 1000));
      return;
    }
    this.pending = undefined;
    let base: BakeBase;
    try {
      base = this.options.base();
    } catch (error) {
      this.counters.failed++;
      this.setStatus(`failed: ${(error as Error).message}`);
      return;
    }
    const out = this.options.outPath(mix, base);
    if (existsSync(out)) {
      this.options.onBaked(out, mix);
      this.setStatus("idle");
      return;
    }
    const abort = new AbortController();
    this.counters.started++;
    this.setStatus(`baking ${mix.adapters.map((a) => `${a.name}@${a.scale}`).join(" ")}`);
    const done = (async () => {
      try {
        mkdirSync(dirname(out), { recursive: true });
        await bakeModel({
          basePath: base.path,
          baseName: base.name,
          ...(base.sha256 ? { baseSha256: base.sha256 } : {}),
          adapters: mix.adapters,
          method: "linear",
          outPath: out,
          ...(mix.weights ? { weights: mix.weights } : {}),
          ...(base.quantizeTo ? { quantizeTo: base.quantizeTo } : {}),
          ...(this.options.threads ? { threads: this.options.threads } : {}),
          sliceMs: this.options.sliceMs ?? 20,
          signal: abort.signal,
          onProgress: () => {
            if (this.options.mayRunBackgroundWork && !this.options.mayRunBackgroundWork()) abort.abort(new Error("background work is not allowed now (power policy)"));
          },
        });
        this.counters.finished++;
        this.running = undefined;
        this.options.onBaked(out, mix);
        this.setStatus("idle");
      } catch (error) {
        this.running = undefined;
        if (abort.signal.aborted) {
          // Stopped by the gate or by newer weights: the mix waits (again) for its turn.
          this.pending ??= this.closed ? undefined : mix;
          this.setStatus(this.closed ? "idle" : `waiting: ${(abort.signal.reason as Error)?.message ?? "stopped"}`);
        } else {
          this.counters.failed++;
          this.setStatus(`failed: ${(error as Error).message}`);
        }
      }
      if (this.pending && !this.closed && !this.timer) this.arm(this.options.idleMs);
    })();
    this.running = { mix, abort, done };
  }
}
