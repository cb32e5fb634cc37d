/**
 * A sensor_msgs/BatteryState turned into a validated sample, or the reason it is ignored.
 * BatteryState gives percentage on 0..1 (NaN when unmeasured); when it is NaN, charge / capacity
 * stands in. A reading that says nothing usable is ignored (and counted by the caller), never
 * guessed: a driver publishing 0..100 gets a reason that names the range, not a wrong mode.
 */
import { SensorMsgsBatteryStateConstants as Status, type SensorMsgsBatteryState } from "../interfaces/messages.generated.js";
import type { BatterySample, PowerSource } from "./types.js";

export type BatteryProblem = "nan" | "out_of_range" | "unknown_status";

export type BatteryReading =
  | { readonly ok: true; readonly sample: BatterySample }
  | { readonly ok: false; readonly problem: BatteryProblem; readonly detail: string };

type BatteryFields = Pick<SensorMsgsBatteryState, "percentage" | "charge" | "capacity" | "current" | "power_supply_status" | "present">;

function sourceOf(message: BatteryFields): PowerSource | undefined {
  switch (message.power_supply_status) {
    case Status.POWER_SUPPLY_STATUS_CHARGING:
    case Status.POWER_SUPPLY_STATUS_FULL:
      return "charging";
    // Plugged in but not charging (a charge limit, a full pack): the robot runs on external power.
    case Status.POWER_SUPPLY_STATUS_NOT_CHARGING:
      return "mains";
    case Status.POWER_SUPPLY_STATUS_DISCHARGING:
      return "battery";
    case Status.POWER_SUPPLY_STATUS_UNKNOWN:
      // The sign of the current is the next best evidence; without it, assume the battery (the safe side).
      return Number.isFinite(message.current) && message.current > 0 ? "charging" : "battery";
    default:
      return undefined;
  }
}

export function readBatteryState(message: BatteryFields, atMs: number): BatteryReading {
  // No battery in the slot: whatever runs this computer is external power.
  if (!message.present) return { ok: true, sample: { percent: 100, source: "mains", atMs } };
  const source = sourceOf(message);
  if (source === undefined) {
    return { ok: false, problem: "unknown_status", detail: `power_supply_status ${message.power_supply_status} is not a BatteryState status (0..4)` };
  }
  let fraction = message.percentage;
  if (Number.isNaN(fraction) && Number.isFinite(message.charge) && Number.isFinite(message.capacity) && message.capacity > 0) {
    fraction = message.charge / message.capacity;
  }
  if (Number.isNaN(fraction)) return { ok: false, problem: "nan", detail: "percentage is NaN (unmeasured) and charge/capacity give none" };
  if (!Number.isFinite(fraction) || fraction < 0 || fraction > 1) {
    return { ok: false, problem: "out_of_range", detail: `percentage ${fraction} is outside 0..1 (BatteryState's range)` };
  }
  return { ok: true, sample: { percent: fraction * 100, source, atMs } };
}
