/** Issue #8 item 12b: every npm script runs a file that exists, and `npm run setup` prepares a first run. */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..");
const scripts = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;

describe("package.json scripts", () => {
  it.each(Object.entries(scripts))("%s runs files that exist", (_name, command) => {
    // The repository files a script hands to node or bash (src/..., bench/..., scripts/..., configs).
    const files = [...command.matchAll(/(?:^|\s)((?:src|bench|scripts|test)\/[\w./-]+|tsconfig[\w.]*\.json)/g)].map((m) => m[1]!);
    for (const file of files) expect(existsSync(join(root, file)), `${file} in "${command}"`).toBe(true);
  });

  it("npm run setup prepares the GloVe file and the data folder, and reports the dialogue model", () => {
    const home = mkdtempSync(join(tmpdir(), "setup-ros-home-"));
    try {
      const run = spawnSync("npm", ["run", "--silent", "setup"], { cwd: root, encoding: "utf8", env: { ...process.env, ROS_HOME: home }, timeout: 120_000 });
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/^GloVe vectors: (ready|converted)/m);
      expect(run.stdout).toContain(`data folder: ${join(home, "embodied_assistant")}`);
      expect(run.stdout).toMatch(/^dialogue model: /m);
      expect(existsSync(join(home, "embodied_assistant"))).toBe(true);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
