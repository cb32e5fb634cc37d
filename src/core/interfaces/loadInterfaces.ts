import { readdirSync, readFileSync, existsSync } from "node:fs";
import { join, basename } from "node:path";
import { parseMessage, parseService, type MessageDefinition, type ServiceDefinition } from "./parseInterface.js";

export interface InterfaceSet {
  readonly messages: readonly MessageDefinition[];
  readonly services: readonly ServiceDefinition[];
  /** Raw .msg text by fully qualified name (needed for ros2msg schemas, e.g. in MCAP). */
  readonly messageText: Readonly<Record<string, string>>;
}

export const PACKAGE_NAME = "embodied_assistant";

function listFiles(dir: string, ext: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith(ext)).sort().map((f) => join(dir, f));
}

/**
 * Reads this package's msg/ and srv/ plus the vendored standard interfaces
 * (third_party/ros_interfaces/<pkg>/msg) under `root`.
 */
export function loadInterfaces(root: string): InterfaceSet {
  const messages: MessageDefinition[] = [];
  const services: ServiceDefinition[] = [];
  const messageText: Record<string, string> = {};
  const addMessages = (pkg: string, dir: string) => {
    for (const file of listFiles(dir, ".msg")) {
      const name = `${pkg}/msg/${basename(file, ".msg")}`;
      const text = readFileSync(file, "utf8");
      messages.push(parseMessage(text, name, file));
      messageText[name] = text;
    }
  };
  const stdRoot = join(root, "third_party", "ros_interfaces");
  if (existsSync(stdRoot)) {
    for (const pkg of readdirSync(stdRoot).sort()) addMessages(pkg, join(stdRoot, pkg, "msg"));
  }
  addMessages(PACKAGE_NAME, join(root, "msg"));
  for (const file of listFiles(join(root, "srv"), ".srv")) {
    services.push(parseService(readFileSync(file, "utf8"), `${PACKAGE_NAME}/srv/${basename(file, ".srv")}`, file));
  }
  return { messages, services, messageText };
}
