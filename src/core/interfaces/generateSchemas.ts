import type { FieldDefinition, FieldType, MessageDefinition } from "./parseInterface.js";
import { PACKAGE_NAME, type InterfaceSet } from "./loadInterfaces.js";

/**
 * Turns parsed interfaces into the TypeScript module `messages.generated.ts`:
 * one strict zod schema, one type and one factory of defaults per message, plus
 * registries by ROS type name. Pure: same input, same text.
 */

const INTEGER_RANGES: Record<string, readonly [number, number]> = {
  byte: [0, 255], char: [0, 255],
  int8: [-128, 127], uint8: [0, 255],
  int16: [-32768, 32767], uint16: [0, 65535],
  int32: [-2147483648, 2147483647], uint32: [0, 4294967295],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER], uint64: [0, Number.MAX_SAFE_INTEGER],
};

const pascal = (snake: string) => snake.split("_").map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join("");

/** TypeScript identifier for a message: bare for this package, prefixed by package otherwise. */
export function identifierFor(fullName: string): string {
  const [pkg = "", kind = "", type = ""] = fullName.split("/");
  if (kind === "srv") return type.replace(/_(Request|Response)$/, "$1");
  return pkg === PACKAGE_NAME ? type : `${pascal(pkg)}${type}`;
}

function scalarSchema(type: FieldType): string {
  if (!type.isPrimitive) return `${identifierFor(type.base)}Schema`;
  if (type.base === "bool") return "z.boolean()";
  if (type.base === "string" || type.base === "wstring") {
    return type.stringBound !== undefined ? `z.string().max(${type.stringBound})` : "z.string()";
  }
  if (type.base === "float32" || type.base === "float64") return "z.number()";
  const [min, max] = INTEGER_RANGES[type.base]!;
  return `z.number().int().min(${min}).max(${max})`;
}

function fieldSchema(field: FieldDefinition): string {
  const scalar = scalarSchema(field.type);
  switch (field.type.array) {
    case "none": return scalar;
    case "unbounded": return `z.array(${scalar})`;
    case "bounded": return `z.array(${scalar}).max(${field.type.arraySize})`;
    case "fixed": return `z.array(${scalar}).length(${field.type.arraySize})`;
  }
}

