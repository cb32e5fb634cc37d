/** Default data locations, resolved against the package root so they work from src/ and from dist/. */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, "package.json"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
}

/** Where convert-glove writes by default (git-ignored). */
export function defaultGlovePath(): string {
  return resolve(packageRoot(), "models", "glove", "glove-sg100d-100k.i8.bin");
}
