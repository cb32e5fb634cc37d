/**
 * Fetches one registry entry through node-llama-cpp's own downloader (ipull: parallel
 * connections, resume from a partial file) and puts it in place only after its sha256 checks out:
 *
 *   probe (a short HEAD: offline is decided here, since the downloader hangs on a dead port)
 *   -> disk-space check -> download into <dir>/.download/ (a partial file there is resumed)
 *   -> sha256 and size against configs/models.yaml, else the lock's pin, else pin now (TOFU)
 *   -> rename into the entry's path.  A mismatch moves the file to <dir>/.rejected/ and throws.
 */
import { existsSync, mkdirSync, renameSync, statSync, statfsSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { createModelDownloader } from "node-llama-cpp";
import type { RegistryEntry } from "../persona/ModelRegistry.js";
import { ChecksumMismatchError, DiskFullError, ModelPullError } from "./errors.js";
import type { ModelLock } from "./ModelLock.js";
import { huggingFaceEndpoint, probeSource, sourceUrl } from "./modelSource.js";
import { sha256File } from "./sha256File.js";

export interface PullProgress {
  readonly stage: "probe" | "download" | "verify";
  readonly downloadedBytes: number;
  readonly totalBytes: number;
}

export interface PullOptions {
  readonly lock: ModelLock;
  /** The registry's hf: mirror (endpoints.huggingFace); else $HF_ENDPOINT, else huggingface.co. */
  readonly hfEndpoint?: string;
  /** How long the first request may take before the machine counts as offline (default 5 s). */
  readonly probeTimeoutMs?: number;
  /** A transfer that moves no byte for this long is stopped (its partial file is kept; default 60 s). */
  readonly stallTimeoutMs?: number;
  readonly onProgress?: (progress: PullProgress) => void;
  readonly signal?: AbortSignal;
  /** Pull again even when a verified file is in place. */
  readonly force?: boolean;
}

export interface PullResult {
  readonly name: string;
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
  /** "pulled": downloaded now; "present": already in place and verified. */
  readonly status: "pulled" | "present";
  /** Where the expected checksum came from; "pinned now" on a first pull without one. */
  readonly checkedAgainst: "configs/models.yaml" | "lock" | "pinned now";
  readonly seconds: number;
}

/** The sha256 a file must have: the registry's, else the lock's pin. */
export function expectedChecksum(entry: RegistryEntry, lock: ModelLock): { sha256?: string; size?: number; source: "configs/models.yaml" | "lock" | "none" } {
  if (entry.sha256) return { sha256: entry.sha256, ...(entry.size !== undefined ? { size: entry.size } : {}), source: "configs/models.yaml" };
  const pin = lock.get(entry.name);
  if (pin?.sha256) return { sha256: pin.sha256, ...(pin.size !== undefined ? { size: pin.size } : {}), source: "lock" };
  return { ...(entry.size !== undefined ? { size: entry.size } : {}), source: "none" };
}

/** Records that this exact file (size, mtime) passed verification, so listings need not hash it. */
export function markVerified(entry: RegistryEntry, lock: ModelLock, sha256: string, path = entry.path): void {
  const st = statSync(path);
  const pin = lock.get(entry.name) ?? {};
  const pinNow = !entry.sha256 && !pin.sha256;
  lock.set(entry.name, {
    ...pin,
    ...(pinNow ? { uri: entry.uri, sha256, size: st.size, pinnedAt: new Date().toISOString() } : {}),
    verified: { size: st.size, mtimeMs: st.mtimeMs, at: new Date().toISOString() },
  });
}

/** Whether the file in place is the one last verified (same size and mtime), without hashing. */
export function isMarkedVerified(entry: RegistryEntry, lock: ModelLock): boolean {
  if (!existsSync(entry.path)) return false;
  const v = lock.get(entry.name)?.verified;
  const st = statSync(entry.path);
  return v !== undefined && v.size === st.size && v.mtimeMs === st.mtimeMs;
}

export async function pullModel(entry: RegistryEntry, options: PullOptions): Promise<PullResult> {
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  if (!entry.uri) throw new ModelPullError("no_source", `${entry.name} has no uri in configs/models.yaml: put the file at ${entry.path} yourself, or add a uri`);
  const expected = expectedChecksum(entry, options.lock);

  const checkedAgainst = expected.source === "none" ? "pinned now" : expected.source;
  let badInPlace = false;
  if (existsSync(entry.path) && !options.force) {
    options.onProgress?.({ stage: "verify", downloadedBytes: 0, totalBytes: statSync(entry.path).size });
    const sha256 = await sha256File(entry.path);
    if (!expected.sha256 || sha256 === expected.sha256) {
      markVerified(entry, options.lock, sha256);
      return { name: entry.name, path: entry.path, bytes: statSync(entry.path).size, sha256, status: "present", checkedAgainst, seconds: seconds() };
    }
    // The file in place is not the expected one: fetch a good copy; the bad one is set aside below.
    badInPlace = true;
  }

  const url = sourceUrl(entry.uri, huggingFaceEndpoint(options.hfEndpoint));
  options.onProgress?.({ stage: "probe", downloadedBytes: 0, totalBytes: expected.size ?? 0 });
  const probe = await probeSource(url, options.probeTimeoutMs ?? 5000);
  const total = expected.size ?? probe.size ?? 0;

  const dir = dirname(entry.path);
  const staging = join(dir, ".download");
  mkdirSync(staging, { recursive: true });
  const fileName = basename(entry.path);
  const staged = join(staging, fileName);
  const partialBytes = [staged, `${staged}.ipull`].reduce((n, p) => Math.max(n, existsSync(p) ? statSync(p).size : 0), 0);
  if (total > 0) {
    const fs = statfsSync(staging);
    const free = fs.bavail * fs.bsize;
    if (free < total - partialBytes) throw new DiskFullError(staging, total - partialBytes, free);
  }

  const downloader = await createModelDownloader({
    modelUri: entry.uri,
    dirPath: staging,
    fileName,
    deleteTempFileOnCancel: false,
    endpoints: { huggingFace: huggingFaceEndpoint(options.hfEndpoint) },
    onProgress: ({ downloadedSize, totalSize }) => {
      lastProgressAt = performance.now();
      options.onProgress?.({ stage: "download", downloadedBytes: downloadedSize, totalBytes: totalSize || total });
    },
  });
  let lastProgressAt = performance.now();
  const abort = new AbortController();
  const stallMs = options.stallTimeoutMs ?? 60_000;
  const watchdog = setInterval(() => {
    if (performance.now() - lastProgressAt > stallMs) abort.abort(new ModelPullError("interrupted", `${entry.name}: no data for ${stallMs / 1000} s from ${new URL(url).host}; the partial file is kept in ${staging} and the next pull resumes it`));
  }, Math.min(1000, stallMs));
  const onOuterAbort = () => abort.abort(new ModelPullError("interrupted", `${entry.name}: pull cancelled; the next pull resumes it`));
  options.signal?.addEventListener("abort", onOuterAbort);
  try {
    await downloader.download({ signal: abort.signal });
    // ipull's download resolves (it does not throw) when it is closed by a cancel.
    if (abort.signal.aborted) throw abort.signal.reason;
  } catch (error) {
    if (abort.signal.aborted) throw abort.signal.reason;
    if ((error as NodeJS.ErrnoException).code === "ENOSPC") throw new DiskFullError(staging, total - partialBytes, 0);
    throw new ModelPullError("interrupted", `${entry.name}: the download failed (${(error as Error).message}); run the pull again to resume it`);
  } finally {
    clearInterval(watchdog);
    options.signal?.removeEventListener("abort", onOuterAbort);
  }

  const bytes = statSync(staged).size;
  options.onProgress?.({ stage: "verify", downloadedBytes: bytes, totalBytes: bytes });
  const sha256 = await sha256File(staged);
  const sizeWrong = expected.size !== undefined && bytes !== expected.size;
  if ((expected.sha256 && sha256 !== expected.sha256) || sizeWrong) {
    const rejected = join(dir, ".rejected");
    mkdirSync(rejected, { recursive: true });
    const keptAt = join(rejected, `${fileName}.${new Date().toISOString().replace(/[:.]/g, "-")}`);
    renameSync(staged, keptAt);
    throw new ChecksumMismatchError(entry.name, expected.sha256 ?? `size ${expected.size}`, sizeWrong ? `size ${bytes}` : sha256, keptAt, expected.source);
  }
  if (badInPlace) {
    // A file that failed verification was in place: keep it aside rather than overwrite evidence.
    const rejected = join(dir, ".rejected");
    mkdirSync(rejected, { recursive: true });
    renameSync(entry.path, join(rejected, `${fileName}.replaced-${Date.now()}`));
  }
  renameSync(staged, entry.path);
  markVerified(entry, options.lock, sha256);
  return { name: entry.name, path: entry.path, bytes, sha256, status: "pulled", checkedAgainst, seconds: seconds() };
}
