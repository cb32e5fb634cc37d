/**
 * This computer's load: CPU busy time of the other processes between two samples (all cores;
 * this process's own share is left out, or generating a reply would throttle itself), memory in
 * use, and the GPU where the platform reports it (NVIDIA Jetson: a sysfs file of 0..1000).
 * Elsewhere the GPU is absent from the sample, not zero.
 */
import { readFileSync } from "node:fs";
import { cpus, freemem, totalmem, type CpuInfo } from "node:os";
import type { LoadSample } from "./types.js";

/** Jetson GPU load files (0..1000), by generation: Nano/TX2/Xavier, then Orin. */
export const JETSON_GPU_LOAD_FILES = ["/sys/devices/gpu.0/load", "/sys/devices/platform/gpu.0/load", "/sys/devices/platform/bus@0/17000000.gpu/load", "/sys/devices/platform/17000000.ga10b/load"];

export interface SystemLoadSources {
  readonly cpus: () => readonly Pick<CpuInfo, "times">[];
  readonly memory: () => { readonly total: number; readonly free: number };
  /** The text of a file, or undefined when it cannot be read. */
  readonly readFile: (path: string) => string | undefined;
  readonly gpuLoadFiles: readonly string[];
  /** CPU time this process has used, in ms (user + system). */
  readonly ownCpuMs: () => number;
}

const systemSources: SystemLoadSources = {
  cpus,
  memory: () => ({ total: totalmem(), free: freemem() }),
  readFile: (path) => {
    try {
      return readFileSync(path, "utf8");
    } catch {
      return undefined;
    }
  },
  gpuLoadFiles: JETSON_GPU_LOAD_FILES,
  ownCpuMs: () => {
    const usage = process.cpuUsage();
    return (usage.user + usage.system) / 1000;
  },
};

interface CpuTotals {
  readonly busy: number;
  readonly total: number;
}

function cpuTotals(list: readonly Pick<CpuInfo, "times">[]): CpuTotals {
  let busy = 0;
  let total = 0;
  for (const { times } of list) {
    const all = times.user + times.nice + times.sys + times.irq + times.idle;
    total += all;
    busy += all - times.idle;
  }
  return { busy, total };
}

const clampPercent = (x: number) => (Number.isFinite(x) ? Math.min(100, Math.max(0, x)) : 0);

export class SystemLoadSampler {
  private readonly sources: SystemLoadSources;
  private previous: CpuTotals;
  private previousOwnMs: number;
  /** The GPU load file found on this machine; null once none was found. */
  private gpuFile: string | null | undefined;

  constructor(sources: Partial<SystemLoadSources> = {}) {
    this.sources = { ...systemSources, ...sources };
    this.previous = cpuTotals(this.sources.cpus());
    this.previousOwnMs = this.sources.ownCpuMs();
  }

  /** CPU is the other processes' busy share since the previous sample (or since this sampler was made). */
  sample(): LoadSample {
    const now = cpuTotals(this.sources.cpus());
    const ownMs = this.sources.ownCpuMs();
    const dTotal = now.total - this.previous.total;
    const dOthers = now.busy - this.previous.busy - (ownMs - this.previousOwnMs);
    const cpuPercent = dTotal > 0 ? (dOthers / dTotal) * 100 : 0;
    this.previous = now;
    this.previousOwnMs = ownMs;
    const { total, free } = this.sources.memory();
    const memoryPercent = total > 0 ? ((total - free) / total) * 100 : 0;
    const gpuPercent = this.gpu();
    return { cpuPercent: clampPercent(cpuPercent), memoryPercent: clampPercent(memoryPercent), ...(gpuPercent !== undefined ? { gpuPercent } : {}) };
  }

  private gpu(): number | undefined {
    if (this.gpuFile === null) return undefined;
    const files = this.gpuFile ? [this.gpuFile] : this.sources.gpuLoadFiles;
    for (const file of files) {
      const text = this.sources.readFile(file)?.trim();
      const value = text ? Number(text) : Number.NaN;
      if (Number.isFinite(value)) {
        this.gpuFile = file;
        return clampPercent(value / 10);
      }
    }
    if (this.gpuFile === undefined) this.gpuFile = null;
    return undefined;
  }
}
