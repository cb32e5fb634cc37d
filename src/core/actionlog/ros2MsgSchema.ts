import { messageDefinitionText, type MessageTypeName } from "../interfaces/messages.generated.js";
import { parseMessage } from "../interfaces/parseInterface.js";

const SEPARATOR = "=".repeat(80);

export class UnknownMessageTypeError extends Error {
  constructor(type: string, usedBy: string) {
    super(`${usedBy} uses ${type}, which has no definition in messages.generated.ts; add its .msg file and run npm run gen:interfaces`);
    this.name = "UnknownMessageTypeError";
  }
}

/** The complex types a .msg text refers to, in order of first use (parsed by the one .msg parser). */
function dependencies(typeName: string, text: string): string[] {
  return parseMessage(text, typeName).fields.filter((field) => !field.type.isPrimitive).map((field) => field.type.base);
}

/**
 * The schema text of an MCAP "ros2msg" schema: the type's own .msg text, then each
 * type it depends on (depth first, once each) after a line of 80 '=' and
 * "MSG: pkg/Type", the layout rosbag2 writes and Foxglove and `ros2 bag` read.
 */
export function ros2MsgSchema(typeName: MessageTypeName): string {
  const main = messageDefinitionText[typeName];
  const seen = new Set<string>([typeName]);
  const parts = [main.trimEnd()];
  const visit = (name: string, text: string) => {
    for (const dep of dependencies(name, text)) {
      if (seen.has(dep)) continue;
      seen.add(dep);
      const depText = (messageDefinitionText as Record<string, string>)[dep];
      if (depText === undefined) throw new UnknownMessageTypeError(dep, name);
      const [pkg, , type] = dep.split("/");
      parts.push(`${SEPARATOR}\nMSG: ${pkg}/${type}\n${depText.trimEnd()}`);
      visit(dep, depText);
    }
  };
  visit(typeName, main);
  return `${parts.join("\n")}\n`;
}
