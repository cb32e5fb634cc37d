import type { z } from "zod";
import {
  messageSchemas,
  serviceSchemas,
  type MessageTypeName,
  type ServiceTypeName,
} from "../core/interfaces/messages.generated.js";
import { MessageValidationError } from "./errors.js";

function firstProblem(typeName: string, schema: z.ZodType, value: unknown): MessageValidationError | undefined {
  const parsed = schema.safeParse(value);
  if (parsed.success) return undefined;
  const issue = parsed.error.issues[0]!;
  let path = issue.path.map(String).join(".");
  let detail = issue.message;
  if (issue.code === "unrecognized_keys") {
    path = [...issue.path.map(String), issue.keys[0] ?? ""].filter(Boolean).join(".");
    detail = `is not part of the message (unknown field${issue.keys.length > 1 ? `s ${issue.keys.join(", ")}` : ""})`;
  }
  return new MessageValidationError(typeName, path || "(root)", detail);
}

export function isMessageType(name: string): name is MessageTypeName {
  return Object.hasOwn(messageSchemas, name);
}

export function isServiceType(name: string): name is ServiceTypeName {
  return Object.hasOwn(serviceSchemas, name);
}

/** Throws MessageValidationError naming the first offending field. */
export function assertMessage(typeName: MessageTypeName, message: unknown): void {
  const problem = firstProblem(typeName, messageSchemas[typeName], message);
  if (problem) throw problem;
}

export function assertServicePart(typeName: ServiceTypeName, part: "request" | "response", value: unknown): void {
  const problem = firstProblem(`${typeName}_${part === "request" ? "Request" : "Response"}`, serviceSchemas[typeName][part], value);
  if (problem) throw problem;
}
