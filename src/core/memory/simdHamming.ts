/**
 * Hamming distances of every stored code to a query, in WebAssembly with 128-bit SIMD popcount
 * (i8x16.popcnt): about 6x the scalar JavaScript loop at 1M episodes (bench:memory). The codes
 * live in the module's memory (a Uint32Array view into it), so a query copies nothing; the
 * view is renewed whenever the memory grows. Where WebAssembly SIMD is missing (it is in Node
 * >= 16 on x86-64 and arm64), `SimdHamming.create` returns undefined and the caller keeps the
 * scalar loop.
 *
 * Memory layout: [query | histogram | codes (capacity rows) | distances (capacity u16)].
 */

/** Bytes before the codes: the query (up to MAX_CHUNKS x 16 bytes) and the histogram. */
const MAX_CHUNKS = 31; // byte lanes add up to 8 per chunk: 31 chunks stay below 256
const QUERY_AT = 0;
const HISTOGRAM_AT = 512;
const CODES_AT = HISTOGRAM_AT + (MAX_CHUNKS * 128 + 2) * 4 + 24; // 16-byte aligned
const PAGE = 65536;

/**
 * The module, assembled here rather than shipped as a binary (no WebAssembly toolchain is needed
 * to build the package). One function:
 *   scan(codes, n, chunks, query, distances, histogram)
 * For each of n rows of `chunks` x 16 bytes: d = popcount(row XOR query); distances[i] = d
 * (u16); histogram[d] += 1 (i32).
 */
function moduleBytes(): Uint8Array {
  const I32 = 0x7f;
  const V128 = 0x7b;
  const simd = (op: number, ...rest: number[]) => [0xfd, op, ...rest];
  const get = (l: number) => [0x20, l];
  const set = (l: number) => [0x21, l];
  const tee = (l: number) => [0x22, l];
  const i32c = (v: number) => [0x41, ...sleb(v)];
  // params: 0 codes, 1 n, 2 chunks, 3 query, 4 distances, 5 histogram; locals: 6 c, 7 q, 8 d, 9 h (i32), 10 acc (v128)
  const [CODES, N, CHUNKS, QUERY, DIST, HIST, C, Q, D, H, ACC] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const body = [
    0x02, 0x40, // block $done
    ...get(N), 0x45, 0x0d, 0x00, // n == 0: br_if $done
    0x03, 0x40, // loop $rows
    ...simd(0x0c, ...new Array(16).fill(0)), ...set(ACC), // acc = 0
    ...i32c(0), ...set(C),
    ...get(QUERY), ...set(Q),
    0x03, 0x40, // loop $chunks
    ...get(ACC),
    ...get(CODES), ...simd(0x00, 0x00, 0x00), // v128.load align=1 offset=0
    ...get(Q), ...simd(0x00, 0x00, 0x00),
    ...simd(0x51), // v128.xor
    ...simd(0x62), // i8x16.popcnt
    ...simd(0x6e), // i8x16.add
    ...set(ACC),
    ...get(CODES), ...i32c(16), 0x6a, ...set(CODES),
    ...get(Q), ...i32c(16), 0x6a, ...set(Q),
    ...get(C), ...i32c(1), 0x6a, ...tee(C), ...get(CHUNKS), 0x49, 0x0d, 0x00, // c < chunks: br_if $chunks
    0x0b, // end $chunks
    ...get(ACC), ...simd(0x7d), ...simd(0x7f), ...set(ACC), // extadd pairwise u8 -> u16 -> u32
    ...get(ACC), ...simd(0x1b, 0),
    ...get(ACC), ...simd(0x1b, 1), 0x6a,
    ...get(ACC), ...simd(0x1b, 2), 0x6a,
    ...get(ACC), ...simd(0x1b, 3), 0x6a,
    ...set(D),
    ...get(DIST), ...get(D), 0x3b, 0x01, 0x00, // i32.store16 align=2
    ...get(DIST), ...i32c(2), 0x6a, ...set(DIST),
    ...get(HIST), ...get(D), ...i32c(2), 0x74, 0x6a, ...tee(H), // h = histogram + 4d
    ...get(H), 0x28, 0x02, 0x00, ...i32c(1), 0x6a, 0x36, 0x02, 0x00, // *h += 1
    ...get(N), ...i32c(1), 0x6b, ...tee(N), 0x0d, 0x00, // --n != 0: br_if $rows
    0x0b, // end $rows
    0x0b, // end $done
    0x0b, // end function
  ];
  const locals = [0x02, 0x04, I32, 0x01, V128];
  const func = [...locals, ...body];
  const section = (id: number, content: number[]) => [id, ...uleb(content.length), ...content];
  const name = (s: string) => [s.length, ...Array.from(s, (c) => c.charCodeAt(0))];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [0x01, 0x60, 0x06, I32, I32, I32, I32, I32, I32, 0x00]), // type: (i32 x 6) -> ()
    ...section(2, [0x01, ...name("env"), ...name("memory"), 0x02, 0x00, 0x01]), // import env.memory, min 1 page
    ...section(3, [0x01, 0x00]), // function 0 has type 0
    ...section(7, [0x01, ...name("scan"), 0x00, 0x00]), // export "scan" = function 0
    ...section(10, [0x01, ...uleb(func.length), ...func]),
  ]);
}