function scalarDefault(type: FieldType, literal?: string): string {
  if (!type.isPrimitive) return `create${identifierFor(type.base)}()`;
  if (type.base === "bool") return literal === undefined ? "false" : String(literal === "true" || literal === "1");
  if (type.base === "string" || type.base === "wstring") {
    return JSON.stringify(literal === undefined ? "" : literal.replace(/^(["'])(.*)\1$/, "$2"));
  }
  return literal === undefined ? "0" : String(Number(literal));
}

function fieldDefault(field: FieldDefinition): string {
  if (field.type.array === "none") return scalarDefault(field.type, field.defaultValue);
  if (field.defaultValue !== undefined) return field.defaultValue;
  if (field.type.array === "fixed") return `Array.from({ length: ${field.type.arraySize} }, () => ${scalarDefault(field.type)})`;
  return "[]";
}

/** Messages ordered so that every nested type is declared before its users. */
function dependencyOrder(messages: readonly MessageDefinition[]): MessageDefinition[] {
  const byName = new Map(messages.map((m) => [m.name, m]));
  const ordered: MessageDefinition[] = [];
  const visiting = new Set<string>();
  const visit = (message: MessageDefinition) => {
    if (ordered.includes(message)) return;
    if (visiting.has(message.name)) throw new Error(`recursive message definition through ${message.name}`);
    visiting.add(message.name);
    for (const field of message.fields) {
      if (field.type.isPrimitive) continue;
      const nested = byName.get(field.type.base);
      if (!nested) throw new Error(`${message.name}.${field.name} uses ${field.type.base}, which is not defined`);
      visit(nested);
    }
    visiting.delete(message.name);
    ordered.push(message);
  };
  messages.forEach(visit);
  return ordered;
}

function emitMessage(message: MessageDefinition): string {
  const id = identifierFor(message.name);
  const lines: string[] = [];
  lines.push(`/** ${message.name} */`);
  lines.push(`export const ${id}Schema = z.strictObject({`);
  for (const field of message.fields) lines.push(`  ${field.name}: ${fieldSchema(field)},`);
  lines.push(`});`);
  lines.push(`export type ${id} = z.infer<typeof ${id}Schema>;`);
  lines.push(`export function create${id}(): ${id} {`);
  lines.push(`  return {`);
  for (const field of message.fields) lines.push(`    ${field.name}: ${fieldDefault(field)},`);
  lines.push(`  };`);
  lines.push(`}`);
  if (message.constants.length > 0) {
    lines.push(`export const ${id}Constants = {`);
    for (const constant of message.constants) lines.push(`  ${constant.name}: ${JSON.stringify(constant.value)},`);
    lines.push(`} as const;`);
  }
  return lines.join("\n");
}

export function generateSchemasModule(set: InterfaceSet): string {
  const halves = set.services.flatMap((s) => [s.request, s.response]);
  const ordered = dependencyOrder([...set.messages, ...halves]);
  const out: string[] = [];
  out.push("// GENERATED from msg/, srv/ and third_party/ros_interfaces by `npm run gen:interfaces`.");
  out.push("// Do not edit: change the .msg/.srv files and regenerate. test/interfaces.test.ts fails when this file is stale.");
  out.push('import { z } from "zod";');
  out.push("");
  for (const message of ordered) out.push(emitMessage(message), "");
  out.push("/** Every message type by its ROS name. */");
  out.push("export const messageSchemas = {");
  for (const m of set.messages) out.push(`  ${JSON.stringify(m.name)}: ${identifierFor(m.name)}Schema,`);
  out.push("} as const;");
  out.push("export type MessageTypeName = keyof typeof messageSchemas;");
  out.push("export type MessageOf<T extends MessageTypeName> = z.infer<(typeof messageSchemas)[T]>;");
  out.push("");
  out.push("export const messageFactories: { readonly [T in MessageTypeName]: () => MessageOf<T> } = {");
  for (const m of set.messages) out.push(`  ${JSON.stringify(m.name)}: create${identifierFor(m.name)},`);
  out.push("};");
  out.push("");
  out.push("/** Every service type by its ROS name. */");
  out.push("export const serviceSchemas = {");
  for (const s of set.services) {
    out.push(`  ${JSON.stringify(s.name)}: { request: ${identifierFor(s.request.name)}Schema, response: ${identifierFor(s.response.name)}Schema },`);
  }
  out.push("} as const;");
  out.push("export type ServiceTypeName = keyof typeof serviceSchemas;");
  out.push("export type RequestOf<T extends ServiceTypeName> = z.infer<(typeof serviceSchemas)[T][\"request\"]>;");
  out.push("export type ResponseOf<T extends ServiceTypeName> = z.infer<(typeof serviceSchemas)[T][\"response\"]>;");
  out.push("");
  out.push("export const serviceFactories: { readonly [T in ServiceTypeName]: { request: () => RequestOf<T>; response: () => ResponseOf<T> } } = {");
  for (const s of set.services) {
    out.push(`  ${JSON.stringify(s.name)}: { request: create${identifierFor(s.request.name)}, response: create${identifierFor(s.response.name)} },`);
  }
  out.push("};");
  out.push("");
  out.push("/** Raw .msg text by type name, for ros2msg schemas (MCAP) and introspection. */");
  out.push("export const messageDefinitionText: { readonly [T in MessageTypeName]: string } = {");
  for (const m of set.messages) out.push(`  ${JSON.stringify(m.name)}: ${JSON.stringify(set.messageText[m.name] ?? "")},`);
  out.push("};");
  out.push("");
  return out.join("\n");
}
