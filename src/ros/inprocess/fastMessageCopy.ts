/**
 * The in-process graph's per-message check and copy, compiled from the zod schemas
 * generated from the .msg files.
 *
 * Every message published on the in-process graph is validated against its zod schema
 * and copied (validatedMessageCopy). zod's parse is general, and costs about 2 µs for an
 * ActionEvent, as much as storing the event in SQLite. This module compiles, once per
 * message type, a function that checks the same constraints on the common case (a plain
 * object with exactly the schema's keys, each of the right type) and builds the copy in
 * the schema's key order, as zod's output has it. Anything it is not sure about (a
 * missing or extra key, a wrong type, a non-plain object, NaN, an out-of-range integer,
 * a schema construct it does not know) makes it give up, and zod runs instead: zod is
 * still the one that accepts or rejects such a message and names the offending field.
 *
 * So the fast path accepts a subset of what zod accepts, and each value it puts in the
 * copy has passed the same check zod applies to it:
 * - strict object: typeof "object", not null, prototype Object.prototype (so not an
 *   array), and `for...in` yields exactly the shape's keys (zod reports any other key
 *   that `for...in` yields as unrecognized);
 * - string, boolean: typeof;
 * - number: typeof "number" and finite (zod v4 rejects NaN and ±Infinity);
 *   number_format safeint: Number.isSafeInteger; greater_than / less_than with their
 *   inclusive flag;
 * - array (without length checks): Array.isArray, prototype Array.prototype, each element.
 * A schema with any other construct, check or flag (coerce, optional, union, ...) gets no
 * fast path.
 */
import type { z } from "zod";
import { messageSchemas, type MessageOf, type MessageTypeName } from "../../core/interfaces/messages.generated.js";
import { validatedMessageCopy } from "../validateMessage.js";

type FastCopy = (value: unknown) => unknown;

/** Returned by a compiled checker that gives up (never a valid message value). */
const FAIL: unique symbol = Symbol("fast-copy-fail");

interface ZodDefLike {
  readonly type: string;
  readonly coerce?: boolean;
  readonly checks?: readonly { readonly _zod: { readonly def: Record<string, unknown> } }[];
  readonly shape?: Record<string, { readonly _zod: { readonly def: ZodDefLike } }>;
  readonly catchall?: { readonly _zod: { readonly def: ZodDefLike } };
  readonly element?: { readonly _zod: { readonly def: ZodDefLike } };
}

class Unsupported extends Error {}

/** Generates the JS source of a checker for one schema node; `v` names the input expression's variable. */
class Compiler {
  private readonly functions: string[] = [];
  private count = 0;

  /** Returns the name of a generated function (value) => copy | FAIL. */
  compile(def: ZodDefLike): string {
    const name = `f${this.count++}`;
    let body: string;
    switch (def.type) {
      case "object":
        body = this.object(def);
        break;
      case "array":
        body = this.array(def);
        break;
      case "string":
      case "boolean":
      case "number":
        body = `return ${this.primitiveTest(def, "v")} ? v : FAIL;`;
        break;
      default:
        throw new Unsupported(def.type);
    }
    this.functions.push(`function ${name}(v) {\n${body}\n}`);
    return name;
  }

  source(entry: string): string {
    return `"use strict";\n${this.functions.join("\n")}\nreturn ${entry};`;
  }

  /** A boolean JS expression testing `expr`, for a primitive schema. */
  private primitiveTest(def: ZodDefLike, expr: string): string {
    if (def.coerce) throw new Unsupported("coerce");
    const checks = def.checks ?? [];
    if (def.type === "string" || def.type === "boolean") {
      if (checks.length) throw new Unsupported(`${def.type} checks`);
      return `typeof ${expr} === "${def.type}"`;
    }
    if (def.type !== "number") throw new Unsupported(def.type);
    const tests = [`typeof ${expr} === "number"`, `Number.isFinite(${expr})`];
    for (const check of checks) {
      const c = check._zod.def;
      if (c["check"] === "number_format" && c["format"] === "safeint") tests.push(`Number.isSafeInteger(${expr})`);
      else if (c["check"] === "greater_than" && typeof c["value"] === "number") tests.push(`${expr} ${c["inclusive"] ? ">=" : ">"} ${c["value"]}`);
      else if (c["check"] === "less_than" && typeof c["value"] === "number") tests.push(`${expr} ${c["inclusive"] ? "<=" : "<"} ${c["value"]}`);
      else throw new Unsupported(`number check ${String(c["check"])}`);
    }
    return tests.join(" && ");
  }

  private isPrimitive(def: ZodDefLike): boolean {
    return def.type === "string" || def.type === "boolean" || def.type === "number";
  }

