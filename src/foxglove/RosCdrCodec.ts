/**
 * CDR (little-endian XCDR1, what ROS 2 and foxglove_bridge put on the wire) for every
 * message and service half this package defines, driven by the parsed .msg/.srv
 * definitions. ActionEvent and ActionOutcome go through the action log's own encoders
 * (src/core/actionlog/encodeCdr.ts) so the live view and the MCAP export write the
 * same bytes; everything else is encoded field by field here.
 */
import { CdrReader, CdrWriter } from "@foxglove/cdr";
import { encodeActionEvent, encodeActionOutcome, writeCdrString } from "../core/actionlog/encodeCdr.js";
import type { FieldDefinition, MessageDefinition } from "../core/interfaces/parseInterface.js";

export class CdrCodecError extends Error {
  constructor(typeName: string, reason: string) {
    super(`cannot convert ${typeName}: ${reason}`);
    this.name = "CdrCodecError";
  }
}

type Fields = Record<string, unknown>;

const HAND_WRITTEN_ENCODERS: Readonly<Record<string, (message: never) => Uint8Array>> = {
  "embodied_assistant/msg/ActionEvent": encodeActionEvent,
  "embodied_assistant/msg/ActionOutcome": encodeActionOutcome,
};

function writePrimitive(w: CdrWriter, type: string, value: unknown): void {
  switch (type) {
    case "bool": w.uint8(value ? 1 : 0); return;
    case "byte": case "char": case "uint8": w.uint8(Number(value)); return;
    case "int8": w.int8(Number(value)); return;
    case "int16": w.int16(Number(value)); return;
    case "uint16": w.uint16(Number(value)); return;
    case "int32": w.int32(Number(value)); return;
    case "uint32": w.uint32(Number(value)); return;
    case "int64": w.int64(BigInt(value as number | bigint)); return;
    case "uint64": w.uint64(BigInt(value as number | bigint)); return;
    case "float32": w.float32(Number(value)); return;
    case "float64": w.float64(Number(value)); return;
    // Not CdrWriter.string(): @foxglove/cdr 3.5 writes the UTF-16 length, corrupting non-ASCII text.
    case "string": writeCdrString(w, String(value)); return;
    default: throw new Error(`field type ${type} is not supported`);
  }
}

function readPrimitive(r: CdrReader, type: string): unknown {
  switch (type) {
    case "bool": return r.uint8() !== 0;
    case "byte": case "char": case "uint8": return r.uint8();
    case "int8": return r.int8();
    case "int16": return r.int16();
    case "uint16": return r.uint16();
    case "int32": return r.int32();
    case "uint32": return r.uint32();
    // The generated zod schemas hold 64-bit integers as numbers.
    case "int64": return Number(r.int64());
    case "uint64": return Number(r.uint64());
    case "float32": return r.float32();
    case "float64": return r.float64();
    case "string": return r.string();
    default: throw new Error(`field type ${type} is not supported`);
  }
}

export class RosCdrCodec {
  constructor(private readonly definitions: ReadonlyMap<string, MessageDefinition>) {}

  /** Encodes a schema-valid message (or service half) of `typeName`. */
  encode(typeName: string, message: unknown): Uint8Array {
    const handWritten = HAND_WRITTEN_ENCODERS[typeName];
    return handWritten ? handWritten(message as never) : this.encodeFromDefinition(typeName, message);
  }

  /** The definition-driven encoder alone (what encode uses for all but the two log messages). */
  encodeFromDefinition(typeName: string, message: unknown): Uint8Array {
    const writer = new CdrWriter({ size: 256 });
    this.writeMessage(writer, this.definition(typeName), message as Fields);
    return writer.data;
  }

  /**
   * Decodes CDR bytes into a plain object of `typeName`. Throws CdrCodecError on
   * truncated or malformed input; the caller still validates the result's values.
   */
  decode(typeName: string, data: ArrayBufferView): Fields {
    const definition = this.definition(typeName);
    try {
      const reader = new CdrReader(data);
      return this.readMessage(reader, definition);
    } catch (error) {
      if (error instanceof CdrCodecError) throw error;
      throw new CdrCodecError(typeName, error instanceof Error ? error.message : String(error));
    }
  }

  private definition(typeName: string): MessageDefinition {
    const definition = this.definitions.get(typeName);
    if (!definition) throw new CdrCodecError(typeName, "no .msg or .srv definition is known for it");
    return definition;
  }

  private writeMessage(w: CdrWriter, definition: MessageDefinition, message: Fields): void {
    // rosidl gives a message without fields one uint8 member, so it still has a size.
    if (definition.fields.length === 0) w.uint8(0);
    for (const field of definition.fields) this.writeField(w, field, message[field.name]);
  }

  private writeField(w: CdrWriter, field: FieldDefinition, value: unknown): void {
    const { type } = field;
    const writeOne = (item: unknown) =>
      type.isPrimitive ? writePrimitive(w, type.base, item) : this.writeMessage(w, this.definition(type.base), item as Fields);
    if (type.array === "none") {
      writeOne(value);
      return;
    }
    const items = Array.isArray(value) || ArrayBuffer.isView(value) ? Array.from(value as ArrayLike<unknown>) : [];
    if (type.array !== "fixed") w.sequenceLength(items.length);
    const count = type.array === "fixed" ? type.arraySize ?? 0 : items.length;
    for (let i = 0; i < count; i++) writeOne(items[i]);
  }

  private readMessage(r: CdrReader, definition: MessageDefinition): Fields {
    if (definition.fields.length === 0) {
      r.uint8();
      return {};
    }
    const message: Fields = {};
    for (const field of definition.fields) message[field.name] = this.readField(r, field);
    return message;
  }

  private readField(r: CdrReader, field: FieldDefinition): unknown {
    const { type } = field;
    const readOne = () => (type.isPrimitive ? readPrimitive(r, type.base) : this.readMessage(r, this.definition(type.base)));
    if (type.array === "none") return readOne();
    const count = type.array === "fixed" ? type.arraySize ?? 0 : r.sequenceLength();
    // A length past the end of the buffer is malformed input, not a reason to allocate.
    if (count > r.byteLength) throw new Error(`field ${field.name} claims ${count} elements in a ${r.byteLength}-byte message`);
    const items: unknown[] = [];
    for (let i = 0; i < count; i++) items.push(readOne());
    return items;
  }
}
