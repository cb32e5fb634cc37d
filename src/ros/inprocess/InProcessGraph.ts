import type { LevelWithSilent } from "pino";
import type { MessageOf, MessageTypeName, RequestOf, ResponseOf, ServiceTypeName } from "../../core/interfaces/messages.generated.js";
import type {
  Graph,
  GraphNode,
  MessageCallback,
  NodeOptions,
  ServiceHandler,
} from "../GraphPort.js";
import { createNodeLogger } from "../logger.js";
import { messageCopier } from "./fastMessageCopy.js";
import { InProcessNode } from "./InProcessNode.js";

export interface InProcessGraphOptions {
  /** Log level for every node's logger (default "info"; "silent" in tests). */
  readonly logLevel?: LevelWithSilent;
  readonly logDestination?: NodeJS.WritableStream;
  /** Clock for node.now() (default Date.now); a simulation may pass its own. */
  readonly clock?: () => number;
}

/** @internal A subscription's place on a topic. */
export interface TopicSubscriber {
  readonly nodeName: string;
  readonly depth: number;
  readonly callback: MessageCallback<unknown>;
  /** Replaced by a fresh array at each drain (no copy of the pending messages). */
  queue: unknown[];
  head: number;
  dropped: number;
  scheduled: boolean;
  onError: (error: unknown) => void;
}

interface TopicEntry {
  type: MessageTypeName;
  /** Validates a message of `type` against its schema and returns a copy (see fastMessageCopy). */
  readonly copy: (message: unknown) => unknown;
  readonly subscribers: Set<TopicSubscriber>;
  /** Last messages of transient_local publishers, for late joiners. */
  readonly latched: unknown[];
  latchDepth: number;
}

interface ServiceEntry {
  readonly type: ServiceTypeName;
  readonly nodeName: string;
  readonly handler: ServiceHandler<ServiceTypeName>;
}

/**
 * A ROS 2 graph inside one process, with the semantics tests and standalone mode
 * rely on: typed topics (a second type on a topic is an error), asynchronous
 * delivery with KEEP_LAST queues, transient_local latching, services with
 * timeouts, and messages copied so publisher and subscriber never share objects.
 */
export class InProcessGraph implements Graph {
  readonly kind = "in-process" as const;
  private readonly topics = new Map<string, TopicEntry>();
  private readonly services = new Map<string, ServiceEntry>();
  private readonly serviceWaiters = new Set<() => void>();
  private readonly nodes = new Map<string, InProcessNode>();
  private closed = false;

  constructor(readonly options: InProcessGraphOptions = {}) {}

  createNode(name: string, options: NodeOptions = {}): GraphNode {
    if (this.closed) throw new Error("the graph is shut down; create a new InProcessGraph");
    const node = new InProcessNode(this, name, options, (fqn) =>
      createNodeLogger(fqn, { level: this.options.logLevel ?? "info", ...(this.options.logDestination ? { destination: this.options.logDestination } : {}) }),
    );
    if (this.nodes.has(node.fullyQualifiedName)) {
      throw new Error(`a node named ${node.fullyQualifiedName} already exists in this graph; give it another name or namespace`);
    }
    this.nodes.set(node.fullyQualifiedName, node);
    return node;
  }

  spin(): void {}

  /**
   * A no-op: every publisher of this graph lives in this process and stops with it, and nothing
   * is acknowledged on receipt here (each node's close() drops what reaches it afterwards).
   */
  stopIntake(): void {}

  async shutdown(): Promise<void> {
    this.closed = true;
    for (const node of [...this.nodes.values()]) node.destroy();
  }

  /** Nodes by fully qualified name (for consoles and tests). */
  getNode(fullyQualifiedName: string): GraphNode | undefined {
    return this.nodes.get(fullyQualifiedName);
  }

  nodeNames(): string[] {
    return [...this.nodes.keys()].sort();
  }

  topicNames(): { name: string; type: string; subscribers: number }[] {
    return [...this.topics.entries()].map(([name, t]) => ({ name, type: t.type, subscribers: t.subscribers.size })).sort((a, b) => a.name.localeCompare(b.name));
  }

  serviceNames(): { name: string; type: string }[] {
    return [...this.services.entries()].map(([name, s]) => ({ name, type: s.type })).sort((a, b) => a.name.localeCompare(b.name));
  }

