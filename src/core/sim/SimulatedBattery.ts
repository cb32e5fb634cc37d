/**
 * The simulated robot's battery: it drains while the robot works and, once it is down to the
 * docking level, the robot goes to the charging dock and charges until it is nearly full, then goes
 * back to work. Deterministic (a function of simulated time only), so demos and tests see the same
 * day. It speaks sensor_msgs/BatteryState, as a real robot's battery driver would.
 */
import { createSensorMsgsBatteryState, SensorMsgsBatteryStateConstants as Status, type SensorMsgsBatteryState } from "../interfaces/messages.generated.js";
import { millisToTime } from "../time.js";

export interface SimulatedBatteryOptions {
  /** Charge at simulated time 0, percent (default 100). */
  readonly startPercent?: number;
  /** Percent per simulated hour while working (default 12: a working day of about 6.5 hours). */
  readonly drainPerHour?: number;
  /** Percent per simulated hour on the dock (default 40). */
  readonly chargePerHour?: number;
  /** The robot docks when the charge falls to this (default 20). */
  readonly dockAtPercent?: number;
  /** ... and leaves the dock at this (default 95). */
  readonly undockAtPercent?: number;
  /** Pack capacity in Ah (default 20) and nominal voltage (default 25.2 V, a 7-cell Li-ion pack). */
  readonly capacityAh?: number;
  readonly nominalVoltage?: number;
}

const HOUR_MS = 3_600_000;

export class SimulatedBattery {
  private readonly drainPerMs: number;
  private readonly chargePerMs: number;
  private readonly dockAt: number;
  private readonly undockAt: number;
  private readonly capacityAh: number;
  private readonly nominalVoltage: number;
  private percentNow: number;
  private docked = false;
  private simMs = 0;
  /** Times the robot reached the dock. */
  dockings = 0;

  constructor(options: SimulatedBatteryOptions = {}) {
    this.drainPerMs = (options.drainPerHour ?? 12) / HOUR_MS;
    this.chargePerMs = (options.chargePerHour ?? 40) / HOUR_MS;
    this.dockAt = options.dockAtPercent ?? 20;
    this.undockAt = options.undockAtPercent ?? 95;
    this.capacityAh = options.capacityAh ?? 20;
    this.nominalVoltage = options.nominalVoltage ?? 25.2;
    if (!(this.dockAt < this.undockAt)) throw new Error("dockAtPercent must be below undockAtPercent");
    if (this.drainPerMs <= 0 || this.chargePerMs <= 0) throw new Error("drainPerHour and chargePerHour must be positive");
    this.percentNow = Math.min(100, Math.max(0, options.startPercent ?? 100));
    this.docked = this.percentNow <= this.dockAt;
  }

  get percent(): number {
    return this.percentNow;
  }
  get charging(): boolean {
    return this.docked;
  }
  get simulatedMs(): number {
    return this.simMs;
  }

  /** Runs the battery forward to a simulated time (ms since its start); earlier times are ignored. */
  advanceTo(simMs: number): void {
    let remaining = simMs - this.simMs;
    if (!(remaining > 0)) return;
    this.simMs = simMs;
    // Exact piecewise integration: a long step crosses the dock and undock levels where it should.
    while (remaining > 0) {
      if (this.docked) {
        const toFull = (this.undockAt - this.percentNow) / this.chargePerMs;
        if (toFull > remaining) {
          this.percentNow += remaining * this.chargePerMs;
          return;
        }
        this.percentNow = this.undockAt;
        this.docked = false;
        remaining -= toFull;
      } else {
        const toDock = (this.percentNow - this.dockAt) / this.drainPerMs;
        if (toDock > remaining) {
          this.percentNow -= remaining * this.drainPerMs;
          return;
        }
        this.percentNow = this.dockAt;
        this.docked = true;
        this.dockings++;
        remaining -= Math.max(0, toDock);
      }
    }
  }

  /** The battery as a driver publishes it, stamped with the given (wall) time. */
  message(stampMs: number): SensorMsgsBatteryState {
    const fraction = this.percentNow / 100;
    const currentA = this.docked ? (this.chargePerMs * HOUR_MS * this.capacityAh) / 100 : -(this.drainPerMs * HOUR_MS * this.capacityAh) / 100;
    return {
      ...createSensorMsgsBatteryState(),
      header: { stamp: millisToTime(stampMs), frame_id: "base_link" },
      // A Li-ion pack's voltage rises roughly with charge: 3.3 V to 4.1 V per cell around the nominal 3.6 V.
      voltage: this.nominalVoltage * (0.92 + 0.22 * fraction),
      // A real driver may send NaN (unmeasured); the in-process graph accepts finite floats only.
      temperature: 31,
      current: currentA,
      charge: fraction * this.capacityAh,
      capacity: this.capacityAh,
      design_capacity: this.capacityAh,
      percentage: fraction,
      power_supply_status: this.docked ? Status.POWER_SUPPLY_STATUS_CHARGING : Status.POWER_SUPPLY_STATUS_DISCHARGING,
      power_supply_health: Status.POWER_SUPPLY_HEALTH_GOOD,
      power_supply_technology: Status.POWER_SUPPLY_TECHNOLOGY_LION,
      present: true,
      location: "main",
      serial_number: "SIM-0001",
    };
  }
}
