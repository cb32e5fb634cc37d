import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { messageSchemas, type MessageTypeName } from "../src/core/interfaces/messages.generated.js";
import { hasFastPath } from "../src/ros/inprocess/fastMessageCopy.js";

const root = join(import.meta.dirname, "..");

/** Each check script exits 1 and names the case when an invariant breaks. */
function runCheck(script: string): { status: number | null; output: string } {
  const result = spawnSync(process.execPath, ["--import", "tsx", join(root, "test/checks", script)], { cwd: root, encoding: "utf8", timeout: 120_000 });
  return { status: result.status, output: `${result.stdout}\n${result.stderr}` };
}

describe("invariant checks", () => {
  it("the in-process graph's compiled check-and-copy agrees with zod on every message type (valid and mutated messages)", () => {
    const { status, output } = runCheck("fastMessageCopyCheck.ts");
    expect(status, output).toBe(0);
    // Every message type was checked: the count follows msg/ and the vendored interfaces.
    expect(output).toMatch(new RegExp(`diffs: 0, types: ${Object.keys(messageSchemas).length} `));
  });

  it("every message type has a compiled fast path (a silent fallback to zod would pass the check above)", () => {
    const types = Object.keys(messageSchemas) as MessageTypeName[];
    expect(types.filter((type) => !hasFastPath(type))).toEqual([]);
  });

  it("the action log's outcome key index, unindexed scans, v2 -> current migration and retention hold", () => {
    const { status, output } = runCheck("actionlogKeysCheck.ts");
    expect(status, output).toBe(0);
    expect(output).not.toMatch(/^FAIL/m);
  });
});
