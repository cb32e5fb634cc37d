/**
 * A pull with a progress bar (a terminal) or a line every 10% (logs, CI), shared by
 * `npm run models -- pull` and the first-run pull of `npm start`.
 */
import cliProgress from "cli-progress";
import type { ModelRegistry } from "../core/persona/ModelRegistry.js";
import { ModelLock } from "../core/models/ModelLock.js";
import { pullModel, type PullResult } from "../core/models/pullModel.js";
import { UnknownModelError } from "../core/models/errors.js";

export interface PullWithProgressOptions {
  readonly print: (line: string) => void;
  readonly probeTimeoutMs?: number;
  readonly force?: boolean;
  readonly signal?: AbortSignal;
  readonly hfEndpoint?: string;
}

const MB = 1e6;

export async function pullWithProgress(registry: ModelRegistry, name: string, options: PullWithProgressOptions): Promise<PullResult> {
  const entry = registry.entry(name);
  if (!entry) throw new UnknownModelError(name, registry.entries().map((e) => e.name));
  const tty = process.stderr.isTTY === true;
  const bar = new cliProgress.SingleBar(
    { format: `${name} [{bar}] {percentage}% {done}/{all} MB {speed} MB/s eta {eta_formatted}`, stream: process.stderr, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  let nextDecile = 1;
  const t0 = performance.now();
  try {
    return await pullModel(entry, {
      lock: ModelLock.read(registry.lockPath),
      ...(options.hfEndpoint ?? registry.endpoints.huggingFace ? { hfEndpoint: options.hfEndpoint ?? registry.endpoints.huggingFace } : {}),
      ...(options.probeTimeoutMs !== undefined ? { probeTimeoutMs: options.probeTimeoutMs } : {}),
      ...(options.force ? { force: true } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      onProgress: (p) => {
        if (p.stage === "probe") options.print(`${name}: contacting ${entry.uri}`);
        if (p.stage === "verify") {
          if (started && tty) bar.stop();
          started = false;
          options.print(`${name}: checking sha256 of ${(p.totalBytes / MB).toFixed(1)} MB`);
          return;
        }
        if (p.stage !== "download" || p.totalBytes <= 0) return;
        const payload = { done: (p.downloadedBytes / MB).toFixed(1), all: (p.totalBytes / MB).toFixed(1), speed: (p.downloadedBytes / MB / Math.max(0.001, (performance.now() - t0) / 1000)).toFixed(1) };
        if (tty) {
          if (!started) bar.start(p.totalBytes, 0, payload);
          started = true;
          bar.update(p.downloadedBytes, payload);
        } else if (p.downloadedBytes >= (nextDecile * p.totalBytes) / 10) {
          while (p.downloadedBytes >= (nextDecile * p.totalBytes) / 10) nextDecile++;
          options.print(`${name}: ${Math.floor((100 * p.downloadedBytes) / p.totalBytes)}% (${payload.done}/${payload.all} MB, ${payload.speed} MB/s)`);
        }
      },
    });
  } finally {
    if (started && tty) bar.stop();
  }
}
