/**
 * The policy as pure functions: a battery sample, a load sample and the previous latches in, the
 * mode, its reason and the new latches out. Latches give hysteresis: a restriction starts when a
 * limit is crossed and lifts only once the reading is back past the limit by the hysteresis, so a
 * value hovering at the limit does not flip the mode on every reading.
 */
import type { BatterySample, LoadSample, PowerDecision, PowerMode, PowerPolicy } from "./types.js";

export interface PowerLatches {
  readonly lowBattery: boolean;
  readonly overloaded: boolean;
}
export const NO_LATCHES: PowerLatches = { lowBattery: false, overloaded: false };

export interface PowerInputs {
  /** False when no battery topic is configured: the computer is on mains power. */
  readonly batteryConfigured: boolean;
  /** The last valid reading; undefined while none has arrived. */
  readonly battery?: BatterySample;
  readonly load?: LoadSample;
}

const RANK: Record<PowerMode, number> = { full: 0, reduce: 1, pause: 2 };

export function stricterMode(a: PowerMode, b: PowerMode): PowerMode {
  return RANK[a] >= RANK[b] ? a : b;
}

/** One decimal, so a reading just under a limit never reads as the limit itself ("29.6% < 30%"). */
const pct = (value: number) => `${Number(value.toFixed(1))}%`;

export function decidePowerMode(policy: PowerPolicy, inputs: PowerInputs, previous: PowerLatches = NO_LATCHES): { decision: PowerDecision; latches: PowerLatches } {
  let mode: PowerMode = "full";
  const reasons: string[] = [];
  let backgroundAllowed: boolean;

  // ---- battery ----
  let lowBattery = false;
  const battery = inputs.battery;
  if (!inputs.batteryConfigured) {
    reasons.push("mains power (no battery topic)");
    backgroundAllowed = true;
  } else if (!battery) {
    reasons.push("no valid battery reading yet");
    backgroundAllowed = false;
  } else if (battery.source !== "battery") {
    reasons.push(battery.source === "charging" ? `charging at ${pct(battery.percent)}` : `external power at ${pct(battery.percent)}`);
    backgroundAllowed = true;
  } else {
    backgroundAllowed = false;
    const limit = previous.lowBattery ? policy.batteryThreshold + policy.batteryHysteresis : policy.batteryThreshold;
    lowBattery = battery.percent < limit;
    if (lowBattery && policy.onBatteryBehavior !== "ignore") {
      mode = policy.onBatteryBehavior;
      reasons.push(`battery ${pct(battery.percent)} < ${pct(policy.batteryThreshold)}, discharging`);
    } else {
      reasons.push(`battery ${pct(battery.percent)}, discharging${lowBattery ? " (low; on_battery_behavior ignore)" : ""}`);
    }
  }

  // ---- load ----
  let overloaded = false;
  const load = inputs.load;
  if (load) {
    const slack = previous.overloaded ? policy.loadHysteresis : 0;
    const cpuHigh = load.cpuPercent > policy.maxCpuPercent - slack;
    const memoryHigh = load.memoryPercent > policy.maxMemoryPercent - slack;
    overloaded = cpuHigh || memoryHigh;
    if (overloaded) {
      mode = stricterMode(mode, "reduce");
      const over: string[] = [];
      const describe = (what: string, value: number, max: number) =>
        value > max ? `${what} ${pct(value)} > ${pct(max)}` : `${what} ${pct(value)}, not yet below ${pct(max - slack)}`;
      if (cpuHigh) over.push(describe("cpu", load.cpuPercent, policy.maxCpuPercent));
      if (memoryHigh) over.push(describe("memory", load.memoryPercent, policy.maxMemoryPercent));
      reasons.push(over.join(", "));
      // Heavy background work would only make it worse; pending jobs wait for the load to drop.
      backgroundAllowed = false;
    }
  }
  return { decision: { mode, reason: reasons.join("; "), backgroundAllowed }, latches: { lowBattery, overloaded } };
}
