/**
 * An LRU of llama.cpp contexts, one per adapter-scale vector. LoRA scales are fixed when a context
 * is created, so switching persona means switching context: a cached one costs nothing, a new one
 * takes a context creation (5-10 ms on CPU, more for big KV caches). A context that a turn holds
 * is pinned and never disposed under it; builds in flight are shared by everyone asking for the key.
 * Generic over the context type so that it is testable without a model.
 */

/** Builds the context of a key; given per call, so what a key stands for travels with the request. */
export type BuildContext<C> = (key: string) => Promise<C>;

export interface ContextCacheOptions<C> {
  /** Most contexts kept (each holds a KV cache). Pinned ones may exceed it briefly. */
  readonly capacity: number;
  /** The builder of calls that give none. */
  readonly create?: BuildContext<C>;
  readonly dispose: (value: C) => Promise<void> | void;
  /** Reports failures of background builds (prewarm), which have no caller to throw to. */
  readonly onBackgroundError?: (key: string, error: unknown) => void;
}

export interface CacheStats {
  readonly hits: number;
  readonly misses: number;
  readonly evictions: number;
  readonly size: number;
}

export interface Lease<C> {
  readonly value: C;
  /** True when the context was already built (or being built) when asked for. */
  readonly cached: boolean;
  release(): void;
}

interface Entry<C> {
  readonly promise: Promise<C>;
  value?: C;
  pins: number;
  lastUsed: number;
}

export class ContextCache<C> {
  private readonly entries = new Map<string, Entry<C>>();
  private clock = 0;
  private hits = 0;
  private misses = 0;
  private evictions = 0;

  constructor(private readonly options: ContextCacheOptions<C>) {
    if (options.capacity < 1) throw new Error("ContextCache capacity must be at least 1");
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** Whether the context for key is built and ready (not merely in flight). */
  isReady(key: string): boolean {
    return this.entries.get(key)?.value !== undefined;
  }

  stats(): CacheStats {
    return { hits: this.hits, misses: this.misses, evictions: this.evictions, size: this.entries.size };
  }

  /** Gets (building it with `build` if needed) and pins the context; release it when the turn ends. */
  async acquire(key: string, build?: BuildContext<C>): Promise<Lease<C>> {
    const { entry, cached } = this.entryFor(key, build);
    entry.pins++;
    entry.lastUsed = ++this.clock;
    try {
      const value = await entry.promise;
      let released = false;
      return {
        value,
        cached,
        release: () => {
          if (released) return;
          released = true;
          entry.pins--;
          void this.evict();
        },
      };
    } catch (error) {
      entry.pins--;
      throw error;
    }
  }

  /** Builds the context off the request path; the next turn that needs it finds it ready. */
  prewarm(key: string, build?: BuildContext<C>): void {
    if (this.entries.has(key)) {
      this.entries.get(key)!.lastUsed = ++this.clock;
      return;
    }
    const { entry } = this.entryFor(key, build, false);
    entry.promise.catch((error) => this.options.onBackgroundError?.(key, error));
  }

  async clear(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    for (const entry of all) {
      const value = await entry.promise.catch(() => undefined);
      if (value !== undefined) await this.options.dispose(value);
    }
  }

  private entryFor(key: string, build: BuildContext<C> | undefined, count = true): { entry: Entry<C>; cached: boolean } {
    const existing = this.entries.get(key);
    if (existing) {
      if (count) this.hits++;
      return { entry: existing, cached: true };
    }
    const create = build ?? this.options.create;
    if (!create) throw new Error(`ContextCache: no builder for ${key}`);
    if (count) this.misses++;
    const promise = create(key);
    const entry: Entry<C> = { promise, pins: 0, lastUsed: ++this.clock };
    this.entries.set(key, entry);
    promise.then(
      (value) => {
        entry.value = value;
        void this.evict();
      },
      () => {
        // A failed build must not poison the key: the next request tries again.
        if (this.entries.get(key) === entry) this.entries.delete(key);
      },
    );
    return { entry, cached: false };
  }

  private async evict(): Promise<void> {
    while (this.entries.size > this.options.capacity) {
      let victimKey: string | undefined;
      let victim: Entry<C> | undefined;
      for (const [key, entry] of this.entries) {
        if (entry.pins > 0 || entry.value === undefined) continue;
        if (!victim || entry.lastUsed < victim.lastUsed) {
          victim = entry;
          victimKey = key;
        }
      }
      if (!victim || victimKey === undefined) return;
      this.entries.delete(victimKey);
      this.evictions++;
      await this.options.dispose(victim.value!);
    }
  }
}
