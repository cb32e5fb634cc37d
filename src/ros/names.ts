import { NameResolutionError } from "./errors.js";

/** ROS 2 name rules (rcl): tokens of letters, digits and underscores, not starting with a digit. */
const TOKEN = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function normalizeNamespace(namespace: string | undefined): string {
  if (!namespace || namespace === "/") return "/";
  const trimmed = namespace.replace(/\/+$/, "");
  const absolute = trimmed.startsWith("/") ? trimmed : `/${trimmed}`;
  for (const token of absolute.slice(1).split("/")) {
    if (!TOKEN.test(token)) throw new NameResolutionError(namespace, `namespace token "${token}" must match [A-Za-z_][A-Za-z0-9_]*`);
  }
  return absolute;
}

export function validateNodeName(name: string): string {
  if (!TOKEN.test(name)) throw new NameResolutionError(name, "a node name must match [A-Za-z_][A-Za-z0-9_]*");
  return name;
}

export function fullyQualifiedNodeName(name: string, namespace: string): string {
  return namespace === "/" ? `/${name}` : `${namespace}/${name}`;
}

/**
 * Expands a topic or service name the way rcl does: `~` is the node's private
 * namespace, a relative name lives in the node's namespace, an absolute one is kept.
 */
export function expandTopicName(name: string, nodeName: string, namespace: string): string {
  if (name === "") throw new NameResolutionError(name, "a topic or service name must not be empty");
  let expanded: string;
  if (name === "~") expanded = fullyQualifiedNodeName(nodeName, namespace);
  else if (name.startsWith("~/")) expanded = `${fullyQualifiedNodeName(nodeName, namespace)}/${name.slice(2)}`;
  else if (name.startsWith("/")) expanded = name;
  else expanded = namespace === "/" ? `/${name}` : `${namespace}/${name}`;
  for (const token of expanded.slice(1).split("/")) {
    if (!TOKEN.test(token)) throw new NameResolutionError(name, `token "${token}" must match [A-Za-z_][A-Za-z0-9_]*`);
  }
  return expanded;
}

/** Expands a name, then applies `-r from:=to` remappings (both sides expanded in the node's context). */
export function resolveTopicName(
  name: string,
  nodeName: string,
  namespace: string,
  remappings: Readonly<Record<string, string>> = {},
): string {
  const expanded = expandTopicName(name, nodeName, namespace);
  for (const [from, to] of Object.entries(remappings)) {
    if (from.startsWith("__")) continue;
    if (expandTopicName(from, nodeName, namespace) === expanded) return expandTopicName(to, nodeName, namespace);
  }
  return expanded;
}