  private object(def: ZodDefLike): string {
    if (def.catchall?._zod.def.type !== "never" || def.checks?.length) throw new Unsupported("non-strict object");
    const keys = Object.keys(def.shape ?? {});
    // An object literal would set the prototype for this key (zod leaves it out); no .msg field has this name.
    if (keys.includes("__proto__")) throw new Unsupported("__proto__ field");
    const lines = [
      `if (typeof v !== "object" || v === null || Object.getPrototypeOf(v) !== OBJECT_PROTO) return FAIL;`,
      // Exactly the shape's keys, as for...in (which zod's strict check uses) yields them.
      `let n = 0;`,
      `for (const k in v) {`,
      `  switch (k) { ${keys.map((k) => `case ${JSON.stringify(k)}:`).join(" ")} n++; break; default: return FAIL; }`,
      `}`,
      `if (n !== ${keys.length}) return FAIL;`,
    ];
    const out: string[] = [];
    keys.forEach((key, i) => {
      const child = def.shape![key]!._zod.def;
      lines.push(`const a${i} = v[${JSON.stringify(key)}];`);
      if (this.isPrimitive(child)) {
        lines.push(`if (!(${this.primitiveTest(child, `a${i}`)})) return FAIL;`);
        out.push(`${JSON.stringify(key)}: a${i}`);
      } else {
        const fn = this.compile(child);
        lines.push(`const c${i} = ${fn}(a${i});`, `if (c${i} === FAIL) return FAIL;`);
        out.push(`${JSON.stringify(key)}: c${i}`);
      }
    });
    lines.push(`return { ${out.join(", ")} };`);
    return lines.join("\n");
  }

  private array(def: ZodDefLike): string {
    if (def.checks?.length || !def.element) throw new Unsupported("array checks");
    const element = def.element._zod.def;
    const lines = [
      `if (!Array.isArray(v) || Object.getPrototypeOf(v) !== ARRAY_PROTO) return FAIL;`,
      `const n = v.length;`,
      `const out = new Array(n);`,
      `for (let i = 0; i < n; i++) {`,
      `  const e = v[i];`,
    ];
    if (this.isPrimitive(element)) {
      lines.push(`  if (!(${this.primitiveTest(element, "e")})) return FAIL;`, `  out[i] = e;`);
    } else {
      const fn = this.compile(element);
      lines.push(`  const c = ${fn}(e);`, `  if (c === FAIL) return FAIL;`, `  out[i] = c;`);
    }
    lines.push(`}`, `return out;`);
    return lines.join("\n");
  }
}

function compileFastCopy(schema: z.ZodType): FastCopy | undefined {
  try {
    const compiler = new Compiler();
    const entry = compiler.compile((schema as unknown as { _zod: { def: ZodDefLike } })._zod.def);
    // Code generated from our own schemas (like zod's own JIT), never from message data.
    return new Function("FAIL", "OBJECT_PROTO", "ARRAY_PROTO", compiler.source(entry))(FAIL, Object.prototype, Array.prototype) as FastCopy;
  } catch {
    // An unknown schema construct, or code generation is not allowed here: zod alone then.
    return undefined;
  }
}

const copiers = new Map<MessageTypeName, (message: unknown) => unknown>();
const compiled = new Set<MessageTypeName>();

/** Whether the type got a compiled fast path (false: zod alone checks it). For tests. */
export function hasFastPath(typeName: MessageTypeName): boolean {
  messageCopier(typeName);
  return compiled.has(typeName);
}

/**
 * The check-and-copy function of one message type (compiled on first use): same contract
 * as validatedMessageCopy, which it falls back to. The graph keeps one per topic.
 */
export function messageCopier<T extends MessageTypeName>(typeName: T): (message: unknown) => MessageOf<T> {
  let copier = copiers.get(typeName);
  if (!copier) {
    const fast = compileFastCopy(messageSchemas[typeName] as unknown as z.ZodType);
    if (fast) compiled.add(typeName);
    copier = fast
      ? (message: unknown) => {
          const copy = fast(message);
          return copy !== FAIL ? copy : validatedMessageCopy(typeName, message);
        }
      : (message: unknown) => validatedMessageCopy(typeName, message);
    copiers.set(typeName, copier);
  }
  return copier as (message: unknown) => MessageOf<T>;
}

/**
 * Same contract as validatedMessageCopy: returns a deep copy of a message that matches
 * its schema, or throws MessageValidationError naming the first offending field (from zod).
 */
export function fastMessageCopy<T extends MessageTypeName>(typeName: T, message: unknown): MessageOf<T> {
  return messageCopier(typeName)(message);
}
