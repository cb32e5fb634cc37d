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
