/** The HDC algebra: pure functions over bit-packed hypervectors, plus codebooks and projections. */
export * from "./hypervector.js";
export * from "./bind.js";
export * from "./bundle.js";
export * from "./permute.js";
export * from "./hamming.js";
export * from "./prng.js";
export * from "./ItemMemory.js";
export * from "./LevelCodes.js";
export * from "./SimHashProjection.js";
