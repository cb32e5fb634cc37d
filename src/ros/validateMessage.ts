import type { z } from "zod";
import {
  messageSchemas,
  serviceSchemas,
  type MessageOf,
  type MessageTypeName,
  type RequestOf,
  type ResponseOf,
  type ServiceTypeName,
} from "../core/interfaces/messages.generated.js";
import { MessageValidationError } from "./errors.js";

function toValidationError(typeName: string, error: z.ZodError): MessageValidationError {
  const issue = error.issues[0]!;
  let path = issue.path.map(String).join(".");
  let detail = issue.message;
  if (issue.code === "unrecognized_keys") {
    path = [...issue.path.map(String), issue.keys[0] ?? ""].filter(Boolean).join(".");
    detail = `is not part of the message (unknown field${issue.keys.length > 1 ? `s ${issue.keys.join(", ")}` : ""})`;
  }
  return new MessageValidationError(typeName, path || "(root)", detail);
}

function parseOrThrow<T>(typeName: string, schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw toValidationError(typeName, parsed.error);
  return parsed.data;
}

/**
 * Validates a message and returns a deep copy of it (zod's parse output shares no
 * objects with its input). Doubling as the copy makes validation nearly free next to
 * structuredClone, which costs twice as much as the parse. Throws
 * MessageValidationError naming the first offending field.
 */
export function validatedMessageCopy<T extends MessageTypeName>(typeName: T, message: unknown): MessageOf<T> {
  return parseOrThrow(typeName, messageSchemas[typeName] as unknown as z.ZodType<MessageOf<T>>, message);
}

export function assertMessage(typeName: MessageTypeName, message: unknown): void {
  validatedMessageCopy(typeName, message);
}

/** Validates a request or response and returns a deep copy (see validatedMessageCopy). */
export function validatedServiceCopy<T extends ServiceTypeName, P extends "request" | "response">(
  typeName: T,
  part: P,
  value: unknown,
): P extends "request" ? RequestOf<T> : ResponseOf<T> {
  const schema = serviceSchemas[typeName][part] as unknown as z.ZodType<P extends "request" ? RequestOf<T> : ResponseOf<T>>;
  return parseOrThrow(`${typeName}_${part === "request" ? "Request" : "Response"}`, schema, value);
}

export function assertServicePart(typeName: ServiceTypeName, part: "request" | "response", value: unknown): void {
  validatedServiceCopy(typeName, part, value);
}
