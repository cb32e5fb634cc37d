/**
 * The graph port: the one small interface through which nodes talk to ROS 2.
 * Two implementations: the in-process graph (standalone mode and tests) and the
 * rclnodejs adapter (a sourced ROS 2 on a robot). Nodes depend only on this file.
 */
import type { Logger } from "pino";
import type {
  BuiltinInterfacesTime,
  MessageOf,
  MessageTypeName,
  RequestOf,
  ResponseOf,
  ServiceTypeName,
} from "../core/interfaces/messages.generated.js";

export type { Logger } from "pino";

// ---------- QoS ----------

export interface QosProfile {
  /** KEEP_LAST depth: how many messages a subscription queues before dropping the oldest. */
  readonly depth: number;
  readonly reliability: "reliable" | "best_effort";
  readonly durability: "volatile" | "transient_local";
}
export const DEFAULT_QOS: QosProfile = { depth: 10, reliability: "reliable", durability: "volatile" };
/** Either a full profile, a partial one, or just a depth. */
export type QosInput = number | Partial<QosProfile>;

export function resolveQos(qos: QosInput | undefined): QosProfile {
  if (qos === undefined) return DEFAULT_QOS;
  if (typeof qos === "number") return { ...DEFAULT_QOS, depth: qos };
  return { ...DEFAULT_QOS, ...qos };
}

// ---------- Topics and services ----------

export interface Publisher<M> {
  readonly topic: string;
  /** Validates the message against its .msg schema; throws MessageValidationError naming the field. */
  publish(message: M): void;
  subscriptionCount(): number;
}

/**
 * A subscription's handle. Contract of every Graph implementation: a subscription callback
 * receives only messages that match the zod schema generated from their .msg (types,
 * integer ranges, no unknown fields, no NaN), in an object of its own that no publisher or
 * other subscriber shares. The in-process graph validates at publish and hands each
 * subscriber its own validated copy; the rclnodejs graph validates each incoming message
 * and drops (and logs) one that does not match. A callback may therefore skip the schema
 * and check only what the schema cannot say (sizes, ids, stamps, semantics).
 */
export interface Subscription {
  readonly topic: string;
  /** Messages dropped because the KEEP_LAST queue was full. */
  readonly dropped: number;
}

export type MessageCallback<M> = (message: M) => void | Promise<void>;

export type ServiceHandler<T extends ServiceTypeName> = (
  request: RequestOf<T>,
) => ResponseOf<T> | Promise<ResponseOf<T>>;

export interface ServiceServer {
  readonly service: string;
}

export interface CallOptions {
  /** Fails with ServiceTimeoutError after this long (default 5000 ms), also when no server exists. */
  readonly timeoutMs?: number;
}

export interface ServiceClient<T extends ServiceTypeName> {
  readonly service: string;
  call(request: RequestOf<T>, options?: CallOptions): Promise<ResponseOf<T>>;
  /** Resolves true once a server is available, false after timeoutMs. */
  waitForService(timeoutMs: number): Promise<boolean>;
}

// ---------- Parameters ----------

export type ParameterType = "bool" | "integer" | "double" | "string" | "string_array" | "double_array";
export type ParameterValue = boolean | number | string | readonly string[] | readonly number[];

export interface NumericRange {
  readonly from: number;
  readonly to: number;
  /** 0 means any value in the range. */
  readonly step?: number;
}

export interface ParameterDescriptor {
  readonly name: string;
  readonly type: ParameterType;
  readonly description: string;
  readonly defaultValue: ParameterValue;
  readonly readOnly?: boolean;
  /** For double parameters (ROS FloatingPointRange). */
  readonly floatingPointRange?: NumericRange;
  /** For integer parameters (ROS IntegerRange). */
  readonly integerRange?: NumericRange;
  /** For string parameters: the allowed values (checked by the port, shown in additional_constraints). */
  readonly allowedValues?: readonly string[];
  readonly additionalConstraints?: string;
}

export interface ParameterChange {
  readonly name: string;
  readonly oldValue: ParameterValue;
  readonly newValue: ParameterValue;
}

export interface SetParametersResult {
  readonly successful: boolean;
  /** Why the change was rejected; '' when successful. */
  readonly reason: string;
}

/**
 * Called with the whole batch before it is applied. Returning unsuccessful rejects
 * the batch; every parameter then keeps its old value (ROS 2 semantics).
 */
export type ParameterValidator = (changes: readonly ParameterChange[]) => SetParametersResult;
export type ParameterListener = (changes: readonly ParameterChange[]) => void;

// ---------- Timers, time ----------

export interface Timer {
  cancel(): void;
}

export interface Disposable {
  dispose(): void;
}

// ---------- The node ----------

export interface GraphNode {
  readonly name: string;
  readonly namespace: string;
  /** e.g. /robot1/memory */
  readonly fullyQualifiedName: string;
  readonly logger: Logger;

  createPublisher<T extends MessageTypeName>(type: T, topic: string, qos?: QosInput): Publisher<MessageOf<T>>;
  /**
   * Subscribes to a topic. The callback gets schema-valid messages only, each its own
   * object (see Subscription): it need not run the message's zod schema again.
   */
  createSubscription<T extends MessageTypeName>(
    type: T,
    topic: string,
    callback: MessageCallback<MessageOf<T>>,
    qos?: QosInput,
  ): Subscription;
  createService<T extends ServiceTypeName>(type: T, name: string, handler: ServiceHandler<T>): ServiceServer;
  createClient<T extends ServiceTypeName>(type: T, name: string): ServiceClient<T>;

  /**
   * Declares a parameter. A value given on the command line or in a params file
   * overrides the default when it passes the descriptor's checks; otherwise the
   * default is kept and the problem is logged and counted.
   */
  declareParameter(descriptor: ParameterDescriptor): ParameterValue;
  getParameter(name: string): ParameterValue;
  getParameterDescriptor(name: string): ParameterDescriptor | undefined;
  listParameters(): readonly string[];
  /** Applies all values or none: descriptor checks first, then every validator. */
  setParameters(values: Readonly<Record<string, ParameterValue>>): SetParametersResult;
  addParameterValidator(validator: ParameterValidator): Disposable;
  onParametersChanged(listener: ParameterListener): Disposable;

  createTimer(periodMs: number, callback: () => void): Timer;
  now(): BuiltinInterfacesTime;
  destroy(): void;
}

export interface NodeOptions {
  readonly namespace?: string;
  /** Values from `-p name:=value` and `--params-file`, applied at declaration. */
  readonly parameterOverrides?: Readonly<Record<string, ParameterValue>>;
  /** Topic and service remappings from `-r from:=to`. */
  readonly remappings?: Readonly<Record<string, string>>;
}

export interface Graph {
  readonly kind: "in-process" | "rclnodejs";
  createNode(name: string, options?: NodeOptions): GraphNode;
  /** Starts processing callbacks (a no-op for the in-process graph, which is always live). */
  spin(): void;
  /**
   * First step of a clean stop: no more incoming messages, requests or timer callbacks are
   * processed, while the nodes stay usable (publish, clock, parameters) so their owners can
   * flush and close. Messages not yet taken stay with the middleware, never acknowledged.
   */
  stopIntake(): void;
  shutdown(): Promise<void>;
}
