/**
 * The power state machine of one node: battery messages and load samples in, one current
 * decision out. Invalid battery readings are ignored and counted by kind; the last valid one
 * stays. The listener hears each change of mode (or of whether background work may run) once,
 * not every reading, so a node logs a change once.
 */
import { decidePowerMode, NO_LATCHES, type PowerLatches } from "./decidePowerMode.js";
import { readBatteryState, type BatteryProblem } from "./readBatteryState.js";
import type { BatterySample, LoadSample, PowerDecision, PowerPolicy } from "./types.js";

export interface PowerMonitorOptions {
  /** Read at every evaluation, so a policy parameter set at run time applies from the next reading. */
  readonly policy: () => PowerPolicy;
  /** False: no battery topic, the computer is on mains power. */
  readonly batteryConfigured: boolean;
  /** A change of mode or of backgroundAllowed, with the decision before it. */
  readonly onChange?: (decision: PowerDecision, previous: PowerDecision) => void;
}

export interface PowerCounters {
  batteryReadings: number;
  /** Ignored readings by kind. */
  ignored: Record<BatteryProblem, number>;
  modeChanges: number;
}

type BatteryMessage = Parameters<typeof readBatteryState>[0];

export class PowerMonitor {
  readonly counters: PowerCounters = { batteryReadings: 0, ignored: { nan: 0, out_of_range: 0, unknown_status: 0 }, modeChanges: 0 };
  /** Why the last ignored reading was ignored. */
  lastProblem = "";
  private battery: BatterySample | undefined;
  private load: LoadSample | undefined;
  private latches: PowerLatches = NO_LATCHES;
  private current: PowerDecision;

  constructor(private readonly options: PowerMonitorOptions) {
    const first = decidePowerMode(options.policy(), { batteryConfigured: options.batteryConfigured });
    this.current = first.decision;
    this.latches = first.latches;
  }

  get decision(): PowerDecision {
    return this.current;
  }
  get lastBattery(): BatterySample | undefined {
    return this.battery;
  }
  get lastLoad(): LoadSample | undefined {
    return this.load;
  }
  get ignoredReadings(): number {
    const i = this.counters.ignored;
    return i.nan + i.out_of_range + i.unknown_status;
  }

  /** A BatteryState message; false when it was ignored (and counted). */
  acceptBattery(message: BatteryMessage, atMs: number): boolean {
    const reading = readBatteryState(message, atMs);
    if (!reading.ok) {
      this.counters.ignored[reading.problem]++;
      this.lastProblem = reading.detail;
      return false;
    }
    this.counters.batteryReadings++;
    this.battery = reading.sample;
    this.evaluate();
    return true;
  }

  acceptLoad(sample: LoadSample): void {
    this.load = sample;
    this.evaluate();
  }

  /** After a policy parameter changed. */
  evaluate(): PowerDecision {
    const next = decidePowerMode(
      this.options.policy(),
      { batteryConfigured: this.options.batteryConfigured, ...(this.battery ? { battery: this.battery } : {}), ...(this.load ? { load: this.load } : {}) },
      this.latches,
    );
    this.latches = next.latches;
    const previous = this.current;
    this.current = next.decision;
    if (previous.mode !== next.decision.mode || previous.backgroundAllowed !== next.decision.backgroundAllowed) {
      if (previous.mode !== next.decision.mode) this.counters.modeChanges++;
      this.options.onChange?.(next.decision, previous);
    }
    return this.current;
  }
}
