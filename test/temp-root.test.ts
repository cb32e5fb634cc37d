import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import setup from "./setup/tempRoot.js";

describe("temporary files of a test run", () => {
  it("go under the run's own folder, which the global setup made", () => {
    expect(basename(tmpdir())).toMatch(/^embodied-assistant-test-/);
    expect(existsSync(tmpdir())).toBe(true);
  });

  it("are removed with that folder when the run ends, and TMPDIR is restored", () => {
    const outer = process.env.TMPDIR;
    const teardown = setup();
    const root = process.env.TMPDIR!;
    expect(dirname(root)).toBe(outer);
    const leftover = mkdtempSync(join(tmpdir(), "leftover-"));
    writeFileSync(join(leftover, "log.db"), "x");
    teardown();
    expect(existsSync(root)).toBe(false);
    expect(process.env.TMPDIR).toBe(outer);
  });
});
