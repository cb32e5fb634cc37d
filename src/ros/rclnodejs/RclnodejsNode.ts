/**
 * One GraphNode on a real ROS 2 graph through rclnodejs. Every message is validated against
 * the zod schema generated from its .msg before it reaches rcl, so a wrong shape fails here
 * with the field named (MessageValidationError), exactly as on the in-process graph.
 * Name resolution (~/x, namespaces, -r remappings) is rcl's own; parameters are rclnodejs's
 * parameters (so `ros2 param get/set/describe` work), with the port's validators and listeners
 * attached through its set-parameters callbacks.
 */
import type { Logger } from "pino";
import type {
  BuiltinInterfacesTime,
  MessageOf,
  MessageTypeName,
  RequestOf,
  ResponseOf,
  ServiceTypeName,
} from "../../core/interfaces/messages.generated.js";
import { serviceFactories } from "../../core/interfaces/messages.generated.js";
import type {
  CallOptions,
  Disposable,
  GraphNode,
  MessageCallback,
  NodeOptions,
  ParameterChange,
  ParameterDescriptor,
  ParameterListener,
  ParameterValidator,
  ParameterValue,
  Publisher,
  QosInput,
  ServiceClient,
  ServiceHandler,
  ServiceServer,
  SetParametersResult,
  Subscription,
  Timer,
} from "../GraphPort.js";
import { resolveQos } from "../GraphPort.js";
import { ParameterError, ServiceTimeoutError } from "../errors.js";
import { checkParameterValue, coerceParameterValue } from "../parameters.js";
import { assertMessage, assertServicePart } from "../validateMessage.js";
import { toRosMessage, toRosRequest, toRosResponse } from "./messageConformance.js";
import { fromRosValue, rosParameterType, toRosDescriptor, toRosParameter } from "./parameterConversion.js";
import { toRosQos } from "./qos.js";
import { toPlain } from "./toPlain.js";
import type { Rcl, RclnodejsModule } from "./types.js";

const DEFAULT_CALL_TIMEOUT_MS = 5000;

export class RclnodejsNode implements GraphNode {
  readonly name: string;
  readonly namespace: string;
  readonly fullyQualifiedName: string;
  /** Overrides from --ros-args / params files that failed their descriptor (the default was kept). */
  readonly rejectedParameterOverrides: { name: string; reason: string }[] = [];
  /** Incoming messages or requests that failed their schema and were dropped. */
  invalidIncoming = 0;

  private readonly values = new Map<string, ParameterValue>();
  private readonly descriptors = new Map<string, ParameterDescriptor>();
  private readonly validators = new Set<ParameterValidator>();
  private readonly listeners = new Set<ParameterListener>();
  /** Set by coerceIncoming for the set it is screening; reported by vetParameters (see there). */
  private pendingRejection: string | undefined;
  destroyed = false;

  constructor(
    private readonly rcl: RclnodejsModule,
    readonly ros: Rcl.Node,
    private readonly options: NodeOptions,
    readonly logger: Logger,
  ) {
    this.name = ros.name();
    this.namespace = ros.namespace();
    this.fullyQualifiedName = ros.getFullyQualifiedName();
    ros.addPreSetParametersCallback((parameters) => this.coerceIncoming(parameters));
    ros.addOnSetParametersCallback((parameters) => this.vetParameters(parameters));
    ros.addPostSetParametersCallback((parameters) => this.announceParameters(parameters));
  }

  // ---------- topics ----------

  createPublisher<T extends MessageTypeName>(type: T, topic: string, qos?: QosInput): Publisher<MessageOf<T>> {
    const publisher = this.ros.createPublisher(type, topic, { qos: toRosQos(this.rcl, resolveQos(qos)) });
    return {
      topic: publisher.topic,
      publish: (message: MessageOf<T>) => {
        assertMessage(type, message);
        publisher.publish(toRosMessage(type, message));
      },
      // A getter in rclnodejs 2.2.0's publisher.js, a method in its publisher.d.ts: accept both.
      subscriptionCount: () => {
        const count: unknown = (publisher as unknown as { subscriptionCount: unknown }).subscriptionCount;
        return typeof count === "function" ? Number((count as () => unknown).call(publisher)) : Number(count);
      },
    };
  }

