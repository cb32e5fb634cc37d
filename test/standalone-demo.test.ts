import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..");

describe("standalone mode", () => {
  it("npm start -- --demo runs the scripted session end to end and exits 0", () => {
    const dataDir = mkdtempSync(join(tmpdir(), "demo-"));
    const result = spawnSync(process.execPath, ["--import", "tsx", join(root, "src/cli/start.ts"), "--demo", "--data-dir", dataDir], {
      cwd: root,
      encoding: "utf8",
      timeout: 120_000,
      stdio: ["ignore", "pipe", "pipe"],
    });
    expect(result.status, result.stderr).toBe(0);
    const out = result.stdout;
    expect(out).toMatch(/demo: OK: 80 actions flowed robot -> action_log -> memory -> dialogue/);
    expect(out).toMatch(/all\s+n=80/);
    expect(out).toMatch(/Setting parameter failed: parameter persona.warmth value 1.5 is outside the range \[0, 1\]/);
    expect(out).toMatch(/persona: persona.warmth=0.30 \S+ persona.formal=0.90/);
    // The simulated battery drains below 30%: the dialogue reduces, then the robot docks and it is back to full.
    expect(out).toMatch(/power: full -> reduce \(battery [\d.]+% < 30%, discharging\)/);
    expect(out).toMatch(/\(power reduce: battery [\d.]+% < 30%, discharging;/);
    expect(out).toMatch(/power: reduce -> full \(charging at [\d.]+%\)/);
    // A panel of three takes, the keyword-matched members first.
    expect(out).toMatch(/ {2}\[behavioral\] .+\n.+\n {2}\[cognitive\] /);
    expect(existsSync(join(dataDir, "action_log.db"))).toBe(true);
    expect(readdirSync(join(dataDir, "exports")).some((f) => f.endsWith(".mcap"))).toBe(true);
  });

  it("runs console commands piped on stdin without a terminal", () => {
    const dataDir = mkdtempSync(join(tmpdir(), "piped-"));
    const result = spawnSync(
      process.execPath,
      ["--import", "tsx", join(root, "src/cli/start.ts"), "--no-robot", "--data-dir", dataDir],
      { cwd: root, encoding: "utf8", timeout: 120_000, input: "remember the red mug is on the top shelf\nrecall where is the red mug?\nset dialogue persona.warmth 2\nquit\n" },
    );
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/remembered as \S+/);
    expect(result.stdout).toMatch(/\] the red mug is on the top shelf/);
    expect(result.stdout).toMatch(/Setting parameter failed/);
  });
});
