/**
 * What the bridge knows about this package's interfaces: parsed definitions of every
 * message and service half (for the CDR codec) and the "ros2msg" schema text Foxglove
 * reads, built the way rosbag2 and foxglove_bridge lay it out. Message schemas come
 * from the action log's ros2MsgSchema (one implementation for MCAP and the live view).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ros2MsgSchema } from "../core/actionlog/ros2MsgSchema.js";
import { messageDefinitionText, type MessageTypeName, type ServiceTypeName, serviceSchemas } from "../core/interfaces/messages.generated.js";
import { parseMessage, parseService, type MessageDefinition } from "../core/interfaces/parseInterface.js";
import { packageRoot } from "../core/packageRoot.js";

const SEPARATOR = `${"=".repeat(80)}\n`;

export interface ServiceHalfSchema {
  /** e.g. embodied_assistant/srv/Recall_Request, as foxglove_bridge names service halves. */
  readonly schemaName: string;
  readonly schema: string;
}

export interface InterfaceCatalog {
  readonly definitions: ReadonlyMap<string, MessageDefinition>;
  messageSchema(type: MessageTypeName): string;
  serviceSchemas(type: ServiceTypeName): { request: ServiceHalfSchema; response: ServiceHalfSchema };
}

/** The blocks of a ros2msg schema after the first, keyed by their "MSG: pkg/Type" line. */
function dependencyBlocks(schema: string): [string, string][] {
  return schema.split(SEPARATOR).slice(1).map((block) => [block.slice(0, block.indexOf("\n")), block]);
}

/** A service half's text followed by each message it uses (depth first, once each). */
function serviceHalfSchema(text: string, definition: MessageDefinition): string {
  const parts = [text.trimEnd()];
  const seen = new Set<string>();
  const add = (header: string, block: string) => {
    if (seen.has(header)) return;
    seen.add(header);
    parts.push(`${block.trimEnd()}`);
  };
  for (const field of definition.fields) {
    if (field.type.isPrimitive) continue;
    const dependency = field.type.base as MessageTypeName;
    const [pkg, , type] = dependency.split("/");
    const own = ros2MsgSchema(dependency);
    const firstSeparator = own.indexOf(SEPARATOR);
    const ownText = firstSeparator < 0 ? own : own.slice(0, firstSeparator);
    add(`MSG: ${pkg}/${type}`, `MSG: ${pkg}/${type}\n${ownText}`);
    for (const [header, block] of dependencyBlocks(own)) add(header, block);
  }
  return `${parts.join(`\n${SEPARATOR}`)}\n`;
}

/** Reads the .srv files of the package (srv/ beside package.json) once. */
export function loadInterfaceCatalog(root: string = packageRoot()): InterfaceCatalog {
  const definitions = new Map<string, MessageDefinition>();
  for (const [name, text] of Object.entries(messageDefinitionText)) definitions.set(name, parseMessage(text, name));
  const services = new Map<string, { request: ServiceHalfSchema; response: ServiceHalfSchema }>();
  for (const type of Object.keys(serviceSchemas) as ServiceTypeName[]) {
    const text = readFileSync(join(root, "srv", `${type.split("/")[2]}.srv`), "utf8");
    const parsed = parseService(text, type);
    definitions.set(parsed.request.name, parsed.request);
    definitions.set(parsed.response.name, parsed.response);
    const [requestText = "", responseText = ""] = text.split(/^---\s*$/m);
    services.set(type, {
      request: { schemaName: parsed.request.name, schema: serviceHalfSchema(requestText, parsed.request) },
      response: { schemaName: parsed.response.name, schema: serviceHalfSchema(responseText, parsed.response) },
    });
  }
  return {
    definitions,
    messageSchema: (type) => ros2MsgSchema(type),
    serviceSchemas: (type) => {
      const found = services.get(type);
      if (!found) throw new Error(`service type ${type} has no .srv file under srv/`);
      return found;
    },
  };
}
