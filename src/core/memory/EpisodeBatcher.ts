/**
 * Groups episodes that arrive close together (a burst of action outcomes) into one remember() call:
 * one SQLite transaction per batch instead of one per episode (~6k/s with an fsync each, versus
 * hundreds of thousands of rows/s batched). Each caller still gets its own promise, resolved only
 * after its batch is durably committed, so nothing is acknowledged before it is on disk.
 */
import type { EpisodicMemory } from "./EpisodicMemory.js";
import type { Episode, EpisodeInput } from "./types.js";

export interface EpisodeBatcherOptions {
  /** Most episodes per transaction (default 500). */
  readonly maxBatch?: number;
  /** How a flush is scheduled (default setImmediate: after the current burst of callbacks). */
  readonly schedule?: (flush: () => void) => void;
}

interface Pending {
  readonly input: EpisodeInput;
  readonly resolve: (episode: Episode) => void;
  readonly reject: (error: unknown) => void;
}

export class EpisodeBatcher {
  private queue: Pending[] = [];
  private scheduled = false;
  private readonly maxBatch: number;
  private readonly schedule: (flush: () => void) => void;
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly memory: EpisodicMemory,
    options: EpisodeBatcherOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 500;
    this.schedule = options.schedule ?? ((flush) => setImmediate(flush));
  }

  /** Ids queued but not yet committed (for duplicate checks). */
  isPending(id: string): boolean {
    return this.queue.some((p) => p.input.id === id);
  }

  add(input: EpisodeInput): Promise<Episode> {
    return new Promise<Episode>((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        this.schedule(() => {
          this.scheduled = false;
          // Batches commit one after another, in arrival order.
          this.tail = this.tail.then(() => this.flush());
        });
      }
    });
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      try {
        const stored = await this.memory.remember(batch.map((p) => p.input));
        batch.forEach((p, i) => p.resolve(stored[i]!));
      } catch {
        // One bad episode must not sink the others: retry one by one so each gets its own outcome.
        for (const p of batch) {
          try {
            const [episode] = await this.memory.remember([p.input]);
            p.resolve(episode!);
          } catch (error) {
            p.reject(error);
          }
        }
      }
    }
  }

  /** Resolves when everything queued so far is committed. */
  async drain(): Promise<void> {
    while (this.queue.length > 0 || this.scheduled) {
      await new Promise((r) => setImmediate(r));
      await this.tail;
    }
    await this.tail;
  }
}
