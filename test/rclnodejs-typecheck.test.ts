/**
 * The rclnodejs adapter is type-checked against rclnodejs's real declarations, with message
 * typings generated from msg/ and srv/ (scripts/typecheck-rclnodejs.sh, `npm run typecheck:ros`).
 * This test shows the check has teeth: the adapter as committed passes, and a copy with one
 * misspelt message field or message type fails. It needs the generated typings: under CI it
 * fails without them, elsewhere it is skipped with a hint.
 */
import { execFile } from "node:child_process";
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

/** Async, so that a 10-20 s tsc run does not block the test worker's event loop. */
function tsc(project: string): Promise<{ status: number | null; output: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [TSC, "--noEmit", "-p", project], { cwd: ROOT, encoding: "utf8", timeout: 180_000 }, (error, stdout, stderr) => {
      const status = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      done({ status, output: `${stdout}${stderr}` });
    });
  });
}

interface Mutation {
  readonly file: string;
  readonly from: string;
  readonly to: string;
}

/**
 * A copy of src/ with the given edits in adapter files, checked with the same settings. Each
 * edit sits in its own statement, so each one must produce its own diagnostic at its own place.
 */
async function checkMutant(mutations: readonly Mutation[]): Promise<{ status: number | null; output: string }> {
  const dir = join(MUTANTS, `mutant-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  cpSync(join(ROOT, "src"), join(dir, "src"), { recursive: true });
  for (const { file, from, to } of mutations) {
    const target = join(dir, "src", "ros", "rclnodejs", file);
    const source = readFileSync(target, "utf8");
    expect(source, `${file} contains the text to mutate`).toContain(from);
    writeFileSync(target, source.replace(from, to));
  }
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify({ extends: join(ROOT, "tsconfig.rclnodejs.json"), include: ["src/ros/rclnodejs/**/*.ts"] }),
  );
  try {
    return await tsc(join(dir, "tsconfig.json"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe.skipIf(!ready)("strict tsc of the rclnodejs adapter against rclnodejs's declarations", () => {
  it("passes for the adapter as committed", async () => {
    const result = await tsc(join(ROOT, "tsconfig.rclnodejs.json"));
    expect(result.output).toBe("");
    expect(result.status).toBe(0);
  }, 180_000);

  it("fails on a misspelt message field (read and built) and a misspelt message type, each at its place", async () => {
    const result = await checkMutant([
      // a field read from an rclnodejs message: builtin_interfaces/Time.nanosec
      { file: "RclnodejsNode.ts", from: "nanosec: stamp.nanosec", to: "nanosec: stamp.nanosecs" },
      // a field of a message the adapter builds: rcl_interfaces/SetParametersResult.reason
      { file: "RclnodejsNode.ts", from: "return { successful: false, reason: changes };", to: "return { successful: false, reasn: changes };" },
      // a message type name
      { file: "messageConformance.ts", from: '"embodied_assistant/msg/ActionEvent": true', to: '"embodied_assistant/msg/ActionEvnt": true' },
    ]);
    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(/RclnodejsNode\.ts\(\d+,\d+\): error TS\d+: Property 'nanosecs' does not exist/);
    expect(result.output).toMatch(/RclnodejsNode\.ts\(\d+,\d+\): error TS\d+: .*'reasn'/);
    expect(result.output).toMatch(/messageConformance\.ts\(\d+,\d+\): error TS\d+: .*ActionEvnt/);
  }, 180_000);
});
