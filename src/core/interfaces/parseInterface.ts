/**
 * Parser for ROS 2 .msg and .srv files (the rosidl IDL subset this package uses:
 * primitive and nested fields, unbounded/bounded/fixed arrays, bounded strings,
 * constants, default values). The .msg/.srv files are the single source of message
 * shapes; everything else is generated from what this parser returns.
 */

export const PRIMITIVE_TYPES = [
  "bool", "byte", "char",
  "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64",
  "float32", "float64", "string", "wstring",
] as const;
export type PrimitiveType = (typeof PRIMITIVE_TYPES)[number];

export interface FieldType {
  /** Primitive name, or a fully qualified message name such as `std_msgs/msg/Header`. */
  readonly base: string;
  readonly isPrimitive: boolean;
  /** `unbounded` for T[], `bounded` for T[<=N], `fixed` for T[N], `none` for a scalar. */
  readonly array: "none" | "unbounded" | "bounded" | "fixed";
  readonly arraySize?: number;
  /** Maximum length of a bounded string (`string<=N`). */
  readonly stringBound?: number;
}

export interface FieldDefinition {
  readonly name: string;
  readonly type: FieldType;
  readonly defaultValue?: string;
  readonly comment: string;
}

export interface ConstantDefinition {
  readonly name: string;
  readonly type: PrimitiveType;
  readonly value: string | number | boolean;
}

export interface MessageDefinition {
  /** Fully qualified name, e.g. `embodied_assistant/msg/ActionEvent`. */
  readonly name: string;
  readonly fields: readonly FieldDefinition[];
  readonly constants: readonly ConstantDefinition[];
}

export interface ServiceDefinition {
  /** Fully qualified name, e.g. `embodied_assistant/srv/Recall`. */
  readonly name: string;
  readonly request: MessageDefinition;
  readonly response: MessageDefinition;
}

export class InterfaceParseError extends Error {
  constructor(file: string, line: number, reason: string) {
    super(`${file}:${line}: ${reason}`);
    this.name = "InterfaceParseError";
  }
}

const FIELD_NAME = /^[a-z][a-z0-9_]*$/;
const CONSTANT_NAME = /^[A-Z][A-Z0-9_]*$/;

function parseFieldType(raw: string, pkg: string, where: () => never): FieldType {
  const arrayMatch = /^([^[\]]+)(?:\[(<=)?(\d*)\])?$/.exec(raw);
  if (!arrayMatch) where();
  const [, baseRaw = "", bounded, sizeRaw = ""] = arrayMatch!;
  const array: FieldType["array"] =
    raw.includes("[") ? (bounded ? "bounded" : sizeRaw === "" ? "unbounded" : "fixed") : "none";
  let base = baseRaw;
  let stringBound: number | undefined;
  const boundedString = /^(w?string)<=(\d+)$/.exec(baseRaw);
  if (boundedString) {
    base = boundedString[1]!;
    stringBound = Number(boundedString[2]);
  }
  const isPrimitive = (PRIMITIVE_TYPES as readonly string[]).includes(base);
  if (!isPrimitive) {
    const parts = base.split("/");
    if (parts.length === 1) base = `${pkg}/msg/${parts[0]}`;
    else if (parts.length === 2) base = `${parts[0]}/msg/${parts[1]}`;
    else if (parts.length !== 3) where();
    if (!/^[A-Z][A-Za-z0-9]*$/.test(base.split("/")[2] ?? "")) where();
  }
  return {
    base,
    isPrimitive,
    array,
    ...(array === "bounded" || array === "fixed" ? { arraySize: Number(sizeRaw) } : {}),
    ...(stringBound !== undefined ? { stringBound } : {}),
  };
}

function parseConstantValue(type: PrimitiveType, raw: string): string | number | boolean {
  if (type === "string" || type === "wstring") {
    const quoted = /^(["'])(.*)\1$/.exec(raw);
    return quoted ? quoted[2]! : raw;
  }
  if (type === "bool") return raw === "true" || raw === "True" || raw === "1";
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new Error(`constant value ${raw} is not a number`);
  return value;
}

/** Parses the text of one message (or one half of a service). */
export function parseMessage(text: string, name: string, file = name, firstLine = 1): MessageDefinition {
  const pkg = name.split("/")[0]!;
  const fields: FieldDefinition[] = [];
  const constants: ConstantDefinition[] = [];
  let pendingComment: string[] = [];
  text.split("\n").forEach((rawLine, index) => {
    const lineNo = firstLine + index;
    const fail = (reason: string): never => {
      throw new InterfaceParseError(file, lineNo, reason);
    };
    const hash = rawLine.indexOf("#");
    const isStringConstant = /^\s*w?string\s+[A-Z][A-Z0-9_]*\s*=/.test(rawLine);
    // A '#' inside a string constant's value is part of the value, not a comment.
    const code = (hash >= 0 && !isStringConstant ? rawLine.slice(0, hash) : rawLine).trim();
    const comment = hash >= 0 && !isStringConstant ? rawLine.slice(hash + 1).trim() : "";
    if (code === "") {
      pendingComment = comment ? [...pendingComment, comment] : [];
      return;
    }
    const constant = /^(\S+)\s+([A-Za-z0-9_]+)\s*=\s*(.*)$/.exec(code);
    if (constant) {
      const [, typeRaw = "", constName = "", valueRaw = ""] = constant;
      if (!(PRIMITIVE_TYPES as readonly string[]).includes(typeRaw)) fail(`constant ${constName} must have a primitive type, not ${typeRaw}`);
      if (!CONSTANT_NAME.test(constName)) fail(`constant name ${constName} must be UPPER_SNAKE_CASE`);
      constants.push({ name: constName, type: typeRaw as PrimitiveType, value: parseConstantValue(typeRaw as PrimitiveType, valueRaw.trim()) });
      pendingComment = [];
      return;
    }
    const field = /^(\S+)\s+(\S+)(?:\s+(.+))?$/.exec(code);
    if (!field) fail(`cannot read "${code}": expected "<type> <name> [default]"`);
    const [, typeRaw = "", fieldName = "", defaultValue] = field!;
    if (!FIELD_NAME.test(fieldName)) fail(`field name ${fieldName} must be lower_snake_case`);
    if (fields.some((f) => f.name === fieldName)) fail(`field ${fieldName} is declared twice`);
    const type = parseFieldType(typeRaw, pkg, () => fail(`unknown or malformed type ${typeRaw}`));
    fields.push({
      name: fieldName,
      type,
      ...(defaultValue !== undefined ? { defaultValue: defaultValue.trim() } : {}),
      comment: [...pendingComment, comment].filter(Boolean).join(" "),
    });
    pendingComment = [];
  });
  return { name, fields, constants };
}

/** Parses a .srv file: request and response separated by a line of three dashes. */
export function parseService(text: string, name: string, file = name): ServiceDefinition {
  const lines = text.split("\n");
  const separator = lines.findIndex((line) => line.trim() === "---");
  if (separator < 0) throw new InterfaceParseError(file, lines.length, "a service needs a '---' line between request and response");
  const [pkg, , type] = name.split("/");
  return {
    name,
    request: parseMessage(lines.slice(0, separator).join("\n"), `${pkg}/srv/${type}_Request`, file, 1),
    response: parseMessage(lines.slice(separator + 1).join("\n"), `${pkg}/srv/${type}_Response`, file, separator + 2),
  };
}
