/**
 * vitest globalSetup: converts GloVe into models/glove once when the file is missing, so `npm test`
 * works on a fresh clone (the conversion reads the 307 MB JSON: ~5-10 s, ~1 GB RAM).
 */
import { existsSync } from "node:fs";
import { convertGlove } from "../../src/cli/convert-glove.js";
import { defaultGlovePath } from "../../src/core/embedding/paths.js";

export default function setup(): void {
  if (!existsSync(defaultGlovePath())) convertGlove({ progress: false });
}
