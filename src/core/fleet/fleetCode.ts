/**
 * The fleet's prefilter code: the first FLEET_CODE_BITS bits of an episode's text hypervector
 * (itself a SimHash, so its prefix is a shorter SimHash). Fixed for the whole fleet, whatever each
 * robot's local code_bits, so every robot's episodes and every query compare like with like.
 */
export const FLEET_CODE_BITS = 256;
export const FLEET_CODE_WORDS = FLEET_CODE_BITS / 32;

/** The code of a text hypervector given as 32-bit words (the query side). */
export function fleetCodeOfWords(textHv: Uint32Array): Uint32Array {
  if (textHv.length < FLEET_CODE_WORDS) throw new RangeError(`a text vector of ${textHv.length * 32} bits is shorter than the fleet code (${FLEET_CODE_BITS})`);
  return textHv.slice(0, FLEET_CODE_WORDS);
}

/** The code as PostgreSQL bit-string input ("x" and hex of the little-endian bytes, as stored). */
export function fleetCodeLiteral(code: Uint8Array | Uint32Array): string {
  const bytes = code instanceof Uint32Array ? new Uint8Array(code.buffer, code.byteOffset, FLEET_CODE_BITS / 8) : code.subarray(0, FLEET_CODE_BITS / 8);
  return `x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex")}`;
}

