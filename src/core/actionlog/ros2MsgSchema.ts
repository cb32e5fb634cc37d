import { messageDefinitionText, type MessageTypeName } from "../interfaces/messages.generated.js";

const PRIMITIVES = new Set([
  "bool", "byte", "char", "float32", "float64", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64", "string", "wstring",
]);
const SEPARATOR = "=".repeat(80);

export class UnknownMessageTypeError extends Error {
  constructor(type: string, usedBy: string) {
    super(`${usedBy} uses ${type}, which has no definition in messages.generated.ts; add its .msg file and run npm run gen:interfaces`);
    this.name = "UnknownMessageTypeError";
  }
}

/** "std_msgs/Header" as written in a field, resolved to "std_msgs/msg/Header". */
function resolveFieldType(type: string, parentPackage: string): string {
  const parts = type.split("/");
  if (parts.length === 1) return `${parentPackage}/msg/${type}`;
  if (parts.length === 2) return `${parts[0]}/msg/${parts[1]}`;
  return type;
}

/** The complex types a .msg text refers to, in order of first use. */
function dependencies(typeName: string, text: string): string[] {
  const pkg = typeName.split("/")[0]!;
  const found: string[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.replace(/#.*/, "").trim();
    if (!line) continue;
    const [fieldType, rest] = line.split(/\s+/, 2);
    if (!fieldType || !rest || rest.includes("=")) continue; // constants are primitives
    const base = fieldType.replace(/\[.*\]$/, "").replace(/<=\d+$/, "");
    if (PRIMITIVES.has(base)) continue;
    found.push(resolveFieldType(base, pkg));
  }
  return found;
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
