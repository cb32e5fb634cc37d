/**
 * Compile-time proof that the zod types generated from msg/ and srv/ (messages.generated.ts)
 * and rclnodejs's types generated from the same files by rosidl (types/interfaces.d.ts) agree,
 * field for field. The adapter converts between the two with one cast each way (toRosMessage,
 * toRosRequest, ...); these checks are what make those casts sound. If a .msg changes and only
 * one side is regenerated, or a name here is misspelt, `npm run typecheck:ros` fails.
 */
import type {
  MessageOf,
  MessageTypeName,
  RequestOf,
  ResponseOf,
  ServiceTypeName,
} from "../../core/interfaces/messages.generated.js";
import type { Rcl } from "./types.js";

/** rclnodejs's own types for a ROS type name (what its publish, send and sendRequestAsync take). */
export type RosMessage<T extends MessageTypeName> = Rcl.MessageType<T>;
export type RosRequest<T extends ServiceTypeName> = Rcl.ServiceRequestMessage<T>;
export type RosResponse<T extends ServiceTypeName> = Rcl.ServiceResponseMessage<T>;

/**
 * `true` when ours is publishable as theirs and both name exactly the same fields; otherwise a
 * type that says what differs, so the compiler's message points at the fix, e.g.
 *   Type 'true' is not assignable to type '{ onlyInZod: "location"; onlyInRclnodejs: "place"; ... }'.
 */
type Conforms<Ours, Theirs> = [keyof Ours] extends [keyof Theirs]
  ? [keyof Theirs] extends [keyof Ours]
    ? [Ours] extends [Theirs]
      ? true
      : { fieldTypesDiffer: "a field's type differs: run `npm run gen:interfaces`, then `npm run typecheck:ros`" }
    : FieldsDiffer<Ours, Theirs>
  : FieldsDiffer<Ours, Theirs>;
type FieldsDiffer<Ours, Theirs> = {
  onlyInZod: Exclude<keyof Ours, keyof Theirs>;
  onlyInRclnodejs: Exclude<keyof Theirs, keyof Ours>;
  fix: "msg/srv and messages.generated.ts disagree: run `npm run gen:interfaces`";
};

type MessageConformance = { readonly [T in MessageTypeName]: Conforms<MessageOf<T>, RosMessage<T>> };
type ServiceConformance = {
  readonly [T in ServiceTypeName]: {
    readonly request: Conforms<RequestOf<T>, RosRequest<T>>;
    readonly response: Conforms<ResponseOf<T>, RosResponse<T>>;
  };
};

/**
 * Every interface the adapter sends or receives, by its ROS name. The value `true` type-checks
 * only where the two generated types conform; a missing, extra or misspelt name fails too.
 * At run time the list drives a preflight: rclnodejs must be able to load each type, which it
 * can only when this package's interfaces were built by rosidl on the robot (docs/ros2.md).
 */
export const MESSAGE_TYPES = {
  "builtin_interfaces/msg/Duration": true,
  "builtin_interfaces/msg/Time": true,
  "diagnostic_msgs/msg/DiagnosticArray": true,
  "diagnostic_msgs/msg/DiagnosticStatus": true,
  "diagnostic_msgs/msg/KeyValue": true,
  "sensor_msgs/msg/BatteryState": true,
  "std_msgs/msg/Header": true,
  "std_msgs/msg/String": true,
  "embodied_assistant/msg/ActionEvent": true,
  "embodied_assistant/msg/ActionOutcome": true,
  "embodied_assistant/msg/ActionStats": true,
  "embodied_assistant/msg/Episode": true,
  "embodied_assistant/msg/PanelTake": true,
  "embodied_assistant/msg/PersonaState": true,
} as const satisfies MessageConformance;

export const SERVICE_TYPES = {
  "embodied_assistant/srv/Ask": { request: true, response: true },
  "embodied_assistant/srv/Chat": { request: true, response: true },
  "embodied_assistant/srv/Classify": { request: true, response: true },
  "embodied_assistant/srv/ExportLog": { request: true, response: true },
  "embodied_assistant/srv/Forget": { request: true, response: true },
  "embodied_assistant/srv/GetActionStats": { request: true, response: true },
  "embodied_assistant/srv/QueryOutcomes": { request: true, response: true },
  "embodied_assistant/srv/Recall": { request: true, response: true },
  "embodied_assistant/srv/Remember": { request: true, response: true },
} as const satisfies ServiceConformance;

/** Sound because MESSAGE_TYPES type-checks: MessageOf<T> is assignable to RosMessage<T> for every T. */
export function toRosMessage<T extends MessageTypeName>(_type: T, message: MessageOf<T>): RosMessage<T> {
  return message as unknown as RosMessage<T>;
}
export function toRosRequest<T extends ServiceTypeName>(_type: T, request: RequestOf<T>): RosRequest<T> {
  return request as unknown as RosRequest<T>;
}
export function toRosResponse<T extends ServiceTypeName>(_type: T, response: ResponseOf<T>): RosResponse<T> {
  return response as unknown as RosResponse<T>;
}
