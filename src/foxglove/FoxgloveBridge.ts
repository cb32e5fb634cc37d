/**
 * A Foxglove WebSocket server over the in-process graph: what foxglove_bridge is to a
 * ROS 2 graph, for standalone mode. Topics become channels (ros2msg schema, CDR),
 * services become callable, node parameters become editable, and the bridge reports
 * its own health on /diagnostics. It joins the graph as an ordinary node
 * ("foxglove_bridge") and looks for new topics, services and nodes periodically.
 */
import type { AddressInfo } from "node:net";
import { WebSocketServer } from "ws";
import type { MessageTypeName } from "../core/interfaces/messages.generated.js";
import { DiagnosticsUpdater } from "../ros/diagnostics.js";
import type { Disposable, GraphNode, Timer } from "../ros/GraphPort.js";
import { BridgeParameters, type ParameterHost } from "./BridgeParameters.js";
import { BridgeServices } from "./BridgeServices.js";
import { loadInterfaceCatalog, type InterfaceCatalog } from "./interfaceCatalog.js";
import { RosCdrCodec } from "./RosCdrCodec.js";
import { FoxgloveServer, ServerCapability, type FoxgloveServerInstance, type IWebSocket } from "./wsProtocol.js";

/** What the bridge needs of a graph: the in-process graph's introspection methods. */
export interface IntrospectableGraph extends ParameterHost {
  createNode(name: string): GraphNode;
  topicNames(): { name: string; type: string }[];
  serviceNames(): { name: string; type: string }[];
  /** Milliseconds since the epoch on the graph's clock. */
  now(): number;
}

export const DEFAULT_FOXGLOVE_PORT = 8765;
export const DEFAULT_FOXGLOVE_HOST = "127.0.0.1";

export interface FoxgloveBridgeOptions {
  /** TCP port (default 8765, Foxglove's default; 0 picks a free one). */
  readonly port?: number;
  /** Interface to listen on (default 127.0.0.1: only this computer can connect). */
  readonly host?: string;
  /** How often new topics, services and nodes are looked for (default 1000 ms). */
  readonly discoveryPeriodMs?: number;
  /** Timeout of a service call from Foxglove (default 30000 ms: a chat turn on a CPU can take seconds). */
  readonly serviceTimeoutMs?: number;
  /**
   * Messages are dropped (and counted) while a client has more than this many bytes
   * waiting to be sent (default 16 MiB), so a slow client cannot grow memory without bound.
   */
  readonly maxBufferedBytes?: number;
  /** Interface definitions (default: read from the package's msg and srv). */
  readonly catalog?: InterfaceCatalog;
}

export class FoxgloveBridgeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FoxgloveBridgeError";
  }
}

interface TopicChannel {
  readonly topic: string;
  readonly type: MessageTypeName;
  subscribed: boolean;
  /** Created at the first client subscription and kept: the graph port has no unsubscribe. */
  graphSubscription: boolean;
}

export class FoxgloveBridge {
  readonly counters = {
    messagesSent: 0,
    messagesDropped: 0,
    encodeErrors: 0,
    serviceCalls: 0,
    serviceCallsFailed: 0,
    parameterSetsRefused: 0,
  };
  private readonly channels = new Map<number, TopicChannel>();
  private readonly advertisedTopics = new Set<string>();
  private readonly watchedNodes = new Map<string, Disposable>();
  private readonly codec: RosCdrCodec;
  private readonly server: FoxgloveServerInstance;
  private readonly services: BridgeServices;
  private readonly parameters: BridgeParameters;
  private readonly diagnostics: DiagnosticsUpdater;
  private readonly discovery: Timer;
  private readonly maxBufferedBytes: number;
  private closed = false;

  private constructor(
    private readonly graph: IntrospectableGraph,
    private readonly node: GraphNode,
    private readonly wss: WebSocketServer,
    private readonly catalog: InterfaceCatalog,
    options: FoxgloveBridgeOptions,
  ) {
    this.codec = new RosCdrCodec(catalog.definitions);
    this.maxBufferedBytes = options.maxBufferedBytes ?? 16 * 1024 * 1024;
    this.server = new FoxgloveServer({
      name: "embodied_assistant (in-process graph)",
      capabilities: [ServerCapability.parameters, ServerCapability.parametersSubscribe, ServerCapability.services],
      supportedEncodings: ["cdr"],
    });
    this.services = new BridgeServices(this.server, node, catalog, this.codec, this.counters, options.serviceTimeoutMs ?? 30_000, node.logger);
    this.parameters = new BridgeParameters(this.server, graph, this.counters);
    this.server.on("subscribe", (channelId) => this.subscribe(channelId));
    this.server.on("unsubscribe", (channelId) => {
      const channel = this.channels.get(channelId);
      if (channel) channel.subscribed = false;
    });
    this.server.on("serviceCallRequest", (request, connection) => void this.services.handleCall(request, connection));
    this.server.on("getParameters", (request, connection) => this.parameters.handleGet(request, connection));
    this.server.on("setParameters", (request, connection) => this.parameters.handleSet(request, connection));
    this.server.on("error", (error) => node.logger.warn({ err: error }, "Foxglove client sent a message the bridge could not handle"));
    wss.on("connection", (socket, request) => {
      this.server.handleConnection(socket as unknown as IWebSocket, `${request.socket.remoteAddress}:${request.socket.remotePort}`);
    });
    this.diagnostics = new DiagnosticsUpdater(node);
    this.diagnostics.add("websocket", () => ({
      level: "ok",
      message: `${wss.clients.size} client(s) on ${this.url}`,
      values: { clients: wss.clients.size, channels: this.channels.size, ...this.counters },
    }));
    this.sync();
    this.discovery = node.createTimer(options.discoveryPeriodMs ?? 1000, () => this.sync());
  }

