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

  /**
   * Ids queued or being committed, until their episode settles (for duplicate checks). A set,
   * not a scan of the queue: a burst would cost O(n^2), and the batch in flight has left the queue.
   */
  private readonly pendingIds = new Set<string>();

  isPending(id: string): boolean {
    return this.pendingIds.has(id);
  }

  add(input: EpisodeInput): Promise<Episode> {
    const id = input.id ?? "";
    if (id !== "") this.pendingIds.add(id);
    const settled = () => {
      if (id !== "") this.pendingIds.delete(id);
    };
    return new Promise<Episode>((resolve, reject) => {
      this.queue.push({
        input,
        resolve: (episode) => {
          settled();
          resolve(episode);
        },
        reject: (error) => {
          settled();
          reject(error);
        },
      });
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
