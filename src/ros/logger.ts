import { pino, type Logger, type LevelWithSilent } from "pino";

export interface NodeLoggerOptions {
  /** pino level; ROS log levels (debug, info, warn, error, fatal) map one to one. */
  readonly level?: LevelWithSilent;
  /** Where lines go; defaults to stderr so stdout stays free for program output. */
  readonly destination?: NodeJS.WritableStream | pino.DestinationStream;
}

const ROS_LEVELS: Record<string, LevelWithSilent> = {
  debug: "debug", info: "info", warn: "warn", error: "error", fatal: "fatal", none: "silent", silent: "silent",
};

export function toPinoLevel(level: string | undefined, fallback: LevelWithSilent = "info"): LevelWithSilent {
  if (!level) return fallback;
  return ROS_LEVELS[level.toLowerCase()] ?? fallback;
}

/** One structured logger per node, tagged with the node's fully qualified name. */
export function createNodeLogger(fullyQualifiedName: string, options: NodeLoggerOptions = {}): Logger {
  const destination = options.destination ?? pino.destination({ fd: 2, sync: false });
  return pino({ level: options.level ?? "info", base: { node: fullyQualifiedName } }, destination);
}

/**
 * A logger that emits at most one line per key per interval and counts the rest,
 * so a flood of bad input cannot flood the log.
 */
export class RateLimitedLog {
  private readonly lastEmitted = new Map<string, number>();
  private readonly suppressed = new Map<string, number>();
  constructor(
    private readonly logger: Logger,
    private readonly intervalMs = 5000,
    private readonly clock: () => number = Date.now,
  ) {}

  warn(key: string, message: string, fields: Record<string, unknown> = {}): void {
    const now = this.clock();
    const last = this.lastEmitted.get(key);
    if (last !== undefined && now - last < this.intervalMs) {
      this.suppressed.set(key, (this.suppressed.get(key) ?? 0) + 1);
      return;
    }
    const suppressed = this.suppressed.get(key) ?? 0;
    this.suppressed.set(key, 0);
    this.lastEmitted.set(key, now);
    this.logger.warn({ ...fields, reason: key, suppressed_since_last: suppressed }, message);
  }
}
