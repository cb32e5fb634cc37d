/**
 * rclnodejs hands over messages as objects that may carry typed arrays (float32[] fields) and
 * bigints (64-bit integers). The zod schemas generated from the .msg files expect plain arrays
 * and numbers, so incoming data is normalised before it is validated.
 */
export function toPlain(value: unknown): unknown {
  if (typeof value === "bigint") return Number(value);
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Array.from(value as unknown as ArrayLike<number | bigint>, (v) => toPlain(v));
  if (Array.isArray(value)) return value.map((v) => toPlain(v));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(value)) out[key] = toPlain(field);
    return out;
  }
  return value;
}
