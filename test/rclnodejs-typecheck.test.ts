/**
 * The rclnodejs adapter is type-checked against rclnodejs's real declarations, with message
 * typings generated from msg/ and srv/ (scripts/typecheck-rclnodejs.sh, `npm run typecheck:ros`).
 * This test shows the check has teeth: the adapter as committed passes, and a copy with one
 * misspelt message field or message type fails. It needs the generated typings: under CI it
 * fails without them, elsewhere it is skipped with a hint.
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const TYPINGS = join(ROOT, ".typecheck-ros", "node_modules", "rclnodejs", "types", "interfaces.d.ts");
const TSC = join(ROOT, "node_modules", "typescript", "bin", "tsc");
const MUTANTS = join(ROOT, ".typecheck-ros", "mutants");

const ready = existsSync(TYPINGS);
if (!ready && process.env["CI"]) {
  throw new Error("rclnodejs typings are missing under CI: run `npm run typecheck:ros` (scripts/typecheck-rclnodejs.sh) before the tests");
}
if (!ready) console.warn("test/rclnodejs-typecheck.test.ts skipped: run `npm run typecheck:ros` once to generate the rclnodejs typings");

function tsc(project: string): { status: number | null; output: string } {
  const run = spawnSync(process.execPath, [TSC, "--noEmit", "-p", project], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

/** A copy of src/ with one edit in one adapter file, checked with the same settings. */
function checkMutant(id: string, file: string, from: string, to: string): { status: number | null; output: string } {
  const dir = join(MUTANTS, `${id}-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  cpSync(join(ROOT, "src"), join(dir, "src"), { recursive: true });
  const target = join(dir, "src", "ros", "rclnodejs", file);
  const source = readFileSync(target, "utf8");
  expect(source, `${file} contains the text to mutate`).toContain(from);
  writeFileSync(target, source.replace(from, to));
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify({ extends: join(ROOT, "tsconfig.rclnodejs.json"), include: ["src/ros/rclnodejs/**/*.ts"] }),
  );
  try {
    return tsc(join(dir, "tsconfig.json"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe.skipIf(!ready)("strict tsc of the rclnodejs adapter against rclnodejs's declarations", () => {
  it("passes for the adapter as committed", () => {
    const result = tsc(join(ROOT, "tsconfig.rclnodejs.json"));
    expect(result.output).toBe("");
    expect(result.status).toBe(0);
  }, 120_000);

  it("fails when a field of an rclnodejs message is misspelt (builtin_interfaces/Time.nanosec)", () => {
    const result = checkMutant("field", "RclnodejsNode.ts", "nanosec: stamp.nanosec", "nanosec: stamp.nanosecs");
    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(/RclnodejsNode\.ts.*Property 'nanosecs' does not exist/);
  }, 120_000);

  it("fails when a field of a message the adapter builds is misspelt (rcl_interfaces/SetParametersResult.reason)", () => {
    const result = checkMutant("literal", "RclnodejsNode.ts", "return { successful: false, reason: changes };", "return { successful: false, reasn: changes };");
    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(/RclnodejsNode\.ts.*'reasn'/);
  }, 120_000);

  it("fails when a message type name is misspelt", () => {
    const result = checkMutant("type", "messageConformance.ts", '"embodied_assistant/msg/ActionEvent": true', '"embodied_assistant/msg/ActionEvnt": true');
    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(/messageConformance\.ts.*ActionEvnt/);
  }, 120_000);
});