  now(): number {
    return (this.options.clock ?? Date.now)();
  }

  // ---- used by InProcessNode ----

  /** @internal */
  topic(name: string, type: MessageTypeName): TopicEntry {
    let entry = this.topics.get(name);
    if (!entry) {
      entry = { type, copy: messageCopier(type), subscribers: new Set(), latched: [], latchDepth: 0 };
      this.topics.set(name, entry);
    } else if (entry.type !== type) {
      throw new Error(`topic ${name} already carries ${entry.type}; it cannot also carry ${type}. Remap one side with -r ${name}:=<other>`);
    }
    return entry;
  }

  /** @internal */
  removeNodeEndpoints(nodeName: string): void {
    // Topic entries stay: other nodes' publishers hold them, and a topic keeps its type for the graph's life.
    for (const entry of this.topics.values()) {
      for (const sub of entry.subscribers) if (sub.nodeName === nodeName) entry.subscribers.delete(sub);
    }
    for (const [name, service] of this.services) if (service.nodeName === nodeName) this.services.delete(name);
    this.nodes.delete(nodeName);
  }

  /**
   * @internal Validates once against the message's schema and hands each subscriber its
   * own copy: the validated copy itself for the first, a fresh one for the others (cheaper
   * than structuredClone). fastMessageCopy checks the schema's constraints with code
   * compiled from it and falls back to zod for anything unusual, so an invalid message
   * still throws MessageValidationError here, at publish, naming the field.
   */
  deliver<T extends MessageTypeName>(topic: TopicEntry, message: MessageOf<T>, latchDepth: number): void {
    // A topic has one type for the graph's life (topic() refuses a second), so its copier fits the message.
    const copy = topic.copy;
    const validated = copy(message);
    if (latchDepth > 0) {
      topic.latchDepth = Math.max(topic.latchDepth, latchDepth);
      topic.latched.push(copy(validated));
      while (topic.latched.length > topic.latchDepth) topic.latched.shift();
    }
    let first = true;
    for (const subscriber of topic.subscribers) {
      this.enqueue(subscriber, first ? validated : copy(validated));
      first = false;
    }
  }

  /** @internal A copy of each latched message, for a transient_local late joiner. */
  latchedCopies(topic: TopicEntry): unknown[] {
    return topic.latched.map((message) => topic.copy(message));
  }

  /** @internal */
  enqueue(subscriber: TopicSubscriber, message: unknown): void {
    if (subscriber.queue.length - subscriber.head >= subscriber.depth) {
      subscriber.head++;
      subscriber.dropped++;
    }
    subscriber.queue.push(message);
    if (!subscriber.scheduled) {
      subscriber.scheduled = true;
      setImmediate(() => this.drain(subscriber));
    }
  }

  private drain(subscriber: TopicSubscriber): void {
    subscriber.scheduled = false;
    const batch = subscriber.queue;
    const start = subscriber.head;
    subscriber.queue = [];
    subscriber.head = 0;
    for (let i = start; i < batch.length; i++) {
      const message = batch[i];
      try {
        const result = subscriber.callback(message);
        if (result instanceof Promise) result.catch(subscriber.onError);
      } catch (error) {
        subscriber.onError(error);
      }
    }
  }

  /** @internal */
  addService(name: string, entry: ServiceEntry): void {
    const existing = this.services.get(name);
    if (existing) throw new Error(`service ${name} is already provided by ${existing.nodeName}; a service has one server`);
    this.services.set(name, entry);
    for (const wake of [...this.serviceWaiters]) wake();
  }

  /** @internal */
  findService(name: string): ServiceEntry | undefined {
    return this.services.get(name);
  }

  /** @internal Resolves when a server for `name` appears, or false after timeoutMs. */
  waitForService(name: string, timeoutMs: number): Promise<boolean> {
    if (this.services.has(name)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const wake = () => {
        if (!this.services.has(name)) return;
        clearTimeout(timer);
        this.serviceWaiters.delete(wake);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.serviceWaiters.delete(wake);
        resolve(false);
      }, timeoutMs);
      this.serviceWaiters.add(wake);
    });
  }
}

export type { RequestOf, ResponseOf };
