/** IEEE half <-> float32 conversion for F16 tensors (GGUF stores F16 as IEEE binary16). */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
function halfToFloat(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) {
    if (mant === 0) {
      u32[0] = sign;
      return f32[0]!;
    }
    return (sign ? -1 : 1) * mant * 2 ** -24;
  }
  if (exp === 31) u32[0] = sign | 0x7f800000 | (mant << 13);
  else u32[0] = sign | ((exp - 15 + 127) << 23) | (mant << 13);
  return f32[0]!;
}

let halfTable: Float32Array | undefined;
/** All 65536 halves as floats: a lookup is far faster than decoding bits per element. */
export function halves(): Float32Array {
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) halfTable[h] = halfToFloat(h);
  }
  return halfTable;
}

/** Halves to floats. */
export function fromHalves(h: Uint16Array): Float32Array {
  const table = halves();
  const out = new Float32Array(h.length);
  for (let i = 0; i < h.length; i++) out[i] = table[h[i]!]!;
  return out;
}

/** Float32 to IEEE half, round to nearest, in one tight loop over the bits (no call per element). */
export function toHalves(values: Float32Array): Uint16Array {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < bits.length; i++) {
    const x = bits[i]!;
    const sign = (x >>> 16) & 0x8000;
    const exp = ((x >>> 23) & 0xff) - 112; // rebias 127 -> 15
    const mant = x & 0x7fffff;
    if (exp <= 0) {
      out[i] = exp < -10 ? sign : sign | ((((mant | 0x800000) >>> (1 - exp)) + 0x1000) >>> 13);
    } else if (exp >= 31) {
      out[i] = sign | 0x7c00;
    } else {
      out[i] = (sign | (exp << 10) | (mant >>> 13)) + ((mant >>> 12) & 1);
    }
  }
  return out;
}

/** F32 (type 0) or F16 (type 1) tensor bytes as floats (copied, so the result is aligned). */
export function decodeFloatTensor(bytes: Uint8Array, type: number, elements: number): Float32Array {
  const copy = new Uint8Array(bytes.subarray(0, elements * (type === 0 ? 4 : 2)));
  if (type === 0) return new Float32Array(copy.buffer, 0, elements);
  return fromHalves(new Uint16Array(copy.buffer, 0, elements));
}

/** Floats as F32 (type 0) or F16 (type 1) tensor bytes. */
export function encodeFloatTensor(values: Float32Array, type: number): Uint8Array {
  if (type === 0) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  return new Uint8Array(toHalves(values).buffer);
}
