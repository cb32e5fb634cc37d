/**
 * The fleet's prefilter codes held in this process (32 bytes + 20 of row id, robot and stamp per
 * episode: ~52 MB at 1M), loaded from the fleet store once and then only the rows added since
 * (row ids only grow). Scanning them here takes a few milliseconds where PostgreSQL's
 * bit_count(code # query) over the same rows takes hundreds (bench/fleet.ts measures both), so
 * the store is asked only for the few thousand candidates' embeddings. The scan is the memory's
 * (CodePrefilter: WebAssembly SIMD where available).
 */
import { CodePrefilter } from "../memory/codePrefilter.js";
import type { FleetEpisodeFilter, FleetReader } from "./FleetStore.js";
import { FLEET_CODE_WORDS } from "./fleetCode.js";

/** Rows per refresh query. */
const PAGE = 50_000;

export class FleetCodeCache {
  private count = 0;
  private rowIds = new Float64Array(1024);
  private readonly search = new CodePrefilter(FLEET_CODE_WORDS);
  private codes = this.search.allocate(1024);
  private stamps = new Float64Array(1024);
  private robots = new Int32Array(1024);
  private readonly robotIds = new Map<string, number>();
  private lastRowId = 0;
  private refreshing: Promise<void> | undefined;

  constructor(private readonly reader: Pick<FleetReader, "codesAfter">) {}

  get size(): number {
    return this.count;
  }

  /** Loads the rows added since the last refresh; concurrent callers share one load. */
  refresh(): Promise<void> {
    this.refreshing ??= this.load().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async load(): Promise<void> {
    for (;;) {
      const page = await this.reader.codesAfter(this.lastRowId, PAGE);
      const n = page.rowIds.length;
      if (n === 0) return;
      this.reserve(this.count + n);
      this.rowIds.set(page.rowIds, this.count);
      this.codes.set(page.codes, this.count * FLEET_CODE_WORDS);
      this.stamps.set(page.stamps, this.count);
      for (let i = 0; i < n; i++) {
        const name = page.robotIds[i]!;
        let robot = this.robotIds.get(name);
        if (robot === undefined) this.robotIds.set(name, (robot = this.robotIds.size));
        this.robots[this.count + i] = robot;
      }
      this.count += n;
      this.lastRowId = page.rowIds[n - 1]!;
      if (n < PAGE) return;
    }
  }

  private reserve(capacity: number): void {
    if (capacity <= this.rowIds.length) return;
    let size = this.rowIds.length;
    while (size < capacity) size *= 2;
    const grow = <T extends Float64Array | Uint32Array | Int32Array>(a: T, per: number, make: (n: number) => T): T => {
      const b = make(size * per);
      b.set(a);
      return b;
    };
    this.rowIds = grow(this.rowIds, 1, (n) => new Float64Array(n));
    this.codes = this.search.allocate(size, this.codes);
    this.stamps = grow(this.stamps, 1, (n) => new Float64Array(n));
    this.robots = grow(this.robots, 1, (n) => new Int32Array(n));
  }

  /** Row ids of the `want` cached rows nearest the query code (ties: oldest first), filters applied. */
  nearest(code: Uint32Array, want: number, filter: FleetEpisodeFilter): number[] {
    const robot = filter.robotId ? (this.robotIds.get(filter.robotId) ?? -1) : undefined;
    const since = filter.since ?? -Infinity;
    const until = filter.until ?? Infinity;
    const filtered = robot !== undefined || filter.since !== undefined || filter.until !== undefined;
    const matches = filtered ? (i: number) => (robot === undefined || this.robots[i] === robot) && this.stamps[i]! >= since && this.stamps[i]! <= until : undefined;
    return Array.from(this.search.nearest(this.codes, this.count, code, want, matches), (i) => this.rowIds[i]!);
  }
}
