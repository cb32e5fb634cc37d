/**
 * vitest globalSetup: every temporary folder of one `npm test` run goes under one fresh folder,
 * removed when the run ends. About 110 test files and helpers call mkdtempSync(tmpdir()) and
 * most keep what they wrote (databases, GGUF fixtures, exports) for a failing test to be read
 * afterwards; before this, each run left about 80 MB in /tmp for good. The test processes
 * (forks, and the node executables they spawn) inherit TMPDIR, so os.tmpdir() points here.
 * EMBODIED_KEEP_TEST_TMP=1 keeps the folder and prints where it is.
 */
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export default function setup(): () => void {
  const previous = process.env.TMPDIR;
  const root = mkdtempSync(join(tmpdir(), "embodied-assistant-test-"));
  // Open like /tmp (sticky, everyone may create): the fleet fault test runs PostgreSQL as the
  // postgres user in a folder under here, which a 0700 root would shut it out of.
  chmodSync(root, 0o1777);
  process.env.TMPDIR = root;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    if (process.env.EMBODIED_KEEP_TEST_TMP === "1") console.error(`test temporary files kept in ${root}`);
    else rmSync(root, { recursive: true, force: true });
  };
}
