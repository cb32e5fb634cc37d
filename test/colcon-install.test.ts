/**
 * Checks the tree `colcon build` installs (scripts/colcon-build.sh, Debian's colcon + ament_cmake):
 * the node executables in lib/embodied_assistant, launch/config/interface files and package.xml in
 * share/embodied_assistant, the ament index entries, and that an installed wrapper really runs its
 * TypeScript entry point with the arguments it was given (--help, and --ros-args on a started node).
 * Without ros_ws/install it fails under CI and is skipped elsewhere.
 */
import { execFile, spawn } from "node:child_process";
import { accessSync, constants, existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const PREFIX = join(ROOT, "ros_ws", "install", "embodied_assistant");
const LIB = join(PREFIX, "lib", "embodied_assistant");
const SHARE = join(PREFIX, "share", "embodied_assistant");
const INDEX = join(PREFIX, "share", "ament_index", "resource_index");
const EXECUTABLES = ["action_log", "memory", "dialogue", "assistant"];

const installed = existsSync(PREFIX);
if (!installed && process.env["CI"]) {
  throw new Error("ros_ws/install/embodied_assistant is missing under CI: run scripts/colcon-build.sh before the tests");
}
if (!installed) {
  console.warn("test/colcon-install.test.ts skipped: no ros_ws/install; run scripts/install-system-deps.sh and scripts/colcon-build.sh");
}

describe("package.xml", () => {
  const xml = readFileSync(join(ROOT, "package.xml"), "utf8");
  it("is format 3, built with ament_cmake, and declares what the nodes use at run time", () => {
    expect(xml).toMatch(/<package format="3">/);
    expect(xml).toMatch(/<name>embodied_assistant<\/name>/);
    expect(xml).toMatch(/<build_type>ament_cmake<\/build_type>/);
    const depends = [...xml.matchAll(/<(?:exec_)?depend>([^<]+)<\/(?:exec_)?depend>/g)].map((m) => m[1]);
    for (const dep of ["std_msgs", "builtin_interfaces", "diagnostic_msgs", "rcl_interfaces", "nodejs", "rosidl_default_runtime"]) {
      expect(depends, `package.xml depends on ${dep}`).toContain(dep);
    }
  });
});

/** Runs an installed executable without blocking the test worker. */
function runWrapper(exe: string, args: string[], cwd: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(join(LIB, exe), args, { cwd, encoding: "utf8", timeout: 60_000 }, (error, stdout, stderr) => {
      done({ status: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

const files = (dir: string, ext: string) => readdirSync(join(ROOT, dir)).filter((f) => f.endsWith(ext)).sort();

describe.skipIf(!installed)("colcon install tree", () => {
  it("installs every node executable, executable, in lib/embodied_assistant", () => {
    for (const exe of EXECUTABLES) {
      const path = join(LIB, exe);
      expect(existsSync(path), `${path} exists`).toBe(true);
      expect(() => accessSync(path, constants.X_OK), `${exe} is executable`).not.toThrow();
      expect(readFileSync(path, "utf8")).toContain(`src/cli/${exe}.ts" "$@"`);
    }
  });

  it("installs launch files, configs, interfaces and package.xml in share/embodied_assistant", () => {
    expect(readdirSync(join(SHARE, "launch")).sort()).toEqual(files("launch", "").filter((f) => f.startsWith("assistant.launch")));
    expect(statSync(join(SHARE, "configs", "assistant.yaml")).isFile()).toBe(true);
    expect(readdirSync(join(SHARE, "msg")).filter((f) => f.endsWith(".msg")).sort()).toEqual(files("msg", ".msg"));
    expect(readdirSync(join(SHARE, "srv")).filter((f) => f.endsWith(".srv")).sort()).toEqual(files("srv", ".srv"));
    expect(readFileSync(join(SHARE, "package.xml"), "utf8")).toBe(readFileSync(join(ROOT, "package.xml"), "utf8"));
    for (const entry of ["src/cli/action_log.ts", "package.json", "node_modules/tsx/package.json"]) {
      expect(existsSync(join(SHARE, entry)), `share/embodied_assistant/${entry}`).toBe(true);
    }
  });

  it("registers the package and its interfaces in the ament index", () => {
    expect(existsSync(join(INDEX, "packages", "embodied_assistant"))).toBe(true);
    const interfaces = readFileSync(join(INDEX, "rosidl_interfaces", "embodied_assistant"), "utf8").trim().split("\n").sort();
    expect(interfaces).toEqual([...files("msg", ".msg").map((f) => `msg/${f}`), ...files("srv", ".srv").map((f) => `srv/${f}`)].sort());
  });

  it("a wrapper passes --help through to the node and exits 0", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "ea-help-"));
    for (const exe of ["memory", "action_log"]) {
      const run = await runWrapper(exe, ["--help"], cwd);
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).toContain(`Usage: ${exe}`);
      expect(run.stdout).toContain("--ros-args");
    }
  }, 120_000);

  it("a wrapper passes a bad option through and the node refuses it with exit 1", async () => {
    const run = await runWrapper("action_log", ["--no-such-option"], tmpdir());
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("--no-such-option");
  }, 60_000);

  it("an installed node starts with --ros-args (namespace, -p, installed params file) and stops on SIGINT", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "ea-run-"));
    const db = join(cwd, "log.db");
    const child = spawn(
      join(LIB, "action_log"),
      ["--graph", "in-process", "--ros-args", "-r", "__ns:=/ci_install", "--params-file", join(SHARE, "configs", "assistant.yaml"), "-p", `db_path:=${db}`],
      { cwd, stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((done) => {
      child.on("exit", (code) => done(code));
      child.on("error", (error) => {
        output += String(error);
        done(null);
      });
    });
    const started = await Promise.race([
      new Promise<boolean>((done) => {
        const poll = setInterval(() => {
          if (/"node":"\/ci_install\/action_log".*node started/.test(output)) {
            clearInterval(poll);
            done(true);
          }
        }, 100);
        void exited.then(() => {
          clearInterval(poll);
          done(false);
        });
      }),
      new Promise<boolean>((done) => setTimeout(() => done(false), 60_000)),
    ]);
    child.kill("SIGINT");
    const code = await exited;
    expect(started, `${output}\n(if the sources changed since the last build: scripts/colcon-build.sh)`).toBe(true);
    expect(code, output).toBe(0);
    expect(existsSync(db), "db_path from -p was used").toBe(true);
  }, 90_000);
});
