/**
 * Runs one turn at a time (one model, one GPU) and is fair between sessions: each session has its
 * own FIFO and the session served least recently goes next, so a chatty client cannot starve the
 * others (a session that just had a turn waits behind one that has not), and one session may hold
 * at most a quarter of the waiting places, so it cannot fill the queue either. A turn
 * that waits longer than the timeout is rejected with QueueTimeoutError instead of running late.
 */

export class QueueTimeoutError extends Error {
  constructor(waitedMs: number, ahead: number) {
    super(`the chat waited ${Math.round(waitedMs)} ms behind ${ahead} other turn(s) and timed out; retry, or raise queue_timeout_ms`);
    this.name = "QueueTimeoutError";
  }
}

export class QueueFullError extends Error {
  constructor(limit: number) {
    super(`the chat queue is full (${limit} waiting turns); retry later, or raise queue_capacity`);
    this.name = "QueueFullError";
  }
}

export class SessionQueueFullError extends Error {
  constructor(sessionId: string, limit: number) {
    super(`session ${sessionId} has ${limit} turns waiting already; wait for their replies before sending more`);
    this.name = "SessionQueueFullError";
  }
}

interface Waiting {
  readonly run: () => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  readonly enqueuedAt: number;
  timer?: NodeJS.Timeout;
  done: boolean;
}

export interface FairTurnQueueOptions {
  /** Longest wait before a turn starts; default 30000 ms. */
  readonly timeoutMs?: number;
  /** Most turns waiting in all; default 64. */
  readonly capacity?: number;
  /** Most turns one session may have waiting; default a quarter of the capacity (at least 1). */
  readonly perSessionCapacity?: number;
}

export class FairTurnQueue {
  private readonly bySession = new Map<string, Waiting[]>();
  /** When each session last started a turn (a counter, not a clock). */
  private readonly lastServed = new Map<string, number>();
  private served = 0;
  private running = false;
  private waiting = 0;
  readonly timeoutMs: number;
  readonly capacity: number;
  readonly perSessionCapacity: number;
  timeouts = 0;

  constructor(options: FairTurnQueueOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.capacity = options.capacity ?? 64;
    this.perSessionCapacity = options.perSessionCapacity ?? Math.max(1, Math.floor(this.capacity / 4));
  }

  get pending(): number {
    return this.waiting;
  }
  get busy(): boolean {
    return this.running;
  }

  /** Rejects every waiting turn (the running one is left to finish or be cancelled by its owner). */
  rejectWaiting(error: Error): void {
    for (const [, queue] of this.bySession) {
      for (const item of queue) {
        item.done = true;
        clearTimeout(item.timer);
        item.reject(error);
      }
    }
    this.bySession.clear();
    this.waiting = 0;
  }

  /** Resolves once nothing runs or waits (for an orderly close). */
  async idle(): Promise<void> {
    while (this.running || this.waiting > 0) await new Promise((r) => setTimeout(r, 5));
  }

  /** `timeoutMs` overrides the queue's for this turn (a node passes its current parameter value). */
  run<T>(sessionId: string, turn: () => Promise<T>, timeoutMs = this.timeoutMs): Promise<T> {
    if (this.waiting >= this.capacity) return Promise.reject(new QueueFullError(this.capacity));
    if ((this.bySession.get(sessionId)?.length ?? 0) >= this.perSessionCapacity) {
      return Promise.reject(new SessionQueueFullError(sessionId, this.perSessionCapacity));
    }
    return new Promise<T>((resolve, reject) => {
      const item: Waiting = {
        run: turn,
        resolve: resolve as (value: unknown) => void,
        reject,
        enqueuedAt: performance.now(),
        done: false,
      };
      item.timer = setTimeout(() => {
        if (item.done) return;
        item.done = true;
        this.remove(sessionId, item);
        this.timeouts++;
        reject(new QueueTimeoutError(performance.now() - item.enqueuedAt, this.waiting + (this.running ? 1 : 0)));
      }, timeoutMs);
      let queue = this.bySession.get(sessionId);
      if (!queue) {
        queue = [];
        this.bySession.set(sessionId, queue);
      }
      queue.push(item);
      this.waiting++;
      this.pump();
    });
  }

  private remove(sessionId: string, item: Waiting): void {
    const queue = this.bySession.get(sessionId);
    if (!queue) return;
    const i = queue.indexOf(item);
    if (i >= 0) {
      queue.splice(i, 1);
      this.waiting--;
    }
    if (queue.length === 0) this.bySession.delete(sessionId);
  }

  private pump(): void {
    if (this.running) return;
    let sessionId: string | undefined;
    let best = Infinity;
    let bestAt = Infinity;
    for (const [id, queue] of this.bySession) {
      const last = this.lastServed.get(id) ?? -1;
      const at = queue[0]!.enqueuedAt;
      if (last < best || (last === best && at < bestAt)) {
        sessionId = id;
        best = last;
        bestAt = at;
      }
    }
    if (sessionId === undefined) return;
    const queue = this.bySession.get(sessionId)!;
    const item = queue.shift()!;
    this.waiting--;
    if (queue.length === 0) this.bySession.delete(sessionId);
    this.lastServed.delete(sessionId);
    this.lastServed.set(sessionId, this.served++);
    // Forget the oldest sessions; they count as never served, which is fair to them.
    if (this.lastServed.size > 4096) this.lastServed.delete(this.lastServed.keys().next().value!);
    item.done = true;
    clearTimeout(item.timer);
    this.running = true;
    item
      .run()
      .then(item.resolve, item.reject)
      .finally(() => {
        this.running = false;
        this.pump();
      });
  }
}