function uleb(v: number): number[] {
  const out: number[] = [];
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

function sleb(v: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) return [...out, byte];
    out.push(byte | 0x80);
  }
}

/** The part of the WebAssembly API used here (the package compiles without the DOM typings that declare it). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number }) => WasmMemory;
}
const wasm = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

let compiled: object | null | undefined;

function compiledModule(): object | undefined {
  if (compiled === undefined) {
    try {
      if (wasm === undefined) throw new Error("no WebAssembly");
      compiled = new wasm.Module(moduleBytes());
    } catch {
      compiled = null; // no WebAssembly SIMD here
    }
  }
  return compiled ?? undefined;
}

type Scan = (codes: number, n: number, chunks: number, query: number, distances: number, histogram: number) => void;

/** Codes of 128-bit multiples in WebAssembly memory, and the scan over them. */
export class SimdHamming {
  private readonly memory: WasmMemory;
  private readonly scanRows: Scan;
  private capacity = 0;
  /** The codes: row i at [i * codeWords, (i + 1) * codeWords). Renewed by resize. */
  codes: Uint32Array = new Uint32Array(0);

  private constructor(
    module: object,
    readonly codeWords: number,
  ) {
    this.memory = new wasm!.Memory({ initial: 1 });
    const instance = new wasm!.Instance(module, { env: { memory: this.memory } });
    this.scanRows = instance.exports.scan as Scan;
  }

  /** Undefined where WebAssembly SIMD is missing, or the code is not a multiple of 128 bits (up to 3,968). */
  static create(codeWords: number, capacity: number): SimdHamming | undefined {
    if (codeWords % 4 !== 0 || codeWords / 4 > MAX_CHUNKS) return undefined;
    const module = compiledModule();
    if (!module) return undefined;
    const store = new SimdHamming(module, codeWords);
    store.resize(capacity);
    return store;
  }

  /** Room for `capacity` rows; the rows stored so far stay where they are. */
  resize(capacity: number): Uint32Array {
    if (capacity < this.capacity) throw new RangeError("SimdHamming only grows");
    const bytes = CODES_AT + capacity * (this.codeWords * 4 + 2);
    const have = this.memory.buffer.byteLength;
    if (bytes > have) this.memory.grow(Math.ceil((bytes - have) / PAGE));
    this.capacity = capacity;
    this.codes = new Uint32Array(this.memory.buffer, CODES_AT, capacity * this.codeWords);
    return this.codes;
  }

  /**
   * Distances of rows [0, n) to `query` (its first codeWords words) and their histogram
   * (index = distance). The views are valid until the next resize or distances call.
   */
  distances(query: Uint32Array, n: number): { distances: Uint16Array; histogram: Int32Array } {
    if (n > this.capacity) throw new RangeError(`${n} rows asked, room for ${this.capacity}`);
    const buffer = this.memory.buffer;
    new Uint32Array(buffer, QUERY_AT, this.codeWords).set(query.subarray(0, this.codeWords));
    const bits = this.codeWords * 32;
    const histogram = new Int32Array(buffer, HISTOGRAM_AT, bits + 2);
    histogram.fill(0);
    const distancesAt = CODES_AT + this.capacity * this.codeWords * 4;
    this.scanRows(CODES_AT, n, this.codeWords / 4, QUERY_AT, distancesAt, HISTOGRAM_AT);
    return { distances: new Uint16Array(buffer, distancesAt, n), histogram };
  }
}
