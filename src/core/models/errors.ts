/** Errors of fetching and checking model files; each message names the fix. */

export class ModelPullError extends Error {
  constructor(
    readonly kind: "offline" | "source" | "disk_full" | "checksum" | "unknown_name" | "no_source" | "interrupted",
    message: string,
  ) {
    super(message);
    this.name = "ModelPullError";
  }
}

export class ModelOfflineError extends ModelPullError {
  constructor(
    readonly url: string,
    reason: string,
  ) {
    super(
      "offline",
      `cannot reach ${new URL(url).host} (${reason}): this machine looks offline. Connect it, or point hf: downloads at a mirror ` +
        `(HF_ENDPOINT=... or endpoints.huggingFace in configs/models.yaml), or copy the file by hand (npm run models -- list shows where it goes)`,
    );
    this.name = "ModelOfflineError";
  }
}

export class ModelSourceError extends ModelPullError {
  constructor(url: string, reason: string) {
    super("source", `${url}: ${reason}`);
    this.name = "ModelSourceError";
  }
}

export class DiskFullError extends ModelPullError {
  constructor(dir: string, neededBytes: number, freeBytes: number) {
    super("disk_full", `not enough disk space in ${dir}: the download needs ${mb(neededBytes)} MB more, ${mb(freeBytes)} MB are free; free some space (npm run models -- rm <name>) or move the registry's root`);
    this.name = "DiskFullError";
  }
}

export class ChecksumMismatchError extends ModelPullError {
  constructor(
    readonly name_: string,
    readonly expected: string,
    readonly actual: string,
    readonly keptAt: string,
    source: string,
  ) {
    super(
      "checksum",
      `${name_}: sha256 mismatch (expected ${expected} from ${source}, got ${actual}); the file was NOT put in place and is kept aside at ${keptAt}. ` +
        `Pull again (a transfer error) or, if the publisher changed the file on purpose, fix the sha256 in configs/models.yaml or the pin in the lock file`,
    );
    this.name = "ChecksumMismatchError";
  }
}

export class UnknownModelError extends ModelPullError {
  constructor(name: string, known: readonly string[]) {
    super("unknown_name", `no model or adapter named "${name}" in the registry; known names: ${known.join(", ") || "(none)"}`);
    this.name = "UnknownModelError";
  }
}

function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}
