/**
 * Conversions between the port's parameter model (GraphPort.ts) and rclnodejs's Parameter,
 * ParameterDescriptor, FloatingPointRange and IntegerRange. rclnodejs holds integers as bigint;
 * the port holds numbers (parameters here are small: sizes, counts, milliseconds).
 */
import type { ParameterDescriptor, ParameterType, ParameterValue } from "../GraphPort.js";
import type { Rcl, RclnodejsModule } from "./types.js";

/**
 * rcl_interfaces/msg/ParameterType values. rclnodejs declares ParameterType as an ambient
 * `const enum`, which isolatedModules cannot read, so the numbers are spelt out here; the
 * declared type still checks that each one is a real member.
 */
const ROS_PARAMETER_TYPE: { readonly [K in ParameterType]: Rcl.ParameterType } = {
  bool: 1 satisfies Rcl.ParameterType.PARAMETER_BOOL,
  integer: 2 satisfies Rcl.ParameterType.PARAMETER_INTEGER,
  double: 3 satisfies Rcl.ParameterType.PARAMETER_DOUBLE,
  string: 4 satisfies Rcl.ParameterType.PARAMETER_STRING,
  double_array: 8 satisfies Rcl.ParameterType.PARAMETER_DOUBLE_ARRAY,
  string_array: 9 satisfies Rcl.ParameterType.PARAMETER_STRING_ARRAY,
};

export function rosParameterType(type: ParameterType): Rcl.ParameterType {
  return ROS_PARAMETER_TYPE[type];
}

/** The value as rclnodejs's Parameter expects it for `type`. */
export function toRosValue(type: ParameterType, value: ParameterValue): boolean | bigint | number | string | number[] | string[] {
  switch (type) {
    case "integer":
      return BigInt(Math.trunc(Number(value)));
    case "double":
      return Number(value);
    case "double_array":
      return Array.isArray(value) ? value.map((v) => Number(v)) : [];
    case "string_array":
      return Array.isArray(value) ? value.map((v) => String(v)) : [];
    case "bool":
      return Boolean(value);
    case "string":
      return String(value);
  }
}

/**
 * A value that arrived from rcl (an override from --ros-args or a params file, or a
 * `ros2 param set`), as a port value; undefined when it has no port equivalent (bytes, bool
 * and integer arrays, unset), which the caller reports as a rejected value.
 */
export function fromRosValue(value: unknown): ParameterValue | undefined {
  if (typeof value === "boolean" || typeof value === "string" || typeof value === "number") return value;
  if (typeof value === "bigint") return Number(value);
  if (Array.isArray(value) || ArrayBuffer.isView(value)) {
    const items: unknown[] = Array.from(value as ArrayLike<unknown>);
    if (items.every((v): v is string => typeof v === "string")) return items;
    if (items.every((v) => typeof v === "number" || typeof v === "bigint")) return items.map((v) => Number(v));
  }
  return undefined;
}

export function toRosParameter(rcl: RclnodejsModule, descriptor: ParameterDescriptor, value: ParameterValue): Rcl.Parameter {
  return new rcl.Parameter(descriptor.name, rosParameterType(descriptor.type), toRosValue(descriptor.type, value));
}

/**
 * The descriptor `ros2 param describe` shows: type, description, read-only, range, constraints.
 *
 * Two rclnodejs 2.2.0 bugs (lib/parameter.js) are worked around here:
 * - ParameterDescriptor.toMessage() reads `this._rangeConstraint`, which nothing sets (the
 *   constructor and the `range` setter write `_range`), and would hand over the Range object
 *   itself (fromValue/toValue getters) where rcl_interfaces wants {from_value, to_value, step}:
 *   `ros2 param describe` never shows a range. This descriptor's toMessage() builds the message.
 * - A value outside the range fails ParameterDescriptor.validateParameter, which node.js
 *   _validateParameters reports as "Parameter x does not  readonly". So rclnodejs gets no range to
 *   check; the port's own check (checkParameterValue, run in RclnodejsNode.vetParameters)
 *   rejects the value with "outside the range [from, to]".
 */
export function toRosDescriptor(rcl: RclnodejsModule, descriptor: ParameterDescriptor): Rcl.ParameterDescriptor {
  const ros = new rcl.ParameterDescriptor(
    descriptor.name,
    rosParameterType(descriptor.type),
    descriptor.description,
    descriptor.readOnly ?? false,
  );
  const constraints = [
    descriptor.allowedValues ? `one of: ${descriptor.allowedValues.join(", ")}` : "",
    descriptor.additionalConstraints ?? "",
  ].filter(Boolean);
  ros.additionalConstraints = constraints.join("; ");
  const message: Rcl.rcl_interfaces.msg.ParameterDescriptor = {
    name: descriptor.name,
    type: rosParameterType(descriptor.type),
    description: descriptor.description,
    additional_constraints: ros.additionalConstraints,
    read_only: descriptor.readOnly ?? false,
    dynamic_typing: false,
    floating_point_range: [],
    integer_range: [],
  };
  if (descriptor.type === "double" && descriptor.floatingPointRange) {
    const r = descriptor.floatingPointRange;
    message.floating_point_range = [{ from_value: r.from, to_value: r.to, step: r.step ?? 0 }];
  } else if (descriptor.type === "integer" && descriptor.integerRange) {
    const r = descriptor.integerRange;
    // rcl_interfaces/IntegerRange: step 0 means "every integer".
    message.integer_range = [{ from_value: BigInt(r.from), to_value: BigInt(r.to), step: BigInt(r.step ?? 0) }];
  }
  ros.toMessage = () => structuredClone(message);
  return ros;
}
