/**
 * The gate heavy background work asks before it starts (bakes, adapter training, exports): open on
 * mains power or while charging, closed on battery or while the computer is overloaded. Work
 * submitted while it is closed waits, in order, and starts when the gate opens; one job runs at a
 * time, since each is heavy. A running job's signal aborts when the gate closes: the job may stop
 * at a safe point or finish, its choice.
 */

export interface GateState {
  readonly open: boolean;
  readonly reason: string;
}

export interface BackgroundJob<T> {
  readonly name: string;
  readonly run: (signal: AbortSignal) => Promise<T>;
}

interface Pending {
  readonly name: string;
  readonly start: () => void;
}

export class BackgroundWorkGate {
  private readonly queue: Pending[] = [];
  private running: { name: string; abort: AbortController } | undefined;
  /** Jobs started, and jobs that had to wait for the gate. */
  readonly counters = { started: 0, deferred: 0, finished: 0, failed: 0 };

  /** @param state read at every check, so the answer is always the power monitor's current one. */
  constructor(private readonly state: () => GateState = () => ({ open: true, reason: "mains power" })) {}

  /** What others ask: may heavy work start now, and why (not). */
  check(): GateState {
    return this.state();
  }
  get pending(): readonly string[] {
    return this.queue.map((p) => p.name);
  }
  get runningJob(): string | undefined {
    return this.running?.name;
  }

  /** After the power monitor's verdict changed: opening starts the waiting work, closing signals the running job. */
  update(): void {
    const state = this.state();
    if (!state.open) this.running?.abort.abort(new Error(`background work paused: ${state.reason}`));
    this.startNext();
  }

  /** Runs the job when the gate is open and nothing else runs; resolves with its result. */
  submit<T>(job: BackgroundJob<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const start = () => {
        const abort = new AbortController();
        this.running = { name: job.name, abort };
        this.counters.started++;
        job
          .run(abort.signal)
          .then(
            (value) => {
              this.counters.finished++;
              resolve(value);
            },
            (error: unknown) => {
              this.counters.failed++;
              reject(error);
            },
          )
          .finally(() => {
            this.running = undefined;
            this.startNext();
          });
      };
      if (!this.state().open || this.running || this.queue.length > 0) this.counters.deferred++;
      this.queue.push({ name: job.name, start });
      this.startNext();
    });
  }

  private startNext(): void {
    if (!this.state().open || this.running) return;
    this.queue.shift()?.start();
  }
}
