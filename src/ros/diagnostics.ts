import type { DiagnosticMsgsDiagnosticStatus } from "../core/interfaces/messages.generated.js";
import type { GraphNode, Publisher, Timer } from "./GraphPort.js";
import type { MessageOf } from "../core/interfaces/messages.generated.js";

export type DiagnosticLevel = "ok" | "warn" | "error" | "stale";

export interface DiagnosticReport {
  readonly level: DiagnosticLevel;
  readonly message: string;
  readonly values?: Readonly<Record<string, string | number | boolean>>;
}

export type DiagnosticCheck = () => DiagnosticReport;

export interface DiagnosticsUpdaterOptions {
  /** How often /diagnostics is published (default 1000 ms, as diagnostic_updater does). */
  readonly periodMs?: number;
  /** Hardware id reported with every status (default: the node's name). */
  readonly hardwareId?: string;
}

const LEVEL_BYTE: Record<DiagnosticLevel, number> = { ok: 0, warn: 1, error: 2, stale: 3 };

function formatValue(value: string | number | boolean): string {
  if (typeof value === "number" && !Number.isInteger(value)) return value.toFixed(3);
  return String(value);
}

/**
 * Publishes diagnostic_msgs/DiagnosticArray on /diagnostics, like ROS's
 * diagnostic_updater: each named check becomes one DiagnosticStatus. A check that
 * throws is reported as an error instead of stopping the others.
 */
export class DiagnosticsUpdater {
  private readonly checks = new Map<string, DiagnosticCheck>();
  private readonly publisher: Publisher<MessageOf<"diagnostic_msgs/msg/DiagnosticArray">>;
  private readonly timer: Timer;
  private readonly hardwareId: string;
  /** The last array published (for consoles and tests). */
  lastPublished: MessageOf<"diagnostic_msgs/msg/DiagnosticArray"> | undefined;

  constructor(
    private readonly node: GraphNode,
    options: DiagnosticsUpdaterOptions = {},
  ) {
    this.hardwareId = options.hardwareId ?? node.name;
    this.publisher = node.createPublisher("diagnostic_msgs/msg/DiagnosticArray", "/diagnostics", 10);
    this.timer = node.createTimer(options.periodMs ?? 1000, () => this.forceUpdate());
  }

  add(name: string, check: DiagnosticCheck): void {
    this.checks.set(name, check);
  }

  /** Runs every check now and publishes the result. */
  forceUpdate(): void {
    const status: DiagnosticMsgsDiagnosticStatus[] = [];
    for (const [name, check] of this.checks) {
      let report: DiagnosticReport;
      try {
        report = check();
      } catch (error) {
        report = { level: "error", message: `check failed: ${error instanceof Error ? error.message : String(error)}` };
      }
      status.push({
        level: LEVEL_BYTE[report.level],
        name: `${this.node.name}: ${name}`,
        message: report.message,
        hardware_id: this.hardwareId,
        values: Object.entries(report.values ?? {}).map(([key, value]) => ({ key, value: formatValue(value) })),
      });
    }
    const message = { header: { stamp: this.node.now(), frame_id: "" }, status };
    this.lastPublished = message;
    this.publisher.publish(message);
  }

  stop(): void {
    this.timer.cancel();
  }
}
