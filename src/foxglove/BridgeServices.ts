/**
 * Service calls from Foxglove into the graph: the request arrives as CDR, is decoded
 * against the .srv definition, goes through an ordinary graph client (which checks it
 * against the schema and times out), and the response goes back as CDR. Any failure
 * reaches the caller as a serviceCallFailure naming the reason; nothing throws into
 * the WebSocket server.
 */
import type { RequestOf, ServiceTypeName } from "../core/interfaces/messages.generated.js";
import type { GraphNode, Logger, ServiceClient } from "../ros/GraphPort.js";
import type { InterfaceCatalog } from "./interfaceCatalog.js";
import type { RosCdrCodec } from "./RosCdrCodec.js";
import type { FoxgloveServerInstance, IWebSocket, ServiceCallRequest } from "./wsProtocol.js";

export interface ServiceCounters {
  serviceCalls: number;
  serviceCallsFailed: number;
}

/** The id kept for a service of an unknown type, so it is looked at (and logged) once. */
const UNADVERTISED = -1;

interface AdvertisedService {
  readonly name: string;
  readonly type: ServiceTypeName;
  readonly client: ServiceClient<ServiceTypeName>;
}

export class BridgeServices {
  private readonly byId = new Map<number, AdvertisedService>();
  private readonly idByName = new Map<string, number>();

  constructor(
    private readonly server: FoxgloveServerInstance,
    private readonly node: GraphNode,
    private readonly catalog: InterfaceCatalog,
    private readonly codec: RosCdrCodec,
    private readonly counters: ServiceCounters,
    private readonly timeoutMs: number,
    private readonly logger: Logger,
  ) {}

  /** Advertises services that appeared and withdraws those that went away. */
  sync(services: readonly { name: string; type: string }[]): void {
    const present = new Set(services.map((s) => s.name));
    for (const [name, id] of this.idByName) {
      if (present.has(name)) continue;
      if (id !== UNADVERTISED) this.server.removeService(id);
      this.byId.delete(id);
      this.idByName.delete(name);
    }
    for (const { name, type } of services) {
      if (this.idByName.has(name)) continue;
      let schemas;
      try {
        schemas = this.catalog.serviceSchemas(type as ServiceTypeName);
      } catch (error) {
        this.logger.warn({ err: error, service: name }, "service not shown in Foxglove: its type has no definition");
        this.idByName.set(name, UNADVERTISED);
        continue;
      }
      const half = (h: { schemaName: string; schema: string }) => ({ encoding: "cdr", schemaEncoding: "ros2msg", ...h });
      const id = this.server.addService({
        name,
        type,
        request: half(schemas.request),
        response: half(schemas.response),
        // Older Foxglove versions read only these two.
        requestSchema: schemas.request.schema,
        responseSchema: schemas.response.schema,
      });
      const serviceType = type as ServiceTypeName;
      this.byId.set(id, { name, type: serviceType, client: this.node.createClient(serviceType, name) });
      this.idByName.set(name, id);
    }
  }

  async handleCall(request: ServiceCallRequest, connection: IWebSocket): Promise<void> {
    const { serviceId, callId } = request;
    const service = this.byId.get(serviceId);
    this.counters.serviceCalls++;
    try {
      if (!service) throw new Error(`service id ${serviceId} is not advertised`);
      if (request.encoding !== "cdr") throw new Error(`request encoding ${request.encoding} is not supported; send cdr`);
      const decoded = this.codec.decode(`${service.type}_Request`, request.data) as RequestOf<ServiceTypeName>;
      const response = await service.client.call(decoded, { timeoutMs: this.timeoutMs });
      const data = this.codec.encode(`${service.type}_Response`, response);
      this.server.sendServiceCallResponse({ serviceId, callId, encoding: "cdr", data }, connection);
    } catch (error) {
      this.counters.serviceCallsFailed++;
      const message = error instanceof Error ? error.message : String(error);
      this.logger.warn({ service: service?.name, callId, reason: message }, "service call from Foxglove failed");
      this.server.sendServiceCallFailure({ op: "serviceCallFailure", serviceId, callId, message }, connection);
    }
  }
}
