/**
 * @foxglove/ws-protocol ships CommonJS to Node (its ESM build uses extensionless
 * imports Node cannot resolve) and Node finds none of its named exports, so the
 * values come off the default export here, once, typed by the package's own .d.ts.
 */
import wsProtocol from "@foxglove/ws-protocol";

export const { FoxgloveServer, FoxgloveClient, StatusLevel, ServerCapability } = wsProtocol;
export type {
  Channel,
  IWebSocket,
  Parameter as FoxgloveParameter,
  ParameterValue as FoxgloveParameterValue,
  Service,
  ServiceCallRequest,
} from "@foxglove/ws-protocol";
export type FoxgloveServerInstance = InstanceType<typeof FoxgloveServer>;