  createSubscription<T extends MessageTypeName>(
    type: T,
    topic: string,
    callback: MessageCallback<MessageOf<T>>,
    qos?: QosInput,
  ): Subscription {
    const options: Rcl.Options = { qos: toRosQos(this.rcl, resolveQos(qos)), enableTypedArray: false };
    const subscription = this.ros.createSubscription(type, topic, options, (message: Rcl.MessageType<T> | Buffer) => {
      const plain = toPlain(message);
      try {
        assertMessage(type, plain);
      } catch (error) {
        this.invalidIncoming++;
        this.logger.warn({ topic: subscription.topic, err: error }, "dropped a message that does not match its .msg");
        return;
      }
      Promise.resolve()
        .then(() => callback(plain as MessageOf<T>)) // validated just above
        .catch((error: unknown) => this.logger.error({ topic: subscription.topic, err: error }, "subscription callback failed"));
    });
    // rcl does not report KEEP_LAST overflow to the subscriber; the drops happen inside the middleware.
    return { topic: subscription.topic, dropped: 0 };
  }

  // ---------- services ----------

  createService<T extends ServiceTypeName>(type: T, name: string, handler: ServiceHandler<T>): ServiceServer {
    const service = this.ros.createService(type, name, { enableTypedArray: false }, (request, response) => {
      this.serve(type, service.serviceName, handler, toPlain(request))
        .then((reply) => response.send(toRosResponse(type, reply)))
        .catch((error: unknown) => this.logger.error({ service: service.serviceName, err: error }, "could not send the service response"));
    });
    return { service: service.serviceName };
  }

