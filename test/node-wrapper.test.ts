/**
 * The installed executables' wrapper (scripts/node-wrapper.sh.in, configured by CMakeLists.txt
 * for each executable): rosdep may install a distribution's Node.js 12 or 18 for
 * <exec_depend>nodejs</exec_depend>, so the wrapper must refuse a Node.js older than 20 and say
 * how to get one, and otherwise hand every argument to the entry point. Substitutes @EXE@ and
 * @PROJECT_NAME@ as CMake's configure_file(@ONLY) does; test/colcon-install.test.ts runs the
 * wrappers colcon really installed.
 */
import { execFile } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** An install prefix with lib/embodied_assistant/action_log and a fake `node` reporting `version`. */
function install(version: string): { exe: string; node: string } {
  const prefix = mkdtempSync(join(tmpdir(), "wrapper-"));
  const exe = join(prefix, "lib", "embodied_assistant", "action_log");
  mkdirSync(dirname(exe), { recursive: true });
  const template = readFileSync(join(ROOT, "scripts", "node-wrapper.sh.in"), "utf8");
  writeFileSync(exe, template.replaceAll("@EXE@", "action_log").replaceAll("@PROJECT_NAME@", "embodied_assistant"));
  chmodSync(exe, 0o755);
  const node = join(prefix, "fake-node");
  writeFileSync(node, `#!/bin/sh\nif [ "$1" = --version ]; then echo ${version}; exit 0; fi\necho "ran: $*"\n`);
  chmodSync(node, 0o755);
  return { exe, node };
}

function run(exe: string, args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(exe, args, { env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      done({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

describe("node executable wrapper", () => {
  it("refuses Node.js 18 (what rosdep installs on Ubuntu 24.04) and says how to get a newer one", async () => {
    const { exe, node } = install("v18.19.1");
    const result = await run(exe, ["--ros-args", "-r", "__ns:=/r1"], { EMBODIED_ASSISTANT_NODE: node });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("needs Node.js >= 20");
    expect(result.stderr).toContain("v18.19.1");
    expect(result.stderr).toMatch(/nodesource|nvm/);
    expect(result.stderr).toContain("EMBODIED_ASSISTANT_NODE");
  });

  it("says so when there is no Node.js at all", async () => {
    const { exe } = install("v22.0.0");
    const result = await run(exe, [], { EMBODIED_ASSISTANT_NODE: "/nonexistent/node" });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("is not found");
  });

  it("runs the entry point through tsx on Node.js 20+, passing every argument", async () => {
    const { exe, node } = install("v20.11.0");
    const result = await run(exe, ["--ros-args", "-r", "__ns:=/r1"], { EMBODIED_ASSISTANT_NODE: node });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^ran: --import \S+\/share\/embodied_assistant\/node_modules\/tsx\/dist\/loader\.mjs \S+\/share\/embodied_assistant\/src\/cli\/action_log\.ts --ros-args -r __ns:=\/r1\n$/);
  });
});
