/**
 * Power and load awareness: what the robot's battery and this computer's load say, the policy
 * that turns them into a mode, and what a mode changes. The seed's names (PersonalModel):
 * power.battery_threshold, power.on_battery_behavior, monitoring.max_cpu_percent and
 * monitoring.max_memory_percent.
 */

/**
 * full: everything as configured. reduce: shorter replies, fewer adapters (a matching bake only),
 * no expert routing. pause: replies are model-free (from memory), nothing is generated.
 */
export type PowerMode = "full" | "reduce" | "pause";
export const POWER_MODES: readonly PowerMode[] = ["full", "reduce", "pause"];

export type OnBatteryBehavior = "reduce" | "pause" | "ignore";
export const ON_BATTERY_BEHAVIORS: readonly OnBatteryBehavior[] = ["reduce", "pause", "ignore"];

/** Where the power comes from, as far as the battery reports it. */
export type PowerSource = "mains" | "charging" | "battery";

/** A battery reading after validation: percent in [0, 100]. */
export interface BatterySample {
  readonly percent: number;
  readonly source: PowerSource;
  /** When it was read (ms since the epoch, the node's clock). */
  readonly atMs: number;
}

/** This computer's load in percent [0, 100]; gpu only where the platform reports it. */
export interface LoadSample {
  readonly cpuPercent: number;
  readonly memoryPercent: number;
  readonly gpuPercent?: number;
}

export interface PowerPolicy {
  /** Below this charge (percent) on battery, on_battery_behavior applies. Default 30. */
  readonly batteryThreshold: number;
  readonly onBatteryBehavior: OnBatteryBehavior;
  /**
   * Above either (percent), the node reduces its work. Default 100 / 90: CPU throttling is off
   * unless set (a busy shared machine would otherwise reduce every node); the seed suggests 80 / 75.
   */
  readonly maxCpuPercent: number;
  readonly maxMemoryPercent: number;
  /**
   * Points a reading must recover past a limit before the restriction lifts, so a value that
   * hovers at the limit does not flip the mode on every reading. Default 2 (battery) / 5 (load).
   */
  readonly batteryHysteresis: number;
  readonly loadHysteresis: number;
}

export const DEFAULT_POWER_POLICY: PowerPolicy = {
  batteryThreshold: 30,
  onBatteryBehavior: "reduce",
  maxCpuPercent: 100,
  maxMemoryPercent: 90,
  batteryHysteresis: 2,
  loadHysteresis: 5,
};

/** The mode and why, in words an operator reads in ~/persona_state and /diagnostics. */
export interface PowerDecision {
  readonly mode: PowerMode;
  readonly reason: string;
  /** Whether background work (bakes, training, exports) may run: mains power or charging only. */
  readonly backgroundAllowed: boolean;
}
