/** The port's QoS profile as an rclnodejs QoS object (KEEP_LAST with the profile's depth). */
import type { QosProfile } from "../GraphPort.js";
import type { Rcl, RclnodejsModule } from "./types.js";

export function toRosQos(rcl: RclnodejsModule, qos: QosProfile): Rcl.QoS {
  const { HistoryPolicy, ReliabilityPolicy, DurabilityPolicy } = rcl.QoS;
  return new rcl.QoS(
    HistoryPolicy.RMW_QOS_POLICY_HISTORY_KEEP_LAST,
    qos.depth,
    qos.reliability === "reliable"
      ? ReliabilityPolicy.RMW_QOS_POLICY_RELIABILITY_RELIABLE
      : ReliabilityPolicy.RMW_QOS_POLICY_RELIABILITY_BEST_EFFORT,
    qos.durability === "transient_local"
      ? DurabilityPolicy.RMW_QOS_POLICY_DURABILITY_TRANSIENT_LOCAL
      : DurabilityPolicy.RMW_QOS_POLICY_DURABILITY_VOLATILE,
  );
}
