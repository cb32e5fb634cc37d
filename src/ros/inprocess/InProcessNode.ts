import type { Logger } from "pino";
import type {
  BuiltinInterfacesTime,
  MessageOf,
  MessageTypeName,
  RequestOf,
  ResponseOf,
  ServiceTypeName,
} from "../../core/interfaces/messages.generated.js";
import type {
  CallOptions,
  Disposable,
  GraphNode,
  MessageCallback,
  NodeOptions,
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
import { ServiceHandlerError, ServiceTimeoutError } from "../errors.js";
import { fullyQualifiedNodeName, normalizeNamespace, resolveTopicName, validateNodeName } from "../names.js";
import { ParameterTable } from "../parameters.js";
import { validatedServiceCopy } from "../validateMessage.js";
import type { InProcessGraph, TopicSubscriber } from "./InProcessGraph.js";
import { millisToTime } from "../../core/time.js";

const DEFAULT_CALL_TIMEOUT_MS = 5000;

export class InProcessNode implements GraphNode {
  readonly name: string;
  readonly namespace: string;
  readonly fullyQualifiedName: string;
  readonly logger: Logger;
  private readonly parameters: ParameterTable;
  private readonly remappings: Readonly<Record<string, string>>;
  private readonly timers = new Set<NodeJS.Timeout>();
  private destroyed = false;

  constructor(
    private readonly graph: InProcessGraph,
    name: string,
    options: NodeOptions,
    makeLogger: (fqn: string) => Logger,
  ) {
    this.name = validateNodeName(options.remappings?.["__node"] ?? name);
    this.namespace = normalizeNamespace(options.remappings?.["__ns"] ?? options.namespace);
    this.fullyQualifiedName = fullyQualifiedNodeName(this.name, this.namespace);
    this.remappings = options.remappings ?? {};
    this.logger = makeLogger(this.fullyQualifiedName);
    this.parameters = new ParameterTable(options.parameterOverrides ?? {});
  }

  private resolve(name: string): string {
    return resolveTopicName(name, this.name, this.namespace, this.remappings);
  }

  private assertAlive(): void {
    if (this.destroyed) throw new Error(`node ${this.fullyQualifiedName} was destroyed`);
  }

  createPublisher<T extends MessageTypeName>(type: T, topicName: string, qos?: QosInput): Publisher<MessageOf<T>> {
    this.assertAlive();
    const topic = this.resolve(topicName);
    const profile = resolveQos(qos);
    const entry = this.graph.topic(topic, type);
    const latchDepth = profile.durability === "transient_local" ? profile.depth : 0;
    return {
      topic,
      publish: (message) => {
        this.assertAlive();
        this.graph.deliver(entry, message, latchDepth);
      },
      subscriptionCount: () => entry.subscribers.size,
    };
  }

  createSubscription<T extends MessageTypeName>(
    type: T,
    topicName: string,
    callback: MessageCallback<MessageOf<T>>,
    qos?: QosInput,
  ): Subscription {
    this.assertAlive();
    const topic = this.resolve(topicName);
    const profile = resolveQos(qos);
    const entry = this.graph.topic(topic, type);
    const subscriber: TopicSubscriber = {
      nodeName: this.fullyQualifiedName,
      depth: Math.max(1, profile.depth),
      callback: callback as MessageCallback<unknown>,
      queue: [],
      head: 0,
      dropped: 0,
      scheduled: false,
      onError: (error) => this.logger.error({ err: error, topic }, "subscription callback failed; the message was skipped"),
    };
    entry.subscribers.add(subscriber);
    if (profile.durability === "transient_local") {
      for (const message of this.graph.latchedCopies(entry)) this.graph.enqueue(subscriber, message);
    }
    return {
      topic,
      get dropped() {
        return subscriber.dropped;
      },
    };
  }

  createService<T extends ServiceTypeName>(type: T, serviceName: string, handler: ServiceHandler<T>): ServiceServer {
    this.assertAlive();
    const service = this.resolve(serviceName);
    this.graph.addService(service, { type, nodeName: this.fullyQualifiedName, handler: handler as unknown as ServiceHandler<ServiceTypeName> });
    return { service };
  }

  createClient<T extends ServiceTypeName>(type: T, serviceName: string): ServiceClient<T> {
    this.assertAlive();
    const service = this.resolve(serviceName);
    const graph = this.graph;
    return {
      service,
      waitForService: (timeoutMs) => graph.waitForService(service, timeoutMs),
      async call(request: RequestOf<T>, options: CallOptions = {}): Promise<ResponseOf<T>> {
        const copy = validatedServiceCopy(type, "request", request);
        const timeoutMs = options.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
        const started = Date.now();
        if (!(await graph.waitForService(service, timeoutMs))) throw new ServiceTimeoutError(service, timeoutMs, false);
        const server = graph.findService(service)!;
        if (server.type !== type) {
          throw new Error(`service ${service} has type ${server.type}, but this client expects ${type}`);
        }
        const remaining = Math.max(0, timeoutMs - (Date.now() - started));
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new ServiceTimeoutError(service, timeoutMs, true)), remaining);
        });
        const handled = (async () => {
          await new Promise((r) => setImmediate(r));
          try {
            return await server.handler(copy);
          } catch (error) {
            throw new ServiceHandlerError(service, error);
          }
        })();
        try {
          return validatedServiceCopy(type, "response", await Promise.race([handled, timeout])) as ResponseOf<T>;
        } finally {
          clearTimeout(timer);
          handled.catch(() => undefined);
        }
      },
    };
  }

  declareParameter(descriptor: ParameterDescriptor): ParameterValue {
    this.assertAlive();
    const before = this.parameters.rejectedOverrides.length;
    const value = this.parameters.declare(descriptor);
    for (const rejected of this.parameters.rejectedOverrides.slice(before)) {
      this.logger.error({ parameter: rejected.name }, `ignored the given value of ${rejected.name}: ${rejected.reason}; using the default ${JSON.stringify(descriptor.defaultValue)}`);
    }
    return value;
  }

  getParameter(name: string): ParameterValue {
    return this.parameters.get(name);
  }

  getParameterDescriptor(name: string): ParameterDescriptor | undefined {
    return this.parameters.descriptor(name);
  }

  listParameters(): readonly string[] {
    return this.parameters.names();
  }

  /** Overrides given at start-up that were rejected (for diagnostics). */
  get rejectedParameterOverrides(): readonly { name: string; reason: string }[] {
    return this.parameters.rejectedOverrides;
  }

  setParameters(values: Readonly<Record<string, ParameterValue>>): SetParametersResult {
    this.assertAlive();
    const result = this.parameters.set(values);
    if (result.successful) this.logger.info({ parameters: values }, "parameters set");
    else this.logger.warn({ parameters: values, reason: result.reason }, "parameter change rejected");
    return result;
  }

  addParameterValidator(validator: ParameterValidator): Disposable {
    return this.parameters.addValidator(validator);
  }

  onParametersChanged(listener: ParameterListener): Disposable {
    return this.parameters.addListener(listener);
  }

  createTimer(periodMs: number, callback: () => void): Timer {
    this.assertAlive();
    if (!(periodMs > 0)) throw new Error(`timer period must be positive, got ${periodMs} ms`);
    const handle = setInterval(() => {
      try {
        callback();
      } catch (error) {
        this.logger.error({ err: error }, "timer callback failed");
      }
    }, periodMs);
    this.timers.add(handle);
    return {
      cancel: () => {
        clearInterval(handle);
        this.timers.delete(handle);
      },
    };
  }

  now(): BuiltinInterfacesTime {
    return millisToTime(this.graph.now());
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const timer of this.timers) clearInterval(timer);
    this.timers.clear();
    this.graph.removeNodeEndpoints(this.fullyQualifiedName);
  }
}