  /** Runs the handler; a bad request or a failing handler becomes a success=false response, never a crash. */
  private async serve<T extends ServiceTypeName>(type: T, service: string, handler: ServiceHandler<T>, request: unknown): Promise<ResponseOf<T>> {
    // Every .srv response here has `bool success` and `string message` (the type checks it), so a
    // failure can always be answered in the service's own terms.
    const failure = (message: string): ResponseOf<T> => {
      const response = serviceFactories[type].response();
      const status: { success: boolean; message: string } = response;
      return { ...response, ...status, success: false, message };
    };
    try {
      assertServicePart(type, "request", request);
    } catch (error) {
      this.invalidIncoming++;
      return failure(error instanceof Error ? error.message : String(error));
    }
    try {
      const response = await handler(request as RequestOf<T>); // validated just above
      assertServicePart(type, "response", response);
      return response;
    } catch (error) {
      this.logger.error({ service, err: error }, "service handler failed");
      return failure(`service ${service} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  createClient<T extends ServiceTypeName>(type: T, name: string): ServiceClient<T> {
    const client = this.ros.createClient(type, name, { enableTypedArray: false });
    const service = client.serviceName;
    return {
      service,
      waitForService: (timeoutMs: number) => client.waitForService(timeoutMs),
      call: async (request: RequestOf<T>, options: CallOptions = {}): Promise<ResponseOf<T>> => {
        assertServicePart(type, "request", request);
        const timeoutMs = options.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
        const deadline = Date.now() + timeoutMs;
        if (!client.isServiceServerAvailable() && !(await client.waitForService(timeoutMs))) {
          throw new ServiceTimeoutError(service, timeoutMs, false);
        }
        let response: Rcl.ServiceResponseMessage<T>;
        try {
          response = await client.sendRequestAsync(toRosRequest(type, request), { timeout: Math.max(1, deadline - Date.now()) });
        } catch (error) {
          if (error instanceof Error && error.name === "TimeoutError") {
            throw new ServiceTimeoutError(service, timeoutMs, client.isServiceServerAvailable());
          }
          throw error;
        }
        const plain = toPlain(response);
        assertServicePart(type, "response", plain);
        return plain as ResponseOf<T>; // validated just above
      },
    };
  }

  // ---------- parameters ----------

  declareParameter(descriptor: ParameterDescriptor): ParameterValue {
    if (this.descriptors.has(descriptor.name)) throw new ParameterError(descriptor.name, "is already declared");
    const defaultProblem = checkParameterValue(descriptor, descriptor.defaultValue);
    if (defaultProblem) throw new ParameterError(descriptor.name, `default value is invalid: ${defaultProblem}`);

    let value = descriptor.defaultValue;
    const override = this.overrideFor(descriptor.name);
    if (override !== undefined) {
      const candidate = override.value === undefined ? undefined : coerceParameterValue(descriptor.type, override.value);
      const problem = candidate === undefined ? "has a type with no equivalent here" : checkParameterValue(descriptor, candidate);
      if (problem || candidate === undefined) {
        this.rejectedParameterOverrides.push({ name: descriptor.name, reason: problem ?? "invalid" });
        this.logger.warn({ parameter: descriptor.name, source: override.source, reason: problem }, "parameter override rejected; keeping the default");
      } else {
        value = candidate;
      }
    }
    // ignoreOverride: the override was vetted above with the port's rules (which also coerce 1 to 1.0).
    this.ros.declareParameter(toRosParameter(this.rcl, descriptor, value), toRosDescriptor(this.rcl, descriptor), true);
    this.descriptors.set(descriptor.name, descriptor);
    this.values.set(descriptor.name, value);
    return value;
  }

  /**
   * The value the program resolved from params files and `-p` (rosArgs.ts: specificity within a
   * file, later files, then `-p`). rcl never sees those arguments (withoutParameterArguments), so
   * rclnodejs's own reading of them cannot take precedence.
   */
  private overrideFor(name: string): { value: ParameterValue | undefined; source: string } | undefined {
    const fromOptions = this.options.parameterOverrides;
    if (fromOptions && Object.hasOwn(fromOptions, name)) return { value: fromOptions[name], source: "command line or params file" };
    return undefined;
  }

  getParameter(name: string): ParameterValue {
    const value = this.values.get(name);
    if (value === undefined) throw new ParameterError(name, "is not declared");
    return value;
  }

  getParameterDescriptor(name: string): ParameterDescriptor | undefined {
    return this.descriptors.get(name);
  }

  listParameters(): readonly string[] {
    return [...this.descriptors.keys()].sort();
  }

  setParameters(values: Readonly<Record<string, ParameterValue>>): SetParametersResult {
    const parameters: Rcl.Parameter[] = [];
    for (const [name, raw] of Object.entries(values)) {
      const descriptor = this.descriptors.get(name);
      if (!descriptor) return { successful: false, reason: `parameter ${name} is not declared` };
      const value = coerceParameterValue(descriptor.type, raw);
      const problem = checkParameterValue(descriptor, value);
      if (problem) return { successful: false, reason: `parameter ${name}: ${problem}` };
      parameters.push(toRosParameter(this.rcl, descriptor, value));
    }
    if (parameters.length === 0) return { successful: true, reason: "" };
    // Atomically: all or none, the validators run once on the whole batch (vetParameters).
    const result = this.ros.setParametersAtomically(parameters);
    return { successful: result.successful, reason: result.successful ? "" : result.reason || "rejected" };
  }

  addParameterValidator(validator: ParameterValidator): Disposable {
    this.validators.add(validator);
    return { dispose: () => this.validators.delete(validator) };
  }

  onParametersChanged(listener: ParameterListener): Disposable {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** The changes a batch would make; parameters being declared (not yet in `values`) are skipped. */
  private changesOf(parameters: readonly Rcl.Parameter[]): ParameterChange[] | string {
    const changes: ParameterChange[] = [];
    for (const parameter of parameters) {
      const oldValue = this.values.get(parameter.name);
      const descriptor = this.descriptors.get(parameter.name);
      if (oldValue === undefined || !descriptor) continue;
      const raw = fromRosValue(parameter.value);
      if (raw === undefined) return `parameter ${parameter.name}: unsupported value type`;
      const newValue = coerceParameterValue(descriptor.type, raw);
      const problem = checkParameterValue(descriptor, newValue);
      if (problem) return `parameter ${parameter.name}: ${problem}`;
      changes.push({ name: parameter.name, oldValue, newValue });
    }
    return changes;
  }

  /**
   * rclnodejs's pre-set callback, run before its own checks (node.js _setParametersAtomically).
   * Those checks answer a type mismatch with "Parameter x does not  readonly" (node.js
   * _validateParameters), so the types are settled here: an integer for a double parameter is
   * converted (what `ros2 param set /dialogue persona.warmth 1` sends); any other mismatch is
   * replaced by the current value and its reason kept for vetParameters, which rejects the set.
   */
  private coerceIncoming(parameters: Rcl.Parameter[]): Rcl.Parameter[] {
    this.pendingRejection = undefined;
    return parameters.map((parameter) => {
      const descriptor = this.descriptors.get(parameter.name);
      const current = this.values.get(parameter.name);
      if (!descriptor || current === undefined) return parameter;
      const expected = rosParameterType(descriptor.type);
      if (parameter.type === expected) return parameter;
      const raw = fromRosValue(parameter.value);
      if (descriptor.type === "double" && typeof raw === "number") return toRosParameter(this.rcl, descriptor, raw);
      this.pendingRejection ??= `parameter ${parameter.name} is a ${descriptor.type}; the value given has another type`;
      return toRosParameter(this.rcl, descriptor, current);
    });
  }

  /** rclnodejs's set-parameters callback: also vets `ros2 param set` from outside. */
  private vetParameters(parameters: Rcl.Parameter[]): Rcl.rcl_interfaces.msg.SetParametersResult {
    const rejection = this.pendingRejection;
    this.pendingRejection = undefined;
    if (rejection !== undefined) return { successful: false, reason: rejection };
    const changes = this.changesOf(parameters);
    if (typeof changes === "string") return { successful: false, reason: changes };
    if (changes.length === 0) return { successful: true, reason: "" };
    for (const validator of this.validators) {
      const verdict = validator(changes);
      if (!verdict.successful) return { successful: false, reason: verdict.reason };
    }
    return { successful: true, reason: "" };
  }

  /** rclnodejs's post-set callback: the batch is applied; mirror it and tell the listeners. */
  private announceParameters(parameters: Rcl.Parameter[]): void {
    const changes = this.changesOf(parameters);
    if (typeof changes === "string" || changes.length === 0) return;
    for (const change of changes) this.values.set(change.name, change.newValue);
    for (const listener of this.listeners) {
      try {
        listener(changes);
      } catch (error) {
        this.logger.error({ err: error }, "parameter listener failed");
      }
    }
  }

  // ---------- timers, time ----------

  createTimer(periodMs: number, callback: () => void): Timer {
    const timer = this.ros.createTimer(BigInt(Math.max(1, Math.round(periodMs * 1e6))), () => {
      try {
        callback();
      } catch (error) {
        this.logger.error({ err: error }, "timer callback failed");
      }
    });
    return { cancel: () => timer.cancel() };
  }

  now(): BuiltinInterfacesTime {
    const stamp = this.ros.now().toMsg();
    return { sec: stamp.sec, nanosec: stamp.nanosec };
  }

  /** Idempotent: a node's owner destroys it in close(), and the graph again at shutdown. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.ros.destroy();
  }
}
