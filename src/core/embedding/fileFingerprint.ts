/** A short content hash of a model file, for encoder identities (the path alone may point at new weights). */
import { createHash } from "node:crypto";
import { closeSync, openSync, readSync, statSync } from "node:fs";

/** sha256 over the size and up to the first and last 4 MiB: cheap on GB-sized models, still content-based. */
export function fileFingerprint(path: string): string {
  const size = statSync(path).size;
  const hash = createHash("sha256").update(String(size));
  const fd = openSync(path, "r");
  try {
    const chunk = Math.min(size, 4 << 20);
    const head = Buffer.alloc(chunk);
    readSync(fd, head, 0, chunk, 0);
    hash.update(head);
    if (size > chunk) {
      const tail = Buffer.alloc(chunk);
      readSync(fd, tail, 0, chunk, size - chunk);
      hash.update(tail);
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest("hex").slice(0, 16);
}
