/**
 * Power and load awareness for a node: declares the power.* and monitoring.* parameters, reads
 * the robot's sensor_msgs/BatteryState (power.battery_topic; '' means mains power) and this
 * computer's load on a timer, keeps the PowerMonitor and the background-work gate, logs each
 * change of mode once, and reports it on /diagnostics. Policy parameters apply from the next
 * reading (and at once: a set re-evaluates the mode).
 */
import { BackgroundWorkGate } from "../core/power/BackgroundWorkGate.js";
import { PowerMonitor } from "../core/power/PowerMonitor.js";
import { SystemLoadSampler } from "../core/power/SystemLoadSampler.js";
import { turnBudget, type TurnBudget } from "../core/power/turnBudget.js";
import { DEFAULT_POWER_POLICY, ON_BATTERY_BEHAVIORS, type OnBatteryBehavior, type PowerDecision, type PowerPolicy } from "../core/power/types.js";
import { timeToMillis } from "../core/time.js";
import type { GraphNode, ParameterDescriptor } from "../ros/GraphPort.js";
import type { DiagnosticReport } from "../ros/diagnostics.js";
import { parameterReader } from "./parameterReader.js";

const PERCENT = { from: 0, to: 100 } as const;

export const POWER_PARAMETERS: readonly ParameterDescriptor[] = [
  { name: "power.battery_topic", type: "string", defaultValue: "", readOnly: true, description: "sensor_msgs/BatteryState topic of the robot's battery; '' means mains power" },
  { name: "power.battery_threshold", type: "double", defaultValue: DEFAULT_POWER_POLICY.batteryThreshold, floatingPointRange: PERCENT, description: "percent: below it, on battery, power.on_battery_behavior applies" },
  { name: "power.on_battery_behavior", type: "string", defaultValue: DEFAULT_POWER_POLICY.onBatteryBehavior, allowedValues: ON_BATTERY_BEHAVIORS, description: "below the threshold on battery: reduce (shorter replies, fewer adapters, no expert routing), pause (model-free replies) or ignore" },
  { name: "power.reduced_max_tokens", type: "integer", defaultValue: 24, integerRange: { from: 1, to: 1024 }, description: "token limit of a reply in reduce mode (never raises max_tokens)" },
  { name: "power.reduced_max_adapters", type: "integer", defaultValue: 1, integerRange: { from: 0, to: 16 }, description: "runtime adapters kept in reduce mode, strongest first (a matching bake keeps its whole mix)" },
  { name: "monitoring.max_cpu_percent", type: "double", defaultValue: DEFAULT_POWER_POLICY.maxCpuPercent, floatingPointRange: PERCENT, description: "percent: above it this computer counts as overloaded and the node reduces" },
  { name: "monitoring.max_memory_percent", type: "double", defaultValue: DEFAULT_POWER_POLICY.maxMemoryPercent, floatingPointRange: PERCENT, description: "percent of RAM in use: above it the node reduces" },
  { name: "monitoring.period_ms", type: "integer", defaultValue: 2000, integerRange: { from: 0, to: 3_600_000 }, readOnly: true, description: "how often CPU, memory (and a Jetson's GPU) load is sampled; 0 turns load monitoring off" },
];

export interface PowerAwareness {
  readonly monitor: PowerMonitor;
  /** What bakes, training and exports ask before they start. */
  readonly gate: BackgroundWorkGate;
  decision(): PowerDecision;
  /** What the current mode leaves of a turn's limits. */
  budget(turn: { readonly maxTokens: number; readonly routing: boolean }): TurnBudget;
  diagnostic(): DiagnosticReport;
  close(): void;
}

export function startPowerAwareness(node: GraphNode, options: { readonly onChange?: (decision: PowerDecision) => void } = {}): PowerAwareness {
  for (const descriptor of POWER_PARAMETERS) node.declareParameter(descriptor);
  const { num, str } = parameterReader(node);
  const policy = (): PowerPolicy => ({
    ...DEFAULT_POWER_POLICY,
    batteryThreshold: num("power.battery_threshold"),
    onBatteryBehavior: str("power.on_battery_behavior") as OnBatteryBehavior,
    maxCpuPercent: num("monitoring.max_cpu_percent"),
    maxMemoryPercent: num("monitoring.max_memory_percent"),
  });
  const batteryTopic = str("power.battery_topic");
  const monitor: PowerMonitor = new PowerMonitor({
    policy,
    batteryConfigured: batteryTopic !== "",
    onChange: (decision, previous) => {
      if (decision.mode !== previous.mode) {
        const log = decision.mode === "full" ? node.logger.info.bind(node.logger) : node.logger.warn.bind(node.logger);
        log(`power mode ${previous.mode} -> ${decision.mode}: ${decision.reason}`);
      }
      gate.update();
      options.onChange?.(decision);
    },
  });
  const gate = new BackgroundWorkGate(() => ({ open: monitor.decision.backgroundAllowed, reason: monitor.decision.reason }));

  if (batteryTopic !== "") {
    node.createSubscription("sensor_msgs/msg/BatteryState", batteryTopic, (message) => {
      if (!monitor.acceptBattery(message, timeToMillis(node.now()))) {
        // Counted; logged at debug only, since a broken driver may send many.
        node.logger.debug(`battery reading ignored: ${monitor.lastProblem}`);
      }
    }, 10);
  }
  const sampler = new SystemLoadSampler();
  const periodMs = num("monitoring.period_ms");
  const timer = periodMs > 0 ? node.createTimer(periodMs, () => monitor.acceptLoad(sampler.sample())) : undefined;
  const listener = node.onParametersChanged((changes) => {
    if (changes.some((c) => c.name.startsWith("power.") || c.name.startsWith("monitoring."))) monitor.evaluate();
  });

  return {
    monitor,
    gate,
    decision: () => monitor.decision,
    budget: (turn) => turnBudget(monitor.decision.mode, turn, { maxTokens: num("power.reduced_max_tokens"), maxAdapters: num("power.reduced_max_adapters") }),
    diagnostic: () => {
      const d = monitor.decision;
      const battery = monitor.lastBattery;
      const load = monitor.lastLoad;
      return {
        level: d.mode === "full" && monitor.ignoredReadings === 0 ? "ok" : "warn",
        message: `${d.mode}: ${d.reason}`,
        values: {
          mode: d.mode,
          battery_topic: batteryTopic || "none (mains)",
          battery_percent: battery ? Number(battery.percent.toFixed(1)) : "unknown",
          power_source: battery?.source ?? (batteryTopic ? "unknown" : "mains"),
          battery_readings: monitor.counters.batteryReadings,
          battery_ignored_nan: monitor.counters.ignored.nan,
          battery_ignored_out_of_range: monitor.counters.ignored.out_of_range,
          battery_ignored_unknown_status: monitor.counters.ignored.unknown_status,
          last_ignored: monitor.lastProblem || "none",
          cpu_percent: load ? Number(load.cpuPercent.toFixed(1)) : "unknown",
          memory_percent: load ? Number(load.memoryPercent.toFixed(1)) : "unknown",
          gpu_percent: load?.gpuPercent !== undefined ? Number(load.gpuPercent.toFixed(1)) : "not reported",
          mode_changes: monitor.counters.modeChanges,
          background_allowed: d.backgroundAllowed,
          background_pending: gate.pending.length,
          background_running: gate.runningJob ?? "none",
        },
      };
    },
    close: () => {
      timer?.cancel();
      listener.dispose();
    },
  };
}