  /** Listens on host:port and joins the graph; rejects with the reason when the port cannot be had. */
  static async start(graph: IntrospectableGraph, options: FoxgloveBridgeOptions = {}): Promise<FoxgloveBridge> {
    const host = options.host ?? DEFAULT_FOXGLOVE_HOST;
    const port = options.port ?? DEFAULT_FOXGLOVE_PORT;
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new FoxgloveBridgeError(`port must be an integer in [0, 65535], got ${port}`);
    const catalog = options.catalog ?? loadInterfaceCatalog();
    const wss = new WebSocketServer({ host, port, handleProtocols: (protocols) => (protocols.has(FoxgloveServer.SUPPORTED_SUBPROTOCOL) ? FoxgloveServer.SUPPORTED_SUBPROTOCOL : false) });
    await new Promise<void>((resolve, reject) => {
      wss.once("listening", () => resolve());
      wss.once("error", (error) => reject(new FoxgloveBridgeError(`cannot listen on ${host}:${port}: ${error.message}`)));
    });
    try {
      return new FoxgloveBridge(graph, graph.createNode("foxglove_bridge"), wss, catalog, options);
    } catch (error) {
      wss.close();
      throw error;
    }
  }

  get port(): number {
    return (this.wss.address() as AddressInfo).port;
  }

  get url(): string {
    const address = this.wss.address() as AddressInfo;
    const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
    return `ws://${host}:${address.port}`;
  }

  /** Advertises new topics and services, withdraws vanished services, watches new nodes' parameters. */
  sync(): void {
    if (this.closed) return;
    for (const { name, type } of this.graph.topicNames()) {
      if (this.advertisedTopics.has(name)) continue;
      this.advertisedTopics.add(name);
      if (!this.catalog.definitions.has(type)) {
        this.node.logger.warn({ topic: name, type }, "topic not shown in Foxglove: its type has no definition");
        continue;
      }
      const messageType = type as MessageTypeName;
      const id = this.server.addChannel({ topic: name, encoding: "cdr", schemaName: type, schema: this.catalog.messageSchema(messageType), schemaEncoding: "ros2msg" });
      this.channels.set(id, { topic: name, type: messageType, subscribed: false, graphSubscription: false });
    }
    this.services.sync(this.graph.serviceNames());
    const nodes = new Set(this.graph.nodeNames());
    for (const [name, watch] of this.watchedNodes) {
      if (nodes.has(name)) continue;
      watch.dispose();
      this.watchedNodes.delete(name);
    }
    for (const name of nodes) {
      const node = this.graph.getNode(name);
      if (node && !this.watchedNodes.has(name)) this.watchedNodes.set(name, this.parameters.watch(node));
    }
  }

  private subscribe(channelId: number): void {
    const channel = this.channels.get(channelId);
    if (!channel) return;
    channel.subscribed = true;
    if (channel.graphSubscription) return;
    channel.graphSubscription = true;
    // transient_local: a client that opens Foxglove late still gets the latest persona state.
    this.node.createSubscription(channel.type, channel.topic, (message) => this.forward(channelId, channel, message), { depth: 100, durability: "transient_local" });
  }

  private forward(channelId: number, channel: TopicChannel, message: unknown): void {
    if (!channel.subscribed || this.closed) return;
    for (const socket of this.wss.clients) {
      if (socket.bufferedAmount > this.maxBufferedBytes) {
        this.counters.messagesDropped++;
        return;
      }
    }
    let data: Uint8Array;
    try {
      data = this.codec.encode(channel.type, message);
    } catch (error) {
      this.counters.encodeErrors++;
      this.node.logger.error({ err: error, topic: channel.topic }, "could not encode a message for Foxglove; it was skipped");
      return;
    }
    this.server.sendMessage(channelId, BigInt(Math.round(this.graph.now())) * 1_000_000n, data);
    this.counters.messagesSent++;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.discovery.cancel();
    this.diagnostics.stop();
    for (const watch of this.watchedNodes.values()) watch.dispose();
    for (const socket of this.wss.clients) socket.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    this.node.destroy();
  }
}
