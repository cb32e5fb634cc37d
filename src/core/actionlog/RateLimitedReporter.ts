/**
 * Reports at most one line per key per interval and counts the rest, so a robot
 * that floods bad events cannot flood the log. Core code takes the output function
 * as an argument (no logger singleton here).
 */
export type ReportLine = (key: string, message: string, suppressedSinceLast: number) => void;

export class RateLimitedReporter {
  private readonly lastEmitted = new Map<string, number>();
  private readonly suppressed = new Map<string, number>();

  constructor(
    private readonly emit: ReportLine,
    private readonly intervalMs = 5000,
    private readonly clock: () => number = Date.now,
  ) {}

  report(key: string, message: string): boolean {
    const now = this.clock();
    const last = this.lastEmitted.get(key);
    if (last !== undefined && now - last < this.intervalMs) {
      this.suppressed.set(key, (this.suppressed.get(key) ?? 0) + 1);
      return false;
    }
    const suppressed = this.suppressed.get(key) ?? 0;
    this.suppressed.set(key, 0);
    this.lastEmitted.set(key, now);
    this.emit(key, message, suppressed);
    return true;
  }
}
