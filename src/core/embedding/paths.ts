/** Default data locations, resolved against the package root so they work from src/ and from dist/. */
import { resolve } from "node:path";
import { packageRoot } from "../packageRoot.js";

/** Where convert-glove writes by default (git-ignored). */
export function defaultGlovePath(): string {
  return resolve(packageRoot(), "models", "glove", "glove-sg100d-100k.i8.bin");
}
